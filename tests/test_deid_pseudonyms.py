"""Keyed pseudonyms, the secret and the key table."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from qualsynth.deid.pseudonyms import (
    SECRET_ENV,
    KeyTable,
    Pseudonymizer,
    Secret,
    load_secret,
    read_key_table,
    write_key_table,
)
from qualsynth.errors import InputError

GOOD = "k" * 20 + "9" * 20


def test_secret_from_the_environment(tmp_path):
    secret = load_secret(tmp_path / "unused", environ={SECRET_ENV: GOOD})
    assert secret.source == "environment"
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("bad", ["x7Qp2w", "", "has a space in it and is long enough!!",
                                 "é" * 40, "tab\tseparated-secret-that-is-long-enough"])
def test_malformed_secret_is_refused_without_showing_it(tmp_path, bad):
    with pytest.raises(InputError) as err:
        load_secret(tmp_path / "unused", environ={SECRET_ENV: bad})
    message = str(err.value)
    assert "malformed secret" in message and "token_hex" in message
    if bad.strip():
        assert bad not in message


def test_malformed_secret_file(tmp_path):
    path = tmp_path / "secret"
    path.write_text("too short\n", encoding="utf-8")
    with pytest.raises(InputError, match="malformed secret"):
        load_secret(path, environ={})


def test_missing_secret_file_is_created_once_with_mode_600(tmp_path):
    path = tmp_path / "conf" / "qualsynth" / "secret"
    messages: list[str] = []
    first = load_secret(path, log=messages.append, environ={})
    assert first.created and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any("random one was created" in m for m in messages)
    assert first.value.decode() not in " ".join(messages)
    again = load_secret(path, log=messages.append, environ={})
    assert not again.created and again.value == first.value


def test_secret_file_inside_the_repository_is_refused():
    repo = Path(__file__).resolve().parents[1]
    with pytest.raises(InputError, match="outside the repository"):
        load_secret(repo / "restricted" / "secret", environ={})


def _table(secret: Secret, entities: list[tuple[str, str]]) -> Pseudonymizer:
    pseudo = Pseudonymizer(secret, KeyTable())
    for kind, key in entities:
        pseudo.add(kind, key, key.title())
    pseudo.assign()
    return pseudo


def test_numbering_is_keyed_and_independent_of_order():
    secret = Secret(GOOD.encode(), "environment")
    names = [("person", n) for n in ("ada quennell", "bo tarrant", "cy ollerton",
                                     "di marchbank")]
    a = _table(secret, names)
    b = _table(secret, list(reversed(names)))
    assert a.table.assigned == b.table.assigned
    assert sorted(a.table.assigned.values()) == [f"[Person {i}]" for i in range(1, 5)]
    other = _table(Secret(("z" * 40).encode(), "environment"), names)
    assert sorted(other.table.assigned.values()) == sorted(a.table.assigned.values())
    # a different secret gives (with overwhelming probability) a different order
    orders = {tuple(_table(Secret((c * 40).encode(), "environment"), names)
                    .token("person", n) for _, n in names) for c in "abcdefgh"}
    assert len(orders) > 1


def test_key_table_round_trip_keeps_numbers_and_adds_new_ones(tmp_path):
    secret = Secret(GOOD.encode(), "environment")
    path = tmp_path / "keys" / "key_table.csv"
    first = _table(secret, [("person", "ada quennell"), ("council", "lowmoor council")])
    write_key_table(path, first.table, secret)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    table = read_key_table(path, secret)
    assert table.assigned == first.table.assigned
    pseudo = Pseudonymizer(secret, table)
    pseudo.add("person", "ada quennell", "Ada")
    pseudo.add("person", "bo tarrant", "Bo Tarrant")
    pseudo.assign()
    assert pseudo.token("person", "ada quennell") == first.token("person", "ada quennell")
    assert pseudo.token("person", "bo tarrant") == "[Person 2]"


def test_key_table_from_another_secret_is_refused(tmp_path):
    path = tmp_path / "key_table.csv"
    original = Secret(GOOD.encode(), "environment")
    write_key_table(path, _table(original, [("person", "ada quennell")]).table, original)
    with pytest.raises(InputError, match="does not match the current secret"):
        read_key_table(path, Secret(("q" * 40).encode(), "environment"))


def test_tampered_key_table_is_refused(tmp_path):
    path = tmp_path / "key_table.csv"
    secret = Secret(GOOD.encode(), "environment")
    write_key_table(path, _table(secret, [("person", "ada quennell")]).table, secret)
    text = path.read_text(encoding="utf-8").replace("[Person 1]", "[Person 9]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="does not match"):
        read_key_table(path, secret)


def test_not_a_key_table(tmp_path):
    path = tmp_path / "key_table.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a key table"):
        read_key_table(path, Secret(GOOD.encode(), "environment"))
