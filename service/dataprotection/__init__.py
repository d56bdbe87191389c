"""Data protection: access log queries, subject reveal and export, retention, legal hold and disposal."""
