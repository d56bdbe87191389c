"""Cases: one review (or other piece of work) and its lifecycle."""
