"""Server-side SVG charts for the statistics dashboard (no JavaScript, no CDN)."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLORS = ["#0b4f9c", "#1e7e34", "#c0392b", "#b8860b", "#6c5ce7"]


def bar_chart(rows: list[dict], *, label: str, series: list[tuple[str, str]], title: str) -> str:
    """Horizontal grouped bars: one group per row, one bar per (key, caption) in ``series``."""
    if not rows:
        return mark_safe('<p class="muted">暂无数据。</p>')  # noqa: S308 - constant
    peak = max((r.get(k) or 0) for r in rows for k, _ in series) or 1
    bar_h, gap, left, width = 14, 10, 200, 420
    group_h = bar_h * len(series) + gap
    height = group_h * len(rows) + 40
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {left + width + 60} {height}" '
        f'width="100%" style="max-width:{left + width + 60}px" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (_key, caption) in enumerate(series):
        x = left + i * 110
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="13" font-size="11">{escape(caption)}</text>')
    for r_index, row in enumerate(rows):
        y0 = 30 + r_index * group_h
        parts.append(
            f'<text x="{left - 6}" y="{y0 + bar_h}" font-size="12" text-anchor="end">{escape(str(row[label]))[:40]}</text>'
        )
        for s_index, (key, _caption) in enumerate(series):
            value = row.get(key) or 0
            w = max(1, int(width * value / peak)) if value else 0
            y = y0 + s_index * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h - 2}" fill="{COLORS[s_index % len(COLORS)]}"/>'
            )
            parts.append(f'<text x="{left + w + 4}" y="{y + bar_h - 3}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped
