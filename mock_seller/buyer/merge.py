"""Buyer logs (``Recorder.snapshot``) of several mock processes as one: a buyer behind a load
balancer is one buyer, whichever process served each request (sandbox/shared.py)."""

from __future__ import annotations

from typing import Any

PROCESS_STRIDE = 1_000_000_000  # exchange ids of the n-th process: ex-<n * stride + own number>


def _renumber(ex_id: str, process: int) -> str:
    prefix, _, number = ex_id.partition("-")
    if not process or not number.isdigit():
        return ex_id
    return f"{prefix}-{process * PROCESS_STRIDE + int(number)}"


def _renumbered(log: dict[str, Any], process: int) -> dict[str, Any]:
    """A copy of one process's log with exchange ids unique across processes."""
    def ids(values: list[str]) -> list[str]:
        return [_renumber(v, process) for v in values]

    return {
        "name": log["name"],
        "exchanges": [{**e, "id": _renumber(e["id"], process)} for e in log["exchanges"]],
        "requirements": {rid: {"counts": dict(r["counts"]),
                               "checks": [{**c, "evidence": ids(c["evidence"])}
                                          for c in r["checks"]]}
                         for rid, r in log["requirements"].items()},
        "kinds": {k: {key: (_renumber(v, process) if key.startswith("last_") and v else v)
                      for key, v in seen.items()} for k, seen in log["kinds"].items()},
        "apis": dict(log["apis"]),
    }


def _fold(into: dict[str, Any], log: dict[str, Any]) -> None:
    into["exchanges"] += log["exchanges"]
    for rid, req in log["requirements"].items():
        mine = into["requirements"].setdefault(rid, {"counts": {"pass": 0, "fail": 0},
                                                     "checks": []})
        for status, n in req["counts"].items():
            mine["counts"][status] = mine["counts"].get(status, 0) + n
        mine["checks"] += req["checks"]
    for kind, seen in log["kinds"].items():
        mine = into["kinds"].setdefault(kind, {"valid": 0, "invalid": 0, "last": None})
        for key, value in seen.items():
            if key in ("valid", "invalid"):
                mine[key] = mine.get(key, 0) + value
            elif value is not None:
                mine[key] = value
    for api, n in log["apis"].items():
        into["apis"][api] = into["apis"].get(api, 0) + n


def merge_logs(per_process: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One log per buyer from each process's logs (the first list keeps its exchange ids)."""
    merged: dict[str, dict[str, Any]] = {}
    for process, logs in enumerate(per_process):
        for log in logs:
            copy = _renumbered(log, process)
            if log["name"] in merged:
                _fold(merged[log["name"]], copy)
            else:
                merged[log["name"]] = copy
    return list(merged.values())


__all__ = ["merge_logs"]
