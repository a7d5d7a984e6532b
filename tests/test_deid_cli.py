"""The deid commands: detect-pii output, and bad input handled without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from qualsynth.cli import main
from qualsynth.deid.pseudonyms import SECRET_ENV
from test_deid_stage import SECRET, build_project

REPO = Path(__file__).resolve().parents[1]
QS = [sys.executable, "-m", "qualsynth.cli"]


def detect(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["detect-pii", *args, "--config", "/nonexistent/config.yaml"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


def test_detect_pii_from_standard_input_as_a_real_command(tmp_path):
    text = "Dr Ysolde Brackenridge rang from 07700 900123 about Elm Lattice Surgery.\n"
    result = subprocess.run([*QS, "detect-pii", "-", "--config", str(tmp_path / "none")],
                            input=text.encode(), capture_output=True, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    out = json.loads(result.stdout)
    assert list(out) == ["spans", "text"]
    got = {text[s["start"]:s["end"]]: s["label"] for s in out["spans"]}
    assert got == {"Dr Ysolde Brackenridge": "PERSON", "07700 900123": "PHONE",
                   "Elm Lattice Surgery": "ORGANISATION"}
    assert out["text"] == "[Person 1] rang from [phone] about [GP practice 1].\n"


def test_detect_pii_with_a_register(tmp_path, capsys):
    register = tmp_path / "names.csv"
    register.write_text("name,aliases\nHepzibah Trellick,Zibby\n", encoding="utf-8")
    source = tmp_path / "note.txt"
    source.write_text("zibby said hepzibah trellick's report is late.", encoding="utf-8")
    code, out, _ = detect(capsys, str(source), "--register", str(register))
    assert code == 0
    assert out["text"] == "[Participant R1] said [Participant R1]'s report is late."


@pytest.mark.parametrize("register_text", ["name,aliases\nHepzibah Trellick,H\n",
                                           "name,aliases\n,Hep\n"])
def test_one_letter_or_empty_register_name_is_a_clear_error(tmp_path, capsys,
                                                            register_text):
    register = tmp_path / "names.csv"
    register.write_text(register_text, encoding="utf-8")
    source = tmp_path / "note.txt"
    source.write_text("Nothing here.", encoding="utf-8")
    code, out, err = detect(capsys, str(source), "--register", str(register))
    assert code == 2 and out is None
    assert err.startswith("error: ") and err.count("\n") == 1 and "names.csv:2" in err
    assert "Traceback" not in err and "Hepzibah" not in err


def test_control_characters_are_handled(tmp_path, capsys):
    source = tmp_path / "note.txt"
    text = "Call\x07 Dr Ysolde Brackenridge\x1b on 07700 900123.\x0b Done."
    source.write_bytes(text.encode("utf-8"))
    code, out, err = detect(capsys, str(source))
    assert code == 0, err
    spans = {text[s["start"]:s["end"]] for s in out["spans"]}
    assert {"Dr Ysolde Brackenridge", "07700 900123"} <= spans
    assert "\x07" not in out["text"] and "\x1b" not in out["text"]
    assert "Brackenridge" not in out["text"]


def test_binary_input_is_a_clear_error(tmp_path, capsys):
    source = tmp_path / "blob.txt"
    source.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    code, out, err = detect(capsys, str(source))
    assert code == 2 and out is None and "binary content" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_200000_character_line(tmp_path, capsys):
    filler = "the partnership board met and agreed the plan for the next year, "
    line = (filler * (200_000 // len(filler) + 1))[:199_950]
    text = line + " then Dr Ysolde Brackenridge signed it."
    source = tmp_path / "long.txt"
    source.write_text(text, encoding="utf-8")
    code, out, err = detect(capsys, str(source))
    assert code == 0, err
    names = [s for s in out["spans"] if s["label"] == "PERSON"]
    assert [text[s["start"]:s["end"]] for s in names] == ["Dr Ysolde Brackenridge"]
    assert out["text"].endswith("then [Person 1] signed it.")


def _cli_project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "project")


def test_deidentify_with_a_malformed_secret(tmp_path, capsys, monkeypatch):
    config = _cli_project(tmp_path)
    monkeypatch.setenv(SECRET_ENV, "not-long-enough")
    code = main(["deidentify", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "malformed secret" in err and "not-long-enough" not in err
    assert not (tmp_path / "project" / "processed").exists()


def test_deidentify_refuses_a_key_table_from_another_secret(tmp_path, capsys, monkeypatch):
    config = _cli_project(tmp_path)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    assert main(["deidentify", "--config", str(config)]) == 0
    key_table = tmp_path / "project" / "restricted" / "keys" / "key_table.csv"
    assert key_table.exists()
    monkeypatch.setenv(SECRET_ENV, "another-secret-" + "b2" * 16)
    capsys.readouterr()
    code = main(["deidentify", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "does not match the current secret" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_deidentify_creates_a_secret_file_when_none_is_set(tmp_path, capsys, monkeypatch):
    config = _cli_project(tmp_path)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert main(["deidentify", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    settings = yaml.safe_load(config.read_text())["deid"]
    secret_file = Path(settings["secret_file"])
    assert secret_file.exists() and "random one was created" in err
    assert secret_file.read_text().strip() not in err
    summary = json.loads((tmp_path / "project/processed/deid/summary.json").read_text())
    assert summary["settings"]["secret_source"] == "file"


def test_leakage_gate_without_outputs_is_a_clear_error(tmp_path, capsys, monkeypatch):
    config = _cli_project(tmp_path)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    code = main(["leakage-gate", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "run `qualsynth deidentify` first" in err


def test_one_letter_alias_in_a_study_register_stops_deidentify(tmp_path, capsys, monkeypatch):
    config = _cli_project(tmp_path)
    register = tmp_path / "project" / "raw" / "alpha" / "participants.csv"
    text = register.read_text(encoding="utf-8").replace(",Perpetua,", ",P,", 1)
    register.write_text(text, encoding="utf-8")
    monkeypatch.setenv(SECRET_ENV, SECRET)
    code = main(["deidentify", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "participants.csv:2: column 'aliases'" in err
    assert "single letter" in err and "Traceback" not in err
    assert not (tmp_path / "project" / "processed" / "deid").exists()
