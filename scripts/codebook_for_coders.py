#!/usr/bin/env python
"""Render the codebook for coders: conventions, then every code's definition, with no rules.

A coder who builds a gold set for the theme rules must code from the definitions alone,
blind to what the rules look for. This prints the codebook's coding conventions (the
comment block at the top of the YAML, up to its "Rules" part) and, per code, its parent,
definition, when to use, when not to use and example, in codebook order, as Markdown.

Usage (from the repository root):

    .venv/bin/python scripts/codebook_for_coders.py > /tmp/codebook_definitions.md
    .venv/bin/python scripts/codebook_for_coders.py --codebook OTHER.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("definition", "when_to_use", "when_not_to_use", "example")


def conventions(text: str) -> list[str]:
    """The leading comment block of the codebook, stopping before its description of rules."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.lstrip("# ").startswith("Rules ("):
            break
        lines.append(line)
    while lines and lines[-1].strip("# ") == "":
        lines.pop()
    return lines


def render(text: str) -> str:
    """Markdown for coders: conventions in a code block, then one section per code."""
    doc = yaml.safe_load(text)
    out = [f"# Codebook definitions (version {doc['version']}) - for coders; rules deliberately"
           " omitted", "", "```", *conventions(text), "```", ""]
    for code in doc["codes"]:
        out.append(f"## `{code['id']}` - {code['name']}")
        out.append(f"- parent: {code.get('parent')}")
        for field in FIELDS:
            if code.get(field):
                out.append(f"- {field}: {' '.join(str(code[field]).split())}")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", type=Path, default=REPO / "config" / "codebook.yaml")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.codebook.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
