"""Stage: de-identification of transcripts and survey answers with Microsoft Presidio.

Reads the identifiable ingest output (``restricted/ingest/``) and writes only
de-identified tables to ``data/processed/deid/``; the pseudonym key table lives in the
restricted folder. Downstream stages recognise the pseudonym tokens with
:data:`PSEUDONYM_RE`.
"""

from qualsynth.deid.labels import LABELS, PSEUDONYM_RE

__all__ = ["LABELS", "PSEUDONYM_RE"]
