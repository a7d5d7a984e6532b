"""Write the pseudonyms into the text with Presidio's AnonymizerEngine, and date modes.

Each resolved span is handed to the anonymizer as a result whose entity type is its
pseudonym, with a "replace" operator per pseudonym; adjacent spans with the same
pseudonym separated only by spaces ("Joanne" + "Whitfield") become one token.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qualsynth.deid.labels import FIXED_TOKENS
from qualsynth.deid.lexicon import MONTHS

_MONTH_OF = {m.lower(): m for m in MONTHS}
_MONTH_OF.update({m[:3].lower(): m for m in MONTHS})
_MONTH_OF["sept"] = "September"
_YEAR4 = re.compile(r"\b(19|20)\d{2}\b")
_NUMERIC = re.compile(r"\b(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})\b")


@lru_cache(maxsize=1)
def _anonymizer():
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


def apply_replacements(text: str, replacements: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, token) replaced; spans must not overlap."""
    if not replacements:
        return text
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    results = [RecognizerResult(entity_type=token, start=s, end=e, score=1.0)
               for s, e, token in replacements]
    operators = {token: OperatorConfig("replace", {"new_value": token})
                 for _, _, token in replacements}
    return _anonymizer().anonymize(text, results, operators).text


def _month_year(value: str) -> tuple[str | None, str | None]:
    """(Month name, year) found in a date string; either may be None."""
    year_match = _YEAR4.search(value)
    year = year_match.group(0) if year_match else None
    for word in re.findall(r"[A-Za-z]+", value):
        month = _MONTH_OF.get(word.lower())
        if month:
            return month, year
    numeric = _NUMERIC.search(value)
    if numeric:
        a, b, c = numeric.groups()
        if len(a) == 4:                        # ISO yyyy-mm-dd
            month_n, year = int(b), a
        else:
            month_n = int(b) if int(b) <= 12 else int(a)   # UK d/m/y, else US m/d/y
            year = c if len(c) == 4 else (("20" if int(c) < 50 else "19") + c)
        if 1 <= month_n <= 12:
            return MONTHS[month_n - 1], year
    return None, year


def date_replacement(value: str, mode: str) -> str | None:
    """What a detected date becomes: None keeps it (mode 'keep')."""
    if mode == "keep":
        return None
    if mode == "redact":
        return FIXED_TOKENS["DATE"]
    month, year = _month_year(value)
    if mode == "year":
        return year or FIXED_TOKENS["DATE"]
    if month and year:
        return f"{month} {year}"
    return month or year or FIXED_TOKENS["DATE"]
