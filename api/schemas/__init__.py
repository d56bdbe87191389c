"""Request and response models: the public contract (OpenAPI 3.1)."""
