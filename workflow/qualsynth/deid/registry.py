"""The registry list: every recognizer of the first pass, in a fixed order."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from presidio_analyzer import EntityRecognizer

from qualsynth.deid.allowlist import AllowList
from qualsynth.deid.lexicon import Lexicon, load_lexicon
from qualsynth.deid.people import RegisterBook
from qualsynth.deid.recognizers.gazetteer import (
    council_gazetteer,
    first_name_gazetteer,
    ics_gazetteer,
    place_gazetteer,
    trust_gazetteer,
)
from qualsynth.deid.recognizers.generic import generic_recognizers
from qualsynth.deid.recognizers.ner import NerRecognizer
from qualsynth.deid.recognizers.organisations import OrganisationPatternRecognizer
from qualsynth.deid.recognizers.patterns import (
    AddressRecognizer,
    DayDateRecognizer,
    NhsNumberRecognizer,
    NinoRecognizer,
    OfflineEmailRecognizer,
    OtherIdRecognizer,
    PostcodeRecognizer,
    StreetRecognizer,
    TitledPersonRecognizer,
    UkPhoneRecognizer,
    WebAddressRecognizer,
    foreign_id_recognizers,
)
from qualsynth.deid.recognizers.register import RegisterNameRecognizer
from qualsynth.deid.reference import ReferenceData, load_reference


@lru_cache(maxsize=4)
def _static_gazetteers(reference_dir: str, allow_key: tuple[str, ...]) -> tuple:
    """Gazetteers that depend only on the reference tables (built once per process)."""
    reference = load_reference(Path(reference_dir))
    lexicon = load_lexicon()
    allow = AllowList(allow_key, lexicon.stop_words)
    return (trust_gazetteer(reference, lexicon), council_gazetteer(reference),
            place_gazetteer(reference, lexicon, allow), first_name_gazetteer(reference, lexicon))


def build_recognizers(reference_dir: Path, reference: ReferenceData, lexicon: Lexicon,
                      allow_extra: tuple[str, ...], book: RegisterBook | None,
                      phone_regions: tuple[str, ...], generic: bool = False
                      ) -> list[EntityRecognizer]:
    """Every recognizer of the first pass, in a fixed order."""
    recognizers: list[EntityRecognizer] = []
    if book is not None and (book.people or book.organisations):
        recognizers.append(RegisterNameRecognizer(book, lexicon, reference.first_names))
    recognizers += [
        NhsNumberRecognizer(), NinoRecognizer(), PostcodeRecognizer(),
        UkPhoneRecognizer(phone_regions), OfflineEmailRecognizer(), WebAddressRecognizer(),
        DayDateRecognizer(), AddressRecognizer(), OtherIdRecognizer(),
        *foreign_id_recognizers(),
        ics_gazetteer(reference, book.ics_values if book else None),
        *_static_gazetteers(str(reference_dir), allow_extra),
        OrganisationPatternRecognizer(lexicon), TitledPersonRecognizer(lexicon),
        StreetRecognizer(lexicon), NerRecognizer(lexicon, reference.first_names),
    ]
    if generic:
        recognizers += generic_recognizers()
    return recognizers
