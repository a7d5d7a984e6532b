"""Stage: topics."""
