"""The second entry point beside the API: the background worker (timers now; outbox delivery later)."""
