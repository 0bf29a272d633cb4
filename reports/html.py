"""HTML writer: one self-contained file (inline CSS, JS and SVG; no network) a buyer can open
from disk. Exchanges travel as inert JSON and become DOM only when someone expands them."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reports._common import (
    LEVELS,
    STATUS_LABELS,
    STATUSES,
    USE_CASE_LABELS,
    counts_by_level,
    counts_by_status,
    counts_by_use_case,
    failed_musts,
    parse_time,
    run_title,
    use_case_groups,
    verdict_line,
)
from reports._exchanges import embed_json, prepare_records
from reports._mask import mask_url
from reports._svg import STATUS_COLOURS, timeline_strip, use_case_chart

__all__ = ["render_html", "write_html"]


def _resource(name: str) -> str:
    return resources.files("reports.templates").joinpath(name).read_text("utf-8")


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_resource),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html")


def _meta(doc: dict[str, Any]) -> list[tuple[str, str]]:
    run = doc.get("run") or {}
    started, finished = parse_time(run.get("started")), parse_time(run.get("finished"))
    rows = [("Kind", "buyer report" if doc.get("kind") == "buyer" else "seller run")]
    if doc.get("kind") == "buyer" and run.get("buyer"):
        rows.append(("Buyer", str(run["buyer"])))
    rows += [
        ("Seller", mask_url(run.get("seller") or "-")),
        ("API", str(run.get("api") or "-")),
        ("Profile", str(run.get("profile") or "-")),
        ("Tool version", f"poq-conformance {run.get('tool_version') or '?'}"),
        ("Started", str(run.get("started") or "-")),
        ("Finished", str(run.get("finished") or "-")),
    ]
    if started and finished:
        rows.append(("Duration", f"{(finished - started).total_seconds():.1f} s"))
    if run.get("use_cases"):
        rows.append(("Use cases run", ", ".join(str(u) for u in run["use_cases"])))
    if "mock" in run:
        rows.append(("Against the bundled mock", "yes" if run.get("mock") else "no"))
    return rows


def _evidence_label(index: dict[str, dict[str, Any]], ref: str) -> tuple[str, str]:
    item = index.get(ref)
    if item is None:
        return "missing", f"{ref} (not recorded in this document)"
    if "method" in item:
        status = (item.get("response") or {}).get("status")
        arrow = (
            f" -> {status}"
            if status is not None
            else (" -> no response" if item.get("error") else "")
        )
        return "ex", f"{ref}: {item.get('method')} {mask_url(item.get('url'))}{arrow}"
    return "nt", f"{ref}: notification {mask_url(item.get('path'))}"


def _checks(req: dict[str, Any], index: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for check in req.get("checks") or []:
        evidence = []
        for ref in check.get("evidence") or []:
            kind, label = _evidence_label(index, str(ref))
            evidence.append({"ref": str(ref), "kind": kind, "label": label})
        out.append({**check, "evidence": evidence})
    return out


def _search_text(req: dict[str, Any]) -> str:
    bits = [
        req.get("id"),
        req.get("level"),
        req.get("actor"),
        req.get("section"),
        req.get("paraphrase"),
        req.get("reason"),
    ]
    bits += [c.get("message") for c in req.get("checks") or []]
    bits += [c.get("test") for c in req.get("checks") or []]
    return " ".join(str(b) for b in bits if b).lower()


def _timelines(doc: dict[str, Any], index: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tl in doc.get("timelines") or []:
        entries = tl.get("entries") or []
        times = [parse_time(e.get("time")) for e in entries]
        first = next((t for t in times if t is not None), None)
        rows = []
        for entry, t in zip(entries, times, strict=True):
            ref = entry.get("ref")
            kind, label = _evidence_label(index, str(ref)) if ref else ("", "")
            rows.append(
                {
                    **entry,
                    "offset": (f"+{(t - first).total_seconds():.1f} s" if t and first else ""),
                    "ref_kind": kind,
                    "ref_label": label,
                    "item_list": sorted((entry.get("item_states") or {}).items()),
                    # a v7 event names no state: show what it announced, never "None"
                    "shown_state": entry.get("poq_state") or entry.get("event") or "-",
                }
            )
        states: list[str] = []
        for entry in entries:
            if entry.get("poq_state") is None:
                continue  # an item event or a stateless v7 event changes no POQ state
            state = str(entry.get("poq_state"))
            if not states or states[-1] != state:
                states.append(state)  # the summary shows transitions, not every poll
        out.append(
            {
                "poq_id": tl.get("poq_id"),
                "test": tl.get("test"),
                "rows": rows,
                "states": states,
                "strip": Markup(timeline_strip(entries)),
            }
        )
    return out


def _context(doc: dict[str, Any]) -> dict[str, Any]:
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, dict)]
    records = prepare_records(doc.get("exchanges") or [], doc.get("notifications") or [])
    index = {str(e.get("id")): e for e in doc.get("exchanges") or []}
    index.update({str(n.get("id")): n for n in doc.get("notifications") or []})
    rows = {
        id(r): {
            **r,
            "checks_view": _checks(r, index),
            "search": _search_text(r),
            "ucs": " ".join(str(u) for u in r.get("use_cases") or []) or "general",
        }
        for r in requirements
    }
    groups = [
        (
            uc,
            USE_CASE_LABELS.get(uc, f"UC{uc}"),
            [rows[id(r)] for r in reqs],
            counts_by_status(reqs),
        )
        for uc, reqs in use_case_groups(requirements)
    ]
    failures = [rows[id(r)] for r in requirements if r.get("status") == "fail"]
    js = _resource("report.js")
    script_hash = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    kind = "Buyer" if doc.get("kind") == "buyer" else "Seller"
    verdict, tone = verdict_line(doc)
    return {
        "verdict": verdict,
        "verdict_tone": tone,
        "incomplete": (doc.get("summary") or {}).get("incomplete") or [],
        "title": f"POQ conformance report: {run_title(doc)}",
        "heading": f"{kind} conformance report",
        "subject": run_title(doc),
        "meta": _meta(doc),
        "counts": counts_by_status(requirements),
        "by_level": counts_by_level(requirements),
        "must_failed": len(failed_musts(requirements)),
        "total": len(requirements),
        "statuses": STATUSES,
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "levels": LEVELS,
        "chart": Markup(use_case_chart(counts_by_use_case(requirements))),
        "failures": failures,
        "timelines": _timelines(doc, index),
        "schema_deviations": [d for d in doc.get("schema_deviations") or []
                              if isinstance(d, dict)],
        "groups": groups,
        "tests": doc.get("tests") or [],
        "n_exchanges": len(records["exchanges"]),
        "n_notifications": len(records["notifications"]),
        "data": Markup(embed_json(records)),
        "css": Markup(_resource("report.css")),
        "js": Markup(js),
        "script_hash": script_hash,
    }


def render_html(doc: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    return str(_template().render(**_context(doc)))


def write_html(doc: dict[str, Any], path: str | Path) -> Path:
    """Write the HTML report to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(doc), encoding="utf-8")
    return path
