"""Provenance: reproducible run date (never the clock), hashes, versions, no absolute paths."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qualsynth import provenance as pv
from qualsynth.errors import InputError

GIT = shutil.which("git")


def test_run_date_comes_from_source_date_epoch(tmp_path: Path) -> None:
    got = pv.run_date(tmp_path, {"SOURCE_DATE_EPOCH": "1700000000"})
    assert got == {"run_date": "2023-11-14T22:13:20Z", "run_date_source": "SOURCE_DATE_EPOCH"}
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        pv.run_date(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_without_epoch_or_git_the_date_is_unknown_not_now(tmp_path: Path) -> None:
    got = pv.run_date(tmp_path, {})
    assert got["run_date"] == "unknown"
    assert "clock is never used" in got["run_date_source"]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_without_epoch_the_date_is_the_commit_date(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_DATE": "2021-03-04T05:06:07+00:00",
           "GIT_COMMITTER_DATE": "2021-03-04T05:06:07+00:00", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    (repo / "f.txt").write_text("x", encoding="utf-8")
    for cmd in (["init", "-q"], ["add", "f.txt"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env,
                       capture_output=True)
    assert pv.run_date(repo, {}) == {"run_date": "2021-03-04T05:06:07Z",
                                     "run_date_source": "commit date of HEAD"}
    version = pv.code_version(repo)
    assert version["code_version_source"] == "git describe --always --dirty"
    (repo / "f.txt").write_text("changed", encoding="utf-8")
    assert pv.code_version(repo)["code_version"].endswith("-dirty")


def test_code_version_falls_back_to_the_package(tmp_path: Path) -> None:
    got = pv.code_version(tmp_path)
    assert got["code_version"].startswith("qualsynth ")
    assert "package version" in got["code_version_source"]


def test_collect_provenance_hashes_inputs_with_relative_paths(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (data / "sub" / "b.json").write_text("{}", encoding="utf-8")
    (data / ".hidden").write_text("skip me", encoding="utf-8")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes: []\n", encoding="utf-8")
    codings = tmp_path / "codings.csv"
    codings.write_text("segment_id,code,codebook_hash\nx,a,abc\ny,b,abc\n", encoding="utf-8")
    config = {"project": {"title": "T", "synthetic": True}, "studies": []}
    record = pv.collect_provenance(config, config_path=tmp_path / "config.yaml",
                                   inputs=[data], codebook=codebook, codings_csv=codings,
                                   repo=tmp_path, base=tmp_path,
                                   environ={"SOURCE_DATE_EPOCH": "0"})
    assert [r["path"] for r in record["inputs"]] == ["data/a.csv", "data/sub/b.json"]
    assert record["inputs"][0]["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert record["codebook"]["path"] == "codebook.yaml"
    assert record["codebook"]["hashes_in_codings"] == ["abc"]
    assert record["run_date"] == "1970-01-01T00:00:00Z"
    assert record["config_sha256"] == pv.config_sha256(dict(reversed(list(config.items()))))
    assert "pandas" in record["packages"] and record["packages"]["pandas"] != "not installed"
    assert str(tmp_path) not in json.dumps(record)
    with pytest.raises(InputError, match="does not exist"):
        pv.collect_provenance(config, config_path="c.yaml", inputs=[tmp_path / "nope"])


def test_provenance_is_identical_across_reruns(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("same", encoding="utf-8")
    config = {"project": {"title": "T", "synthetic": False}}
    env = {"SOURCE_DATE_EPOCH": "1600000000"}
    a = pv.collect_provenance(config, config_path="c.yaml", inputs=[tmp_path / "x.txt"],
                              repo=tmp_path, base=tmp_path, environ=env)
    pv.write_provenance(tmp_path / "one.json", a)
    b = pv.collect_provenance(config, config_path="c.yaml", inputs=[tmp_path / "x.txt"],
                              repo=tmp_path, base=tmp_path, environ=env)
    pv.write_provenance(tmp_path / "two.json", b)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
