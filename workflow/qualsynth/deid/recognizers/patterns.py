"""Layer 3: identifiers with a shape - NHS number, National Insurance number, postcode,
UK phone numbers, email, URL, dates, addresses and other ID numbers.

Each class extends the matching Presidio recognizer where Presidio has one (NHS number
with its modulus-11 check, NINO, postcode, phone via python-phonenumbers, email, URL,
date, credit card, IBAN, IP address, US SSN) and reports this project's labels. Patterns
are case-sensitive unless a form is genuinely written in any case (emails, URLs).
"""

from __future__ import annotations

import regex as re
import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    DateRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from qualsynth.deid.lexicon import MONTHS, TITLES, WEEKDAYS, Lexicon
from qualsynth.deid.recognizers.base import make_result

CASE_SENSITIVE = re.DOTALL | re.MULTILINE
ANY_CASE = re.DOTALL | re.MULTILINE | re.IGNORECASE

# tldextract with its bundled public-suffix snapshot: never fetches the list online.
OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                    fallback_to_snapshot=True)


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


class _Relabel:
    """Mixin: re-tag results with this project's label and the detector's name."""

    label = "OTHER_ID"
    kind = "fixed"

    def _relabel(self, results: list[RecognizerResult]) -> list[RecognizerResult]:
        return [make_result(self, self.label, r.start, r.end, max(r.score, self.min_score),
                            kind=self.kind) for r in results]

    min_score = 0.0


class NhsNumberRecognizer(_Relabel, NhsRecognizer):
    """10-digit NHS numbers (3-3-4, spaces or hyphens allowed) passing modulus 11."""

    label = "NHS_NUMBER"

    def __init__(self) -> None:
        super().__init__(supported_entity="NHS_NUMBER", name="nhs_number", patterns=[
            Pattern("nhs number", r"(?<![\d-])\d{3}[- ]?\d{3}[- ]?\d{4}(?![\d-])", 0.5)])
        self.global_regex_flags = CASE_SENSITIVE

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if _digits(text) < 10:
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


class NinoRecognizer(_Relabel, UkNinoRecognizer):
    """National Insurance numbers: two letters, six digits, A-D (spaces optional)."""

    label = "NINO"
    min_score = 0.9

    def __init__(self) -> None:
        super().__init__(supported_entity="NINO", name="nino", patterns=[
            Pattern("nino", r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
                    0.9),
            Pattern("nino (example prefix)", r"\bQQ ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", 0.9)])
        self.global_regex_flags = CASE_SENSITIVE

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if _digits(text) < 6:
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


class PostcodeRecognizer(_Relabel, UkPostcodeRecognizer):
    """Full UK postcodes (outward and inward code), upper case as written."""

    label = "POSTCODE"
    min_score = 0.9

    def __init__(self) -> None:
        super().__init__(supported_entity="POSTCODE", name="postcode")
        self.global_regex_flags = CASE_SENSITIVE

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not any(c.isdigit() for c in text):
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


class UkPhoneRecognizer(_Relabel, PhoneRecognizer):
    """Phone numbers via python-phonenumbers, lenient ("possible") so that Ofcom's
    drama ranges (07700 900xxx, 01632 960xxx) and any UK form count."""

    label = "PHONE"
    min_score = 0.85
    _RUN = re.compile(r"\d(?:[\s().+-]{0,3}\d){6}")
    _SHAPE = re.compile(r"^[\d\s().+\-/]+$")    # no letters: "3 May 2022" is not a vanity number

    def __init__(self, regions: tuple[str, ...] = ("GB", "US")) -> None:
        super().__init__(supported_entity="PHONE", name="phone", supported_regions=regions,
                         leniency=0)

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if _digits(text) < 7 or not self._RUN.search(text):
            return []
        results = [r for r in super().analyze(text, entities, nlp_artifacts)
                   if self._SHAPE.match(text[r.start:r.end])
                   and _digits(text[r.start:r.end]) >= 7 and self._standalone(text, r)]
        return self._relabel(results)


    @staticmethod
    def _standalone(text: str, r: RecognizerResult) -> bool:
        """Not glued to letters, digits or hyphens (a UUID or cue id is not a phone)."""
        before = text[r.start - 1] if r.start > 0 else " "
        after = text[r.end] if r.end < len(text) else " "
        return not (before.isalnum() or before in "-_/." or after.isalnum() or after in "-_/")


