"""README texts written beside a generated corpus (numbers come from the build itself)."""

from __future__ import annotations

from typing import Any

LABEL_NOTES = {
    "PERSON": "an invented person's name in any form: full, first name, surname, title + "
              "surname, lower-case slips; also speaker labels and WebVTT voice-tag names",
    "ORGANISATION": "an NHS trust, ICB, council, hospital site, GP practice, PCN, charity or "
                    "Healthwatch named in the text",
    "LOCATION": "a town (real) or street (invented) below region level",
    "EMAIL": "an invented email address",
    "PHONE": "a phone number from Ofcom's drama/fiction ranges, in several written forms",
    "NHS_NUMBER": "a random ten-digit number with a valid modulus-11 check digit",
    "POSTCODE": "a valid-looking postcode in one of the ICB's postcode areas",
    "DATE": "a specific date (spoken or numeric form), and the date line of a Teams .docx",
    "ADDRESS": "a full invented street address; the town and postcode inside it are part of "
               "this one span (spans never nest or overlap)",
    "URL": "an invented web address",
    "OTHER_ID": "a National Insurance number or an employee/case/reference number",
}


def _study_table(summary: dict[str, Any]) -> str:
    lines = ["| study | interviews | ICSs | formats | min words | mean words |",
             "|---|---|---|---|---|---|"]
    for study, entry in summary["studies"].items():
        formats = ", ".join(f"{k} {v}" for k, v in entry["formats"].items())
        lines.append(f"| {study} | {entry['interviews']} | {entry['ics']} | {formats} | "
                     f"{entry['min_words']} | {entry['mean_words']} |")
    return "\n".join(lines)


def _label_table(summary: dict[str, Any]) -> str:
    lines = ["| label | spans | what it marks |", "|---|---|---|"]
    for label, note in LABEL_NOTES.items():
        lines.append(f"| {label} | {summary['gold_by_label'].get(label, 0)} | {note} |")
    return "\n".join(lines)


