"""The hall manager's dashboard: leaderboard, unit drill-down, trend over weeks, 整改 summary.

Server-rendered; /static/dashboard.js (vanilla, served by this service, no CDN) only
loads a unit's panel in place when a unit is clicked. Without script every unit link
still opens the dashboard with that unit's panel rendered by the server.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .pages import EVENT, KIND, STATUS, _e, _q, _t, change
from .svg_chart import trend_svg

CENT = Decimal("0.01")


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)


def hall_trend(trend: dict) -> str:
    weeks = trend["weeks"]
    by_week = [[s[w] for s in trend["scores"].values() if w in s] for w in weeks]
    series = [("全厅平均", [_mean(v) if v else None for v in by_week], "avg"),
              ("最高", [max(v) if v else None for v in by_week], "high"),
              ("最低", [min(v) if v else None for v in by_week], "low")]
    return trend_svg([str(w) for w in weeks], series, "各周得分趋势")


def unit_trend(trend: dict, key: str, name: str) -> str:
    weeks = trend["weeks"]
    mine = trend["scores"].get(key, {})
    by_week = [[s[w] for s in trend["scores"].values() if w in s] for w in weeks]
    series = [(name, [mine.get(w) for w in weeks], "unit"),
              ("全厅平均", [_mean(v) if v else None for v in by_week], "avg")]
    return trend_svg([str(w) for w in weeks], series, f"{name} 各周得分")


def unit_panel(d: dict, trend: dict) -> str:
    """The fragment shown beside the leaderboard: a unit's week, line by line."""
    hall, week, unit = _q(d["hall"]), _q(d["week"]), _q(d["unit"])
    rows = []
    for line in d["lines"]:
        css = "deduction" if line["kind"] == "deduction" else line["kind"]
        ev = line["source_event"] or {}
        counted = "" if line["counted"] or line["kind"] == "veto" else ' <span class="muted">不计分</span>'
        rows.append(f'<tr class="{css}"><td>{_t(line["occurred_at"])}</td>'
                    f'<td>{_e(line["rule_name"] or line["rule_id"])}</td><td>{_e(KIND.get(line["kind"], line["kind"]))}</td>'
                    f'<td class="num">{_e(line["points"])}{counted}</td>'
                    f'<td>{_e(STATUS.get(line["status"], line["status"]))}</td><td>{_e(line["staff"] or "—")}</td>'
                    f'<td>{_e(EVENT.get(ev.get("type"), ev.get("type") or "—"))} · {_e(ev.get("device") or "—")}</td></tr>')
    table = ('<table class="lines"><tr><th>时间</th><th>考核项目</th><th>类别</th><th>分值</th><th>状态</th>'
             f'<th>人员</th><th>来源（设备）</th></tr>{"".join(rows)}</table>') if rows \
        else '<p class="none">本周无扣分、加分记录，得基础分。</p>'
    veto = ' · <span class="veto">一票否决</span>' if d["vetoed"] else ""
    return (f'<div class="unit-panel" data-unit="{_e(d["unit"])}"><h2>{_e(d["unit_name"])}</h2>'
            f'<p>名次 {_e(d["rank"] if d["rank"] is not None else "—")} · 得分 <b>{_e(d["score"])}</b> · '
            f'扣分 {_e(d["deductions"])} · 加分 {_e(d["bonuses"])}{veto}</p>{table}'
            f'<p><a href="/halls/{hall}/weeks/{week}/units/{unit}">逐条查看依据（细则原文、原始事件）→</a></p>'
            f'<h3>各周得分</h3>{unit_trend(trend, d["hall"] + "/" + d["unit"], d["unit_name"])}</div>')


def _leaderboard(r: dict) -> str:
    hall, week = _q(r["hall"]), _q(r["week"])
    rows = "".join(
        f'<tr><td class="num">{_e(u["rank"])}</td><td><a class="unit-link" data-unit="{_e(u["unit"])}" '
        f'data-panel="/halls/{hall}/weeks/{week}/units/{_q(u["unit"])}/panel" '
        f'href="/halls/{hall}/dashboard?week={week}&amp;unit={_q(u["unit"])}">{_e(u["unit_name"])}</a></td>'
        f'<td class="num">{_e(u["score"])}</td><td class="num">{_e(u["deductions"])}</td><td>{change(u)}</td>'
        f'<td>{"<span class=veto>否决</span>" if u["vetoed"] else ""}</td></tr>' for u in r["units"])
    return ('<table id="leaderboard"><tr><th>名次</th><th>窗口单位</th><th>得分</th><th>扣分</th><th>较上周</th>'
            f"<th></th></tr>{rows}</table>") if rows else "<p>本周无数据。</p>"


def _cases(cases: list[dict] | None) -> str:
    if not cases:
        return '<p class="muted" id="no-cases">整改数据暂无</p>'
    total = {k: sum(c[k] for c in cases) for k in ("cases", "open", "overdue", "closed_on_time")}
    rows = "".join(
        f'<tr><td>{_e(c["unit_name"])}</td><td class="num">{_e(c["cases"])}</td><td class="num">{_e(c["open"])}</td>'
        f'<td class="num">{_e(c["overdue"])}</td><td class="num">{_e(_rate(c))}</td></tr>'
        for c in cases + [{**total, "unit_name": "合计"}])
    return ("<table><tr><th>窗口单位</th><th>整改件数</th><th>未办结</th><th>逾期</th><th>按期办结率</th></tr>"
            f"{rows}</table>")


def _rate(c: dict) -> str:
    return f"{100 * c['closed_on_time'] / c['cases']:.1f}%" if c["cases"] else "—"


def dashboard_page(d: dict) -> str:
    r = d["ranking"]
    hall = _q(r["hall"])
    weeks = "".join(f'<option value="{_e(w)}"{" selected" if w == r["week"] else ""}>{_e(w)}</option>'
                    for w in d["weeks"])
    picker = (f'<form method="get" action="/halls/{hall}/dashboard" class="picker">周次 <select name="week">{weeks}'
              '</select> <button type="submit">查看</button></form>')
    panel = d["panel"] or '<p class="muted">点击左侧单位，查看本周扣分明细。</p>'
    body = (f'<header><h1>{_e(r["hall_name"])} 看板</h1>{picker}<nav class="links">'
            f'<a href="/halls/{hall}/weeks/{_q(r["week"])}/bulletin">周通报</a>'
            f'<a href="/halls/{hall}">全部周次与月、季、年</a></nav></header>'
            f'<p>{_e(r["week"])}（{_e(r["monday"])} 至 {_e(r["sunday"])}）· 基础分 {_e(r["base_points"])}</p>'
            f'<div class="grid"><section><h2>本周排名</h2>{_leaderboard(r)}</section>'
            f'<section id="panel" aria-live="polite">{panel}</section></div>'
            f'<section id="trend"><h2>各周得分趋势</h2>{hall_trend(d["trend"])}</section>'
            f'<section id="rectification"><h2>整改情况</h2>{_cases(d["cases"])}</section>')
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_e(r["hall_name"])} 看板</title>'
            '<link rel="stylesheet" href="/static/dashboard.css"></head>'
            f'<body>{body}<script src="/static/dashboard.js" defer></script></body></html>')
