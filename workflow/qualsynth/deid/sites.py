"""ICS case sites -> region-level labels ("London ICS", "London ICS B").

Within one study every ICS gets its NHS England region's label; when a study has two or
more ICSs in one region they get letters, in keyed (secret-dependent) order so that the
letter says nothing about which ICS it is.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from qualsynth.deid.pseudonyms import Secret
from qualsynth.deid.reference import ReferenceData, normalise_org
from qualsynth.errors import InputError
from qualsynth.ingest.register import REGIONS


@dataclass(frozen=True)
class Site:
    study: str
    key: str            # ODS code of the ICB, or "raw:<name>" when not in the reference
    label: str          # "London ICS" / "London ICS B"
    region: str
    icb22cd: str        # ONS code, '' when unknown


def site_key(value: str, reference: ReferenceData) -> tuple[str, str]:
    """(key, ONS code) of a register/survey ``ics`` value."""
    icb = reference.icb_by_any(value)
    if icb is None:
        return "raw:" + normalise_org(value), ""
    return icb.code, icb.ons_code


def _letters(n: int) -> list[str]:
    letters = list(string.ascii_uppercase)
    out = letters[:n]
    i = 0
    while len(out) < n:
        out.extend(letters[i] + b for b in letters[: n - len(out)])
        i += 1
    return out


def label_sites(values: dict[str, dict[str, str]], reference: ReferenceData,
                secret: Secret) -> dict[tuple[str, str], Site]:
    """``values``: study -> {ics value: region}. Returns (study, key) -> Site."""
    out: dict[tuple[str, str], Site] = {}
    for study in sorted(values):
        by_region: dict[str, dict[str, str]] = {}
        for value, region in sorted(values[study].items()):
            key, ons = site_key(value, reference)
            if region not in REGIONS:
                icb = reference.icb_by_any(value)
                if icb is None:
                    raise InputError(None, f"study {study!r}: an ICS has no known NHS England "
                                     f"region ({region!r}); use one of: {', '.join(REGIONS)}",
                                     field="region")
                region = icb.region
            by_region.setdefault(region, {})[key] = ons
        for region, keys in sorted(by_region.items()):
            ordered = sorted(keys, key=lambda k: secret.digest("ics-site", study, k))
            letters = _letters(len(ordered)) if len(ordered) > 1 else [""]
            for key, letter in zip(ordered, letters, strict=True):
                label = f"{region} ICS" + (f" {letter}" if letter else "")
                out[(study, key)] = Site(study, key, label, region, keys[key])
    return out
