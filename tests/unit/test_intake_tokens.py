"""Intake storage and configuration: tokens, archive, settings, token CLI, in-flight claims."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from typer.testing import CliRunner

from services.intake.acceptance import validate_items
from services.intake.archive import Archive
from services.intake.cli import token_app
from services.intake.service import InFlight
from services.intake.settings import IntakeSettings, SettingsError, load_settings
from services.intake.tokens import TokenInfo, TokenStore


def test_token_issue_verify_revoke(tmp_path):
    store = TokenStore(tmp_path / "i.sqlite")
    token = store.issue("tongxu-county", "att-01", "A07")
    _, token_id, secret = token.split("_", 2)
    assert store.verify(token) == TokenInfo("tongxu-county", "att-01", token_id)
    assert store.verify(f"Bearer {token}") is None
    assert store.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify(f"hs_{'0' * 16}_{secret}") is None  # unknown id
    assert store.verify("") is None and store.verify(None) is None
    [rec] = store.list()
    assert (rec.token_id, rec.hall, rec.device, rec.note, rec.active) == (token_id, "tongxu-county", "att-01", "A07", True)
    assert secret not in repr(rec)
    assert store.revoke(token_id) is True and store.revoke(token_id) is False
    assert store.verify(token) is None and not store.list()[0].active


def test_only_the_hash_is_stored(tmp_path):
    db = tmp_path / "i.sqlite"
    token = TokenStore(db).issue("h1", "d1")
    secret = token.split("_", 2)[2]
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert secret not in dump and token not in dump


def test_issue_refuses_bad_ids(tmp_path):
    store = TokenStore(tmp_path / "i.sqlite")
    with pytest.raises(ValueError, match="hall"):
        store.issue("bad hall", "d1")
    with pytest.raises(ValueError, match="device"):
        store.issue("h1", "")


def _clock(i: int, unit: str = "u1"):
    return {"event_id": f"evt-{i:08d}", "type": "attendance.clock", "schema_version": 1,
            "occurred_at": "2026-11-16T08:41:00+08:00", "hall": "h1", "unit": unit, "staff": "s1",
            "device": "d1", "payload": {"direction": "in"}}


def test_archive_record_lookup_iter(tmp_path):
    db = tmp_path / "i.sqlite"
    arc = Archive(db)
    items = validate_items([_clock(i, unit=f"u{i % 3}") for i in range(1200)])
    assert arc.record(items[:700]) == 700
    assert arc.record(items[600:]) == 500  # overlap ignored
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    found = arc.lookup([it.event_id for it in items] + ["evt-missing1"])  # > one IN chunk
    assert len(found) == 1200 and found[items[5].event_id] == items[5].sha256
    batches = list(arc.iter_all(batch=500))
    assert [len(b) for b in batches] == [500, 500, 200]
    flat = [e for b in batches for e in b]
    assert [e.event_id for e in flat] == [it.event_id for it in items]  # acceptance order
    assert flat[7].body == items[7].body and (flat[7].hall, flat[7].unit) == ("h1", "u1")


def test_settings_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HALLSCORE_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    monkeypatch.setenv("HALLSCORE_DATA_DIR", str(tmp_path / "a" / "b"))
    monkeypatch.setenv("HALLSCORE_REPUBLISH_ON_START", "true")
    s = load_settings()
    assert s.data_dir.is_dir() and s.republish_on_start and (s.host, s.port, s.max_batch) == ("127.0.0.1", 8100, 500)
    assert s.publish_timeout_s == 10 and s.db_path == tmp_path / "a" / "b" / "intake.sqlite"


def test_settings_fail_fast_with_clear_message(tmp_path, monkeypatch):
    for var in ("HALLSCORE_KAFKA_BOOTSTRAP", "HALLSCORE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HALLSCORE_MAX_BATCH", "9000")
    with pytest.raises(SettingsError) as e:
        load_settings()
    msg = str(e.value)
    assert "HALLSCORE_KAFKA_BOOTSTRAP: is required" in msg and "HALLSCORE_DATA_DIR: is required" in msg
    assert "HALLSCORE_MAX_BATCH" in msg and "9000" in msg
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SettingsError, match="HALLSCORE_DATA_DIR: .*cannot create data_dir"):
        load_settings(kafka_bootstrap="b:1", data_dir=blocker / "sub", max_batch=5)
    with pytest.raises(Exception):
        IntakeSettings(kafka_bootstrap="b:1", data_dir=tmp_path, max_batch=0)


def test_token_cli(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("HALLSCORE_DATA_DIR", str(tmp_path / "env-data"))
    r = runner.invoke(token_app, ["issue", "--hall", "tongxu-county", "--device", "att-01", "--note", "A07"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    token_id = token.split("_")[1]
    assert TokenStore(tmp_path / "env-data" / "intake.sqlite").verify(token).hall == "tongxu-county"
    listed = runner.invoke(token_app, ["list"]).stdout
    assert token_id in listed and "active" in listed and token.split("_", 2)[2] not in listed
    assert runner.invoke(token_app, ["revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(token_app, ["list"]).stdout
    assert runner.invoke(token_app, ["revoke", token_id]).exit_code == 1
    other = tmp_path / "opt-data"
    assert runner.invoke(token_app, ["issue", "--hall", "h", "--device", "d", "--data-dir", str(other)]).exit_code == 0
    assert (other / "intake.sqlite").exists()
    assert runner.invoke(token_app, ["issue", "--hall", "bad hall", "--device", "d"]).exit_code == 2


def test_inflight_claims_wait_for_overlapping_ids():
    f = InFlight()
    assert f.claim({"a", "b"}, 1)
    assert f.claim({"c"}, 0.01)  # disjoint: no wait
    assert not f.claim({"b", "d"}, 0.05)  # overlaps, times out, claims nothing
    assert f.claim({"d"}, 0.01)
    got = []
    t = threading.Thread(target=lambda: got.append(f.claim({"a"}, 5)))
    t.start()
    time.sleep(0.05)
    assert got == []
    f.release({"a", "b"})
    t.join(2)
    assert got == [True]