class OfflineEmailRecognizer(_Relabel, EmailRecognizer):
    """Presidio's email pattern; the domain is checked against the bundled suffix list."""

    label = "EMAIL"
    min_score = 0.95

    def __init__(self) -> None:
        super().__init__(supported_entity="EMAIL", name="email")

    def validate_result(self, pattern_text: str) -> bool:  # noqa: D102
        return OFFLINE_TLD(pattern_text).fqdn != ""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if "@" not in text:
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


class WebAddressRecognizer(_Relabel, UrlRecognizer):
    """Presidio's URL patterns (with and without a scheme)."""

    label = "URL"
    min_score = 0.85
    _HINT = re.compile(r"://|www\.|\.(?:uk|com|org|net|gov|nhs|info|io|co|ac|eu)\b", re.I)

    def __init__(self) -> None:
        patterns = [p for p in UrlRecognizer.PATTERNS if "Quoted" not in p.name]
        super().__init__(supported_entity="URL", name="url", patterns=patterns)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not self._HINT.search(text):
            return []
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        out = []
        for r in results:
            value = text[r.start:r.end].rstrip(".,;:")
            if "." not in value or value.replace(".", "").isdigit():
                continue
            r.end = r.start + len(value)
            out.append(r)
        return self._relabel(out)


# ----------------------------------------------------------------------------- dates
_MONTH = "|".join([*MONTHS, *(m[:3] for m in MONTHS), "Sept"]
                  + [m.upper() for m in MONTHS] + [m[:3].upper() for m in MONTHS])
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_WEEKDAY = "|".join([*WEEKDAYS, *(d[:3] for d in WEEKDAYS)])
_YEAR = r"(?:19|20)\d{2}"
DATE_PATTERNS = [
    Pattern("day month [year]",
            rf"\b(?:(?:{_WEEKDAY}),?\s+)?(?:the\s+)?{_DAY}(?:\s+of)?\s+(?:{_MONTH})\.?"
            rf"(?:,?\s+{_YEAR})?\b", 0.9),
    Pattern("month day [year]",
            rf"\b(?:(?:{_WEEKDAY}),?\s+)?(?:{_MONTH})\.?\s+(?:the\s+)?{_DAY}\b(?!\s*(?:%|per))"
            rf"(?:,?\s+{_YEAR})?\b", 0.85),
    Pattern("d/m/y", r"\b(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|1[0-2])[/.](?:\d{4}|\d{2})\b",
            0.85),
    Pattern("m/d/y", r"\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:\d{4}|\d{2})\b", 0.8),
    Pattern("iso", rf"\b{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b", 0.9),
    Pattern("weekday the day", rf"\b(?:{_WEEKDAY}),?\s+(?:the\s+)?(?:0?[1-9]|[12]\d|3[01])"
            r"(?:st|nd|rd|th)\b", 0.85),
    Pattern("d-m-y", r"\b(?:0?[1-9]|[12]\d|3[01])-(?:0?[1-9]|1[0-2])-\d{4}\b", 0.85),
]


class DayDateRecognizer(_Relabel, DateRecognizer):
    """Dates precise to the day ("14th March", "3 May 2022", "14/03/2022").

    Month-year ("March 2022") and bare years are not identifiers and are left alone.
    """

    label = "DATE"
    min_score = 0.85

    def __init__(self) -> None:
        super().__init__(supported_entity="DATE", name="date", patterns=list(DATE_PATTERNS))
        self.global_regex_flags = CASE_SENSITIVE

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not any(c.isdigit() for c in text):
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


