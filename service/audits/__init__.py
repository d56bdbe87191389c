"""Audit summaries: read-only views across the agencies' returns of an audit case (issue 4)."""
