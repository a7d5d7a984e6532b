"""De-identification layers, one at a time. Every name here is invented for the test."""

from __future__ import annotations

import pytest
from qualsynth.deid.detect import detect_pii
from qualsynth.deid.engine import Detector
from qualsynth.deid.people import PARTICIPANT, RegisterBook, RegisterPerson
from qualsynth.deid.replace import date_replacement
from qualsynth.deid.settings import DeidSettings

TRANSCRIPTS = DeidSettings(profile="transcripts")


def _book(*people: tuple[str, tuple[str, ...]]) -> RegisterBook:
    book = RegisterBook()
    for code, names in people:
        book.add(RegisterPerson(PARTICIPANT, f"t/{code}", "t", code, names))
    return book


@pytest.fixture(scope="module")
def plain() -> Detector:
    return Detector(TRANSCRIPTS)


@pytest.fixture(scope="module")
def registered() -> Detector:
    book = _book(("P07", ("Perpetua Quillfeather", "Pet")), ("P08", ("Will Ashbury-Tench",)))
    return Detector(TRANSCRIPTS, book)


def found(detector: Detector, text: str) -> list[tuple[str, str, str]]:
    """(covered text, label, detector) for each detection."""
    [dets] = detector.detect([text])
    return [(text[d.start:d.end], d.label, d.detector) for d in dets]


def values(detector: Detector, text: str, label: str | None = None) -> list[str]:
    return [v for v, lab, _ in found(detector, text) if label is None or lab == label]


# ----------------------------------------------------------------------------- layer 1
def test_register_names_with_titles_possessives_and_lower_case(registered):
    text = ("I spoke to Dr Quillfeather about it. Quillfeather's team agreed, and "
            "perpetua said the pilot worked. Pet was pleased.")
    got = found(registered, text)
    assert ("Dr Quillfeather", "PERSON", "register") in got
    assert ("Quillfeather", "PERSON", "register") in got          # possessive left out
    assert ("perpetua", "PERSON", "register") in got              # lower-case slip
    assert ("Pet", "PERSON", "register") in got                   # alias


def test_register_name_that_is_an_everyday_word(registered):
    text = ("I will go tomorrow. Will you come? Then Will said yes. Will, could you "
            "check?\nWill: Of course.")
    hits = [(text[:0], v) for v in values(registered, text, "PERSON")]
    spans = [v for _, v in hits]
    assert spans.count("Will") == 3                      # mid-sentence, vocative, label
    assert "will" not in spans                           # the verb is never a name


def test_full_name_across_a_line_break_and_hyphenated_surname(registered):
    assert "Perpetua\nQuillfeather" in values(registered, "Ask Perpetua\nQuillfeather.")
    assert "Ashbury-Tench" in values(registered, "The Ashbury-Tench report is out.")


# ----------------------------------------------------------------------------- layer 2
def test_propagation_finds_a_name_seen_in_another_document(plain):
    docs = ["Dr Zoltanne Okoroafor chaired it.", "Later Okoroafor rang back about funding."]
    first, second = plain.detect(docs)
    assert any(docs[0][d.start:d.end].endswith("Okoroafor") for d in first)
    hit = [d for d in second if docs[1][d.start:d.end] == "Okoroafor"]
    assert hit and hit[0].detector == "propagation" and hit[0].label == "PERSON"


def test_propagation_off_leaves_the_second_document_alone():
    from dataclasses import replace

    detector = Detector(replace(TRANSCRIPTS, propagate=False))
    _, second = detector.detect(["Dr Zoltanne Okoroafor chaired it.",
                                 "later okoroafor rang back."])
    assert second == []


# ----------------------------------------------------------------------------- layer 3
def _nhs_number(nine: str) -> str:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, "pick other digits"
    return nine + str(check)


def test_nhs_number_check_digit(plain):
    valid = _nhs_number("401023213")
    invalid = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    spaced = f"{valid[:3]} {valid[3:6]} {valid[6:]}"
    assert values(plain, f"Her NHS number is {spaced}.", "NHS_NUMBER") == [spaced]
    assert values(plain, f"Her NHS number is {valid}.", "NHS_NUMBER") == [valid]
    assert values(plain, f"The number was {invalid}.", "NHS_NUMBER") == []


@pytest.mark.parametrize("nino", ["QQ 12 34 56 C", "AB123456C", "JK 98 76 54 A"])
def test_nino(plain, nino):
    assert values(plain, f"My NI number is {nino} I think.", "NINO") == [nino]


def test_nino_needs_a_valid_suffix(plain):
    assert values(plain, "Code AB 12 34 56 E here.", "NINO") == []


@pytest.mark.parametrize("code", ["SW1A 1AA", "M1 1AE", "CT1 3NG", "B33 8TH", "EC1A1BB"])
def test_postcodes(plain, code):
    assert values(plain, f"The office is at {code} now.", "POSTCODE") == [code]


def test_postcode_lookalikes_are_left(plain):
    assert values(plain, "we met in room b12 and the sw1a team", "POSTCODE") == []


@pytest.mark.parametrize("phone", ["07700 900123", "01632 960 001", "+44 20 7946 0958",
                                   "(01632) 960001", "020 7946 0958", "0161 496 0000",
                                   "07700900123"])
def test_uk_phone_forms(plain, phone):
    assert values(plain, f"Ring me on {phone} please.", "PHONE") == [phone]


def test_phone_lookalikes_are_not_phones(plain):
    text = ("cue d9dae749-9021-4d87-97a5-123456789abc went live on 3 May 2022 and in "
            "2019 and 2020 the figures rose by 10 20 30.")
    assert values(plain, text, "PHONE") == []


