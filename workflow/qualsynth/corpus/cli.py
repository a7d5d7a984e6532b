"""Command-line sub-commands of the corpus stage: ``build-demo`` and ``make-corpus``."""

from __future__ import annotations

import argparse
import json


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``build-demo`` and ``make-corpus``."""
    from qualsynth.corpus.generate import SCRIPTS_DIR

    p = sub.add_parser(
        "build-demo",
        help="regenerate the fictional demo corpus (transcripts, registers, survey, gold "
             "PII spans) from the authored scripts; byte-identical for the same seed",
    )
    p.add_argument("--scripts", default=str(SCRIPTS_DIR),
                   help="folder with <study>/<id>.yaml scripts (default: the packaged ones)")
    p.add_argument("--seed", type=int, default=2024, help="seed for every invented value")
    p.add_argument("--out", default="data/raw/demo", help="output folder (its study folders, "
                   "gold/ and README.md are replaced)")
    p.set_defaults(func=cmd_build_demo)

    p = sub.add_parser(
        "make-corpus",
        help="FOR PERFORMANCE AND SCALE TESTS ONLY: write a fictional corpus of any size by "
             "recombining the authored interview turns with fresh identifiers",
        description="For performance and scale tests only. Writes OUT_DIR/<study>/ folders "
                    "(registers, .vtt/.docx/.txt transcripts, a place survey), gold PII spans "
                    "in OUT_DIR/gold/, and OUT_DIR/config.yaml pointing data_root at OUT_DIR "
                    "(run: snakemake --configfile OUT_DIR/config.yaml). The interviews are "
                    "recombined from authored passages, so they are not coherent "
                    "conversations: never use them to judge analysis quality.",
    )
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--interviews", type=int, required=True, help="number of transcripts")
    p.add_argument("--seed", type=int, default=1, help="seed for recombination and identifiers")
    p.add_argument("--respondents", type=int, default=None,
                   help="survey respondents (default: 60, or interviews/2 if larger)")
    p.add_argument("--scripts", default=str(SCRIPTS_DIR), help="authored scripts to recombine")
    p.set_defaults(func=cmd_make_corpus)


def cmd_build_demo(args: argparse.Namespace) -> None:
    from qualsynth.corpus.generate import build_demo

    result = build_demo(args.scripts, args.out, args.seed)
    print(json.dumps(result.summary(), indent=2, sort_keys=True))


def cmd_make_corpus(args: argparse.Namespace) -> None:
    from qualsynth.corpus.scale import make_corpus
    from qualsynth.errors import InputError

    if args.interviews < 1:
        raise InputError(None, "--interviews must be at least 1")
    result = make_corpus(args.out_dir, args.interviews, args.seed, args.scripts,
                         respondents=args.respondents)
    print(json.dumps(result.summary(), indent=2, sort_keys=True))
