"""Public reference tables for the gazetteers (``data/reference/``, see SOURCES.md there)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qualsynth.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_REFERENCE_DIR = REPO_ROOT / "data" / "reference"

FILES = {
    "icbs": "icb_sub_locations.csv",
    "icb_las": "icb_local_authorities_trusts.csv",
    "trusts": "nhs_trusts.csv",
    "places": "gb_places.csv",
    "first_names": "ons_baby_names_by_region.csv",
}
_COUNCIL_SUFFIX = re.compile(
    r"\s+(?:(?:Metropolitan\s+)?(?:Borough|District|County|City)\s+)*Council$", re.I)
_PREFIX = re.compile(r"^(?:(?:London\s+Borough|Royal\s+Borough|City|Borough|Council|"
                     r"Corporation)\s+of\s+(?:the\s+)?)+", re.I)


@dataclass(frozen=True)
class Icb:
    code: str        # ODS code (ICB22CDH), e.g. QKS
    ons_code: str    # ONS code (ICB22CD), e.g. E54000032
    name: str        # NHS Kent and Medway Integrated Care Board
    region: str      # NHS England region
    base: str        # Kent and Medway


@dataclass(frozen=True)
class ReferenceData:
    icbs: tuple[Icb, ...]
    trusts: tuple[str, ...]
    councils: tuple[str, ...]
    areas: tuple[str, ...]                  # council areas: Medway, Kent, Gateshead ...
    places: tuple[tuple[str, str], ...]     # (name, type)
    first_names: frozenset[str]             # title case

    def icb_by_any(self, value: str) -> Icb | None:
        """Find an ICB by ODS code, ONS code, full name or base name (case-insensitive)."""
        key = normalise_org(value)
        for icb in self.icbs:
            if key in {icb.code.lower(), icb.ons_code.lower(), normalise_org(icb.name),
                       normalise_org(icb.base), normalise_org(f"NHS {icb.base}")}:
                return icb
        return None


def normalise_org(name: str) -> str:
    """Canonical form of an organisation name for matching and pseudonym keys."""
    name = name.replace("&", " and ").replace("’", "'")
    name = re.sub(r"[^\w' -]", " ", name.lower())
    name = " ".join(name.split())
    return re.sub(r"^the ", "", name)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise InputError(path, "reference table not found; it ships with the repository in "
                         "data/reference/ (set deid.reference_dir if you moved it)")
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _need(rows: list[dict[str, str]], path: Path, columns: tuple[str, ...]) -> None:
    if rows and any(c not in rows[0] for c in columns):
        missing = [c for c in columns if c not in rows[0]]
        raise InputError(path, f"reference table lacks column(s) {', '.join(missing)}",
                         line=1)


def council_area(name: str) -> str:
    """'Gateshead Metropolitan Borough Council' -> 'Gateshead'; '' when nothing is left."""
    area = _COUNCIL_SUFFIX.sub("", name.strip())
    area = _PREFIX.sub("", area).strip()
    return "" if area.lower() in {"", "council"} else area


@lru_cache(maxsize=4)
def load_reference(directory: str | Path = DEFAULT_REFERENCE_DIR) -> ReferenceData:
    """Read the reference tables once per process."""
    directory = Path(directory)
    path = directory / FILES["icbs"]
    rows = _read_csv(path)
    _need(rows, path, ("ICB22CDH", "ICB22CD", "ICB22NM", "NHSER22NM"))
    icbs: dict[str, Icb] = {}
    for r in rows:
        name = r["ICB22NM"].strip()
        base = re.sub(r"^NHS\s+", "", name)
        base = re.sub(r"\s+Integrated Care Board$", "", base).strip()
        icbs[r["ICB22CDH"]] = Icb(r["ICB22CDH"], r["ICB22CD"], name, r["NHSER22NM"], base)

    path = directory / FILES["icb_las"]
    rows = _read_csv(path)
    _need(rows, path, ("Local Authority", "NHS Trusts"))
    councils = {r["Local Authority"].strip() for r in rows if r["Local Authority"].strip()}
    trusts = {r["NHS Trusts"].strip() for r in rows if r["NHS Trusts"].strip()}

    path = directory / FILES["trusts"]
    rows = _read_csv(path)
    _need(rows, path, ("trust_name",))
    trusts |= {r["trust_name"].strip() for r in rows if r["trust_name"].strip()}

    path = directory / FILES["places"]
    rows = _read_csv(path)
    _need(rows, path, ("name", "type"))
    places = tuple(sorted({(r["name"].strip(), r["type"].strip()) for r in rows
                           if r["name"].strip()}))

    path = directory / FILES["first_names"]
    rows = _read_csv(path)
    _need(rows, path, ("name",))
    first = frozenset(r["name"].strip().title() for r in rows if r["name"].strip())

    areas = {council_area(c) for c in councils}
    return ReferenceData(
        icbs=tuple(sorted(icbs.values(), key=lambda i: i.code)),
        trusts=tuple(sorted(trusts)),
        councils=tuple(sorted(councils)),
        areas=tuple(sorted(a for a in areas if a)),
        places=places,
        first_names=first,
    )
