"""The ``deid:`` block of config/config.yaml, with defaults for running without a config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualsynth.deid.reference import DEFAULT_REFERENCE_DIR

DATE_MODES = ("keep", "month_year", "year", "redact")
PROFILES = ("transcripts", "generic")
DEFAULT_SECRET_FILE = "~/.config/qualsynth/secret"


@dataclass(frozen=True)
class DeidSettings:
    """How de-identification behaves; see the schema for each key's meaning.

    ``profile``: ``transcripts`` (the research pipeline: years, weekdays, ages and
    nationalities are kept, they identify no one in an interview about services) or
    ``generic`` (the default without a project config, for any English text: those are
    detected too, as Presidio's labelled data counts them).
    """

    profile: str = "generic"
    dates: str = "month_year"
    score_threshold: float = 0.5
    allow_list: tuple[str, ...] = ()
    secret_file: str = DEFAULT_SECRET_FILE
    disclose_case_sites: bool = False
    reference_dir: str = str(DEFAULT_REFERENCE_DIR)
    gold_file: str = "gold/pii_spans.csv"
    batch_size: int = 64
    phone_regions: tuple[str, ...] = ("GB", "US")
    review_sample_size: int = 12
    keep_attributes: tuple[str, ...] = ()
    propagate: bool = True

    def reference_path(self) -> Path:
        """The reference folder: as configured, else the copy in this repository."""
        path = Path(self.reference_dir).expanduser()
        if path.is_dir():
            return path
        return DEFAULT_REFERENCE_DIR


def settings_from_config(config: dict[str, Any] | None) -> DeidSettings:
    """Build settings from a validated config (missing keys take the defaults)."""
    block = dict((config or {}).get("deid") or {})
    kwargs: dict[str, Any] = {}
    for name in ("profile", "dates", "score_threshold", "secret_file", "disclose_case_sites",
                 "reference_dir", "gold_file", "batch_size", "review_sample_size", "propagate"):
        if name in block:
            kwargs[name] = block[name]
    for name in ("allow_list", "phone_regions", "keep_attributes"):
        if name in block:
            kwargs[name] = tuple(block[name] or ())
    return DeidSettings(**kwargs)
