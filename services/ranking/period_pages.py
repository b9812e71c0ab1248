"""Pages of the longer periods and wider scopes: 月评比, 季表彰, 年总结, and a week across
a tier or a county. Every score links down to the weeks (and so to the ledger lines)."""
from __future__ import annotations

from .pages import _e, _q, change, page

KIND_NAMES = {"week": "周排名", "month": "月评比", "quarter": "季表彰", "year": "年总结"}
RESULT = {True: "合格", False: '<span class="veto">一票否决，不合格</span>', None: "待录入"}


def _unit(u: dict, multi: bool) -> str:
    hall = f"<td>{_e(u['hall_name'])}</td>" if multi else ""
    return f"{hall}<td>{_e(u['unit_name'])}</td>"


def _week_link(u: dict, week: str, text: str) -> str:
    return (f'<a href="/halls/{_q(u["hall"])}/weeks/{_q(week)}/units/{_q(u["unit"])}">{_e(text)}</a>')


def _veto(u: dict) -> str:
    return '<span class="veto">是</span>' if u.get("vetoed") else ""


def _rows(r: dict, multi: bool) -> tuple[str, str]:
    kind = r["kind"]
    hall_th = "<th>大厅</th>" if multi else ""
    if kind == "week":
        head = f"<th>名次</th>{hall_th}<th>窗口单位</th><th>得分</th><th>扣分</th><th>加分</th><th>较上周</th><th>一票否决</th>"
        rows = [f'<td class="num">{_e(u["rank"])}</td>{_unit(u, multi)}<td class="num">'
                f'{_week_link(u, r["period"], u["score"])}</td><td class="num">{_e(u["deductions"])}</td>'
                f'<td class="num">{_e(u["bonuses"])}</td><td>{change(u)}</td><td>{_veto(u)}</td>' for u in r["units"]]
    elif kind == "month":
        head = f"<th>名次</th>{hall_th}<th>窗口单位</th><th>月得分</th><th>各周得分（周均）</th><th>一票否决</th>"
        rows = [f'<td class="num">{_e(u["rank"])}</td>{_unit(u, multi)}<td class="num">{_e(u["score"])}</td><td>'
                + " ".join(f'{_e(w["week"][5:])}:{_week_link(u, w["week"], w["score"])}' for w in u["weeks"])
                + f"</td><td>{_veto(u)}</td>" for u in r["units"]]
    elif kind == "quarter":
        head = f"<th>名次</th>{hall_th}<th>窗口单位</th><th>季度得分</th><th>各月得分（月均）</th><th>一票否决</th>"
        rows = [f'<td class="num">{_e(u["rank"])}</td>{_unit(u, multi)}<td class="num">{_e(u["score"])}</td><td>'
                + " ".join(f'<a href="/halls/{_q(u["hall"])}/months/{_q(m["month"])}">{_e(m["month"])}</a>:'
                           f'{_e(m["score"])}' for m in u["months"])
                + f"</td><td>{_veto(u)}</td>" for u in r["units"]]
    else:
        names = "".join(f"<th>{_e(c['name'])}（{_e(c['share'])}）</th>" for c in r["components"])
        head = f"<th>名次</th>{hall_th}<th>窗口单位</th>{names}<th>年度总分</th><th>结果</th>"
        rows = [f'<td class="num">{_e(u["rank"] or "—")}</td>{_unit(u, multi)}'
                + "".join(f'<td class="num">{_e(c["value"] or "未录入")}'
                          + (f'<br><span class="muted">折合 {_e(c["weighted"])}</span>' if c["weighted"] else "")
                          + "</td>" for c in u["components"])
                + f'<td class="num">{_e(u["total"] or "—")}</td><td>{RESULT[u["passed"]]}</td>' for u in r["units"]]
    return head, "".join(f"<tr>{x}</tr>" for x in rows)


def _awards(r: dict) -> str:
    a = r.get("awards")
    if not a:
        return ""
    windows = "".join(f'<li>第{_e(w["rank"])}名 {_e(w["unit_name"])}（{_e(w["score"])}）</li>'
                      for w in a["quality_windows"]) or "<li>无</li>"
    stars = "".join(
        f'<tr><td class="num">{_e(s["rank"])}</td><td>{_e(s["staff"])}</td><td>{_e(s["unit_name"])}'
        + (' <span class="veto">（单位被一票否决）</span>' if s["unit_vetoed"] else "")
        + f'</td><td class="num">{_e(s["score"])}</td><td class="num">{_e(s["occurrences"])}</td>'
        f'<td class="num">{_e(s["praised"])}</td><td class="num">{_e(s["transactions"])}</td></tr>'
        for s in a["service_stars"])
    return (f"<h2>优质窗口（前{_e(a['n'])}名，一票否决单位不参评）</h2><ul>{windows}</ul>"
            f"<h2>服务之星（前{_e(a['n'])}名）</h2><table><tr><th>名次</th><th>工作人员</th><th>窗口单位</th>"
            "<th>季度个人得分</th><th>扣分次数</th><th>非常满意</th><th>办件量</th></tr>"
            f"{stars}</table><p class=\"muted\">个人得分 = 基础分 + 季度内记在本人名下的扣分和加分；"
            "同分时依次比较扣分次数少、非常满意评价多、办件量多。</p>")


def period_page(r: dict) -> str:
    scope = r["scope"]
    multi = scope["kind"] != "hall"
    head, rows = _rows(r, multi)
    table = f"<table><tr>{head}</tr>{rows}</table>" if rows else "<p>本期无数据。</p>"
    skipped = (f'<p class="muted">未纳入（评分细则不适用）：{_e("、".join(scope["skipped_halls"]))}</p>'
               if scope["skipped_halls"] else "")
    vetoes = "".join(f'<li><span class="veto">{_e(v["unit_name"])}</span>：{_e(v["rule_name"] or v["rule_id"])}'
                     f'（{_e(v["occurred_at"][:10])}）</li>' for v in r["vetoes"])
    info = (f"<p>{_e(r['first_day'])} 至 {_e(r['last_day'])}，共 {len(r['weeks'])} 周（每周按其周四所在月份计）"
            f" · 评分细则 {_e(r['rubric_version'])}</p>")
    body = (info + skipped + table + _awards(r)
            + (f"<h2>一票否决</h2><ul>{vetoes}</ul>" if vetoes else ""))
    back = (f"/halls/{_q(scope['id'])}", "返回") if scope["kind"] == "hall" else ("/", "返回首页")
    return page(f"{scope['name']} {r['title']}{KIND_NAMES[r['kind']]}", body, back)
