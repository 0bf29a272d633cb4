"""Markdown writer: a short, link-free summary for a pull-request comment or
$GITHUB_STEP_SUMMARY (counts per level, then every failed MUST with its messages)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reports._common import (
    STATUS_LABELS,
    STATUSES,
    counts_by_level,
    counts_by_status,
    failed_musts,
    run_title,
    verdict_line,
)
from reports._mask import mask_url

__all__ = ["render_markdown", "write_markdown"]

MAX_LISTED = 40  # failed MUSTs listed in full; a PR comment must stay short
_MSG_MAX = 400
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _text(value: object) -> str:
    """Plain text safe in Markdown: special characters escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _code(value: object, limit: int = _MSG_MAX) -> str:
    """An inline code span (never rendered as a link), fenced with enough backticks."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(doc: dict[str, Any]) -> str:
    """The summary as Markdown text."""
    run = doc.get("run") or {}
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, dict)]
    counts = counts_by_status(requirements)
    musts = failed_musts(requirements)
    verdict = verdict_line(doc)[0]
    kind = "Buyer" if doc.get("kind") == "buyer" else "Seller"
    title = run_title(doc).split(" ", 1)
    lines = [
        f"## POQ conformance ({kind.lower()}): {_text(verdict)}",
        "",
        f"{kind} under test: {_code(mask_url(title[1]) if len(title) > 1 else title[0])}"
        f" · API {_code(run.get('api') or '-')}"
        f" · profile {_code(run.get('profile') or '-')}",
        "",
        f"poq-conformance {_text(run.get('tool_version') or '?')}"
        f" · started {_text(run.get('started') or '-')}"
        + (
            f" · use cases {_text(', '.join(map(str, run['use_cases'])))}"
            if run.get("use_cases")
            else ""
        ),
        "",
        "| Level | " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " | Total |",
        "| --- | " + " | ".join("---:" for _ in STATUSES) + " | ---: |",
    ]
    for level, c in counts_by_level(requirements).items():
        lines.append(
            f"| {_text(level)} | "
            + " | ".join(str(c[s]) for s in STATUSES)
            + f" | {sum(c.values())} |"
        )
    lines.append(
        "| **All** | "
        + " | ".join(f"**{counts[s]}**" for s in STATUSES)
        + f" | **{len(requirements)}** |"
    )
    lines.append("")
    if musts:
        lines.append(f"### Failed MUST requirements ({len(musts)})")
        lines.append("")
        for req in musts[:MAX_LISTED]:
            lines.append(
                f"- **{_text(req.get('id'))}** ({_text(req.get('level'))}, section "
                f"{_text(req.get('section') or '-')}): {_text(req.get('paraphrase') or '')}"
            )
            for check in req.get("checks") or []:
                if check.get("status") == "fail":
                    lines.append(
                        f"  - {_code(check.get('message') or 'failed')}"
                        f" in {_code(check.get('test') or '?', 200)}"
                    )
        if len(musts) > MAX_LISTED:
            lines.append(f"- ... and {len(musts) - MAX_LISTED} more (see the HTML report)")
        lines.append("")
    else:
        lines += ["No MUST requirement failed.", ""]
    lines += _incomplete(doc)
    lines += _schema_section(doc)
    return "\n".join(lines)


def _incomplete(doc: dict[str, Any]) -> list[str]:
    """Why the run is incomplete, one line per group of unjudged requirements."""
    gaps = (doc.get("summary") or {}).get("incomplete") or []
    if not gaps:
        return []
    lines = ["### Not judged", ""]
    for gap in gaps:
        ids = ", ".join(gap.get("ids") or [])
        lines.append(f"- **{_text(gap.get('label'))}**" + (f": {_text(ids)}" if ids else ""))
        lines += [f"  - {_code(d, 300)}" for d in (gap.get("details") or [])[:MAX_LISTED]]
    return [*lines, ""]


def _schema_section(doc: dict[str, Any]) -> list[str]:
    """API-schema deviations: findings about the API definition, apart from the IDs."""
    found = [d for d in doc.get("schema_deviations") or [] if isinstance(d, dict)]
    if not found:
        return []
    hard = [d for d in found if not d.get("accepted")]
    lines = [f"### API schema deviations ({len(hard)})", "",
             "Not MEF 79.1 requirements: answers breaking the dialect's schema, and "
             "schema-breaking requests the seller accepted (gate: `--fail-on-schema`).", ""]
    for dev in hard[:MAX_LISTED]:
        lines.append(f"- {_text(dev.get('direction'))} {_code(dev.get('type'))} "
                     f"[{_text(dev.get('exchange') or '-')}]: "
                     f"{_code('; '.join(dev.get('violations') or []))}")
    if len(hard) > MAX_LISTED:
        lines.append(f"- ... and {len(hard) - MAX_LISTED} more (see results.json)")
    for dev in found:
        if dev.get("accepted"):
            lines.append(f"- note: {_text(dev.get('note') or '')}")
    lines.append("")
    return lines


def write_markdown(doc: dict[str, Any], path: str | Path) -> Path:
    """Write the Markdown summary to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(doc), encoding="utf-8")
    return path
