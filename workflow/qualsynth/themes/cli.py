"""Command-line sub-commands of the themes stage."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this stage's sub-commands (none yet)."""
