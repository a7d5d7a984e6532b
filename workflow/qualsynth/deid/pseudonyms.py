"""Keyed pseudonyms and the key table (pseudonym -> original, restricted folder only).

The secret comes from the ``QUALSYNTH_SECRET`` environment variable or from a file
outside the repository (``deid.secret_file``, default ``~/.config/qualsynth/secret``).
When neither exists a random secret file is created once (mode 600) and the log says so.

Numbers are assigned per kind in the order of HMAC-SHA256(secret, kind + key), so the
numbering reveals nothing about the originals (not their alphabetical order, not their
order of appearance) and is the same on every run with the same secret. Entities already
in the key table keep their pseudonym; new ones get the next numbers. Every key-table row
carries an HMAC check, so a table written with another secret is refused.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualsynth.deid.labels import numbered_token
from qualsynth.deid.reference import REPO_ROOT
from qualsynth.errors import InputError
from qualsynth.io import atomic_path

SECRET_ENV = "QUALSYNTH_SECRET"
_SECRET_RE = re.compile(r"^[\x21-\x7e]{32,1024}$")
KEY_TABLE_COLUMNS = ("pseudonym", "kind", "key", "original", "check")
_HOW_TO_MAKE = ("generate one with: python -c 'import secrets; print(secrets.token_hex(32))'")


@dataclass(frozen=True)
class Secret:
    value: bytes = field(repr=False)
    source: str          # "environment" or "file" (never the value)
    created: bool = False

    def digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self.value, message, hashlib.sha256).hexdigest()


def _validate(raw: str, where: str | Path) -> bytes:
    if not _SECRET_RE.match(raw):
        problem = ("is empty" if not raw else
                   "is too short" if len(raw) < 32 else
                   "contains spaces, control or non-ASCII characters")
        raise InputError(where, f"malformed secret: it {problem}; a secret is 32 or more "
                         f"printable ASCII characters without spaces ({_HOW_TO_MAKE}). "
                         "The value is not shown.")
    return raw.encode("ascii")


def load_secret(secret_file: str | Path, create: bool = True,
                log: Callable[[str], None] | None = None,
                environ: dict[str, str] | None = None) -> Secret:
    """The secret from the environment, else from ``secret_file`` (created if missing)."""
    env = os.environ if environ is None else environ
    log = log or (lambda message: print(message, file=sys.stderr))
    if SECRET_ENV in env:
        return Secret(_validate(env[SECRET_ENV].strip(), f"${SECRET_ENV}"), "environment")
    path = Path(secret_file).expanduser()
    resolved = path.resolve()
    if resolved == REPO_ROOT or REPO_ROOT in resolved.parents:
        raise InputError(path, "the secret file must live outside the repository (it would "
                         "risk being committed); set deid.secret_file to a path such as "
                         "~/.config/qualsynth/secret")
    if path.exists():
        if path.is_dir():
            raise InputError(path, "secret file is a directory; point deid.secret_file at a "
                             "file")
        raw = path.read_text(encoding="utf-8", errors="replace").strip()
        if path.stat().st_mode & 0o077:
            log(f"warning: secret file {path} is readable by other users; run chmod 600")
        return Secret(_validate(raw, path), "file")
    if not create:
        raise InputError(path, f"no secret: set ${SECRET_ENV} or create this file "
                         f"({_HOW_TO_MAKE})")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    log(f"note: no secret was set, so a random one was created at {path} (mode 600). "
        f"Real projects should set ${SECRET_ENV} or deid.secret_file, keep the secret "
        "safe and back it up: without it the key table cannot be read back or extended.")
    return Secret(value.encode("ascii"), "file", created=True)


@dataclass
class KeyTable:
    """pseudonym <-> (kind, key) assignments plus the original forms seen."""

    assigned: dict[tuple[str, str], str] = field(default_factory=dict)
    originals: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def numbers_used(self, kind: str) -> set[int]:
        used = set()
        for (k, _), token in self.assigned.items():
            if k == kind:
                match = re.search(r"(\d+)\]$", token)
                if match:
                    used.add(int(match.group(1)))
        return used


def row_check(secret: Secret, pseudonym: str, kind: str, key: str) -> str:
    return secret.digest("key-table", pseudonym, kind, key)[:16]


def read_key_table(path: str | Path, secret: Secret) -> KeyTable:
    """Load and verify a key table; an absent file is an empty table."""
    path = Path(path)
    table = KeyTable()
    if not path.exists():
        return table
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    if tuple(reader.fieldnames or ()) != KEY_TABLE_COLUMNS:
        raise InputError(path, f"not a key table: expected columns "
                         f"{', '.join(KEY_TABLE_COLUMNS)}", line=1)
    for line, row in enumerate(reader, start=2):
        if row.get(None) or any(row[c] is None for c in KEY_TABLE_COLUMNS):
            raise InputError(path, "wrong number of fields", line=line)
        ident = (row["kind"], row["key"])
        if not hmac.compare_digest(row["check"], row_check(secret, row["pseudonym"],
                                                            row["kind"], row["key"])):
            raise InputError(path, "this key table does not match the current secret (its "
                             "row checks fail): set QUALSYNTH_SECRET or deid.secret_file to "
                             "the secret it was made with, or move the table away to start "
                             "a new mapping (every pseudonym would change)", line=line)
        known = table.assigned.get(ident)
        if known is not None and known != row["pseudonym"]:
            raise InputError(path, "one entity has two pseudonyms", line=line)
        table.assigned[ident] = row["pseudonym"]
        table.originals.setdefault(ident, set()).add(row["original"])
    return table


def write_key_table(path: str | Path, table: KeyTable, secret: Secret) -> int:
    """Write the table (rows sorted, file mode 600); return the number of rows."""
    rows = []
    for (kind, key), token in table.assigned.items():
        for original in sorted(table.originals.get((kind, key)) or {""}):
            rows.append((token, kind, key, original, row_check(secret, token, kind, key)))
    rows.sort()
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(KEY_TABLE_COLUMNS)
            writer.writerows(rows)
        os.chmod(tmp, 0o600)
    return len(rows)


class Pseudonymizer:
    """Collects entities, then numbers the new ones per kind.

    With a secret the order is keyed (HMAC); without one (``detect-pii`` on a single
    text, which keeps no key table) it is the order of first appearance.
    """

    def __init__(self, secret: Secret | None, table: KeyTable | None = None) -> None:
        self.secret = secret
        self.table = table or KeyTable()
        self.pending: dict[str, dict[str, None]] = {}

    def add(self, kind: str, key: str, original: str, token: str | None = None) -> None:
        """Note an entity; ``token`` fixes its pseudonym (participants, ICS labels)."""
        ident = (kind, key)
        self.table.originals.setdefault(ident, set()).add(original)
        if token is not None:
            self.table.assigned.setdefault(ident, token)
        elif ident not in self.table.assigned:
            self.pending.setdefault(kind, {})[key] = None

    def assign(self) -> None:
        """Number every pending entity (existing assignments are kept)."""
        for kind in sorted(self.pending):
            number = max(self.table.numbers_used(kind), default=0)
            new = list(self.pending[kind])
            if self.secret is not None:
                new.sort(key=lambda k: self.secret.digest(kind, k))
            for key in new:
                number += 1
                self.table.assigned[(kind, key)] = numbered_token(kind, number)
        self.pending.clear()

    def token(self, kind: str, key: str) -> str:
        return self.table.assigned[(kind, key)]
