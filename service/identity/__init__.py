"""Partnerships, agencies, users, roles and bearer tokens."""
