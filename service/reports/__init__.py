"""Statutory outputs: documents built once from the record, rendered to JSON, DOCX and PDF (issue 13)."""
