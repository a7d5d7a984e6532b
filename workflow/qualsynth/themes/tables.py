"""Reading and writing the themes stage's tables (CSV with fixed columns, sorted rows)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qualsynth.errors import InputError
from qualsynth.io import atomic_path, read_jsonl
from qualsynth.themes.engine import CODING_COLUMNS, Coding

SEGMENT_ATTRS = ("study", "document", "participant_id", "ics_label", "region", "sector", "role",
                 "time_point")
MISSING = "(not recorded)"


def write_csv(path: str | Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows with a fixed column order (values not in ``columns`` are an error)."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
            n += 1
    return n


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if value == value else ""
    return value


def read_csv(path: str | Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Read a CSV, failing with the path and the missing columns when the header is wrong."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(path, f"missing column(s) {', '.join(missing)}; the header "
                                 f"must include: {', '.join(required)}", line=1)
            return list(reader)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None


def load_segments(path: str | Path) -> list[dict[str, Any]]:
    """De-identified segments (data/processed/deid/segments.jsonl), checked for the basics."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "segments file not found; run the de-identification stage "
                         "first (data/processed/deid/segments.jsonl)")
    try:
        rows = read_jsonl(path)
    except ValueError as exc:
        raise InputError(path, f"not valid JSON Lines: {exc}") from None
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        if row.get("placeholder"):
            raise InputError(path, "this is a placeholder written because the "
                             "de-identification stage is not built yet; no segments to code",
                             line=i)
        for key in ("segment_id", "study", "text"):
            if key not in row:
                raise InputError(path, f"segment has no {key!r} field", line=i, field=key)
        if row["segment_id"] in seen:
            raise InputError(path, f"duplicate segment_id {row['segment_id']!r}", line=i)
        seen.add(row["segment_id"])
    return rows


def attr(segment: dict[str, Any], key: str) -> str:
    value = segment.get(key)
    return MISSING if value in (None, "") else str(value)


VETOED_COLUMNS = [*CODING_COLUMNS, "probability"]


def write_vetoed(path: str | Path, vetoed: Iterable[tuple[Coding, float]]) -> int:
    """The rules' codings that coding patterns set aside, with the code's probability."""
    rows = sorted(({**c.as_row(), "probability": p} for c, p in vetoed), key=_coding_order)
    return write_csv(path, VETOED_COLUMNS, rows)


def _coding_order(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["segment_id"], row["sentence_no"], row["code"], row["rule"]


def write_codings(path: str | Path, codings: Iterable[Coding]) -> int:
    rows = sorted((c.as_row() for c in codings), key=_coding_order)
    return write_csv(path, CODING_COLUMNS, rows)


def read_codings(path: str | Path) -> list[Coding]:
    rows = read_csv(path, CODING_COLUMNS)
    return [Coding(segment_id=r["segment_id"], study=r["study"], code=r["code"], rule=r["rule"],
                   evidence=r["evidence"], sentence_no=int(r["sentence_no"] or 0),
                   sentence=r["sentence"], codebook_version=r["codebook_version"],
                   codebook_hash=r["codebook_hash"]) for r in rows]
