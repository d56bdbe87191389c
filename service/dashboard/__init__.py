"""The morning dashboard: counts a business manager scans, each with a link to the list behind it."""
