"""LIF Service: domain, engine and jobs. Never imports the web layer."""
