"""Public lookup tables for the corpus generator: ICBs, their trusts, councils, towns.

Reads ``data/reference/`` (ICB names, regions, local authorities, NHS trusts, first names)
plus ``places.yaml`` beside this module (towns, hospital sites, postcode areas and fiction
phone ranges per ICB). Nothing here is invented: invented values live in ``identities``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from qualsynth.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_REFERENCE_DIR = REPO_ROOT / "data" / "reference"
PLACES_PATH = Path(__file__).with_name("places.yaml")

# NHS England region -> ONS baby-name regions used for first names.
NAME_REGIONS = {
    "London": ("London",),
    "South East": ("South East",),
    "South West": ("South West",),
    "East of England": ("East",),
    "Midlands": ("East Midlands", "West Midlands"),
    "North East and Yorkshire": ("North East", "Yorkshire and The Humber"),
    "North West": ("North West",),
}
_LOWER_WORDS = {"and", "of", "the", "upon", "on", "in", "for", "with", "under", "at"}
_UPPER_WORDS = {"NHS", "UK", "ICB", "CCG", "GP", "PCN", "BCP", "II", "III"}


def title_case(name: str) -> str:
    """Natural title case for an UPPER CASE public-body name.

    ``EAST KENT HOSPITALS UNIVERSITY NHS FOUNDATION TRUST`` becomes
    ``East Kent Hospitals University NHS Foundation Trust``; ``ST GEORGE'S`` becomes
    ``St George's``; small words stay lower case except at the start.
    """
    words = name.split()
    out: list[str] = []
    for i, word in enumerate(words):
        bare = word.strip("(),.")
        if bare.upper() in _UPPER_WORDS:
            out.append(word.upper())
            continue
        if i > 0 and word.lower() in _LOWER_WORDS:
            out.append(word.lower())
            continue
        parts = re.split(r"([-/])", word.lower())
        fixed = []
        for part in parts:
            if part in ("-", "/"):
                fixed.append(part)
            elif part in _LOWER_WORDS and fixed:
                fixed.append(part)  # Stoke-on-Trent
            else:
                fixed.append(_cap(part))
        out.append("".join(fixed))
    return " ".join(out)


def _cap(word: str) -> str:
    """Capitalise the first letter; keep the letter after an apostrophe lower (George's)."""
    for i, ch in enumerate(word):
        if ch.isalpha():
            return word[:i] + ch.upper() + word[i + 1:]
    return word


def council_area(council: str) -> str:
    """The area a council serves: 'Bolton Metropolitan Borough Council' -> 'Bolton'."""
    name = council.strip()
    name = re.sub(r"^(Corporation of the )", "", name)
    name = re.sub(r"^(London Borough of |Royal Borough of |Council of the |City of )", "", name)
    name = re.sub(r"\s+(Metropolitan Borough|Metropolitan District|City|County|Borough|"
                  r"District)?\s*Council$", "", name)
    name = re.sub(r"\s+Council$", "", name)
    name = name.replace(" & ", " and ")
    if name.lower().startswith("newcastle-upon-tyne"):
        name = "Newcastle"
    return name.strip()


def council_display(council: str) -> str:
    """How the council is named in speech ('London Borough of Lambeth', not '... Council')."""
    name = council.strip()
    if name.startswith(("London Borough of ", "Royal Borough of ")) and name.endswith(" Council"):
        name = name[: -len(" Council")]
    return name


@dataclass
class ICB:
    """One Integrated Care Board (2022 boundaries) and the real bodies in its area."""

    code: str            # ODS code, e.g. QKS
    ons_code: str        # ICB22CD, e.g. E54000032
    name: str            # NHS Kent and Medway Integrated Care Board
    region: str          # NHS England region (one of register.REGIONS)
    trusts: list[str] = field(default_factory=list)
    councils: list[str] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)
    hospitals: list[str] = field(default_factory=list)
    postcode_areas: list[str] = field(default_factory=list)
    phone: str = "01632 960"

    @property
    def short_name(self) -> str:
        """'Kent and Medway' from 'NHS Kent and Medway Integrated Care Board'."""
        return self.name.removeprefix("NHS ").removesuffix(" Integrated Care Board")


@dataclass
class Reference:
    icbs: dict[str, ICB]
    first_names: dict[tuple[str, str], list[str]]  # (ONS region, sex) -> names, title case

    def icb(self, code: str, source: str | Path | None = None) -> ICB:
        if code not in self.icbs:
            raise InputError(source, f"unknown ICB code {code!r}; use an ODS ICB code such as "
                             f"{', '.join(sorted(self.icbs)[:5])} (see "
                             "data/reference/icb_sub_locations.csv, column ICB22CDH)",
                             field="ics")
        return self.icbs[code]


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise InputError(path, "reference table not found; the corpus generator needs "
                         "data/reference/ from the repository")
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _is_ambulance_or_national(trust: str) -> bool:
    return bool(re.search(r"Ambulance|Christie|Great Ormond|Royal Marsden|Papworth|"
                          r"Moorfields|Tavistock", trust))


@lru_cache(maxsize=4)
def load_reference(reference_dir: str | Path = DEFAULT_REFERENCE_DIR) -> Reference:
    """Load and join the reference tables (cached per folder)."""
    ref = Path(reference_dir)
    icbs: dict[str, ICB] = {}
    for row in _read_csv(ref / "icb_sub_locations.csv"):
        code = row["ICB22CDH"]
        if code not in icbs:
            icbs[code] = ICB(code=code, ons_code=row["ICB22CD"], name=row["ICB22NM"],
                             region=row["NHSER22NM"])
    for row in _read_csv(ref / "icb_local_authorities_trusts.csv"):
        icb = icbs.get(row["ODS ICB Code"].strip())
        if icb is None:
            continue
        council = " ".join(row["Local Authority"].split())
        if council and council not in icb.councils:
            icb.councils.append(council)
        trust = " ".join(row["NHS Trusts"].split())
        if trust:
            trust = title_case(trust) if trust.isupper() else trust
            if trust not in icb.trusts:
                icb.trusts.append(trust)
    # Local trusts first (acute, community, mental health), regional/national ones last.
    for icb in icbs.values():
        icb.trusts.sort(key=_is_ambulance_or_national)
    places = yaml.safe_load(PLACES_PATH.read_text(encoding="utf-8"))
    for code, entry in places.items():
        if code not in icbs:
            raise InputError(PLACES_PATH, f"unknown ICB code {code!r}")
        icb = icbs[code]
        icb.towns = list(entry["towns"])
        icb.hospitals = list(entry["hospitals"])
        icb.postcode_areas = list(entry["postcode_areas"])
        icb.phone = entry.get("phone", "01632 960")
    missing = [c for c, i in icbs.items() if not (i.towns and i.trusts and i.councils)]
    if missing:
        raise InputError(PLACES_PATH, f"no towns, trusts or councils for {', '.join(missing)}")
    first: dict[tuple[str, str], list[str]] = {}
    for row in _read_csv(ref / "ons_baby_names_by_region.csv"):
        if not row["name"].strip() or row["ranking"] == "0":
            continue  # the per-group total row
        key = (row["region"], row["sex"])
        name = title_case(row["name"].strip())
        bucket = first.setdefault(key, [])
        if name not in bucket:
            bucket.append(name)
    return Reference(icbs=icbs, first_names=first)
