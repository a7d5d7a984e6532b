"""Command-line sub-commands of the report stage.

- ``render-notebook``: papermill + nbconvert -> one self-contained HTML report
- ``report-index``: reports/index.html linking every report
- ``provenance``: data/processed/provenance.json for the run
"""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this stage's sub-commands."""
    p = sub.add_parser("render-notebook", help="execute a report notebook with papermill and "
                       "render it to self-contained, deterministic HTML (code hidden)")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--notebook", required=True, help="e.g. notebooks/study_report.ipynb")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   dest="parameters", help="notebook parameter (repeatable), e.g. -p study "
                   "workforce; config_path is passed automatically")
    p.add_argument("--out", required=True, help="HTML file to write, e.g. reports/x.html")
    p.add_argument("--executed", help="also keep the cleaned executed notebook here")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("report-index", help="write reports/index.html linking every report")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("provenance", help="record config, codebook hash, input sha256s, "
                       "package and code versions for the run")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--out", required=True, help="e.g. data/processed/provenance.json")
    p.add_argument("--inputs", nargs="*", default=[], help="files or folders to hash")
    p.add_argument("--codebook", help="codebook file (default: config themes.codebook)")
    p.add_argument("--codings", help="themes codings.csv (for the codebook hash it recorded)")
    p.set_defaults(func=cmd_provenance)


def cmd_render(args: argparse.Namespace) -> None:
    from qualsynth.config import load_config
    from qualsynth.report.render import default_cwd, parse_parameters, render_notebook

    config = load_config(args.config)
    params = {"config_path": args.config, **parse_parameters(args.parameters)}
    render_notebook(args.notebook, args.out, params,
                    synthetic=bool(config["project"]["synthetic"]), cwd=default_cwd(),
                    executed_out=args.executed)
    print(f"wrote {args.out}")


def cmd_index(args: argparse.Namespace) -> None:
    from qualsynth.config import load_config
    from qualsynth.report.index import write_index

    write_index(load_config(args.config), args.out)
    print(f"wrote {args.out}")


def cmd_provenance(args: argparse.Namespace) -> None:
    from pathlib import Path

    from qualsynth.config import load_config
    from qualsynth.provenance import collect_provenance, write_provenance

    config = load_config(args.config)
    codebook = args.codebook or (config.get("themes") or {}).get("codebook")
    if codebook and not Path(codebook).is_file() and not args.codebook:
        codebook = None  # configured but not written yet: recorded as missing, not fatal
    record = collect_provenance(config, config_path=args.config, inputs=args.inputs,
                                codebook=codebook, codings_csv=args.codings)
    write_provenance(args.out, record)
    print(f"wrote {args.out} ({len(record['inputs'])} input files hashed)")
