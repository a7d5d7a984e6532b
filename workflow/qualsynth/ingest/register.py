"""The participant register (``participants.csv``): one row per transcript."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from qualsynth.errors import InputError
from qualsynth.ingest.text import read_text_file

REQUIRED_COLUMNS = (
    "transcript", "participant_id", "name", "aliases", "ics", "region", "organisation",
    "sector", "role", "time_point", "interview_date", "interviewer",
)
SECTORS = ("icb", "trust", "primary_care", "local_authority", "vcse", "healthwatch",
           "patient_carer", "national", "other")
TIME_POINTS = ("baseline", "follow_up", "single")
REGIONS = ("London", "South East", "South West", "East of England", "Midlands",
           "North East and Yorkshire", "North West")
# Columns that identify a person or organisation: never copied to processed outputs.
IDENTIFYING_COLUMNS = ("name", "aliases", "organisation", "interviewer", "interview_date")
_PID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass
class RegisterRow:
    line: int
    transcript: str
    participant_id: str
    name: str
    aliases: list[str]
    ics: str
    region: str
    organisation: str
    sector: str
    role: str
    time_point: str
    interview_date: str
    interviewer: str
    extra: dict[str, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        """The participant's name and aliases (identifiable: restricted use only)."""
        return [n for n in [self.name, *self.aliases] if n]

    def attributes(self) -> dict[str, str]:
        """Case attributes safe to carry into de-identified outputs."""
        attrs = {"participant_id": self.participant_id, "ics": self.ics, "region": self.region,
                 "sector": self.sector, "role": self.role, "time_point": self.time_point}
        attrs.update(self.extra)
        return attrs


def load_register(path: str | Path) -> dict[str, RegisterRow]:
    """Read and validate a register; return rows keyed by transcript file name."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "participant register not found; every study folder needs "
                         "participants.csv")
    reader = csv.DictReader(io.StringIO(read_text_file(path)))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}", line=1)
    rows: dict[str, RegisterRow] = {}
    seen_ids: dict[tuple[str, str], int] = {}
    names_by_id: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(reader, start=2):
        if raw.get(None):
            raise InputError(path, "more fields than header columns", line=lineno)
        rec = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        for col in ("transcript", "participant_id", "name", "ics", "region", "sector",
                    "time_point"):
            if not rec[col]:
                raise InputError(path, "empty value", line=lineno, field=col)
        if rec["sector"] not in SECTORS:
            raise InputError(path, f"unknown sector {rec['sector']!r}; use one of: "
                             f"{', '.join(SECTORS)}", line=lineno, field="sector")
        if rec["time_point"] not in TIME_POINTS:
            raise InputError(path, f"unknown time point {rec['time_point']!r}; use one of: "
                             f"{', '.join(TIME_POINTS)}", line=lineno, field="time_point")
        if rec["region"] not in REGIONS:
            raise InputError(path, f"unknown NHS England region {rec['region']!r}; use one "
                             f"of: {', '.join(REGIONS)}", line=lineno, field="region")
        if not _PID.match(rec["participant_id"]):
            raise InputError(path, "participant_id must be letters, digits, '-' or '_' "
                             "(at most 32)", line=lineno, field="participant_id")
        if rec["interview_date"]:
            try:
                date.fromisoformat(rec["interview_date"])
            except ValueError:
                raise InputError(path, "interview_date must be YYYY-MM-DD", line=lineno,
                                 field="interview_date") from None
        key = (rec["participant_id"], rec["time_point"])
        if key in seen_ids:
            raise InputError(path, f"duplicate participant_id {rec['participant_id']!r} at time "
                             f"point {rec['time_point']} (first on line {seen_ids[key]})",
                             line=lineno, field="participant_id")
        seen_ids[key] = lineno
        prior = names_by_id.get(rec["participant_id"])
        if prior and prior[0].casefold() != rec["name"].casefold():
            raise InputError(path, f"participant_id {rec['participant_id']!r} is used for two "
                             f"different people (see line {prior[1]})", line=lineno,
                             field="participant_id")
        names_by_id.setdefault(rec["participant_id"], (rec["name"], lineno))
        if rec["transcript"] in rows:
            raise InputError(path, f"transcript {rec['transcript']!r} listed twice",
                             line=lineno, field="transcript")
        extra = {k: v for k, v in rec.items() if k not in REQUIRED_COLUMNS}
        rows[rec["transcript"]] = RegisterRow(
            line=lineno,
            transcript=rec["transcript"],
            participant_id=rec["participant_id"],
            name=rec["name"],
            aliases=[a.strip() for a in rec["aliases"].split(";") if a.strip()],
            ics=rec["ics"],
            region=rec["region"],
            organisation=rec["organisation"],
            sector=rec["sector"],
            role=rec["role"],
            time_point=rec["time_point"],
            interview_date=rec["interview_date"],
            interviewer=rec["interviewer"],
            extra=extra,
        )
    return rows


def check_register_files(register_path: str | Path, rows: dict[str, RegisterRow],
                         transcripts: list[str]) -> None:
    """Every register row needs its file; every transcript needs a register row."""
    present = set(transcripts)
    for name, row in sorted(rows.items(), key=lambda kv: kv[1].line):
        if name not in present:
            raise InputError(register_path, f"register row names transcript {name!r} but no "
                             "such file is in the study folder", line=row.line,
                             field="transcript")
    for name in sorted(present):
        if name not in rows:
            raise InputError(Path(register_path).parent / name,
                             "transcript has no row in participants.csv")
