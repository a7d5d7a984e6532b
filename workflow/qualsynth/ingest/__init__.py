"""Ingestion: transcripts (.txt, .vtt, .docx) and survey CSVs -> canonical turns and segments.

Output is identifiable and goes to the restricted folder only; ``qualsynth.deid`` turns
it into the de-identified tables under ``data/processed/``.
"""
