"""One exception type for bad input, rendered as a single line that names the place."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    field_kind = "column"

    """Bad input: a file, a line or field in it, and what is wrong.

    ``str(err)`` is the one-line message the command-line prints, in the form
    ``path:line: field: problem`` (parts that are unknown are left out).
    """

    def __init__(
        self,
        path: str | Path | None,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        self.line = line
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field is not None:
            where += f": {self.field_kind} '{self.field}'"
        return f"{where}: {self.problem}"


class ConfigError(InputError):
    """An invalid configuration value (the path is the config file, the field the key)."""

    field_kind = "key"
