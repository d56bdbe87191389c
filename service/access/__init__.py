"""Who is acting and what roles exist: the foundation every feature authorises against."""
