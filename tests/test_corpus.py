"""The fictional demo corpus, its gold PII spans, the generator and the corpus scaler.

Names are read from the generated files at run time; no register name is written here.
"""

from __future__ import annotations

import csv
import hashlib
import re
import statistics
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
import yaml
from qualsynth.cli import main
from qualsynth.corpus import identities as ids
from qualsynth.corpus.generate import GOLD_COLUMNS, REGISTER_COLUMNS, build_demo
from qualsynth.corpus.reference import load_reference, title_case
from qualsynth.corpus.render import docx_bytes
from qualsynth.corpus.scale import make_corpus
from qualsynth.corpus.script import LABELS, load_script
from qualsynth.errors import InputError
from qualsynth.ingest.document import ingest_study_document, list_transcripts
from qualsynth.ingest.readers import read_transcript
from qualsynth.ingest.register import check_register_files, load_register
from qualsynth.ingest.survey import ingest_survey
from qualsynth.ingest.text import raw_text

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "raw" / "demo"
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
INTERVIEW_STUDIES = ("workforce", "dementia", "place", "quality")


def _gold(root: Path) -> list[dict[str, str]]:
    with open(root / "gold" / "pii_spans.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _registers(root: Path) -> dict[str, dict]:
    return {s: load_register(root / s / "participants.csv") for s in INTERVIEW_STUDIES
            if (root / s / "participants.csv").exists()}


def _survey_rows(root: Path) -> list[dict[str, str]]:
    with open(root / "place" / "survey.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _mod11_valid(text: str) -> bool:
    """NHS number check, written independently of the generator."""
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    remainder = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = (11 - remainder) % 11
    return check != 10 and check == digits[9]


def _tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- demo corpus
def test_demo_counts_per_study():
    registers = _registers(DEMO)
    counts = {s: len(rows) for s, rows in registers.items()}
    ics = {s: {r.ics for r in rows.values()} for s, rows in registers.items()}
    assert counts["workforce"] >= 12 and len(ics["workforce"]) == 4
    assert counts["dementia"] >= 9 and len(ics["dementia"]) == 3
    carers = [r for r in registers["dementia"].values() if r.sector == "patient_carer"]
    assert len(carers) >= 2
    assert counts["place"] >= 4
    assert counts["quality"] >= 16 and len(ics["quality"]) == 4
    regions = {r.region for r in registers["quality"].values()}
    assert {"South East", "East of England", "London"} <= regions
    assert regions & {"North East and Yorkshire", "North West"}


def test_quality_time_points_and_same_people():
    rows = list(_registers(DEMO)["quality"].values())
    baseline = [r for r in rows if r.time_point == "baseline"]
    follow = [r for r in rows if r.time_point == "follow_up"]
    assert baseline and follow and len(baseline) + len(follow) == len(rows)
    for r in baseline:
        assert date(2021, 9, 1) <= date.fromisoformat(r.interview_date) <= date(2022, 5, 31)
    for r in follow:
        assert date(2023, 1, 1) <= date.fromisoformat(r.interview_date) <= date(2023, 5, 31)
    both = {r.participant_id for r in baseline} & {r.participant_id for r in follow}
    assert len(both) * 2 > len({r.participant_id for r in rows})  # mostly the same people
    names = defaultdict(set)
    for r in rows:
        names[r.participant_id].add(r.name)
    assert all(len(v) == 1 for v in names.values())


def test_survey_counts_and_answers():
    rows = _survey_rows(DEMO)
    survey = next(s for s in CONFIG["studies"] if s["id"] == "place")["survey"]
    assert len(rows) >= 60
    assert len({r["ics"] for r in rows}) >= 30
    header = set(rows[0])
    for col in [survey["respondent_id"], *survey["free_text_columns"], *survey["closed_columns"],
                *survey["attribute_columns"]]:
        assert col in header
    allowed = {
        "q_delegated_budget": {"yes", "no", "partly", "don't know", ""},
        "q_formal_committee": {"yes - joint committee", "yes - committee of the ICB",
                               "no - informal partnership", ""},
        "q_partnership_maturity": {"1", "2", "3", "4", "5", ""},
    }
    for col, values in allowed.items():
        seen = {r[col] for r in rows}
        assert seen <= values
        assert len(seen - {""}) >= 3
    for col in survey["free_text_columns"]:
        lengths = [len(r[col].split()) for r in rows]
        assert any(n == 0 for n in lengths)
        assert all(n == 0 or 20 <= n <= 120 for n in lengths)


def test_word_counts_from_the_real_readers():
    words = []
    for study in INTERVIEW_STUDIES:
        for name in list_transcripts(DEMO / study):
            turns = read_transcript(DEMO / study / name, set(CONFIG["ingest"]
                                                             ["interviewer_labels"]))
            words.append(sum(len(t.text.split()) for t in turns))
    assert len(words) >= 41
    assert min(words) >= 900
    assert statistics.mean(words) >= 1200


def test_format_shares():
    suffixes = Counter(Path(n).suffix for s in INTERVIEW_STUDIES
                       for n in list_transcripts(DEMO / s))
    total = sum(suffixes.values())
    assert suffixes[".vtt"] * 4 >= total
    assert suffixes[".docx"] * 4 >= total
    assert suffixes[".txt"] > 0
    assert set(suffixes) == {".vtt", ".docx", ".txt"}


def test_gold_spans_are_exact_and_labelled():
    rows = _gold(DEMO)
    assert list(rows[0]) == list(GOLD_COLUMNS)
    by_file = defaultdict(list)
    for row in rows:
        assert row["label"] in LABELS
        by_file[(row["study"], row["file"])].append(row)
    files = {(s, n) for s in INTERVIEW_STUDIES for n in list_transcripts(DEMO / s)}
    assert files <= set(by_file), "every transcript has gold spans"
    assert ("place", "survey.csv") in by_file
    for (study, name), spans in by_file.items():
        text = raw_text(DEMO / study / name)
        previous_end = -1
        for row in sorted(spans, key=lambda r: int(r["start"])):
            start, end = int(row["start"]), int(row["end"])
            assert text[start:end] == row["text"], (name, row)
            assert start >= previous_end, f"overlapping spans in {name}"
            previous_end = end
    assert {r["label"] for r in rows} == set(LABELS)


def test_gold_nhs_numbers_pass_the_check_digit():
    numbers = [r["text"] for r in _gold(DEMO) if r["label"] == "NHS_NUMBER"]
    assert numbers
    assert all(_mod11_valid(n) for n in numbers)
    assert _mod11_valid("943 476 5919") and not _mod11_valid("943 476 5918")


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def test_gold_is_complete_for_names_emails_phones_postcodes():
    """Every occurrence of a register full name, email, phone or postcode is a gold span."""
    gold = defaultdict(list)
    for row in _gold(DEMO):
        gold[(row["study"], row["file"])].append((int(row["start"]), int(row["end"])))
    patterns = [re.compile(r"[\w.+-]+@[\w-]+\.[\w.]*\w"),
                re.compile(r"(?<![\w-])(?:\+44|\(?0\d{2,4}\)?)[ \d]{7,12}\d(?![\w-])"),
                re.compile(r"\b[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}\b")]
    for study, rows in _registers(DEMO).items():
        for name, row in rows.items():
            text = raw_text(DEMO / study / name)
            spans = gold[(study, name)]
            needles = [re.compile(re.escape(n)) for n in (row.name, row.interviewer)]
            for pattern in needles + patterns:
                for match in pattern.finditer(text):
                    if re.fullmatch(r"\d{1,2}:\d{2}[\d:.\- >]*", match.group(0)):
                        continue
                    assert _covered(spans, match.start(), match.end()), (name, match.group(0))


def test_register_and_files_agree():
    for study in INTERVIEW_STUDIES:
        path = DEMO / study / "participants.csv"
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == list(REGISTER_COLUMNS)
        rows = load_register(path)
        check_register_files(path, rows, list_transcripts(DEMO / study))
        assert {r.region for r in rows.values()} <= {
            "London", "South East", "South West", "East of England", "Midlands",
            "North East and Yorkshire", "North West"}


def test_every_transcript_ingests_with_participant_segments():
    ingest = CONFIG["ingest"]
    for study in INTERVIEW_STUDIES:
        for name in list_transcripts(DEMO / study):
            result = ingest_study_document(DEMO / study, name, study, ingest)
            roles = Counter(t["speaker_role"] for t in result["turns"])
            assert roles["participant"] >= 5 and roles["interviewer"] >= 5, (name, roles)
            assert len(result["segments"]) >= 5, name


def test_survey_ingests():
    place = next(s for s in CONFIG["studies"] if s["id"] == "place")
    result = ingest_survey(DEMO / "place" / place["survey"]["file"], "place", place["survey"],
                           CONFIG["ingest"])
    assert len(result["documents"]) == len(_survey_rows(DEMO))
    assert result["segments"]


def test_demo_readmes_say_fictional():
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "fictional" in readme.lower() and "invented" in readme.lower()
    assert "Open Government Licence" in readme
    gold_readme = (DEMO / "gold" / "README.md").read_text(encoding="utf-8")
    for label in LABELS:
        assert label in gold_readme


@pytest.mark.slow
def test_build_demo_is_deterministic_and_matches_the_committed_corpus(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    build_demo(out_dir=first, seed=2024)
    assert main(["build-demo", "--seed", "2024", "--out", str(second)]) == 0
    hashes = _tree_hashes(first)
    assert hashes == _tree_hashes(second)
    committed = {k: v for k, v in _tree_hashes(DEMO).items() if k in hashes}
    assert committed == hashes, "data/raw/demo is stale: run `make demo-corpus`"
    other = tmp_path / "c"
    build_demo(out_dir=other, seed=7)
    assert _tree_hashes(other)["workforce/participants.csv"] != hashes[
        "workforce/participants.csv"]


# ----------------------------------------------------------------------------- scaler
def test_make_corpus_small_is_consistent(tmp_path):
    out = tmp_path / "scaled"
    result = make_corpus(out, 12, seed=5, respondents=60)
    assert result.summary()["interviews"] == 12
    files = {s: list_transcripts(out / s) for s in INTERVIEW_STUDIES}
    assert sum(len(v) for v in files.values()) == 12
    assert {Path(n).suffix for v in files.values() for n in v} == {".vtt", ".docx", ".txt"}
    for study, names in files.items():
        if names:
            rows = load_register(out / study / "participants.csv")
            check_register_files(out / study / "participants.csv", rows, names)
            result = ingest_study_document(out / study, names[0], study, CONFIG["ingest"])
            assert result["segments"]
    gold = _gold(out)
    assert gold
    for row in gold:
        assert raw_text(out / row["study"] / row["file"])[int(row["start"]):int(row["end"])] \
            == row["text"]
    assert len(_survey_rows(out)) == 60
    config = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    assert Path(config["data_root"]) == out.resolve()
    assert config["project"]["synthetic"] is True
    assert "performance" in (out / "README.md").read_text(encoding="utf-8")


def test_make_corpus_help_says_scale_tests_only(capsys):
    with pytest.raises(SystemExit):
        main(["make-corpus", "--help"])
    assert "performance and scale tests only" in capsys.readouterr().out.lower()


# ----------------------------------------------------------------------------- pieces
def _write_script(path: Path, turn: str, people: str = "") -> Path:
    path.write_text(
        f"id: {path.stem}\nstudy: place\nformat: txt\nics: QKS\ntime_point: single\n"
        "interview_date: 2024-01-10\n"
        "participant: {id: P01, sex: F, sector: icb, role: Director, organisation: icb}\n"
        f"interviewer: I1\npeople: {{{people}}}\nturns:\n"
        "  - I: \"Hello {P.first}.\"\n"
        f"  - P: \"{turn}\"\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("turn, problem", [
    ("I work at {org.trust3x}.", "unknown organisation slot"),
    ("Ask {c9.first}.", "names person 'c9'"),
    ("Email me at someone@example.org please.", "email address written literally"),
    ("Ring 01632 960123 any time.", "phone number written literally"),
    ("A broken {marker", "unbalanced"),
    ("My {P.nickname} is fine.", "unknown name form"),
])
def test_script_errors_name_the_problem(tmp_path, turn, problem):
    path = _write_script(tmp_path / "zz01.yaml", turn)
    with pytest.raises(InputError) as err:
        load_script(path)
    assert problem in str(err.value)
    assert "zz01.yaml" in str(err.value)


def test_valid_script_loads(tmp_path):
    path = _write_script(tmp_path / "zz02.yaml", "I chair {org.council} with {c1.full}.",
                         "c1: {sex: M, role: GP}")
    script = load_script(path)
    assert [s for s, _ in script.turns] == ["I", "P"]


def test_places_towns_exist_in_the_gazetteer():
    with open(REPO / "data" / "reference" / "gb_places.csv", encoding="utf-8") as handle:
        places = {row["name"] for row in csv.DictReader(handle)}
    reference = load_reference()
    assert len(reference.icbs) == 42
    for icb in reference.icbs.values():
        assert len(icb.towns) >= 6 and icb.hospitals and icb.councils and icb.trusts
        missing = [t for t in icb.towns if t not in places]
        assert not missing, (icb.code, missing)


def test_title_case():
    assert title_case("EAST KENT HOSPITALS UNIVERSITY NHS FOUNDATION TRUST") == \
        "East Kent Hospitals University NHS Foundation Trust"
    assert title_case("ST GEORGE'S HOSPITAL") == "St George's Hospital"
    assert title_case("STOKE-ON-TRENT") == "Stoke-on-Trent"


def test_identifier_generators():
    import random

    rng = random.Random(3)
    phone_forms = re.compile(
        r"^(?:07700 ?900 ?\d{3}|\+44 7700 900\d{3}|\(?01632\)? 960 ?\d{3}|"
        r"\(?0161\)? ?496 ?0\d{3}|\+44 161 496 0\d{3})$")
    for _ in range(300):
        assert phone_forms.match(ids.phone(rng, "0161 496 0")), "outside the drama ranges"
        assert _mod11_valid(ids.nhs_number(rng))
        assert re.fullmatch(r"(?:ME|CT)\d{1,2} \d[A-Z]{2}", ids.postcode(rng, ["ME", "CT"]))
        nino = ids.nino(rng).replace(" ", "")
        assert re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", nino)
    assert ids.nhs_check_digit("943476591") == 9


def test_docx_is_byte_deterministic():
    paragraphs = ["Transcript", "Imogen Threlfall   0:03", "Good morning."]
    assert docx_bytes(paragraphs, "t") == docx_bytes(paragraphs, "t")


def test_build_corpus_with_a_third_speaker_and_plain_docx(tmp_path):
    """A people key may speak; plain Word transcripts read back turn by turn."""
    from qualsynth.corpus.generate import build_corpus
    from qualsynth.corpus.script import load_scripts

    folder = tmp_path / "scripts" / "dementia"
    folder.mkdir(parents=True)
    long_answer = " ".join(["We waited a long time for the memory clinic at {org.trust}."] * 30)
    (folder / "zz01.yaml").write_text(
        "id: zz01\nstudy: dementia\nformat: docx\ndocx_style: plain\nics: QT1\n"
        "time_point: single\ninterview_date: 2024-02-01\n"
        "participant: {id: P01, sex: M, sector: patient_carer, role: person living with "
        "dementia, organisation: charity, aliases: [first]}\n"
        "interviewer: I2\npeople:\n  c1: {sex: F, role: wife and carer}\nturns:\n"
        "  - I: \"Hello {P.first}, and hello {c1.first}.\"\n"
        f"  - P: \"{long_answer}\"\n"
        "  - c1: \"I can add to that. Our number is {phone} and we live at {address}.\"\n"
        "  - I: \"Thank you both.\"\n"
        "  - P: \"You're welcome.\"\n"
        "  - c1: \"Thanks for listening.\"\n", encoding="utf-8")
    out = tmp_path / "out"
    result = build_corpus(load_scripts(tmp_path / "scripts"), out, seed=11)
    assert {r["label"] for r in result.gold} >= {"PERSON", "ORGANISATION", "PHONE", "ADDRESS"}
    ingested = ingest_study_document(out / "dementia", "zz01.docx", "dementia",
                                     CONFIG["ingest"])
    roles = [t["speaker_role"] for t in ingested["turns"]]
    assert roles == ["interviewer", "participant", "other", "interviewer", "participant",
                     "other"]
    paragraphs = raw_text(out / "dementia" / "zz01.docx").split("\n")
    assert len(paragraphs) > 5  # the long answer continues over several paragraphs
