"""The dashboard and the printable 周通报 in a real headless Chromium (Debian's, via Python
Playwright): a manager clicks a unit on the leaderboard and sees its deductions; nothing
is fetched from outside the ranking service (no CDN). Screenshots go to the test's tmp dir.

Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Skipped
with a message when it is missing outside CI; with CI=true a missing browser fails.
"""
from __future__ import annotations

import importlib.util
import os
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from tests.demo_ledger import DemoLedger
from tests.live_ranking import serve

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HALL, WEEK = "tongxu-county", "2026-W47"
LATE = {"event_id": "late-0001", "type": "attendance.clock", "schema_version": 1,
        "occurred_at": "2026-11-20T09:07:00+08:00", "hall": HALL, "unit": "tx-rsj", "staff": "tx-rsj-09",
        "device": "att-02", "payload": {"direction": "in", "method": "face"}}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _need_browser():
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} not found (apt-get install -y chromium; .ci/run does this)"
    else:
        if importlib.util.find_spec("playwright") is None:
            problem = "python playwright is not installed (pip install -e '.[dev]')"
    if problem:
        if _in_ci():
            pytest.fail(f"CI=true but {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def ranking_url(tmp_path_factory):
    _need_browser()
    store = open_store(f"chdb://{tmp_path_factory.mktemp('dashboard') / 'chdb'}")
    ensure_schema(store)
    demo = DemoLedger(store).load_demo()
    try:
        with serve(store) as url:
            yield url, demo
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _page(browser, outside: list[str], errors: list[str]):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")

    def only_local(route):
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_local)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


def test_click_a_unit_and_see_its_deductions(ranking_url, browser, tmp_path):
    import httpx

    ranking_url, _ = ranking_url
    ranking = httpx.get(f"{ranking_url}/v1/halls/{HALL}/weeks/{WEEK}/ranking").json()
    unit = next(u for u in ranking["units"] if u["deductions"] != "0.00")
    detail = httpx.get(f"{ranking_url}/v1/halls/{HALL}/weeks/{WEEK}/units/{unit['unit']}").json()
    counted = [x for x in detail["lines"] if x["counted"] and x["points"] != "0.00" and x["kind"] == "deduction"]
    assert counted, "the unit has deductions to show"
    outside, errors = [], []
    page = _page(browser, outside, errors)
    page.goto(f"{ranking_url}/halls/{HALL}/dashboard?week={WEEK}")
    board = page.locator("#leaderboard")
    assert board.locator("a.unit-link").count() == len(ranking["units"])
    assert page.locator("#trend svg.trend polyline").count() >= 1
    assert "整改数据暂无" in page.locator("#rectification").inner_text()
    board.locator(f"a.unit-link[data-unit='{unit['unit']}']").click()
    panel = page.locator(f"#panel .unit-panel[data-unit='{unit['unit']}']")
    panel.wait_for(timeout=10_000)
    text = panel.inner_text()
    assert unit["unit_name"] in text and f"扣分 {unit['deductions']}" in text
    for line in counted:
        assert line["rule_name"] in text
    assert panel.locator("tr.deduction").count() >= len(counted)
    assert "dashboard?week=" in page.url and f"unit={unit['unit']}" in page.url
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\n[browser] dashboard screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert outside == [] and errors == [], (outside, errors)


def test_published_bulletin_with_a_restatement_renders(ranking_url, browser, tmp_path):
    """Publish the week, then a device uploads a late clock-in: the printed page keeps the
    frozen table and shows the 更正 below it."""
    import httpx

    ranking_url, demo = ranking_url
    assert httpx.post(f"{ranking_url}/v1/halls/{HALL}/weeks/{WEEK}/publish", json={"published_by": "环境股"}).status_code == 201
    demo.add([LATE], received_at=datetime.now(timezone.utc))
    outside, errors = [], []
    page = _page(browser, outside, errors)
    page.goto(f"{ranking_url}/halls/{HALL}/weeks/{WEEK}/bulletin")
    assert page.locator("h1").inner_text() == "通许县政务服务中心窗口单位考核周通报（2026年第47周）"
    rows = page.locator("#ranking tr")
    assert rows.count() == 23  # header + 22 units, first to last
    assert "100.00" in rows.filter(has_text="县人力资源和社会保障局").inner_text()  # frozen
    restated = page.locator("#restatement")
    assert restated.is_visible() and "更正" in restated.inner_text()
    assert "98.00" in restated.inner_text() and "上班迟到或早退" in restated.inner_text()
    page.emulate_media(media="print")
    shot = tmp_path / "bulletin.png"
    page.screenshot(path=str(shot), full_page=True)
    pdf = tmp_path / "bulletin.pdf"
    page.pdf(path=str(pdf), format="A4")
    print(f"\n[browser] published bulletin with 更正, screenshot: {shot} (print PDF {pdf})")
    assert shot.stat().st_size > 10_000 and pdf.stat().st_size > 5_000
    assert outside == [] and errors == [], (outside, errors)
