"""Learning items and the learning loop: identified → disseminated → embedded → evaluated (DOMAIN.md §3, §6)."""
