"""`hallscore bulletin publish | export | component` against a running ranking service."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hallscore.cli import app
from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from tests.demo_ledger import DemoLedger
from tests.live_ranking import serve

pytestmark = pytest.mark.integration


def test_publish_export_and_record_a_component(tmp_path):
    store = open_store(f"chdb://{tmp_path / 'chdb'}")
    ensure_schema(store)
    DemoLedger(store).load_demo()
    run = CliRunner().invoke
    try:
        with serve(store) as url:
            args = ["--hall", "tongxu-county", "--week", "2026-W47", "--ranking-url", url]
            first = run(app, ["bulletin", "publish", *args, "--by", "环境股"])
            assert first.exit_code == 0, first.output
            assert "已发布 通许县政务服务中心窗口单位考核周通报（2026年第47周）" in first.output
            again = run(app, ["bulletin", "publish", *args])
            assert again.exit_code == 1 and "409" in again.output
            bad = run(app, ["bulletin", "publish", "--hall", "tongxu-county", "--week", "47", "--ranking-url", url])
            assert bad.exit_code == 1 and "path.week" in bad.output
            out = tmp_path / "w47.xlsx"
            assert run(app, ["bulletin", "export", *args, "--out", str(out)]).exit_code == 0
            assert load_workbook(out)["周通报"]["A3"].value.startswith("已发布")
            rec = run(app, ["bulletin", "component", "--hall", "tongxu-county", "--year", "2026", "--unit", "tx-rsj",
                            "--component", "tongxu.year.other", "--value", "88.5", "--ranking-url", url])
            assert rec.exit_code == 0 and "= 88.50" in rec.output, rec.output
    finally:
        store.close()
    down = run(app, ["bulletin", "publish", "--hall", "h", "--week", "2026-W47", "--ranking-url", "http://127.0.0.1:9"])
    assert down.exit_code == 2