# ----------------------------------------------------------------------------- addresses
STREET_TYPES = ("Road|Street|Lane|Avenue|Close|Drive|Way|Crescent|Grove|Place|Terrace|"
                "Gardens|Court|Hill|Row|Walk|Square|Parade|Mews|Rise|View|Green|Park|Gate|"
                "Wharf|Yard|Passage|Boulevard|Broadway|Highway|Circus|Embankment|Quay|"
                "St|Rd|Ave|Ln|Dr|Blvd|Strasse|Straße|Str")
_CAP = r"[A-Z][\w'’.-]*"
_CALENDAR = "|".join([*MONTHS, *WEEKDAYS, *(m[:3] for m in MONTHS), "Sept"])
_POSTCODE = (r"(?:[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]?|[A-PR-UWYZ][0-9]{2}"
             r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]?|[A-PR-UWYZ][A-HK-Y][0-9]{2})"
             r"\s?[0-9][ABD-HJLNP-UW-Z]{2}")
ADDRESS_PATTERNS = [
    Pattern("number street [town] [postcode]",
            rf"\b(?:(?:Flat|Apartment|Apt\.?|Unit|Suite)\s+\d+[A-Za-z]?,?\s+)?\d{{1,5}}[A-Za-z]?,?"
            rf"\s+(?:{_CAP}\s+){{1,3}}(?:{STREET_TYPES})\b\.?"
            rf"(?:,?\s+(?:{_CAP}(?:[ -]{_CAP}){{0,2}})){{0,2}}(?:,?\s+{_POSTCODE})?", 0.85),
    Pattern("street number (continental)",
            rf"\b(?:{_CAP}\s+){{0,2}}(?:Strasse|Straße|Str\.|Via|Rue|Calle|Avenida|Piazza|Platz|"
            rf"ul\.|Rua|Viale|Corso|Gasse|Weg|Vej|gatan|vägen|Avenue)\s+(?:{_CAP}\s+){{0,2}}"
            r"\d{1,5}[A-Za-z]?\b", 0.7),
    Pattern("apartment", r"\b(?:Apt\.?|Apartment|Suite|Flat|Unit)\s+#?\d{1,5}[A-Za-z]?\b", 0.6),
    Pattern("box", r"\b(?:PO|P\.O\.)\s+Box\s+\d{1,6}\b", 0.8),
    Pattern("number name number (continental)",
            rf"\b\d{{1,6}}[^\S\n]+(?:(?!(?:{_CALENDAR})\b)[A-ZÀ-ÞĀ-Ž][^\W\d_]*\.?[^\S\n]+){{1,4}}"
            r"\d{1,5}[A-Za-z]?\b", 0.7),
    Pattern("street-suffixed name and number",
            r"\b[A-ZÀ-ÞĀ-Ž][^\W\d_]*(?:straat|strasse|straße|weg|vej|gade|gata|gatan|vägen|veien|"
            r"vegen|tie|katu|laan|gasse|allee|plein|ring|stræde|braut|utca|iela|gatve)"
            r"[^\S\n]+\d{1,5}[A-Za-z]?\b", 0.75),
    Pattern("military address", r"\b(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5}"
            r"(?:\s+(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5})?", 0.85),
]


