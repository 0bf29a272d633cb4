"""API-schema deviations: answers that break the dialect's official schema, and requests
breaking it that the seller accepted. They are findings about the API definition, not
about a MEF 79.1 requirement, so they go into their own results section
(``schema_deviations``) with their own gate (``poq-conformance run --fail-on-schema``)
instead of failing a requirement ID.

Where the official schema contradicts itself the harness accepts both readings and says
so: v7 types ``ProductOfferingQualification_Find.requestedPOQCompletionDate`` as ``date``
while the POQ itself carries it as ``date-time``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.checks.listing import parse_day, parse_instant
from schemas.validation import Violation, validate

MAX_SHOWN = 5
LIST_SAMPLE = 50  # rows of a list answer checked against the schema, spread evenly
V7_FIND_DATE = (
    "v7 ProductOfferingQualification_Find.requestedPOQCompletionDate is format date in the "
    "official schema while the POQ carries the same attribute as date-time: both accepted")
# (api, type) -> attribute whose format the official schema states two ways
_SELF_CONTRADICTIONS = {("v7", "ProductOfferingQualification_Find"): (
    "/requestedPOQCompletionDate", V7_FIND_DATE)}


def _contradiction(api: str, type_name: str, instance: Any, violation: Violation) -> str | None:
    """The note when ``violation`` is one side of a schema contradicting itself."""
    known = _SELF_CONTRADICTIONS.get((api, type_name))
    if known is None or violation.pointer != known[0] or not isinstance(instance, dict):
        return None
    value = instance.get(known[0].lstrip("/"))
    readable = parse_instant(value) is not None or parse_day(value) is not None
    return known[1] if readable else None


class SchemaFindings:
    """Collects deviations for one run; ``sink`` receives each entry (results section)."""

    def __init__(self, api: str, sink: Callable[[dict[str, Any]], None],
                 current_test: Callable[[], str | None] = lambda: None) -> None:
        self.api = api
        self._sink = sink
        self._current_test = current_test
        self._noted: set[str] = set()  # a self-contradiction is noted once per run
        self._seen: set[tuple[str, str, tuple[str, ...]]] = set()  # one entry per finding

    def response(self, exchange: Any, type_name: str, list_of: bool = False) -> list[str]:
        """Validate a 2xx answer body (a list of ``type_name`` when ``list_of``) and record
        what breaks the schema; returns the recorded violations."""
        body = exchange.json
        if list_of:
            if not isinstance(body, list):
                return self._record(exchange, "response", type_name,
                                    [f"HTTP {exchange.status}: body is not a list"], [])
            pairs = [(f"/{n}", body[n]) for n in sample_rows(len(body))]
        else:
            pairs = [("", body)]
        hard: list[str] = []
        notes: list[str] = []
        for prefix, instance in pairs:
            for violation in validate(self.api, type_name, instance):
                note = _contradiction(self.api, type_name, instance, violation)
                text = f"{prefix}{violation.pointer}: {violation.message}"
                (notes if note else hard).append(note or text)
        return self._record(exchange, "response", type_name, hard, notes)

    def error_response(self, exchange: Any, problems: list[str]) -> None:
        """A failure answer whose body breaks the dialect's Error schema."""
        self._record(exchange, "response", f"Error (HTTP {exchange.status})", problems, [])

    def accepted_request(self, exchange: Any, type_name: str, problems: list[str]) -> None:
        """A request that breaks the schema was accepted (2xx) instead of refused."""
        if problems:
            self._record(exchange, "request", type_name,
                         [f"accepted with HTTP {exchange.status}: {p}" for p in problems], [])

    def _record(self, exchange: Any, direction: str, type_name: str, hard: list[str],
                notes: list[str]) -> list[str]:
        base = {"test": self._current_test(), "exchange": getattr(exchange, "id", None),
                "direction": direction, "type": type_name,
                "status": getattr(exchange, "status", None)}
        key = (direction, type_name, tuple(v.split(":", 1)[0] for v in hard))
        if hard and key not in self._seen:  # the same answer polled again is one finding
            self._seen.add(key)
            self._sink({**base, "violations": hard[:MAX_SHOWN], "accepted": False,
                        "note": None})
        if notes and notes[0] not in self._noted:
            self._noted.add(notes[0])
            self._sink({**base, "violations": [], "accepted": True, "note": notes[0]})
        return hard


def gating_deviations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The deviations ``--fail-on-schema`` counts (tolerated contradictions excluded)."""
    return [d for d in doc.get("schema_deviations") or [] if not d.get("accepted")]



def sample_rows(count: int, size: int = LIST_SAMPLE) -> list[int]:
    """Indices of the rows to check: all of a short list, else ``size`` spread evenly from
    the first to the last (a list of millions is judged in bounded time)."""
    if count <= size:
        return list(range(count))
    step = (count - 1) / (size - 1)
    return sorted({round(i * step) for i in range(size)})


__all__ = ["LIST_SAMPLE", "V7_FIND_DATE", "SchemaFindings", "gating_deviations", "sample_rows"]
