"""Build realistic results.json documents without running a seller: for tests, the bench and
the docs. Deterministic for a given seed, shaped exactly like the harness's output."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from reports._common import USE_CASES
from schemas.catalogue import load_catalogue
from schemas.results import Check, build_document

__all__ = ["HOSTILE_MARKUP", "sample_results"]

HOSTILE_MARKUP = '</script><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
_BASE = "/mefApi/sonata/productOfferingQualification/v8"
_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener"
_T0 = datetime(2026, 11, 20, 9, 30, 0, tzinfo=timezone.utc)


def _ts(offset_s: float) -> str:
    return (
        (_T0 + timedelta(seconds=offset_s))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _catalogue(kind: str) -> list[Any]:
    """The shipped catalogue (a buyer report covers only what a buyer must do)."""
    rows = list(load_catalogue())
    if kind == "buyer":
        rows = [r for r in rows if r.actor in ("buyer", "both")] or rows[:20]
    return rows


def _poq_body(poq_id: str, state: str, uc: str) -> dict[str, Any]:
    action = "modify" if uc == "2c" else "add"
    return {
        "id": poq_id,
        "href": f"{_BASE}/productOfferingQualification/{poq_id}",
        "state": state,
        "instantSyncQualification": False,
        "requestedPOQCompletionDate": _ts(3600),
        "relatedContactInformation": [
            {
                "role": "buyerContactInformation",
                "name": "Ana Buyer",
                "emailAddress": "ana@b.example",
                "number": "+1-555-0100",
            }
        ],
        "productOfferingQualificationItem": [
            {
                "id": "1",
                "action": action,
                "state": state,
                "product": {
                    "productOffering": {"id": "ACCESS-E-LINE-1G"},
                    "productConfiguration": {
                        "@type": "urn:mef:lso:spec:access-e-line:v1",
                        "bandwidth": {"amount": 1, "units": "Gbps"},
                    },
                    "place": [
                        {
                            "role": "INSTALL_LOCATION",
                            "@type": "FieldedAddress",
                            "city": "Lisbon",
                            "country": "PT",
                            "streetName": "Rua Augusta",
                        }
                    ],
                },
                "serviceabilityConfidence": "green",
                "installationInterval": {"amount": 10, "timeUnit": "businessDays"},
            }
        ],
    }


def _status_for(row: Any, rng: random.Random, fail_rate: float) -> str:
    if row.verification == "not-testable":
        return "not_tested"
    roll = rng.random()
    if roll < fail_rate:
        return "fail"
    if roll < fail_rate + 0.08:
        return "not_applicable"
    if roll < fail_rate + 0.12:
        return "not_tested"
    return "pass"


def sample_results(
    *,
    kind: str = "seller",
    seed: int = 1,
    exchanges: int = 60,
    fail_rate: float = 0.06,
    hostile: bool = False,
    big_body_bytes: int = 0,
) -> dict[str, Any]:
    """A complete results document: requirements, tests, exchanges, notifications, timelines.

    ``hostile`` plants markup and secrets in bodies, headers and messages (escaping and masking
    tests); ``big_body_bytes`` makes a few response bodies that large (truncation tests).
    """
    rng = random.Random(seed)
    rows = _catalogue(kind)
    tests: list[dict[str, Any]] = []
    exes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    timelines: list[dict[str, Any]] = []
    clock = [0.0]

    def tick(s: float) -> str:
        clock[0] += s
        return _ts(clock[0])

    uc_tests: dict[str, list[str]] = {}
    for uc in USE_CASES:
        module = "buyer_session" if kind == "buyer" else f"suites/test_uc{uc}.py"
        names = ["test_happy_path", "test_error_responses", "test_deferred_flow"]
        uc_tests[uc] = [f"{module}::{n}[v8-uc{uc}]" for n in names]
    all_tests = [t for ts in uc_tests.values() for t in ts]
    per_test = max(1, exchanges // len(all_tests))
    ex_by_test: dict[str, list[str]] = {t: [] for t in all_tests}
    n_ex = 0
    for t_index, nodeid in enumerate(all_tests):
        uc = USE_CASES[t_index // 3]
        count = per_test + (1 if t_index < exchanges - per_test * len(all_tests) else 0)
        poq_id = f"poq-{seed}-{t_index:03d}"
        for k in range(count):
            if n_ex >= exchanges:
                break
            n_ex += 1
            ex_id = f"ex-{n_ex}"
            create = k == 0
            state = "acknowledged" if create else rng.choice(("inProgress", "done", "done"))
            body = _poq_body(poq_id, state, uc)
            if big_body_bytes and n_ex % 50 == 1:
                body["note"] = "x" * big_body_bytes
            code = 201 if create else 200
            if "error" in nodeid and not create:
                code, body = (
                    404,
                    {
                        "code": "notFound",
                        "reason": "POQ not found",
                        "message": f"no POQ with id {poq_id}-missing",
                    },
                )
            exes.append(
                {
                    "id": ex_id,
                    "test": nodeid,
                    "method": "POST" if create else "GET",
                    "url": f"http://127.0.0.1:8731{_BASE}/productOfferingQualification"
                    + ("" if create else f"/{poq_id}"),
                    "request": {
                        "headers": {
                            "Content-Type": "application/json",
                            "Accept": "application/json",
                        },
                        "body": _poq_body(poq_id, "", uc) if create else None,
                    },
                    "response": {
                        "status": code,
                        "headers": {"Content-Type": "application/json;charset=utf-8"},
                        "body": body,
                    },
                    "latency_ms": round(rng.uniform(3, 120), 1),
                    "started": tick(rng.uniform(0.05, 0.8)),
                    "error": None,
                    "truncated": False,
                }
            )
            ex_by_test[nodeid].append(ex_id)
        if nodeid.split("::")[1].startswith("test_deferred_flow") and ex_by_test[nodeid]:
            nt_id = f"nt-{len(notes) + 1}"
            notes.append(
                {
                    "id": nt_id,
                    "test": nodeid,
                    "path": f"{_LISTENER}/poqStateChangeEvent",
                    "received": tick(2.5),
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "eventId": f"evt-{nt_id}",
                        "eventType": "poqStateChangeEvent",
                        "eventTime": _ts(clock[0] - 0.1),
                        "event": {"id": poq_id, "state": "done"},
                    },
                }
            )
            refs = ex_by_test[nodeid]
            entries = [
                {
                    "time": _ts(clock[0] - 6),
                    "source": "create",
                    "poq_state": "ACKNOWLEDGED",
                    "item_states": {"1": "ACKNOWLEDGED"},
                    "ref": refs[0],
                }
            ]
            if len(refs) > 1:
                entries.append(
                    {
                        "time": _ts(clock[0] - 4),
                        "source": "poll",
                        "poq_state": "IN_PROGRESS",
                        "item_states": {"1": "IN_PROGRESS"},
                        "ref": refs[1],
                    }
                )
            entries.append(
                {
                    "time": notes[-1]["received"],
                    "source": "notification",
                    "poq_state": "READY",
                    "item_states": {"1": "READY"},
                    "ref": nt_id,
                }
            )
            timelines.append({"poq_id": poq_id, "test": nodeid, "entries": entries})

    checks: list[Check] = []
    test_reqs: dict[str, list[str]] = {t: [] for t in all_tests}
    test_failed: dict[str, list[str]] = {t: [] for t in all_tests}
    statuses = [_status_for(row, rng, fail_rate) for row in rows]
    if fail_rate > 0 and "fail" not in statuses:  # a sample with failures always has one
        first = next(
            (
                n
                for n, r in enumerate(rows)
                if r.level == "MUST" and r.verification != "not-testable"
            ),
            0,
        )
        statuses[first] = "fail"
    for row, status in zip(rows, statuses, strict=True):
        ucs = list(row.use_cases) or ["1"]
        nodeid = rng.choice(uc_tests.get(ucs[0], all_tests))
        evidence = ex_by_test[nodeid][:2]
        if status == "not_tested":
            if row.verification != "not-testable" and rng.random() < 0.5:
                checks.append(
                    Check(
                        row.id,
                        nodeid,
                        "not_tested",
                        "the profile gives no test data for this path",
                        [],
                        tick(0.01),
                    )
                )
        elif status == "not_applicable":
            checks.append(
                Check(
                    row.id,
                    nodeid,
                    "not_applicable",
                    "the seller profile declares immediate responses only",
                    [],
                    tick(0.01),
                )
            )
        else:
            checks.append(
                Check(
                    row.id,
                    nodeid,
                    "pass",
                    f"{row.id}: response field present and well formed",
                    list(evidence),
                    tick(0.01),
                )
            )
            if status == "fail":
                msg = f"{row.id}: expected state 'done' in the response, found 'inProgress'"
                if hostile:
                    msg += " " + HOSTILE_MARKUP
                checks.append(
                    Check(
                        row.id,
                        nodeid,
                        "fail",
                        msg,
                        evidence + [n["id"] for n in notes[:1]],
                        tick(0.01),
                    )
                )
                test_failed[nodeid].append(msg)
        test_reqs[nodeid].append(row.id)

    for nodeid in all_tests:
        failed = test_failed[nodeid]
        uc = nodeid.rsplit("uc", 1)[1].rstrip("]")
        tests.append(
            {
                "nodeid": nodeid,
                "outcome": "failed" if failed else "passed",
                "duration": round(rng.uniform(0.02, 3.0), 3),
                "use_cases": [uc],
                "requirements": test_reqs[nodeid],
                "longrepr": ("\n".join(f"AssertionError: {m}" for m in failed) if failed else None),
            }
        )

    run = {
        "seller": "http://127.0.0.1:8731",
        "api": "v8",
        "profile": "profiles/mock-deferred.yaml",
        "started": _ts(0),
        "finished": tick(0.5),
        "tool_version": "0.1.0",
        "use_cases": list(USE_CASES),
        "mock": True,
    }
    if kind == "buyer":
        run["buyer"] = "buyer-under-test (127.0.0.1)"
    doc = build_document(
        kind=kind,
        run=run,
        catalogue=rows,
        checks=checks,
        tests=tests,
        exchanges=exes,
        notifications=notes,
        timelines=timelines,
    )
    if hostile and doc["exchanges"]:
        ex0 = doc["exchanges"][0]
        ex0["request"]["headers"]["Authorization"] = "Bearer sk-live-TOPSECRET"
        ex0["request"]["body"] = {"client_secret": "TOPSECRET", "note": HOSTILE_MARKUP}
        ex0["response"]["headers"]["X-Evil"] = HOSTILE_MARKUP
        ex0["response"]["body"] = {
            "message": HOSTILE_MARKUP,
            "access_token": "TOPSECRET",
            "id": "<b>bold</b>",
        }
        ex0["url"] += "?access_token=TOPSECRET&limit=10"
        first_fail = next((r for r in doc["requirements"] if r["status"] == "fail"), None)
        if first_fail is not None:
            first_fail["checks"][-1]["evidence"].insert(0, ex0["id"])

    return doc
