"""Server-rendered HTML pages (no JS, no CDN). Every text goes through html.escape;
every path segment of a link through urllib.parse.quote."""
from __future__ import annotations

import json
from datetime import date, timedelta
from html import escape
from urllib.parse import quote

STATUS = {"applied": "计分", "capped": "封顶", "below_threshold": "未达条件",
          "unknown_rule": "未知规则", "withdrawn": "已撤销", "recorded": "记录在案"}
KIND = {"deduction": "扣分", "bonus": "加分", "veto": "一票否决"}
EVENT = {"attendance.clock": "考勤打卡", "attendance.leave": "请假/外勤",
         "attendance.temporary_absence": "暂离", "review.submitted": "好差评",
         "transaction.completed": "办件", "complaint.filed": "投诉",
         "complaint.outcome": "投诉结果", "supervision.finding": "督查发现",
         "supervision.commendation": "表扬", "supervision.veto": "一票否决"}

_CSS = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
th,td{border:1px solid #999;padding:.3em .6em;vertical-align:top}th{background:#eee}
td.num{text-align:right}.veto{color:#b00;font-weight:bold}.muted{color:#777}
pre{white-space:pre-wrap;margin:0;font-size:.9em}.up{color:#080}.down{color:#b00}
nav.links a{margin-right:1em}"""


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _t(iso: str) -> str:
    """'2026-11-16T08:45:00+08:00' -> '2026-11-16 08:45:00' (every instant here is Beijing time)."""
    return _e(iso[:19].replace("T", " "))


def _q(segment: str) -> str:
    return quote(segment, safe="")


def page(title: str, body: str, back: tuple[str, str] | None = None) -> str:
    nav = f'<p><a href="{_e(back[0])}">← {_e(back[1])}</a></p>' if back else ""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            f"{nav}<h1>{_e(title)}</h1>{body}</body></html>")


def error_page(status: int, message: str) -> str:
    return page(f"出错了（{status}）", f"<p>{_e(message)}</p>", ("/", "返回首页"))


def index_page(halls: list[dict]) -> str:
    if not halls:
        return page("政务服务大厅 周通报", "<p>尚无数据。</p>")
    items = "".join(f'<li><a href="/halls/{_q(h["hall"])}">{_e(h["hall_name"])}</a> '
                    f'<span class="muted">{_e(h["hall"])}</span></li>' for h in halls)
    return page("政务服务大厅 周通报", f"<ul>{items}</ul>")


def hall_page(report: dict, published: dict | None = None) -> str:
    hall = _q(report["hall"])
    published = published or {}
    items = "".join(f'<li><a href="/halls/{hall}/weeks/{_q(w["week"])}">{_e(w["week"])}</a> '
                    f'（{_e(w["monday"])} 至 {_e(w["sunday"])}）'
                    + (f' <a href="/halls/{hall}/weeks/{_q(w["week"])}/bulletin">已发布 {_t(published[w["week"]])}</a>'
                       if w["week"] in published else "") + "</li>" for w in report["weeks"])
    periods = _periods(hall, [w["monday"] for w in report["weeks"]])
    body = (f'<nav class="links"><a href="/halls/{hall}/dashboard">看板</a></nav>{periods}'
            + (f"<h2>各周</h2><ul>{items}</ul>" if items else "<p>尚无数据。</p>"))
    return page(f"{report['hall_name']} 各周通报", body, ("/", "全部大厅"))


def _periods(hall: str, mondays: list[str]) -> str:
    """Links to the months, quarters and years the hall's weeks count for (by Thursday)."""
    months, quarters, years = [], [], []
    for m in mondays:
        th = date.fromisoformat(m) + timedelta(days=3)
        for seq, label in ((months, f"{th.year}-{th.month:02d}"), (quarters, f"{th.year}-Q{(th.month - 1) // 3 + 1}"),
                           (years, str(th.year))):
            if label not in seq:
                seq.append(label)
    if not months:
        return ""
    link = lambda kind, x: f'<a href="/halls/{hall}/{kind}/{_q(x)}">{_e(x)}</a>'
    return (f'<p>月评比：{" ".join(link("months", x) for x in months)}</p>'
            f'<p>季表彰：{" ".join(link("quarters", x) for x in quarters)}</p>'
            f'<p>年总结：{" ".join(link("years", x) for x in years)}</p>')


def _head(r: dict) -> str:
    return (f"<p>{_e(r['week'])}（{_e(r['monday'])} 至 {_e(r['sunday'])}）· 评分细则 "
            f"{_e(r['rubric_version'])} · 基础分 {_e(r['base_points'])}</p>")


def change(u: dict) -> str:
    """较上周: ↑2 / ↓1 / — / 新 (not ranked last week)."""
    c = u.get("rank_change")
    if u.get("previous_rank") is None:
        return '<span class="muted">新</span>'
    if c == 0:
        return "—"
    return f'<span class="up">↑{c}</span>' if c > 0 else f'<span class="down">↓{-c}</span>'


def ranking_page(r: dict) -> str:
    hall, week = _q(r["hall"]), _q(r["week"])
    rows = []
    for u in r["units"]:
        href = f"/halls/{hall}/weeks/{week}/units/{_q(u['unit'])}"
        veto = '<span class="veto">是</span>' if u["vetoed"] else ""
        rows.append(f'<tr><td class="num">{_e(u["rank"])}</td><td><a href="{href}">'
                    f'{_e(u["unit_name"])}</a></td><td class="num">{_e(u["score"])}</td>'
                    f'<td class="num">{_e(u["deductions"])}</td><td class="num">{_e(u["bonuses"])}</td>'
                    f"<td>{change(u)}</td><td>{veto}</td></tr>")
    table = ("<table><tr><th>名次</th><th>窗口单位</th><th>得分</th><th>扣分</th><th>加分</th>"
             f"<th>较上周</th><th>一票否决</th></tr>{''.join(rows)}</table>") if rows else "<p>本周无数据。</p>"
    links = (f'<nav class="links"><a href="/halls/{hall}/weeks/{week}/bulletin">周通报（打印/发布）</a>'
             f'<a href="/v1/halls/{hall}/weeks/{week}/bulletin.xlsx">导出 Excel</a>'
             f'<a href="/halls/{hall}/dashboard?week={week}">看板</a></nav>')
    return page(f"{r['hall_name']} 周通报", _head(r) + links + table, (f"/halls/{hall}", "各周通报"))


def _source(ev: dict | None) -> str:
    if ev is None:
        return '<span class="muted">（无原始事件）</span>'
    payload = json.dumps(ev["payload"], ensure_ascii=False, indent=1)
    return (f"{_e(EVENT.get(ev['type'], ev['type']))} {_t(ev['occurred_at'])}<br>"
            f"设备 {_e(ev['device'])} · 人员 {_e(ev['staff'] or '—')}<br>"
            f'<span class="muted">{_e(ev["event_id"])}</span><pre>{_e(payload)}</pre>')


def unit_page(d: dict) -> str:
    rows = []
    for line in d["lines"]:
        seed = line["seed"]
        where = f" 第{line['seed_line']}行" if line.get("seed_line") else ""
        text = f"<br>释义：{_e(line['rule_text'])}" if line.get("rule_text") else ""
        basis = (f"{_e(seed['quote'])}<br><span class=\"muted\">{_e(seed['file'])}{where}</span>{text}"
                 if seed else '<span class="muted">（细则中无此条）</span>')
        points = _e(line["points"]) + (
            "" if line["counted"] or line["kind"] == "veto" else '<br><span class="muted">不计分</span>')
        rows.append(f"<tr><td>{_t(line['occurred_at'])}</td><td>{_e(line['rule_name'] or line['rule_id'])}"
                    f'<br><span class="muted">{_e(line["rule_id"])}</span></td>'
                    f"<td>{_e(KIND.get(line['kind'], line['kind']))}</td>"
                    f'<td class="num">{points}</td>'
                    f"<td>{_e(STATUS.get(line['status'], line['status']))}</td>"
                    f"<td>{_e(line['staff'] or '—')}</td><td>{_e(line['detail'])}</td>"
                    f"<td>{basis}</td><td>{_source(line['source_event'])}</td></tr>")
    summary = (f"<p>名次 {_e(d['rank'] if d['rank'] is not None else '—')} · 得分 <b>{_e(d['score'])}</b>"
               f" · 扣分 {_e(d['deductions'])} · 加分 {_e(d['bonuses'])}"
               + (' · <span class="veto">一票否决</span>' if d["vetoed"] else "") + "</p>")
    table = ("<table><tr><th>时间</th><th>规则</th><th>类别</th><th>分值</th><th>状态</th>"
             "<th>人员</th><th>说明</th><th>依据（细则原文）</th><th>原始事件</th></tr>"
             f"{''.join(rows)}</table>") if rows else "<p>本周无扣分、加分记录，得基础分。</p>"
    back = (f"/halls/{_q(d['hall'])}/weeks/{_q(d['week'])}", f"{d['hall_name']} 周通报")
    return page(f"{d['unit_name']} · {d['hall_name']}", _head(d) + summary + table, back)
