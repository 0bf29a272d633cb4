"""Suite helpers: verdicts follow the profile, deferred POQs are polled together to the end."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.evidence import Exchange
from harness.payloads import PayloadBuilder
from harness.profile import bundled_profile_path, load_profile
from harness.verdicts import Verdict
from schemas.catalogue import load_catalogue
from schemas.dialect import V8
from suites._support import GuardedVerdict, create, merged_history, state_history, wait_final
from suites.conftest import deferred_plan

CATALOGUE = load_catalogue()


def _verdict(api: str = "v8", **caps: bool) -> tuple[GuardedVerdict, Verdict]:
    profile = load_profile(bundled_profile_path(f"mock-{api}"))
    profile = replace(profile, capabilities=replace(profile.capabilities, **caps))
    inner = Verdict("t", {r.id for r in CATALOGUE})
    return GuardedVerdict(inner, profile, CATALOGUE), inner


def test_inapplicable_ids_pass_as_not_applicable() -> None:
    guarded, inner = _verdict("v7")
    assert guarded.check("R45", True, "alternate confidence") is True
    assert [c.status for c in inner.checks] == ["not_applicable"]
    assert "not representable in v7" in inner.checks[0].message
    guarded.check("R45", (True, "again"))
    assert len(inner.checks) == 1


def test_a_declared_capability_never_hides_a_violation() -> None:
    """Rule 2: a failing check on an ID whose condition the profile denies is reported."""
    guarded, inner = _verdict("v8", alternates=False, immediate=False)
    assert guarded.check("R41", (False, "error body carries id")) is False
    assert guarded.check("R47", False, "duplicate alternate ids") is False
    assert [(c.requirement, c.status) for c in inner.checks] == [("R41", "fail"),
                                                                  ("R47", "fail")]
    assert "observed although the seller profile does not declare capability 'immediate'" \
        in inner.checks[0].message
    assert inner.checks[0].message.startswith("error body carries id")


def test_observed_premise_is_judged_whatever_the_profile_says() -> None:
    guarded, inner = _verdict("v8", immediate=False)
    assert guarded.observed("R41", True, "refusal carries no POQ attribute") is True
    assert [c.status for c in inner.checks] == ["pass"]


def test_applicable_ids_pass_and_fail_through() -> None:
    guarded, inner = _verdict("v8")
    assert guarded.check("R45", False, "alternate confidence") is False
    assert inner.failures and inner.failures[0].requirement == "R45"


def test_capability_not_declared() -> None:
    guarded, inner = _verdict("v8", deferred=False)
    guarded.not_tested("R30", "never reached")
    assert inner.checks[0].status == "not_applicable"
    assert "capability 'deferred'" in inner.checks[0].message


class FakeSeller:
    """Answers create with ACKNOWLEDGED, then READY on the second poll of each POQ."""

    def __init__(self) -> None:
        self.polls: dict[str, int] = {}
        self.count = 0

    def _exchange(self, body: Any, status: int = 200) -> Exchange:
        self.count += 1
        return Exchange(id=f"ex-{self.count}", test=None, method="GET", url="u",
                        status=status, json=body)

    def create_poq(self, request: dict[str, Any]) -> Exchange:
        poq_id = f"P{self.count}"
        items = [{"id": i["id"], "state": "acknowledged"}
                 for i in request["productOfferingQualificationItem"]]
        return self._exchange({"id": poq_id, "state": "acknowledged",
                               "productOfferingQualificationItem": items}, 201)

    def get_poq(self, poq_id: str) -> Exchange:
        n = self.polls[poq_id] = self.polls.get(poq_id, 0) + 1
        state = "inProgress" if n < 2 else "done"
        return self._exchange({"id": poq_id, "state": state,
                               "productOfferingQualificationItem": [{"id": "1",
                                                                     "state": state}]})


def test_runs_polled_together_to_the_end() -> None:
    seller = FakeSeller()
    request = {"productOfferingQualificationItem": [{"id": "1"}]}
    runs = [create(seller, V8, f"r{n}", request) for n in range(3)]
    assert all(r.created and not r.immediate for r in runs)
    seen = []
    wait_final(seller, runs, 0.0, 5.0, lambda run, obs: seen.append(run.id))
    assert all(r.final is not None and r.final.state == "READY" for r in runs)
    assert [r.poq_states() for r in runs][0] == ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    assert len(seen) == 6 and set(seller.polls.values()) == {2}


def test_timeout_is_recorded() -> None:
    seller = FakeSeller()
    seller.get_poq = lambda poq_id: seller._exchange(  # type: ignore[method-assign]
        {"id": poq_id, "state": "inProgress", "productOfferingQualificationItem": []})
    run = create(seller, V8, "slow", {"productOfferingQualificationItem": [{"id": "1"}]})
    wait_final(seller, [run], 0.01, 0.05)
    assert run.timed_out and run.final is None


def test_history_merges_polls_with_the_sellers_log() -> None:
    assert merged_history(["ACKNOWLEDGED", "READY"], []) == ["ACKNOWLEDGED", "READY"]
    assert merged_history(["ACKNOWLEDGED", "ACKNOWLEDGED", None, "READY"], []) == [
        "ACKNOWLEDGED", "READY"]
    logged = ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    assert merged_history(["ACKNOWLEDGED", "READY"], logged) == logged
    # the log hides a state the buyer polled: merged by time, never replaced
    seen = ["ACKNOWLEDGED", "IN_PROGRESS", "READY", "IN_PROGRESS", "READY"]
    times = [1.0, 2.0, 3.0, 4.0, 5.0]
    dated = [(0.9, "ACKNOWLEDGED"), (1.9, "IN_PROGRESS"), (2.9, "READY")]
    merged = merged_history(seen, [s for _, s in dated], times, dated)
    assert merged == ["ACKNOWLEDGED", "IN_PROGRESS", "READY", "IN_PROGRESS", "READY"]
    # undated log contradicting the polls: what was seen is kept
    assert merged_history(seen, ["ACKNOWLEDGED", "READY"]) == merged


def test_state_log_is_read_in_change_date_order() -> None:
    log = [{"state": "done", "changeDate": "2026-01-01T10:00:03Z"},
           {"state": "inProgress", "changeDate": "2026-01-01T10:00:02.500Z"},
           {"state": "acknowledged", "changeDate": "2026-01-01T10:00:01+00:00"}]
    assert state_history(log, V8.mef_poq_state) == ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    undated = [{"state": "acknowledged"}, {"state": "done"}]
    assert state_history(undated, V8.mef_poq_state) == ["ACKNOWLEDGED", "READY"]


def test_deferred_plan_follows_the_profile() -> None:
    profile = load_profile(bundled_profile_path("mock-v8"))
    plan = deferred_plan(PayloadBuilder(profile), profile)
    assert set(plan) == {"2a", "2b", "2c", "red", "rejected", "utmt"}
    assert all(p["instantSyncQualification"] is False for p in plan.values())
    no_deferred = replace(profile, capabilities=replace(profile.capabilities, deferred=False))
    assert set(deferred_plan(PayloadBuilder(no_deferred), no_deferred)) == {"2a"}


def test_polling_gives_up_on_a_lost_poq() -> None:
    seller = FakeSeller()
    seller.get_poq = lambda poq_id: seller._exchange(  # type: ignore[method-assign]
        {"code": "notFound", "reason": "gone"}, 404)
    run = create(seller, V8, "lost", {"productOfferingQualificationItem": [{"id": "1"}]})
    wait_final(seller, [run], 0.0, 30.0)
    assert run.timed_out and run.poll_error and "404" in run.poll_error


def test_state_history_reads_a_newest_first_log_oldest_first() -> None:
    from schemas.dialect import V8
    from suites._support import state_history

    log = [{"state": "done", "changeDate": "2026-01-01T00:00:09Z"},
           {"state": "inProgress", "changeDate": "2026-01-01T00:00:05Z"},
           {"state": "acknowledged", "changeDate": "2026-01-01T00:00:00Z"}]
    assert state_history(log, V8.mef_poq_state) == ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]


def test_judge_keeps_not_tested_and_side_weights() -> None:
    from harness.checks import passed, side, untested
    from suites._support import judge

    verdict = Verdict("t", {"R92", "R5"})
    assert judge(verdict, ["R92", "R5"], untested("nothing was due")) is False
    judge(verdict, ["R92"], side(passed("owned")))
    assert [(c.status, c.weight) for c in verdict.checks] == [
        ("not_tested", "subject"), ("not_tested", "subject"), ("pass", "side")]


def test_an_attribute_the_dialect_lacks_stays_not_applicable() -> None:
    guarded, inner = _verdict("v7")
    assert guarded.check("R45", False, "alternate confidence") is True
    assert [c.status for c in inner.checks] == ["not_applicable"]


def _answer_2b(offering: str, level: str) -> tuple[dict[str, Any], dict[str, Any]]:
    sent = {"id": "1", "action": "add", "product": {"productSpecification": {"id": "spec-a"}}}
    got = {"id": "1", "state": "done", "serviceabilityConfidence": level,
           "product": {"productOffering": {"id": offering},
                       "productSpecification": {"id": "spec-a"}}}
    return {"productOfferingQualificationItem": [sent]}, {
        "productOfferingQualificationItem": [got]}


def test_r13_r14_need_the_sellers_catalogue() -> None:
    """Rule 8: never pass R13 on "some offering id is present"; R14 below GREEN is judged
    only with an offering known GREEN at the place."""
    from types import SimpleNamespace

    from suites._answers import judge_use_case

    request, body = _answer_2b("off-9", "yellow")
    guarded, inner = _verdict("v8")
    judge_use_case(guarded, V8, "2b", request, body, [], None)
    status = {c.requirement: c.status for c in inner.checks}
    assert status["R13"] == "not_tested" and status["R14"] == "not_tested"
    facts = SimpleNamespace(specification_offerings={"spec-a": ["off-1", "off-2"]},
                            green_offering="off-1")
    guarded, inner = _verdict("v8")
    judge_use_case(guarded, V8, "2b", request, body, [], facts)
    status = {c.requirement: c.status for c in inner.checks}
    assert status["R13"] == "fail" and status["R14"] == "fail"
    request, body = _answer_2b("off-1", "")
    body["productOfferingQualificationItem"][0].pop("serviceabilityConfidence")
    guarded, inner = _verdict("v8")
    judge_use_case(guarded, V8, "2b", request, body, [], facts)
    assert {c.requirement: c.status for c in inner.checks}["R14"] == "not_tested"
    request, body = _answer_2b("off-2", "green")
    guarded, inner = _verdict("v8")
    judge_use_case(guarded, V8, "2b", request, body, [], facts)
    status = {c.requirement: c.status for c in inner.checks}
    assert status["R13"] == "pass" and status["R14"] == "pass"


def _note(path: str, body: dict[str, Any], error: str | None = None) -> Any:
    from harness.evidence import Notification

    return Notification(id="nt-1", test=None, path=path, received="", monotonic=0.0,
                        headers={}, body=body, query={}, method="POST", error=error,
                        truncated=False, json=body)


def test_refused_or_misrouted_notifications_are_not_delivered() -> None:
    """Rule 5: a notification the listener refused, posted to another event type's path or
    shaped for the other dialect does not count as delivered (R5, R92)."""
    from schemas.dialect import V7
    from suites.test_uc5_notifications import delivered

    base = V8.listener_base_path + "/listener/"
    item = {"eventType": "poqItemStateChangeEvent", "event": {"id": "p", "poqItemId": "1"}}
    assert delivered(_note(base + "poqItemStateChangeEvent", item), V8)
    assert not delivered(_note(base + "poqStateChangeEvent", item), V8)  # wrong path
    assert not delivered(_note(base + "poqItemStateChangeEvent", item, "404"), V8)
    v7_base = V7.listener_base_path + "/listener/"
    assert not delivered(_note(v7_base + "poqItemStateChangeEvent", item), V8)


def test_final_states_helpers() -> None:
    """Rule 7: a final state seen first; later (by eventTime) notifications contradicting a
    final one are findings, earlier ones arriving late are not."""
    from suites.test_final_states import changes_after_final_notification, first_final

    entries = [{"source": "create", "poq_state": "ACKNOWLEDGED"},
               {"source": "notification", "poq_state": "READY"},
               {"source": "poll", "poq_state": "READY", "ref": "ex-3"}]
    assert first_final(entries) == entries[2]
    assert first_final(entries[:2]) is None
    ordered = [(1.0, "nt-1", "IN_PROGRESS", {}), (2.0, "nt-2", None, {"1": "READY"}),
               (3.0, "nt-3", "READY", {})]
    assert changes_after_final_notification(ordered) == []
    fallback = [*ordered, (4.0, "nt-4", "IN_PROGRESS", {}), (5.0, "nt-5", None,
                                                            {"1": "IN_PROGRESS"})]
    assert changes_after_final_notification(fallback) == [
        "nt-4: POQ IN_PROGRESS notified after READY",
        "nt-5: item 1 IN_PROGRESS notified after READY"]


def test_requirement_id_tables_are_keyword_built_and_unchanged() -> None:
    """The ID tables of use case 2 name each ID's role; the IDs stay those of MEF 79.1."""
    import dataclasses

    import pytest

    from suites._answers import UC2A, UC2B, UC2C, Ids, all_ids
    from suites.test_uc2_deferred import ACK_IDS

    with pytest.raises(TypeError):
        Ids("R3", "R36")  # type: ignore[misc]
    assert all_ids(UC2A)[:19] == ("R3", "R36", "R37", "R38", "R39", "R40", "R42", "R43", "R44",
                                  "D3", "O7", "R45", "R46", "R47", "D4", "O6", "O8", "O9",
                                  "R22")
    assert (UC2B.able, UC2B.alternates_allowed, UC2B.alt_spec) == ("CR1", None, "O3")
    assert dataclasses.astuple(UC2C) == (
        "R3", "R64", "R65", "R66", ("R66", "R67"), ("R68", "R71"), "R70", "R72", "R73", "R74",
        "D5", "O12", "R75", "R76", "R77", "D6", "O11", "O13", "O14")
    assert dataclasses.astuple(ACK_IDS["2a"]) == (
        "R27", "R28", "R29", ("R30",), ("R31",), ("R33",), "R34")
    assert dataclasses.astuple(ACK_IDS["2c"]) == (
        "R55", "R70", "R56", ("R57", "R60"), ("R58", "R61"), ("R60",), "R62")
