"""`hallscore user ...`, `hallscore calendar ...` and `hallscore rectification`'s fail-fast start."""
from __future__ import annotations

from typer.testing import CliRunner

from hallscore.cli import app
from services.rectification.settings import db_path
from services.rectification.users import UserStore

run = CliRunner().invoke


def test_user_tokens_issue_list_revoke(tmp_path):
    d = ["--data-dir", str(tmp_path)]
    r = run(app, ["user", "issue", "--role", "unit", "--hall", "tongxu-county", "--unit", "tx-rsj", *d])
    assert r.exit_code == 0, r.output
    token = r.stdout.split()[0]
    who = UserStore(db_path(tmp_path)).verify(token)
    assert (who.role, who.hall, who.unit) == ("unit", "tongxu-county", "tx-rsj")
    assert run(app, ["user", "issue", "--role", "auditor", *d]).exit_code == 0
    for args, words in ((["--role", "unit", "--hall", "h"], "needs --unit"), (["--role", "manager"], "needs --hall"),
                        (["--role", "boss", "--hall", "h"], "--role must be one of"),
                        (["--role", "manager", "--hall", "h", "--unit", "u"], "only for unit tokens")):
        r = run(app, ["user", "issue", *args, *d])
        assert r.exit_code == 2 and words in r.output, r.output
    listing = run(app, ["user", "list", *d]).stdout
    assert "tx-rsj" in listing and token.split("_")[2] not in listing
    assert run(app, ["user", "revoke", who.token_id, *d]).exit_code == 0
    assert UserStore(db_path(tmp_path)).verify(token) is None
    assert run(app, ["user", "revoke", who.token_id, *d]).exit_code == 1


def test_calendar_check_set_show(tmp_path):
    good = tmp_path / "2027.yaml"
    good.write_text("year: 2027\nsource: test data\nholidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
                    "workdays: [2027-02-20]\n", encoding="utf-8")
    r = run(app, ["calendar", "check", str(good)])
    assert r.exit_code == 0 and "OK 2027" in r.stdout
    bad = tmp_path / "bad" / "2027.yaml"
    bad.parent.mkdir()
    bad.write_text("year: 2027\nsource: x\nholidays: []\nworkdays: [2027-02-22]\n", encoding="utf-8")
    r = run(app, ["calendar", "check", str(bad)])
    assert r.exit_code == 1 and "Monday" in r.output
    data = tmp_path / "data"
    assert run(app, ["calendar", "set", str(good), "--data-dir", str(data)]).exit_code == 0
    assert (data / "calendars" / "2027.yaml").exists()
    shown = run(app, ["calendar", "show", "2027", "--data-dir", str(data)]).stdout
    assert "schedule: test data" in shown and "2027-02-20 Sat working day (调休)" in shown
    shown = run(app, ["calendar", "show", "2026", "--data-dir", str(data)]).stdout
    assert "chinese-calendar" in shown and "2026-10-10 Sat working day (调休)" in shown
    assert "2026-10-05 Mon holiday" in shown


def test_rectification_start_names_a_missing_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("HALLSCORE_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("HALLSCORE_DATA_DIR", str(tmp_path))
    r = run(app, ["rectification"])
    assert r.exit_code == 2 and "HALLSCORE_KAFKA_BOOTSTRAP" in r.output


def test_rectification_start_names_a_bad_deadlines_line(tmp_path, monkeypatch):
    from hallscore.core.cases.policy import DEFAULT_POLICY_FILE

    bad = tmp_path / "deadlines.yaml"
    bad.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace("workdays: 5", "workdays: five", 1),
                   encoding="utf-8")
    monkeypatch.setenv("HALLSCORE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("HALLSCORE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HALLSCORE_DEADLINES_FILE", str(bad))
    r = run(app, ["rectification"])
    assert r.exit_code == 2 and "deadlines.yaml:" in r.output and "workdays" in r.output, r.output
