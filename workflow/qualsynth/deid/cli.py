"""Command-line sub-commands of the deid stage.

``deidentify``, ``leakage-gate``, ``detect-pii`` and ``deid-evaluate``. Heavy imports
(spaCy, Presidio) happen inside the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this stage's sub-commands."""
    p = sub.add_parser("deidentify", help="de-identify the ingested corpus into "
                       "data/processed/deid/ (key table to the restricted folder)")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--inputs", nargs="*", default=None,
                   help="ingest JSON files (default: every file under <restricted>/ingest)")
    p.add_argument("--out-dir", default=None, help="default: <processed_dir>/deid")
    p.add_argument("--key-table", default=None,
                   help="default: <restricted_dir>/keys/key_table.csv")
    p.set_defaults(func=cmd_deidentify)

    p = sub.add_parser("leakage-gate", help="scan every de-identified output for register "
                       "names and pattern identifiers; fail listing file and position")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--deid-dir", default=None, help="default: <processed_dir>/deid")
    p.add_argument("--out", default=None, help="default: <deid-dir>/leakage_gate.json")
    p.set_defaults(func=cmd_leakage_gate)

    p = sub.add_parser("detect-pii", help="find personal identifiers in any English text; "
                       "prints one JSON object {spans, text}")
    p.add_argument("file", nargs="?", default="-", help="text file, or - for standard input")
    p.add_argument("--register", default=None,
                   help="CSV of names to find (participants.csv, or any CSV with a 'name' "
                   "column and optional 'aliases')")
    p.add_argument("--config", default="config/config.yaml",
                   help="used for the deid settings when the file exists")
    p.set_defaults(func=cmd_detect_pii)

    p = sub.add_parser("deid-evaluate", help="score the detector against gold PII spans")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--gold", default=None, help="default: <data_root>/<deid.gold_file>")
    p.add_argument("--out", default=None, help="default: <processed_dir>/deid/evaluation.json")
    p.set_defaults(func=cmd_deid_evaluate)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _config_and_settings(path: str) -> tuple[dict[str, Any], Any]:
    from qualsynth.config import load_config
    from qualsynth.deid.settings import settings_from_config

    config = load_config(path)
    return config, settings_from_config(config)


def cmd_deidentify(args: argparse.Namespace) -> None:
    from qualsynth.deid.stage import ingest_files, run_deidentify

    config, settings = _config_and_settings(args.config)
    restricted = Path(config["restricted_dir"])
    paths = [Path(p) for p in args.inputs] if args.inputs else \
        ingest_files(config, restricted / "ingest")
    out_dir = Path(args.out_dir or Path(config["processed_dir"]) / "deid")
    key_table = Path(args.key_table or restricted / "keys" / "key_table.csv")
    run_deidentify(config, paths, out_dir, key_table, _log, settings)


def cmd_leakage_gate(args: argparse.Namespace) -> int:
    from qualsynth.deid.evaluate import corpus_book
    from qualsynth.deid.gate import GATE_FILE, GateFailed, run_gate
    from qualsynth.errors import InputError
    from qualsynth.io import write_json

    config, settings = _config_and_settings(args.config)
    deid_dir = Path(args.deid_dir or Path(config["processed_dir"]) / "deid")
    if not deid_dir.is_dir():
        raise InputError(deid_dir, "no de-identified outputs; run `qualsynth deidentify` first")
    out = Path(args.out or deid_dir / GATE_FILE)
    try:
        report = run_gate(deid_dir, corpus_book(config), settings)
    except GateFailed as failed:
        for survivor in failed.survivors:
            print(f"leak: {survivor.render()}", file=sys.stderr)
        print(f"error: leakage gate failed: {len(failed.survivors)} identifier(s) survived "
              f"in {deid_dir} (positions above; values are not shown)", file=sys.stderr)
        if out.exists():
            out.unlink()
        return 1
    write_json(out, report)
    _log(f"leakage gate passed: {len(report['checked_files'])} files, "
         f"{report['strings_scanned']} strings scanned")
    return 0


def cmd_detect_pii(args: argparse.Namespace) -> None:
    from qualsynth.deid.detect import decode_input, detect_pii, register_book
    from qualsynth.deid.engine import Detector
    from qualsynth.deid.settings import DeidSettings
    from qualsynth.errors import InputError
    from qualsynth.io import dumps

    settings = DeidSettings()
    if Path(args.config).exists():
        _, settings = _config_and_settings(args.config)
    if args.file == "-":
        text = decode_input(sys.stdin.buffer.read(), "<stdin>")
    else:
        path = Path(args.file)
        if not path.is_file():
            raise InputError(path, "input file not found")
        text = decode_input(path.read_bytes(), path)
    book = register_book(args.register) if args.register else None
    detector = Detector(settings, book)
    print(dumps(detect_pii(text, detector, settings, book)))


def cmd_deid_evaluate(args: argparse.Namespace) -> None:
    from qualsynth.deid.evaluate import run_evaluation
    from qualsynth.io import write_json

    config, settings = _config_and_settings(args.config)
    gold = Path(args.gold or Path(config["data_root"]) / settings.gold_file)
    out = Path(args.out or Path(config["processed_dir"]) / "deid" / "evaluation.json")
    result = run_evaluation(config, settings, gold)
    write_json(out, result)
    overall = result["overall"]
    _log(f"evaluation: {result['documents']} files; overall precision "
         f"{overall['precision']}, recall {overall['recall']}; residual identifier "
         f"characters {result['residual_identifier_chars']['share']}")