def demo_readme(summary: dict[str, Any], seed: int) -> str:
    """README.md for data/raw/demo."""
    formats: dict[str, int] = {}
    for entry in summary["studies"].values():
        for fmt, n in entry["formats"].items():
            formats[fmt] = formats.get(fmt, 0) + n
    shares = ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
    return f"""# Demo corpus: entirely fictional

**Everything in this folder is fictional.** The interviews never happened and every
person named in them is invented. Real public bodies (integrated care boards, NHS
trusts, councils, hospital sites, Healthwatch areas) and real towns appear only as
realistic context: nothing in these transcripts was said by or about anyone who works
for them, and nothing here describes what those bodies actually did. GP practices,
primary care networks, charities and streets are invented. Phone numbers come from the
ranges Ofcom reserves for drama; NHS numbers are random numbers with a valid check
digit; email addresses are invented. Any resemblance to real people is coincidental.
Every report built from this corpus must say that it is fictional (the pipeline does
this when `project.synthetic: true` in `config/config.yaml`).

The corpus is the pipeline's embedded default and the ground truth its
de-identification is measured against (`gold/`).

## How it was made

Do not edit these files by hand: they are generated. Authored interview scripts in
`workflow/qualsynth/corpus/scripts/<study>/` hold the words, with every identifier
written as a marker (`{{P.first}}`, `{{org.trust}}`, `{{phone}}` ...; see
`workflow/qualsynth/corpus/FORMAT.md`). The generator invents people and identifiers
from a seed, picks real public bodies of each script's ICS, renders each interview in
its format and records where every identifier lands. Rebuild, byte for byte:

```
make demo-corpus          # = .venv/bin/qualsynth build-demo --seed {seed} --out data/raw/demo
```

## Studies

{_study_table(summary)}

Survey (place study): `place/survey.csv`, {summary['survey_respondents']} place leaders from
{summary['survey_ics']} different ICSs; closed questions `q_delegated_budget`,
`q_formal_committee`, `q_partnership_maturity`; free-text questions `q_role_of_place`,
`q_barriers`, `q_what_would_help` (some answers empty). Survey tool style: every field
quoted, CRLF line endings.

Quality study: the same people at baseline (late 2021 to May 2022) and follow-up
(January to May 2023); a participant keeps the same `participant_id` and invented name.

All interviews: {summary['interviews']} transcripts ({shares}); shortest
{summary['min_words']} words, mean {summary['mean_words']} words.

## Layout and formats

- `<study>/participants.csv`: the register, one row per transcript: `transcript,
  participant_id, name, aliases, ics, region, organisation, sector, role, time_point,
  interview_date, interviewer`, plus `ics_code` (ODS code of the ICB) and
  `organisation_type` (trust, icb, council, practice, pcn, charity, healthwatch, hospital
  or none), which become case attributes. `aliases` lists the other name forms used for
  the participant, separated by `;`.
- `.vtt`: MS Teams WebVTT (cue ids, `hh:mm:ss.mmm` timings, `<v Full Name>` voice tags;
  long turns split across cues at sentence boundaries).
- `.docx`: Teams transcript export (`Full Name   0:03` line, then the text) or plain Word
  (`Name: text` paragraphs, continuation paragraphs for long turns).
- `.txt`: `Speaker: text` turns, some with `[hh:mm:ss]` stamps, blank lines or
  continuation paragraphs; speaker labels are full names, first names, or generic
  labels (`Interviewer`, `Respondent`, `Int`/`R`, `I`/`P`). Some files use CRLF line
  endings, a UTF-8 byte-order mark or Windows-1252, as real exports do.
- `gold/pii_spans.csv`: every planted identifier as an exact span (see `gold/README.md`).

## Reference data and licences

People are invented: first names from the ONS baby names by region table
(`data/reference/ons_baby_names_by_region.csv`, Open Government Licence v3.0) mixed with
Faker's `en_GB` first names, surnames from Faker's `en_GB` list (Faker, MIT licence)
plus a short list of common UK surnames. ICB names, regions, councils and trusts come
from `data/reference/` (ONS ICB lookup, OGL v3.0; RCPCH nhs-organisations tables, MIT,
ODS data OGL v3.0); towns, hospital sites and postcode areas per ICB from
`workflow/qualsynth/corpus/places.yaml` (curated public knowledge; every town is checked
against OS Open Names via `gb_places.csv`, OGL v3.0). See `data/reference/SOURCES.md`.
Contains public sector information licensed under the Open Government Licence v3.0.
"""


def gold_readme(summary: dict[str, Any]) -> str:
    """README.md for the gold folder."""
    return f"""# Gold PII spans (fictional demo corpus)

`pii_spans.csv` lists every identifier the generator planted in the demo corpus, one row
per occurrence: `study, file, start, end, label, text`.

- `file` is the file name inside the study folder (`workforce/wf01.vtt` -> `wf01.vtt`).
- `start`/`end` are character offsets (end exclusive) into
  `qualsynth.ingest.text.raw_text(path)`: the decoded file with LF line endings (CRLF and
  Windows-1252 files are decoded first), or for a `.docx` its paragraphs joined by `\\n`.
  `raw_text(path)[start:end] == text` holds for every row (tested).
- Speaker labels in `.txt`/`.docx` and voice-tag names in `.vtt` are PERSON spans too:
  they identify people. Generic labels (`Interviewer`, `R`) are not spans.
- Rows are sorted by study, file and start. Spans never overlap.

`qualsynth build-demo` rewrites only `pii_spans.csv` and this README; other gold files in
this folder (such as theme codes for segments) are made by separate tasks and left alone.

## How it was made

The transcripts are rendered from authored scripts whose identifiers are markers; the
generator records each marker's output position while it writes the file, then re-reads
every file with the pipeline's own readers and checks that each span's text is at its
offsets. Gold is therefore exact for everything planted. What it does not cover: words
an author wrote literally that a cautious reader might still treat as identifying (a
language spoken, "the coast", an NHS England region name). Those are not identifiers
under this label set.

## Labels

{_label_table(summary)}

Total: {summary['gold_spans']} spans.
"""
