"""Transcript readers: one function per format, each returning speaker turns.

Every turn keeps the 1-based line range it came from (for ``.docx``: paragraph numbers),
so an auditor can trace a segment back to the raw file.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qualsynth.errors import InputError
from qualsynth.ingest.text import read_text_file


@dataclass
class Turn:
    speaker: str
    text: str
    line_start: int
    line_end: int
    start_time: str | None = None

    def extend(self, text: str, line: int) -> None:
        self.text = f"{self.text} {text}".strip() if self.text else text.strip()
        self.line_end = line


# --------------------------------------------------------------------------- plain text
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?"
_TS = rf"(?:\[(?P<ts1>{_CLOCK})\]|(?P<ts2>{_CLOCK}))"
_LABEL = r"(?P<label>[A-Za-z][\w.'’\- ]{0,48}?)"
_SPEAKER_LINE = re.compile(
    rf"^\s*(?:{_TS}\s+)?{_LABEL}\s*(?:\((?P<ts3>{_CLOCK})\))?\s*:\s*(?P<text>.*)$"
)
_INLINE_TS = re.compile(rf"^\[({_CLOCK})\]\s*")
_MAX_LABEL_WORDS = 5


def _candidate(line: str) -> re.Match[str] | None:
    match = _SPEAKER_LINE.match(line)
    if not match:
        return None
    label = match.group("label").strip()
    if len(label.split()) > _MAX_LABEL_WORDS or not label[0].isupper():
        return None
    return match


def parse_speaker_lines(
    lines: list[str], path: str | Path, known_labels: set[str] | None = None, first_line: int = 1
) -> list[Turn]:
    """Parse ``Speaker: text`` turns; other non-empty lines continue the previous turn.

    A label counts as a speaker when it is known (register names, interviewer, generic
    labels) or when it opens at least two turns in the document, so that a continuation
    paragraph such as ``Example: ...`` is not mistaken for a new speaker.
    """
    known = {k.casefold() for k in (known_labels or set())}
    counts = Counter(
        m.group("label").strip() for m in map(_candidate, lines) if m is not None
    )

    def is_speaker(label: str) -> bool:
        return label.casefold() in known or counts[label] >= 2

    turns: list[Turn] = []
    for offset, line in enumerate(lines):
        lineno = first_line + offset
        if not line.strip():
            continue
        match = _candidate(line)
        if match and is_speaker(match.group("label").strip()):
            ts = match.group("ts1") or match.group("ts2") or match.group("ts3")
            body = match.group("text").strip()
            inline = _INLINE_TS.match(body)
            if inline:  # "Name: [00:01:02] text"
                ts = ts or inline.group(1)
                body = body[inline.end():]
            turns.append(Turn(match.group("label").strip(), body, lineno, lineno, ts))
        elif turns:
            turns[-1].extend(line.strip(), lineno)
        else:
            raise InputError(path, "text before the first 'Speaker: text' turn; "
                             "start each turn with the speaker's name and a colon", line=lineno)
    return turns


def read_txt(path: str | Path, known_labels: set[str] | None = None) -> list[Turn]:
    text = read_text_file(path)
    return parse_speaker_lines(text.split("\n"), path, known_labels)


# --------------------------------------------------------------------------- WebVTT
_VTT_CLOCK = r"(?:\d{1,2}:)?\d{2}:\d{2}\.\d{3}"
_TIMING = re.compile(rf"^(?P<start>{_VTT_CLOCK})\s+-->\s+(?P<end>{_VTT_CLOCK})(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>(?P<text>.*?)(?:</v>|$)", re.DOTALL)
_TAG = re.compile(r"</?[^>]+>")


def read_vtt(path: str | Path, known_labels: set[str] | None = None) -> list[Turn]:
    """Read MS Teams WebVTT: header, optional cue ids, ``<v Name>`` voice tags.

    Consecutive cues of the same speaker are merged into one turn. Written by hand rather
    than with webvtt-py because each turn must keep its source line range.
    """
    text = read_text_file(path)
    lines = text.split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise InputError(path, "missing the 'WEBVTT' header on the first line", line=1)
    turns: list[Turn] = []
    i = 1
    n = len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        block: list[str] = []
        while i < n and lines[i].strip():
            block.append(lines[i])
            i += 1
        head = block[0]
        if head.startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_idx = 0 if "-->" in head else 1
        if timing_idx >= len(block) or not _TIMING.match(block[timing_idx].strip()):
            bad = block_start + timing_idx + 1
            raise InputError(path, "broken cue: expected a timing line "
                             "'hh:mm:ss.mmm --> hh:mm:ss.mmm'", line=bad)
        start = _TIMING.match(block[timing_idx].strip()).group("start")
        payload = "\n".join(block[timing_idx + 1:])
        if not payload.strip():
            raise InputError(path, "broken cue: timing line with no text",
                             line=block_start + timing_idx + 1)
        voice = _VOICE.search(payload)
        if voice:
            speaker = voice.group("name").strip()
            cue_text = voice.group("text")
        else:
            speaker = turns[-1].speaker if turns else "Unknown speaker"
            cue_text = payload
        cue_text = " ".join(_TAG.sub("", cue_text).split())
        line_end = block_start + len(block)
        if turns and turns[-1].speaker == speaker:
            turns[-1].extend(cue_text, line_end)
        else:
            turns.append(Turn(speaker, cue_text, block_start + 1, line_end, start))
    if not turns:
        raise InputError(path, "no cues found after the WEBVTT header")
    return turns


# --------------------------------------------------------------------------- Word
_DOCX_HEADER = re.compile(
    r"^(?P<label>[^\t:]{1,60}?)(?:\s{2,}|\t)+(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$"
)
_DOCX_TIMING = re.compile(r"^\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\s+-->\s+\d{1,2}:\d{2}:\d{2}(?:\.\d+)?$")


def docx_paragraphs(path: str | Path) -> list[str]:
    """Paragraph texts of a .docx, or one clear error if it is not a Word document."""
    try:
        import docx  # python-docx

        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(path, f"not a readable .docx (Word) file: {type(exc).__name__}") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError for non-zip input
        raise InputError(path, f"not a readable .docx (Word) file: {type(exc).__name__}") from None
    return [p.text.replace("\r", "") for p in document.paragraphs]


def read_docx(path: str | Path, known_labels: set[str] | None = None) -> list[Turn]:
    """Read a Teams .docx export (``Name   0:03`` header, then text) or ``Name: text`` Word."""
    paragraphs = docx_paragraphs(path)
    headers = sum(1 for p in paragraphs if _DOCX_HEADER.match(p.strip()))
    if headers >= 2:
        turns: list[Turn] = []
        current: Turn | None = None
        for idx, para in enumerate(paragraphs, start=1):
            stripped = para.strip()
            if not stripped or _DOCX_TIMING.match(stripped):
                continue
            header = _DOCX_HEADER.match(stripped)
            if header:
                label = header.group("label").strip()
                if current is not None and current.speaker == label:
                    continue  # same speaker again: keep merging
                current = Turn(label, "", idx, idx, header.group("ts"))
                turns.append(current)
            elif current is None:
                if stripped.lower().startswith("transcript") or _looks_like_date(stripped):
                    continue  # Teams title lines before the first speaker
                raise InputError(path, "text before the first speaker line", line=idx)
            else:
                current.extend(stripped, idx)
        turns = [t for t in turns if t.text]
    else:
        turns = parse_speaker_lines(paragraphs, path, known_labels)
    if not turns:
        raise InputError(path, "no speaker turns found (expected 'Name  0:03' lines or "
                         "'Name: text' paragraphs)")
    return turns


def _looks_like_date(text: str) -> bool:
    return bool(re.search(r"\b(19|20)\d{2}\b", text)) and len(text) < 60


READERS: dict[str, Callable[..., list[Turn]]] = {
    ".txt": read_txt,
    ".vtt": read_vtt,
    ".docx": read_docx,
}
TRANSCRIPT_SUFFIXES = tuple(READERS)


def read_transcript(path: str | Path, known_labels: set[str] | None = None) -> list[Turn]:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(path, f"unsupported transcript type {path.suffix!r}; "
                         f"use one of {', '.join(TRANSCRIPT_SUFFIXES)}")
    turns = reader(path, known_labels)
    if not turns or not any(t.text.strip() for t in turns):
        raise InputError(path, "empty transcript: no speaker turns with text")
    return turns
