"""Topic tables: denominators, zero rows, crosswalk shares and the crosswalk command."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from qualsynth.cli import main
from qualsynth.topics import tables

SEGMENTS = [
    {"segment_id": "a/d1/t001/s01", "study": "a", "sector": "NHS", "participant_id": "P01"},
    {"segment_id": "a/d1/t002/s01", "study": "a", "sector": "NHS", "participant_id": "P01"},
    {"segment_id": "a/d2/t001/s01", "study": "a", "sector": "VCSE", "participant_id": "P02"},
    {"segment_id": "b/d1/t001/s01", "study": "b", "sector": None, "participant_id": "P01"},
]
TOPICS = np.array([0, 0, 1, -1])


def _rows(rows: list[dict], **match: object) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def test_by_group_has_denominators_and_zero_rows() -> None:
    rows = tables.by_group_rows(SEGMENTS, TOPICS, ["study", "sector"], studies=["a", "b", "c"])
    a0 = _rows(rows, group_by="study", group="a", topic=0)[0]
    assert (a0["n_segments"], a0["denominator"], a0["share"]) == (2, 3, 0.6667)
    assert (a0["n_participants"], a0["participants_denominator"]) == (1, 2)
    b0 = _rows(rows, group_by="study", group="b", topic=0)[0]
    assert (b0["n_segments"], b0["denominator"], b0["share"]) == (0, 1, 0.0)
    # A declared study without segments still appears, with an empty share.
    c0 = _rows(rows, group_by="study", group="c", topic=0)[0]
    assert (c0["n_segments"], c0["denominator"], c0["share"]) == (0, 0, "")
    # A missing attribute is its own, named group.
    assert _rows(rows, group_by="sector", group=tables.NOT_RECORDED, topic=-1)[0][
        "n_segments"] == 1
    # Within a group, shares over all topics (outliers included) add up to 1.
    for group in ("a", "b"):
        total = sum(r["n_segments"] for r in _rows(rows, group_by="study", group=group))
        assert total == _rows(rows, group_by="study", group=group)[0]["denominator"]
    # Participants are counted per study: P01 in study a and in study b are two people.
    any_sector = _rows(rows, group_by="sector", group="NHS", topic=0)[0]
    assert any_sector["participants_denominator"] == 1


def test_topic_and_assignment_rows() -> None:
    words = {0: ["waiting", "lists"], 1: ["budget"], -1: []}
    labels = {0: "0: waiting, lists", 1: "1: budget", -1: "-1: outliers (no topic)"}
    reps = {0: ["a/d1/t001/s01"], 1: ["a/d2/t001/s01"]}
    rows = tables.topic_rows(TOPICS, words, labels, reps)
    assert [r["topic"] for r in rows] == [-1, 0, 1]
    assert rows[1]["top_words"] == "waiting; lists"
    assert rows[1]["size"] == 2 and rows[1]["share"] == 0.5
    assign = tables.assignment_rows(SEGMENTS, TOPICS, np.array([0.9, np.nan, 0.5, np.nan]),
                                    ["hdbscan", "outlier_reduction", "hdbscan", "outlier"])
    assert assign[1]["probability"] == ""
    assert [r["segment_id"] for r in assign] == sorted(s["segment_id"] for s in SEGMENTS)


def test_representative_segments_are_closest_to_centroid_with_id_ties() -> None:
    ids = ["s3", "s1", "s2", "s4"]
    emb = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    reps = tables.representative_segments(ids, emb, np.array([0, 0, 0, 1]), 2)
    assert reps[0] == ["s1", "s3"]  # equal similarity: ordered by id
    assert reps[1] == ["s4"]


def test_crosswalk_shares_and_uncoded() -> None:
    assignments = [
        {"segment_id": "s1", "topic": "0"}, {"segment_id": "s2", "topic": "0"},
        {"segment_id": "s3", "topic": "1"}, {"segment_id": "s4", "topic": "1"},
    ]
    codes = [
        {"segment_id": "s1", "code": "workforce"}, {"segment_id": "s2", "code": "workforce"},
        {"segment_id": "s2", "code": "finance"}, {"segment_id": "s3", "code": "workforce"},
        {"segment_id": "s9", "code": "finance"},  # not modelled: ignored
    ]
    pairs, by_topic, by_code = tables.crosswalk(assignments, codes, {0: "zero", 1: "one"})
    wf0 = _rows(pairs, topic=0, code="workforce")[0]
    assert (wf0["n_segments"], wf0["topic_size"], wf0["code_size"]) == (2, 2, 3)
    assert (wf0["share_of_topic"], wf0["share_of_code"]) == (1.0, 0.6667)
    fin1 = _rows(pairs, topic=1, code="finance")[0]
    assert fin1["n_segments"] == 0  # zero pairs are kept
    unc1 = _rows(pairs, topic=1, code=tables.UNCODED)[0]
    assert (unc1["n_segments"], unc1["share_of_topic"]) == (1, 0.5)
    t1 = _rows(by_topic, topic=1)[0]
    assert (t1["n_coded"], t1["uncoded_share"], t1["top_code"]) == (1, 0.5, "workforce")
    wf = _rows(by_code, code="workforce")[0]
    assert (wf["n_segments"], wf["n_topics"], wf["top_topic"]) == (3, 2, 0)
    assert 0 < wf["spread"] < 1
    assert _rows(by_code, code="finance")[0]["spread"] == 0.0


def test_crosswalk_respects_a_present_column() -> None:
    pairs, _, _ = tables.crosswalk(
        [{"segment_id": "s1", "topic": "0"}],
        [{"segment_id": "s1", "code": "x", "present": "0"},
         {"segment_id": "s1", "code": "y", "present": "1"}],
        {0: "zero"},
    )
    assert {r["code"] for r in pairs if r["n_segments"]} == {"y"}


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_crosswalk_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assign = _write(tmp_path / "assignments.csv", tables.ASSIGNMENT_COLUMNS,
                    [["s1", "a", 0, 0.9, "hdbscan"], ["s2", "a", 1, "", "kmeans"]])
    topics = _write(tmp_path / "topics.csv", tables.TOPIC_COLUMNS,
                    [[0, "0: x", "x", 1, 0.5, "s1"], [1, "1: y", "y", 1, 0.5, "s2"]])
    codes = _write(tmp_path / "segment_codes.csv", ["segment_id", "study", "code"],
                   [["s1", "a", "workforce"]])
    out = tmp_path / "crosswalk.csv"
    args = ["topic-crosswalk", "--assignments", str(assign), "--topics", str(topics),
            "--codes", str(codes), "--out", str(out)]
    assert main(args) == 0
    first = out.read_bytes()
    assert (tmp_path / "crosswalk_topics.csv").is_file()
    assert (tmp_path / "crosswalk_codes.csv").is_file()
    assert main(args) == 0
    assert out.read_bytes() == first
    header = first.decode().splitlines()[0].split(",")
    assert header == tables.CROSSWALK_COLUMNS

    bad = _write(tmp_path / "bad_codes.csv", ["segment", "code"], [["s1", "x"]])
    assert main([*args[:5], "--codes", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad_codes.csv:1" in err and "missing column(s) segment_id, study" in err
