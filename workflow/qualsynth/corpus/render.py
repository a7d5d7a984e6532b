"""Render scripts into transcript files (.vtt, .docx, .txt) with exact gold spans.

A turn is rendered into ``Piece`` objects: literal text or an identifier with its label.
The format writers assemble pieces into the file's text through ``SpanText``, which
records where each identifier lands, so gold spans are exact by construction. Offsets are
into ``qualsynth.ingest.text.raw_text``: the decoded text with LF line endings, or for a
.docx the paragraphs joined by LF.
"""

from __future__ import annotations

import io
import random
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from qualsynth.corpus import identities as ids
from qualsynth.corpus.identities import Person, Slots
from qualsynth.corpus.script import MARKER, Marker, parse_markers


@dataclass(frozen=True)
class Piece:
    text: str
    label: str | None = None


@dataclass
class Span:
    start: int
    end: int
    label: str
    text: str


class SpanText:
    """Append-only text builder that records the spans of labelled pieces."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.spans: list[Span] = []

    def add(self, text: str, label: str | None = None) -> None:
        if label is not None and text:
            self.spans.append(Span(self._length, self._length + len(text), label, text))
        self._parts.append(text)
        self._length += len(text)

    def add_pieces(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            self.add(piece.text, piece.label)

    @property
    def text(self) -> str:
        return "".join(self._parts)


@dataclass
class Context:
    """What markers resolve to in one interview."""

    rng: random.Random
    people: dict[str, Person]      # 'P', 'I', and people keys
    slots: Slots
    interview_date: date

    def resolve(self, marker: Marker, hint: str = "") -> str:
        kind = marker.kind
        if kind == "person":
            return self.people[marker.key].form(marker.attr or "full")
        if kind in ("org", "place"):
            return self.slots.get(kind, marker.attr or "", hint)
        rng, slots = self.rng, self.slots
        key = marker.key
        if key == "address":
            return ids.address(rng, slots)
        if key == "postcode":
            return ids.postcode(rng, slots.icb.postcode_areas)
        if key == "phone":
            return ids.phone(rng, slots.icb.phone)
        if key == "nhs_number":
            return ids.nhs_number(rng)
        if key == "nino":
            return ids.nino(rng)
        if key == "staff_id":
            return ids.staff_id(rng)
        if key == "date":
            return ids.date_text(rng, self.interview_date)
        if key == "url":
            return ids.url(rng, slots)
        raise KeyError(marker.raw)


def render_template(template: str, ctx: Context) -> list[Piece]:
    """Replace every marker with its value; literal text stays as is."""
    pieces: list[Piece] = []
    pos = 0
    for start, end, marker in parse_markers(template):
        if start > pos:
            pieces.append(Piece(template[pos:start]))
        hint = MARKER.sub(" ", template[max(0, start - 160):end + 160])
        pieces.append(Piece(ctx.resolve(marker, hint), marker.label))
        pos = end
    if pos < len(template):
        pieces.append(Piece(template[pos:]))
    return _merge_literals(pieces)


def _merge_literals(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if out and piece.label is None and out[-1].label is None:
            out[-1] = Piece(out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def plain(pieces: list[Piece]) -> str:
    return "".join(p.text for p in pieces)


def words(pieces: list[Piece]) -> int:
    return len(plain(pieces).split())


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“‘(\d])")
_NO_SPLIT_BEFORE = re.compile(r"\b(?:e\.g|i\.e|vs|approx|St|Mr|Mrs|Ms|Dr)\.$", re.IGNORECASE)


def _slice(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    """The pieces covering characters ``start:end`` of their joined text."""
    out: list[Piece] = []
    pos = 0
    for piece in pieces:
        p_start, p_end = pos, pos + len(piece.text)
        pos = p_end
        lo, hi = max(start, p_start), min(end, p_end)
        if lo >= hi:
            continue
        if piece.label is not None and (lo, hi) != (p_start, p_end):
            raise ValueError("a cut would split an identifier")
        out.append(Piece(piece.text[lo - p_start:hi - p_start], piece.label))
    return out


def split_sentences(pieces: list[Piece]) -> list[list[Piece]]:
    """Split rendered pieces into sentences; never cuts inside an identifier."""
    text = plain(pieces)
    labelled = []
    pos = 0
    for piece in pieces:
        if piece.label is not None:
            labelled.append((pos, pos + len(piece.text)))
        pos += len(piece.text)
    cuts: list[tuple[int, int]] = []
    for match in _SENTENCE_END.finditer(text):
        keep = match.start() + len(match.group(0).rstrip())  # a closing quote stays
        if _NO_SPLIT_BEFORE.search(text[:match.start()]):
            continue
        if any(lo < match.end() and keep < hi for lo, hi in labelled):
            continue
        cuts.append((keep, match.end()))
    sentences: list[list[Piece]] = []
    start = 0
    for keep, resume in cuts:
        sentences.append(_slice(pieces, start, keep))
        start = resume
    sentences.append(_slice(pieces, start, len(text)))
    return [_strip(s) for s in sentences if plain(s).strip()]


def _strip(pieces: list[Piece]) -> list[Piece]:
    """Trim whitespace at both ends (literal pieces only; identifiers never have any)."""
    out = list(pieces)
    if out and out[0].label is None:
        out[0] = Piece(out[0].text.lstrip())
    if out and out[-1].label is None:
        out[-1] = Piece(out[-1].text.rstrip())
    return [p for p in out if p.text]


def join_sentences(sentences: list[list[Piece]]) -> list[Piece]:
    out: list[Piece] = []
    for i, sentence in enumerate(sentences):
        if i:
            out.append(Piece(" "))
        out.extend(sentence)
    return _merge_literals(out)


def group_sentences(sentences: list[list[Piece]], rng: random.Random, low: int,
                    high: int) -> list[list[int]]:
    """Indices of whole sentences grouped into runs of roughly ``low``-``high`` words."""
    groups: list[list[int]] = []
    current: list[int] = []
    count = 0
    target = rng.randint(low, high)
    for index, sentence in enumerate(sentences):
        n = words(sentence)
        if current and count + n > target:
            groups.append(current)
            current, count = [], 0
            target = rng.randint(low, high)
        current.append(index)
        count += n
    if current:
        groups.append(current)
    return groups


def chunk_sentences(sentences: list[list[Piece]], rng: random.Random, low: int,
                    high: int) -> list[list[Piece]]:
    """Whole sentences joined into chunks of roughly ``low``-``high`` words."""
    return [join_sentences([sentences[i] for i in group])
            for group in group_sentences(sentences, rng, low, high)]


# ----------------------------------------------------------------------------- turns
@dataclass
class RenderedTurn:
    speaker_key: str            # I, P or a people key
    label: Piece                # speaker label as written in the file
    voice: Piece                # full name (used by formats that always show it)
    pieces: list[Piece]
    sentences: list[list[Piece]] = field(default_factory=list)

    def text(self) -> str:
        return plain(self.pieces)


@dataclass
class Document:
    """A rendered transcript ready to write: its raw text, spans and file bytes."""

    text: str
    spans: list[Span]
    data: bytes


def _clock(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _short_clock(seconds: float) -> str:
    total = int(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _timings(turns: list[RenderedTurn], rng: random.Random) -> list[list[tuple[float, float]]]:
    """Plausible start/end seconds for each sentence of each turn, from word counts."""
    rate = {key: rng.uniform(2.2, 3.0) for key in sorted({t.speaker_key for t in turns})}
    clock = rng.uniform(2.0, 9.0)
    out: list[list[tuple[float, float]]] = []
    for turn in turns:
        clock += rng.uniform(0.3, 1.6)
        times = []
        for sentence in turn.sentences:
            duration = max(0.8, words(sentence) / rate[turn.speaker_key])
            times.append((clock, clock + duration))
            clock += duration + rng.uniform(0.05, 0.6)
        out.append(times)
    return out


def render_vtt(turns: list[RenderedTurn], rng: random.Random) -> Document:
    """MS Teams WebVTT: UUID-like cue ids, timings, ``<v Full Name>`` voice tags."""
    out = SpanText()
    out.add("WEBVTT\n")
    timings = _timings(turns, rng)
    counter = rng.randint(1, 40)
    for turn, times in zip(turns, timings, strict=True):
        base = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        groups = group_sentences(turn.sentences, rng, 10, 30)
        counter += 1
        for part, group in enumerate(groups):
            start, end = times[group[0]][0], times[group[-1]][1]
            out.add(f"\n{base}/{counter}-{part}\n{_clock(start)} --> {_clock(end)}\n<v ")
            out.add(turn.voice.text, turn.voice.label)
            out.add(">")
            out.add_pieces(join_sentences([turn.sentences[i] for i in group]))
            out.add("</v>\n")
    text = out.text
    return Document(text, out.spans, text.encode("utf-8"))


def render_txt(turns: list[RenderedTurn], rng: random.Random, timestamps: bool,
               blank_lines: bool, continuation: bool, encoding: str = "utf-8",
               newline: str = "\n") -> Document:
    """``Speaker: text`` turns, optionally ``[hh:mm:ss]`` stamps and continuation paragraphs."""
    out = SpanText()
    timings = _timings(turns, rng)
    for index, (turn, times) in enumerate(zip(turns, timings, strict=True)):
        if index and blank_lines:
            out.add("\n")
        if timestamps:
            out.add(f"[{_clock(times[0][0])[:8]}] ")
        out.add(turn.label.text, turn.label.label)
        out.add(": ")
        if continuation and words(turn.pieces) > 150:
            paragraphs = chunk_sentences(turn.sentences, rng, 70, 140)
        else:
            paragraphs = [turn.pieces]
        for p_index, para in enumerate(paragraphs):
            if p_index:
                out.add("\n\n" if blank_lines else "\n")
            out.add_pieces(para)
        out.add("\n")
    text = out.text
    data = text.replace("\n", newline).encode(encoding)
    return Document(text, out.spans, data)


def render_docx_paragraphs(turns: list[RenderedTurn], rng: random.Random, style: str,
                           when: datetime) -> tuple[list[list[Piece]], SpanText]:
    """The paragraphs of a Word transcript as pieces, plus their joined raw text."""
    paragraphs: list[list[Piece]] = []
    timings = _timings(turns, rng)
    if style == "teams":
        month = when.strftime("%B")
        hour = when.hour % 12 or 12
        suffix = "AM" if when.hour < 12 else "PM"
        paragraphs.append([Piece("Transcript")])
        paragraphs.append([Piece(f"{when.day} {month} {when.year}", "DATE"),
                           Piece(f", {hour}:{when.minute:02d}{suffix}")])
        for turn, times in zip(turns, timings, strict=True):
            for group in group_sentences(turn.sentences, rng, 60, 160):
                stamp = _short_clock(times[group[0]][0])
                paragraphs.append([turn.voice, Piece(f"   {stamp}")])
                paragraphs.append(join_sentences([turn.sentences[i] for i in group]))
    else:
        for turn in turns:
            if words(turn.pieces) > 160:
                blocks = chunk_sentences(turn.sentences, rng, 80, 150)
            else:
                blocks = [turn.pieces]
            paragraphs.append([turn.label, Piece(": "), *blocks[0]])
            paragraphs.extend(blocks[1:])
    out = SpanText()
    for index, para in enumerate(paragraphs):
        if index:
            out.add("\n")
        out.add_pieces(para)
    return paragraphs, out


FIXED_TIME = datetime(2024, 1, 1, 9, 0, 0, tzinfo=UTC)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def docx_bytes(paragraphs: list[str], title: str) -> bytes:
    """A byte-deterministic .docx: fixed core properties, fixed zip entry times and order."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    props = document.core_properties
    props.author = "qualsynth demo corpus"
    props.last_modified_by = "qualsynth demo corpus"
    props.title = title
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        ordered = sorted(names, key=lambda n: (n != "[Content_Types].xml", n))
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


def render_docx(turns: list[RenderedTurn], rng: random.Random, style: str, when: datetime,
                title: str) -> Document:
    paragraphs, out = render_docx_paragraphs(turns, rng, style, when)
    data = docx_bytes([plain(p) for p in paragraphs], title)
    return Document(out.text, out.spans, data)


def write_document(doc: Document, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc.data)