class AddressRecognizer(_Relabel, PatternRecognizer):
    """Street addresses: number, street and type, optional town(s) and postcode."""

    label = "ADDRESS"
    kind = "fixed"

    def __init__(self) -> None:
        super().__init__(supported_entity="ADDRESS", name="address",
                         patterns=list(ADDRESS_PATTERNS), global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not any(c.isdigit() for c in text):
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


STREET_NAME_TYPES = ("Road|Street|Lane|Avenue|Close|Drive|Crescent|Grove|Gardens|Terrace|Mews|"
                     "Row|Walk|Square|Parade")


class StreetRecognizer(PatternRecognizer):
    """Street names without a number ("Station Grove", "Albion Road") as LOCATION."""

    SCORE = 0.85

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        regex = rf"\b(?:[A-Z][\w'’-]+\s+){{1,2}}(?:{STREET_NAME_TYPES})\b"
        super().__init__(supported_entity="LOCATION", name="street",
                         patterns=[Pattern("street", regex, self.SCORE)],
                         global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not any(t in text for t in ("Road", "Street", "Lane", "Avenue", "Close", "Drive",
                                       "Crescent", "Grove", "Gardens", "Terrace", "Mews",
                                       "Row", "Walk", "Square", "Parade")):
            return []
        out = []
        for r in super().analyze(text, entities, nlp_artifacts, regex_flags):
            words = list(re.finditer(r"\S+", text[r.start:r.end]))
            while len(words) > 1 and words[0].group(0).lower() in self.lexicon.stop_words:
                words.pop(0)
            if len(words) < 2:
                continue
            start = r.start + words[0].start()
            out.append(make_result(self, "LOCATION", start, r.end, self.SCORE, kind="place"))
        return out


# ----------------------------------------------------------------------------- other ids
OTHER_ID_PATTERNS = [
    Pattern("prefixed reference", r"\b[A-Z]{2,5}[-/]?\d{5,10}\b", 0.8),
    Pattern("cued reference",
            r"(?<=(?i:\b(?:reference|ref|case|claim|ticket|account|record|staff|employee|"
            r"payroll|patient|hospital)(?:\s+(?:number|no|id))?\.?(?:\s+(?:was|is|of))?"
            r"[:#]?\s{1,3}))(?:[A-Z]{0,4}\d[\dA-Z]*(?:[/-][\dA-Z]+)+|\d{4,12})\b", 0.8),
    Pattern("long number", r"(?<![\w.-])\d(?:[ -]?\d){8,18}(?![\w-])", 0.5),
]


class OtherIdRecognizer(_Relabel, PatternRecognizer):
    """Staff, case and reference numbers ("EMP-204118") and long digit runs."""

    label = "OTHER_ID"

    def __init__(self) -> None:
        super().__init__(supported_entity="OTHER_ID", name="other_id",
                         patterns=list(OTHER_ID_PATTERNS), global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if _digits(text) < 5:
            return []
        return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))


def _other_id(cls: type[EntityRecognizer], name: str) -> EntityRecognizer:
    """A Presidio recognizer for a non-UK identifier, reporting OTHER_ID."""

    class Wrapped(_Relabel, cls):  # type: ignore[misc, valid-type]
        label = "OTHER_ID"
        min_score = 0.8

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
            if _digits(text) < 6:
                return []
            return self._relabel(super().analyze(text, entities, nlp_artifacts, regex_flags))

    Wrapped.__name__ = f"{cls.__name__}AsOtherId"
    return Wrapped(supported_entity="OTHER_ID", name=name)


def foreign_id_recognizers() -> list[EntityRecognizer]:
    """Credit card (Luhn), IBAN (checksum), IP address and US SSN, as OTHER_ID."""
    return [_other_id(CreditCardRecognizer, "other_id_card"),
            _other_id(IbanRecognizer, "other_id_iban"),
            _other_id(IpRecognizer, "other_id_ip"),
            _other_id(UsSsnRecognizer, "other_id_ssn")]


# ----------------------------------------------------------------------------- titled names
class TitledPersonRecognizer(PatternRecognizer):
    """A title and a capitalised name: "Dr Okafor", "Mrs Sam O'Neill" (PERSON)."""

    SCORE = 0.9
    REGEX = (rf"\b(?:{'|'.join(TITLES)})\.?\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?")

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        super().__init__(supported_entity="PERSON", name="title_name",
                         patterns=[Pattern("title name", self.REGEX, self.SCORE)],
                         global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        out = []
        for r in super().analyze(text, entities, nlp_artifacts, regex_flags):
            words = list(re.finditer(r"[\w'’-]+", text[r.start:r.end]))
            while len(words) > 1 and self._not_a_name(words[-1].group(0)):
                words.pop()
            if len(words) < 2:
                continue
            end = r.start + words[-1].end()
            if text[end - 2:end] in ("'s", "’s"):
                end -= 2
            out.append(make_result(self, "PERSON", r.start, end, self.SCORE, kind="person"))
        return out

    def _not_a_name(self, word: str) -> bool:
        w = word.lower()
        return w in self.lexicon.stop_words or w in {"i", "nhs", "icb", "ics"} or (
            word.isupper() and len(word) <= 4)
