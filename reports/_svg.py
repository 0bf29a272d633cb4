"""Inline SVG pictures for the HTML report (no scripts, no external fonts, escaped text)."""

from __future__ import annotations

from html import escape
from typing import Any

from reports._common import STATUS_LABELS, STATUSES, USE_CASE_LABELS, parse_time

__all__ = ["STATE_COLOURS", "STATUS_COLOURS", "timeline_strip", "use_case_chart"]

STATUS_COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "not_applicable": "#9e9e9e",
    "not_tested": "#ef8f00",
}
STATE_COLOURS = {
    "ACKNOWLEDGED": "#90a4ae",
    "IN_PROGRESS": "#1e88e5",
    "READY": "#2e7d32",
    "REJECTED": "#c62828",
    "UNABLE_TO_MEET_TIME": "#8e24aa",
    "ABANDONED": "#6d4c41",
}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def use_case_chart(rows: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal stacked bars: requirement statuses per use case, with a legend."""
    label_w, bar_w, row_h, top = 250, 440, 26, 30
    height = top + row_h * len(rows) + 10
    biggest = max((sum(c.values()) for _, c in rows), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {label_w + bar_w + 60} {height}" width="{label_w + bar_w + 60}" '
        f'height="{height}" aria-label="Requirement results by use case">'
    ]
    lx = label_w
    for status in STATUSES:
        parts.append(
            f'<rect x="{lx}" y="6" width="12" height="12" fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{lx + 16}" y="16" class="lg">{_e(STATUS_LABELS[status])}</text>'
        )
        lx += 110
    for n, (uc, counts) in enumerate(rows):
        y = top + n * row_h
        total = sum(counts.values())
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="lb">'
            f"{_e(USE_CASE_LABELS.get(uc, 'UC' + uc))}</text>"
        )
        x = float(label_w)
        for status in STATUSES:
            count = counts.get(status, 0)
            if not count:
                continue
            w = bar_w * count / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{STATUS_COLOURS[status]}" data-uc="{_e(uc)}" data-status="{status}">'
                f"<title>{_e(USE_CASE_LABELS.get(uc, uc))}: {count} {_e(STATUS_LABELS[status])}"
                f"</title></rect>"
            )
            if w >= 18:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 16}" text-anchor="middle" class="in">'
                    f"{count}</text>"
                )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" class="lb">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline_strip(entries: list[dict[str, Any]]) -> str:
    """A time axis for one POQ: coloured spans per observed state, a mark per observation."""
    times = [parse_time(e.get("time")) for e in entries]
    known = [t for t in times if t is not None]
    if not entries or not known:
        return ""
    start, end = min(known), max(known)
    span = (end - start).total_seconds() or 1.0
    width, left, right = 640, 10, 10
    inner = width - left - right

    def xpos(i: int) -> float:
        t = times[i]
        frac = 0.0 if t is None else (t - start).total_seconds() / span
        return left + inner * frac

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" viewBox="0 0 {width} 46" '
        f'width="{width}" height="46" role="img" aria-label="Observed states over time">'
    ]
    state = None
    for i, entry in enumerate(entries):
        x0 = xpos(i)
        x1 = xpos(i + 1) if i + 1 < len(entries) else width - right
        state = entry.get("poq_state") or state  # a stateless event keeps the last state
        colour = STATE_COLOURS.get(str(state), "#bdbdbd")
        parts.append(
            f'<rect x="{x0:.1f}" y="14" width="{max(x1 - x0, 2):.1f}" height="12" '
            f'fill="{colour}"><title>{_e(state or "-")}</title></rect>'
        )
    for i, entry in enumerate(entries):
        x = xpos(i)
        source = str(entry.get("source"))
        if source == "notification":
            mark = f'<path d="M{x:.1f} 30 l5 9 h-10 z" class="mk-nt"/>'
        elif source == "create":
            mark = f'<rect x="{x - 4:.1f}" y="31" width="8" height="8" class="mk-cr"/>'
        else:
            mark = f'<circle cx="{x:.1f}" cy="35" r="4" class="mk-po"/>'
        said = entry.get("poq_state") or entry.get("event") or "-"
        parts.append(f"<g><title>{_e(source)}: {_e(said)}</title>{mark}</g>")
    parts.append(
        f'<text x="{left}" y="10" class="ax">0 s</text>'
        f'<text x="{width - right}" y="10" text-anchor="end" class="ax">+{span:.1f} s</text>'
        "</svg>"
    )
    return "".join(parts)
