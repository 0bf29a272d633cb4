"""Build realistic results.json documents without running a seller: for tests, the bench and
the docs. Deterministic for a given seed, shaped exactly like the harness's output."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from reports._common import STATUSES, USE_CASES, is_must

__all__ = ["HOSTILE_MARKUP", "catalogue_rows", "sample_results"]

HOSTILE_MARKUP = '</script><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
_BASE = "/mefApi/sonata/productOfferingQualification/v8"
_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener"
_T0 = datetime(2026, 11, 20, 9, 30, 0, tzinfo=timezone.utc)


def _ts(offset_s: float) -> str:
    return (_T0 + timedelta(seconds=offset_s)).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def _synthetic_rows() -> list[dict[str, Any]]:
    """125 catalogue-shaped rows (R1-R103 without R97, D1-D7, O1-O15, CR1)."""
    rng = random.Random(79)
    rows: list[dict[str, Any]] = []
    ids = [f"R{i}" for i in range(1, 104) if i != 97]
    ids += [f"D{i}" for i in range(1, 8)] + [f"O{i}" for i in range(1, 16)] + ["CR1"]
    for n, rid in enumerate(ids):
        level = {"R": "MUST", "D": "SHOULD", "O": "MAY", "C": "MUST"}[rid[0]]
        if rid[0] == "R" and n % 17 == 5:
            level = "MUST NOT"
        ucs = sorted(rng.sample(USE_CASES, rng.choice((1, 1, 2))), key=USE_CASES.index)
        rows.append(
            {
                "id": rid,
                "level": level,
                "actor": "buyer" if n % 9 == 4 else "seller",
                "use_cases": [] if n % 41 == 7 else ucs,
                "section": f"8.{ucs and USE_CASES.index(ucs[0]) + 1}.{n % 5 + 1}",
                "paraphrase": f"The party {level} honour obligation {rid} of the POQ exchange.",
                "verification": "not-testable" if n % 23 == 11 else "seller",
                "not_testable_reason": "depends on an agreement outside the API",
            }
        )
    return rows


def catalogue_rows() -> list[dict[str, Any]]:
    """Rows of the real catalogue when the package ships it, else a synthetic stand-in."""
    try:
        from schemas.catalogue import load_catalogue  # type: ignore[import-not-found]

        rows = []
        for req in load_catalogue():
            rows.append(
                {
                    "id": req.id,
                    "level": req.level,
                    "actor": req.actor,
                    "use_cases": list(req.use_cases),
                    "section": req.section,
                    "paraphrase": req.paraphrase,
                    "verification": req.verification,
                    "not_testable_reason": req.not_testable_reason,
                }
            )
        if rows:
            return rows
    except Exception:  # noqa: BLE001 - any catalogue problem falls back to the stand-in
        pass
    return _synthetic_rows()


def _poq_body(poq_id: str, state: str, uc: str) -> dict[str, Any]:
    action = "modify" if uc == "2c" else "add"
    return {
        "id": poq_id,
        "href": f"{_BASE}/productOfferingQualification/{poq_id}",
        "state": state,
        "instantSyncQualification": False,
        "requestedPOQCompletionDate": _ts(3600),
        "relatedContactInformation": [
            {"role": "buyerContactInformation", "name": "Ana Buyer", "emailAddress": "ana@b.example",
             "number": "+1-555-0100"}
        ],
        "productOfferingQualificationItem": [
            {
                "id": "1",
                "action": action,
                "state": state,
                "product": {
                    "productOffering": {"id": "ACCESS-E-LINE-1G"},
                    "productConfiguration": {"@type": "urn:mef:lso:spec:access-e-line:v1",
                                             "bandwidth": {"amount": 1, "units": "Gbps"}},
                    "place": [{"role": "INSTALL_LOCATION", "@type": "FieldedAddress",
                               "city": "Lisbon", "country": "PT", "streetName": "Rua Augusta"}],
                },
                "serviceabilityConfidence": "green",
                "installationInterval": {"amount": 10, "timeUnit": "businessDays"},
            }
        ],
    }


def _status_for(row: dict[str, Any], rng: random.Random, fail_rate: float) -> str:
    if row.get("verification") == "not-testable":
        return "not_tested"
    roll = rng.random()
    if roll < fail_rate:
        return "fail"
    if roll < fail_rate + 0.08:
        return "not_applicable"
    if roll < fail_rate + 0.12:
        return "not_tested"
    return "pass"


def sample_results(  # noqa: C901 - one linear recipe reads better than fragments
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
    rows = catalogue_rows()
    if kind == "buyer":
        rows = [r for r in rows if r.get("actor") in ("buyer", "both")] or rows[:20]
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
            status = 201 if create else 200
            if "error" in nodeid and not create:
                status, body = 404, {"code": "notFound", "reason": "POQ not found",
                                     "message": f"no POQ with id {poq_id}-missing"}
            exes.append(
                {
                    "id": ex_id,
                    "test": nodeid,
                    "method": "POST" if create else "GET",
                    "url": f"http://127.0.0.1:8731{_BASE}/productOfferingQualification"
                    + ("" if create else f"/{poq_id}"),
                    "request": {
                        "headers": {"Content-Type": "application/json", "Accept": "application/json"},
                        "body": _poq_body(poq_id, "", uc) if create else None,
                    },
                    "response": {
                        "status": status,
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
                    "body": {"eventId": f"evt-{nt_id}", "eventType": "poqStateChangeEvent",
                             "eventTime": _ts(clock[0] - 0.1),
                             "event": {"id": poq_id, "state": "done"}},
                }
            )
            refs = ex_by_test[nodeid]
            entries = [{"time": _ts(clock[0] - 6), "source": "create",
                        "poq_state": "ACKNOWLEDGED", "item_states": {"1": "ACKNOWLEDGED"},
                        "ref": refs[0]}]
            if len(refs) > 1:
                entries.append({"time": _ts(clock[0] - 4), "source": "poll",
                                "poq_state": "IN_PROGRESS", "item_states": {"1": "IN_PROGRESS"},
                                "ref": refs[1]})
            entries.append({"time": notes[-1]["received"], "source": "notification",
                            "poq_state": "READY", "item_states": {"1": "READY"}, "ref": nt_id})
            timelines.append({"poq_id": poq_id, "test": nodeid, "entries": entries})

    requirements: list[dict[str, Any]] = []
    test_reqs: dict[str, list[str]] = {t: [] for t in all_tests}
    test_failed: dict[str, list[str]] = {t: [] for t in all_tests}
    for row in rows:
        status = _status_for(row, rng, fail_rate)
        ucs = row.get("use_cases") or ["1"]
        nodeid = rng.choice(uc_tests[ucs[0]] if ucs[0] in uc_tests else all_tests)
        evidence = ex_by_test[nodeid][:2]
        checks: list[dict[str, Any]] = []
        reason = None
        if status == "not_tested":
            reason = (row.get("not_testable_reason") if row.get("verification") == "not-testable"
                      else "no test reached it")
        elif status == "not_applicable":
            reason = "the seller profile declares immediate responses only"
            checks.append({"test": nodeid, "status": "not_applicable", "message": reason,
                           "evidence": [], "time": tick(0.01)})
        else:
            checks.append({"test": nodeid, "status": "pass",
                           "message": f"{row['id']}: response field present and well formed",
                           "evidence": evidence, "time": tick(0.01)})
            if status == "fail":
                msg = f"{row['id']}: expected state 'done' in the response, found 'inProgress'"
                if hostile:
                    msg += " " + HOSTILE_MARKUP
                checks.append({"test": nodeid, "status": "fail", "message": msg,
                               "evidence": evidence + [n["id"] for n in notes[:1]],
                               "time": tick(0.01)})
                test_failed[nodeid].append(msg)
        test_reqs[nodeid].append(row["id"])
        requirements.append({**{k: row[k] for k in ("id", "level", "actor", "use_cases",
                                                        "section", "paraphrase")},
                             "status": status, "reason": reason, "checks": checks})

    for nodeid in all_tests:
        failed = test_failed[nodeid]
        uc = nodeid.rsplit("uc", 1)[1].rstrip("]")
        tests.append({"nodeid": nodeid, "outcome": "failed" if failed else "passed",
                      "duration": round(rng.uniform(0.02, 3.0), 3), "use_cases": [uc],
                      "requirements": test_reqs[nodeid],
                      "longrepr": ("\n".join(f"AssertionError: {m}" for m in failed)
                                   if failed else None)})

    if hostile and exes:
        exes[0]["request"]["headers"]["Authorization"] = "Bearer sk-live-TOPSECRET"
        exes[0]["request"]["body"] = {"client_secret": "TOPSECRET", "note": HOSTILE_MARKUP}
        exes[0]["response"]["headers"]["X-Evil"] = HOSTILE_MARKUP
        exes[0]["response"]["body"] = {"message": HOSTILE_MARKUP,
                                       "access_token": "TOPSECRET", "id": "<b>bold</b>"}
        exes[0]["url"] += "?access_token=TOPSECRET&limit=10"
        first_fail = next((r for r in requirements if r["status"] == "fail"), None)
        if first_fail is not None:
            first_fail["checks"][-1]["evidence"].insert(0, exes[0]["id"])

    by_level: dict[str, dict[str, int]] = {}
    for r in requirements:
        by_level.setdefault(r["level"], {s: 0 for s in STATUSES})[r["status"]] += 1
    summary = {s: sum(1 for r in requirements if r["status"] == s) for s in STATUSES}
    summary["must_failed"] = sum(1 for r in requirements
                                 if r["status"] == "fail" and is_must(r["level"]))
    run = {"seller": "http://127.0.0.1:8731", "api": "v8", "profile": "profiles/mock-deferred.yaml",
           "started": _ts(0), "finished": tick(0.5), "tool_version": "0.1.0",
           "use_cases": list(USE_CASES), "mock": True}
    if kind == "buyer":
        run["buyer"] = "buyer-under-test (127.0.0.1)"
    return {"schema_version": "1.0", "kind": kind, "run": run,
            "summary": {**summary, "by_level": by_level}, "requirements": requirements,
            "tests": tests, "exchanges": exes, "notifications": notes, "timelines": timelines}
