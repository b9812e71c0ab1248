"""The 周通报 as an Excel workbook (openpyxl): what a hall manager prints or forwards.

Sheets: 周通报 (title, period, status, the ranking first to last), 扣分情况 (deductions
and bonuses per unit and rule), 一票否决, and 更正 when late lines restate a published
bulletin. Scores are written as numbers (two decimals), so Excel can sort and sum them.
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _num(text: str | None):
    return None if text in (None, "") else float(Decimal(text))


def _change(u: dict) -> str:
    c = u.get("rank_change")
    if u.get("previous_rank") is None:
        return "新"
    return "—" if c == 0 else (f"↑{c}" if c > 0 else f"↓{-c}")


def _table(ws, start_row: int, header: list[str], rows: list[list], widths: list[int]) -> None:
    for col, text in enumerate(header, start=1):
        cell = ws.cell(row=start_row, column=col, value=text)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for r, row in enumerate(rows, start=start_row + 1):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, float):
                cell.number_format = "0.00"
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def workbook(view: dict) -> bytes:
    b = view["bulletin"]
    wb = Workbook()
    ws = wb.active
    ws.title = "周通报"
    ws["A1"] = b["title"]
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"考核周期：{b['monday']} 至 {b['sunday']}（{b['week']}） 评分细则：{b['rubric_version']}"
    pub = view.get("published")
    ws["A3"] = (f"已发布：{pub['published_at']}" + (f"（{pub['published_by']}）" if pub["published_by"] else "")
                if pub else "草稿（未发布，数据仍可能变化）")
    rows = [[u["rank"], u["unit_name"], _num(u["score"]), _num(u["deductions"]), _num(u["bonuses"]),
             _change(u), "是" if u["vetoed"] else ""] for u in b["units"]]
    _table(ws, 5, ["名次", "窗口单位", "得分", "扣分", "加分", "较上周", "一票否决"], rows, [6, 28, 9, 9, 9, 8, 9])

    ws = wb.create_sheet("扣分情况")
    rows = [[d["unit_name"], i["rule_name"] or i["rule_id"], i["rule_id"], "加分" if i["kind"] == "bonus" else "扣分",
             i["count"], _num(i["points"])] for d in b["deductions_summary"] for i in d["items"]]
    _table(ws, 1, ["窗口单位", "考核项目", "规则编号", "类别", "次数", "分值"], rows, [28, 36, 22, 6, 6, 9])

    ws = wb.create_sheet("一票否决")
    rows = [[v["unit_name"], v["rule_name"] or v["rule_id"], v["occurred_at"][:19].replace("T", " "), v["source_id"]]
            for v in b["vetoes"]]
    _table(ws, 1, ["窗口单位", "否决事项", "发生时间", "来源事件"], rows, [28, 36, 20, 24])

    r = view.get("restatement")
    if r:
        ws = wb.create_sheet("更正")
        ws["A1"] = f"更正（截至 {r['as_of'][:19].replace('T', ' ')}）：发布后到达的数据，已发布的名次和得分不变"
        rows = []
        for u in r["units"]:
            was, now = u["published"] or {}, u["now"] or {}
            rows.append([u["unit_name"], was.get("rank"), _num(was.get("score")), now.get("rank"),
                         _num(now.get("score")), "；".join(f"{x['rule_name'] or x['rule_id']} {x['points']}"
                                                        f"（{x['status']}，{x['source_id']}）" for x in u["lines"])])
        _table(ws, 3, ["窗口单位", "发布名次", "发布得分", "现名次", "现得分", "发布后到达的记录"], rows,
               [28, 9, 9, 9, 9, 80])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
