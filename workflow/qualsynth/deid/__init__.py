"""Stage: deid."""
