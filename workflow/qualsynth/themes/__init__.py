"""Stage: themes."""
