"""The ``qualsynth`` command: one sub-command per pipeline step, called by the Snakemake rules.

Bad input prints one line (``error: path:line: problem``) and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Each stage module exposes add_commands(subparsers); heavy imports happen inside commands.
STAGE_CLIS = (
    "qualsynth.ingest.cli",
    "qualsynth.deid.cli",
    "qualsynth.themes.cli",
    "qualsynth.topics.cli",
    "qualsynth.report.cli",
    "qualsynth.corpus.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qualsynth",
        description="Reproducible qualitative analysis pipeline: ingest, de-identify, "
        "code, model topics and report.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("validate-config", help="validate config/config.yaml against its schema")
    p.add_argument("--config", default="config/config.yaml")
    p.set_defaults(func=_cmd_validate_config)
    for name in STAGE_CLIS:
        module = importlib.import_module(name)
        module.add_commands(sub)
    return parser


def _cmd_validate_config(args: argparse.Namespace) -> None:
    from qualsynth.config import load_config

    load_config(args.config)
    print(f"{args.config}: valid")


def main(argv: list[str] | None = None) -> int:
    from qualsynth.errors import InputError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from qualsynth import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        result = args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
