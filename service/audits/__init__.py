"""Audits: Section 11 self-assessment summaries and training needs coverage, read from the audit lifecycles."""
