"""Trend over weeks as inline SVG (no script, no library): one polyline per series."""
from __future__ import annotations

from decimal import Decimal
from html import escape

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 44, 12, 12, 28


def trend_svg(weeks: list[str], series: list[tuple[str, list[Decimal | None], str]], title: str) -> str:
    """weeks: x labels; series: (label, values aligned with weeks, css class)."""
    values = [v for _, vs, _ in series for v in vs if v is not None]
    if not weeks or not values:
        return '<p class="muted">暂无趋势数据。</p>'
    lo, hi = float(min(values)), float(max(values))
    lo, hi = (lo - 1, hi + 1) if hi - lo < 2 else (lo, hi)
    pad = (hi - lo) * 0.1
    lo, hi = lo - pad, hi + pad
    step = (W - LEFT - RIGHT) / max(len(weeks) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step if len(weeks) > 1 else (W - RIGHT + LEFT) / 2

    def y(v: Decimal) -> float:
        return TOP + (hi - float(v)) / (hi - lo) * (H - TOP - BOTTOM)

    parts = [f'<svg class="trend" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" class="axis"/>']
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        parts.append(f'<text x="{LEFT - 4}" y="{y(Decimal(str(v))) + 4:.1f}" text-anchor="end" class="tick">{v:.1f}</text>')
    for i, w in enumerate(weeks):
        parts.append(f'<text x="{x(i):.1f}" y="{H - 8}" text-anchor="middle" class="tick">{escape(w[-3:])}</text>')
    for label, vs, css in series:
        pts = [(x(i), y(v)) for i, v in enumerate(vs) if v is not None]
        if len(pts) > 1:
            parts.append(f'<polyline class="{escape(css)}" fill="none" points="'
                         + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        for (a, b), v in zip(pts, [v for v in vs if v is not None]):
            parts.append(f'<circle class="{escape(css)}" cx="{a:.1f}" cy="{b:.1f}" r="3">'
                         f"<title>{escape(label)} {v}</title></circle>")
    legend = " ".join(f'<span class="key {escape(css)}">■ {escape(label)}</span>' for label, _, css in series)
    return "".join(parts) + f"</svg><p class=\"legend\">{legend}</p>"
