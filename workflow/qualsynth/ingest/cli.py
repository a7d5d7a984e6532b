"""``qualsynth ingest`` and ``qualsynth check-register``."""

from __future__ import annotations

import argparse

from qualsynth.config import get_study, load_config, study_dir
from qualsynth.errors import InputError
from qualsynth.io import write_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="read one transcript or survey into turns and segments "
                       "(identifiable output: write it to the restricted folder)")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--study", required=True)
    p.add_argument("--file", required=True, help="file name inside the study folder")
    p.add_argument("--out", required=True, help="JSON output (restricted folder)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check-register", help="validate a study's participants.csv against "
                       "the files in its folder")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--study", required=True)
    p.add_argument("--out", required=True, help="JSON summary (no identifiers)")
    p.set_defaults(func=cmd_check_register)


def cmd_ingest(args: argparse.Namespace) -> None:
    from qualsynth.ingest.document import ingest_study_document
    from qualsynth.ingest.survey import ingest_survey

    config = load_config(args.config)
    study = get_study(config, args.study, args.config)
    folder = study_dir(config, study)
    if not folder.is_dir():
        raise InputError(folder, f"study folder for {study['id']!r} not found")
    survey = study.get("survey")
    if survey and args.file == survey["file"]:
        result = ingest_survey(folder / args.file, study["id"], survey, config["ingest"])
    else:
        result = ingest_study_document(folder, args.file, study["id"], config["ingest"])
    write_json(args.out, result)


def cmd_check_register(args: argparse.Namespace) -> None:
    from qualsynth.ingest.document import list_transcripts
    from qualsynth.ingest.register import check_register_files, load_register

    config = load_config(args.config)
    study = get_study(config, args.study, args.config)
    folder = study_dir(config, study)
    if not folder.is_dir():
        raise InputError(folder, f"study folder for {study['id']!r} not found")
    register_path = folder / "participants.csv"
    rows = load_register(register_path)
    check_register_files(register_path, rows, list_transcripts(folder))
    write_json(args.out, {
        "study": study["id"],
        "transcripts": len(rows),
        "participants": len({r.participant_id for r in rows.values()}),
        "by_sector": _count(r.sector for r in rows.values()),
        "by_time_point": _count(r.time_point for r in rows.values()),
    })


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))



