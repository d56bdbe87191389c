"""Partner webhooks: subscriptions, signed delivery with retries, replay."""
