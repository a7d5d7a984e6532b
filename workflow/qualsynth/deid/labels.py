"""Entity labels, pseudonym kinds and the regular expression that finds pseudonym tokens."""

from __future__ import annotations

import re

from qualsynth.ingest.register import REGIONS

# The labels every detector reports (the fixed list).
LABELS = ("PERSON", "ORGANISATION", "LOCATION", "EMAIL", "PHONE", "NHS_NUMBER", "NINO",
          "POSTCODE", "DATE", "ADDRESS", "URL", "OTHER_ID")

# Numbered pseudonym kinds: kind -> the word(s) shown in the token, e.g. "[NHS trust 3]".
NUMBERED_KINDS = {
    "interviewer": "Interviewer",
    "person": "Person",
    "nhs_trust": "NHS trust",
    "council": "Council",
    "healthwatch": "Healthwatch",
    "gp_practice": "GP practice",
    "pcn": "PCN",
    "hospital": "Hospital",
    "organisation": "Organisation",
    "place": "Place",
    "other_ics": "Other ICS",
}
# Fixed tokens: one per label that is replaced without a number.
FIXED_TOKENS = {
    "EMAIL": "[email]",
    "PHONE": "[phone]",
    "NHS_NUMBER": "[NHS number]",
    "NINO": "[NI number]",
    "POSTCODE": "[postcode]",
    "ADDRESS": "[address]",
    "URL": "[URL]",
    "OTHER_ID": "[ID]",
    "DATE": "[date]",
}
# Extra regions used in the domain's quote attributions ("Eastern ICS", "Northern ICS").
EXTRA_REGION_LABELS = ("Northern", "Eastern", "Southern", "Western", "Northern England",
                       "Eastern England")

_regions = sorted({*REGIONS, *EXTRA_REGION_LABELS}, key=len, reverse=True)
_numbered = "|".join(re.escape(v) for v in sorted(NUMBERED_KINDS.values(), key=len,
                                                   reverse=True))
_fixed = "|".join(re.escape(v[1:-1]) for v in FIXED_TOKENS.values())

#: Matches every pseudonym token the stage writes, e.g. ``[Participant P07]``,
#: ``[Person 12]``, ``[NHS trust 3]``, ``[London ICS]``, ``[London ICB B]``, ``[email]``.
PSEUDONYM_RE = re.compile(
    r"\[(?:Participant [A-Za-z0-9][A-Za-z0-9_/-]{0,40}"
    rf"|(?:{_numbered}) \d{{1,6}}"
    rf"|(?:{'|'.join(re.escape(r) for r in _regions)}) IC[SBP](?: [A-Z]{{1,2}})?"
    rf"|{_fixed})\]"
)


def participant_token(code: str) -> str:
    """The pseudonym of a registered participant, e.g. ``[Participant P07]``."""
    return f"[Participant {code}]"


def numbered_token(kind: str, number: int) -> str:
    """A numbered pseudonym such as ``[Person 12]``."""
    return f"[{NUMBERED_KINDS[kind]} {number}]"


def ics_token(label: str, variant: str = "ICS") -> str:
    """An ICS pseudonym from its region label: ``London ICS B`` + ``ICB`` -> ``[London ICB B]``."""
    return "[" + label.replace(" ICS", f" {variant}", 1) + "]"
