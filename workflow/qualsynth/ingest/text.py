"""Decode transcript bytes: UTF-8 (with or without BOM), Windows-1252; reject binary files."""

from __future__ import annotations

from pathlib import Path

from qualsynth.errors import InputError

_ALLOWED_CONTROL = {"\n", "\r", "\t", "\f"}


def looks_binary(data: bytes) -> bool:
    """True for NUL bytes or a high share of control bytes in the first 8 KiB."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 32 and chr(b) not in _ALLOWED_CONTROL)
    return control / len(head) > 0.05


def decode_bytes(data: bytes, path: str | Path) -> str:
    """Decode to str with LF line endings; UTF-8 first, then Windows-1252."""
    if looks_binary(data):
        raise InputError(path, "binary content, not a text transcript (check the file type)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(path, "text is neither UTF-8 nor Windows-1252", line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_file(path: str | Path) -> str:
    return decode_bytes(Path(path).read_bytes(), path)


def raw_text(path: str | Path) -> str:
    """The text that gold spans and ``detect-pii`` positions refer to, for any format.

    ``.txt``, ``.vtt`` and ``.csv``: the decoded file with LF line endings. ``.docx``: the
    document's paragraphs joined by LF.
    """
    path = Path(path)
    if path.suffix.lower() == ".docx":
        from qualsynth.ingest.readers import docx_paragraphs

        return "\n".join(docx_paragraphs(path))
    return read_text_file(path)