def test_email_and_url(registered):
    text = ("Write to perpetua.quillfeather@example-trust.nhs.uk or see "
            "www.brightwell-carers.org.uk and https://example.org/path?id=3.")
    got = found(registered, text)
    assert ("perpetua.quillfeather@example-trust.nhs.uk", "EMAIL", "email") in got
    assert ("www.brightwell-carers.org.uk", "URL", "url") in got
    assert ("https://example.org/path?id=3", "URL", "url") in got


@pytest.mark.parametrize("mode,expected", [
    ("keep", "on 14th March 2022 we"), ("month_year", "on March 2022 we"),
    ("year", "on 2022 we"), ("redact", "on [date] we")])
def test_dates_in_each_mode(plain, mode, expected):
    from dataclasses import replace

    settings = replace(TRANSCRIPTS, dates=mode)
    assert detect_pii("on 14th March 2022 we", plain, settings)["text"] == expected


def test_date_generalisation_without_a_year_or_month():
    assert date_replacement("14th March", "month_year") == "March"
    assert date_replacement("14th March", "year") == "[date]"
    assert date_replacement("14/03/2022", "month_year") == "March 2022"
    assert date_replacement("Monday the 24th", "month_year") == "[date]"


def test_month_year_and_bare_years_are_not_identifiers_in_transcripts(plain):
    assert values(plain, "Since March 2022, and again in 2023, on Tuesday.", "DATE") == []


def test_generic_profile_counts_years_and_ages():
    detector = Detector(DeidSettings(profile="generic"))
    got = values(detector, "Born in 1983, she is a 65-year-old from Finland.")
    assert "1983" in got and "65" in got


def test_address_street_and_reference_number(plain):
    got = found(plain, "Send it to 12 Larkspur Road, Chatham, ME4 4TR. It is near Oriel "
                       "Gardens. The case reference was 466/844.")
    assert ("12 Larkspur Road, Chatham, ME4 4TR", "ADDRESS", "address") in got
    assert ("Oriel Gardens", "LOCATION", "street") in got
    assert ("466/844", "OTHER_ID", "other_id") in got


# ----------------------------------------------------------------------------- layer 4
def test_gazetteers(plain):
    from qualsynth.deid.reference import load_reference

    reference = load_reference(TRANSCRIPTS.reference_path())
    trust = next(t for t in reference.trusts if t.upper() != t)
    council = next(c for c in reference.councils if c.endswith("Council"))
    icb = next(i for i in reference.icbs if i.code == "QKS")
    text = (f"We work with {trust} and {council}. The {icb.base} ICB agreed, and I grew "
            "up in Maidstone.")
    got = {(v, det) for v, _, det in found(plain, text)}
    assert (trust, "gazetteer_trust") in got
    assert (council, "gazetteer_council") in got
    assert (f"{icb.base} ICB", "gazetteer_ics") in got
    assert ("Maidstone", "gazetteer_place") in got


def test_place_names_that_are_everyday_words_need_a_preposition(plain):
    text = "Reading the plan, we moved to Reading. Deal with it."
    got = [(v, det) for v, _, det in found(plain, text)]
    assert got == [("Reading", "gazetteer_place")]
    assert text.index("Reading", 5) == text.find("to Reading") + 3


def test_organisation_patterns(plain):
    text = ("Elm Lattice Surgery and Riverbend PCN work with Healthwatch Lowmoor and the "
            "Brightwell Carers Trust. The County Council and our local Hospital too.")
    got = values(plain, text, "ORGANISATION")
    assert got == ["Elm Lattice Surgery", "Riverbend PCN", "Healthwatch Lowmoor",
                   "Brightwell Carers Trust"]


# ----------------------------------------------------------------------------- layer 5
def test_allow_list_keeps_sector_vocabulary(plain):
    text = ("The ICB, the ICS and each PCN use the Better Care Fund; London ICS and "
            "NHS England agreed, Healthwatch was there, and the ICP met in the North East.")
    assert found(plain, text) == []


def test_allow_list_additions_from_config():
    from dataclasses import replace

    text = "The Quennell Initiative is a national programme."
    assert values(Detector(TRANSCRIPTS), text)
    assert values(Detector(replace(TRANSCRIPTS, allow_list=("Quennell Initiative",))),
                  text) == []


# ----------------------------------------------------------------------------- detect-pii
def test_detect_pii_shape_and_offsets(registered):
    text = "Thanks Perpetua. Call 07700 900123 or email pet.q@example.org.uk."
    out = detect_pii(text, registered, TRANSCRIPTS, None)
    assert set(out) == {"spans", "text"}
    for span in out["spans"]:
        assert set(span) == {"start", "end", "label", "detector", "score"}
        assert 0 <= span["start"] < span["end"] <= len(text)
    labels = {text[s["start"]:s["end"]]: s["label"] for s in out["spans"]}
    assert labels == {"Perpetua": "PERSON", "07700 900123": "PHONE",
                      "pet.q@example.org.uk": "EMAIL"}
    assert "Perpetua" not in out["text"] and "07700" not in out["text"]
    assert "[phone]" in out["text"] and "[email]" in out["text"]


def test_consistent_person_pseudonyms_within_a_text(plain):
    out = detect_pii("Dr Zebedee Marchbank met Orla Fenwright. Later Marchbank left.",
                     plain, TRANSCRIPTS)
    assert out["text"] == "[Person 1] met [Person 2]. Later [Person 1] left."
