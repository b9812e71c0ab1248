"""The printable 周通报 page: what is read aloud at the county meeting, first to last.

A4 print CSS, no script, no external resource. A published bulletin shows its frozen
numbers; late lines appear below them in a 更正 section, never in the table.
"""
from __future__ import annotations

from .pages import _e, _q, _t, change

_CSS = """body{font-family:"Noto Serif CJK SC","Source Han Serif SC","SimSun","WenQuanYi Zen Hei",serif;margin:2em auto;max-width:60em;
color:#000;line-height:1.5}h1{text-align:center;font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
.sub{text-align:center;margin:0 0 1em}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #000;padding:.25em .5em}th{background:#eee}td.num{text-align:right}
.veto{color:#b00;font-weight:bold}.up{color:#080}.down{color:#b00}.muted{color:#666}
.banner{border:1px solid #999;padding:.5em 1em;margin:1em 0}.draft{background:#fff6d5}.frozen{background:#eef6ee}
.restate{border:2px solid #b00;padding:.5em 1em;margin-top:1.5em}.restate h2{color:#b00;margin-top:.3em}
ul.ded{padding-left:1.2em;margin:.2em 0}footer{margin-top:2em;text-align:right}
@page{size:A4;margin:15mm}@media print{.noprint{display:none!important}body{margin:0;max-width:none;font-size:11pt}
.banner{border:none;padding:0;background:none}}"""


def _ranking(b: dict) -> str:
    rows = "".join(
        f'<tr><td class="num">{_e(u["rank"])}</td><td>{_e(u["unit_name"])}</td><td class="num">{_e(u["score"])}</td>'
        f'<td class="num">{_e(u["deductions"])}</td><td class="num">{_e(u["bonuses"])}</td><td>{change(u)}</td>'
        f'<td>{"<span class=veto>一票否决</span>" if u["vetoed"] else ""}</td></tr>' for u in b["units"])
    return ('<table id="ranking"><tr><th>名次</th><th>窗口单位</th><th>得分</th><th>扣分</th><th>加分</th>'
            f"<th>较上周</th><th>备注</th></tr>{rows}</table>") if rows else "<p>本周无数据。</p>"


def _deductions(b: dict) -> str:
    if not b["deductions_summary"]:
        return "<p>本周各单位无扣分、加分。</p>"
    items = []
    for d in b["deductions_summary"]:
        parts = "；".join(f"{_e(i['rule_name'] or i['rule_id'])} {_e(i['count'])}次 {_e(i['points'])}分"
                         for i in d["items"])
        items.append(f"<li><b>{_e(d['unit_name'])}</b>：{parts}</li>")
    return f'<ul class="ded">{"".join(items)}</ul>'


def _vetoes(b: dict) -> str:
    if not b["vetoes"]:
        return "<p>本年度截至本周无一票否决。</p>"
    return '<ul class="ded">' + "".join(
        f'<li><span class="veto">{_e(v["unit_name"])}</span>：{_e(v["rule_name"] or v["rule_id"])}'
        f'（{_t(v["occurred_at"])}），年度考核一票否决</li>' for v in b["vetoes"]) + "</ul>"


def _restatement(r: dict | None) -> str:
    if not r:
        return ""
    rows = []
    for u in r["units"]:
        was, now = u["published"] or {}, u["now"] or {}
        lines = "<br>".join(
            f"{_e(x['rule_name'] or x['rule_id'])} {_e(x['points'])}（{_t(x['occurred_at'])}，"
            f"设备 {_e((x['source_event'] or {}).get('device', '—'))}"
            + (f"，{_t(x['received_at'])} 到达" if x.get("received_at") else "") + "）"
            for x in u["lines"]) or '<span class="muted">（单位新增或名次随他人变化）</span>'
        rows.append(f'<tr><td>{_e(u["unit_name"])}</td><td class="num">{_e(was.get("rank", "—"))}</td>'
                    f'<td class="num">{_e(was.get("score", "—"))}</td><td class="num">{_e(now.get("rank", "—"))}</td>'
                    f'<td class="num">{_e(now.get("score", "—"))}</td><td>{lines}</td></tr>')
    table = ("<table><tr><th>窗口单位</th><th>通报名次</th><th>通报得分</th><th>更正后名次</th><th>更正后得分</th>"
             f"<th>发布后到达或变更的记录</th></tr>{''.join(rows)}</table>") if rows else ""
    other = r.get("lines_changed_elsewhere") or 0
    note = f"<p class=\"muted\">另有 {other} 条记录在发布后变更，未影响得分和名次。</p>" if other else ""
    return (f'<section class="restate" id="restatement"><h2>更正</h2><p>以下为本通报发布后到达的数据（设备离线补传、更正等），'
            f"截至 {_t(r['as_of'])}。上表为已发布的通报，名次和得分保持不变。</p>{table}{note}"
            + (f"<p>{_e(r['note'])}</p>" if r.get("note") else "") + "</section>")


def bulletin_page(view: dict) -> str:
    b, pub = view["bulletin"], view["published"]
    hall, week = _q(b["hall"]), _q(b["week"])
    if pub:
        banner = (f'<div class="banner frozen">已发布：{_t(pub["published_at"])}'
                  + (f"（{_e(pub['published_by'])}）" if pub["published_by"] else "")
                  + "。本通报已冻结，迟到的数据只在下方“更正”中列出。</div>")
    else:
        banner = ('<div class="banner draft">草稿：尚未发布，数据仍可能变化。'
                  f'<form class="noprint" method="post" action="/halls/{hall}/weeks/{week}/publish" '
                  'style="display:inline;margin-left:1em">发布人 <input name="published_by" size="10"> '
                  '<button type="submit">发布本周通报</button></form></div>')
    nav = (f'<p class="noprint"><a href="/halls/{hall}/weeks/{week}">← 返回</a> · '
           f'<a href="/v1/halls/{hall}/weeks/{week}/bulletin.xlsx">导出 Excel</a> · '
           '<a href="javascript:window.print()">打印</a></p>')
    body = (f"{nav}<h1>{_e(b['title'])}</h1><p class=\"sub\">考核周期：{_e(b['monday'])} 至 {_e(b['sunday'])}"
            f"（{_e(b['week'])}）</p>{banner}<h2>一、排名情况（第一名至最后一名）</h2>{_ranking(b)}"
            f"<h2>二、扣分情况</h2>{_deductions(b)}<h2>三、一票否决</h2>{_vetoes(b)}"
            f"{_restatement(view.get('restatement'))}"
            f"<footer>{_e(b['hall_name'])}<br><span class=\"muted\">评分细则 {_e(b['rubric_version'])}</span></footer>")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(b["title"])}</title>'
            f"<style>{_CSS}</style></head><body>{body}</body></html>")
