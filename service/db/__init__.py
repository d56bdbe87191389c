"""Database engine, sessions and the unit of work."""
