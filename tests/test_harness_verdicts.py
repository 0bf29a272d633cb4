"""Verdicts: soft assertions per requirement ID that keep going and fail at the end."""

from __future__ import annotations

import pytest

from harness.evidence import Exchange, Notification
from harness.verdicts import UnknownRequirementError, Verdict, VerdictFailure
from schemas.results import Check

KNOWN = {"R36", "R39", "R44", "D1"}


def make(sink: list[Check] | None = None) -> Verdict:
    return Verdict("suite::t", KNOWN, sink.append if sink is not None else None)


def test_checks_record_and_keep_going() -> None:
    seen: list[Check] = []
    v = make(seen)
    assert v.check("R36", True, "response code 201") is True
    assert v.check("R39", False, "state inProgress, expected READY") is False
    assert v.check("R39", (True, "second look: done")) is True
    assert [c.status for c in v.checks] == ["pass", "fail", "pass"]
    assert seen == v.checks
    assert v.checks[0].test == "suite::t" and v.checks[0].time.endswith("Z")
    assert [c.requirement for c in v.failures] == ["R39"]


def test_result_tuple_detail_joins_message() -> None:
    v = make()
    v.check("R36", (False, "HTTP 500"), "create")
    assert v.checks[0].message == "create: HTTP 500" and v.checks[0].status == "fail"


def test_evidence_accepts_exchanges_notifications_and_ids() -> None:
    ex = Exchange(id="ex-4", test=None, method="GET", url="u")
    nt = Notification(id="nt-2", test=None, path="/p", received="t", monotonic=0.0)
    v = make()
    v.check("R36", True, "ok", evidence=[ex, nt, "ex-9", None])
    assert v.checks[0].evidence == ["ex-4", "nt-2", "ex-9"]
    with pytest.raises(TypeError):
        v.check("R36", True, "ok", evidence=[42])


def test_unknown_ids_and_missing_reasons_are_programming_errors() -> None:
    v = make()
    with pytest.raises(UnknownRequirementError, match="R999"):
        v.check("R999", True, "x")
    with pytest.raises(UnknownRequirementError):
        v.not_applicable("R97", "numbering skips R97")
    with pytest.raises(ValueError):
        v.not_tested("R44", "  ")
    with pytest.raises(ValueError):
        v.check("R36", True)


def test_not_applicable_and_not_tested() -> None:
    v = make()
    v.not_applicable("R44", "not representable in v7")
    v.not_tested("D1", "seller gave no guaranteedUntilDate to compare")
    assert [(c.status, c.message) for c in v.checks] == [
        ("not_applicable", "not representable in v7"),
        ("not_tested", "seller gave no guaranteedUntilDate to compare"),
    ]
    v.raise_if_failed()  # nothing failed


def test_raise_if_failed_summarises_failed_checks() -> None:
    v = make()
    v.check("R36", True, "fine")
    v.check("R39", False, "state inProgress", evidence=["ex-3"])
    v.check("R44", False, "no alternates")
    with pytest.raises(VerdictFailure) as info:
        v.raise_if_failed()
    text = str(info.value)
    assert text.startswith("2 of 3 requirement check(s) failed")
    assert "R39: state inProgress [ex-3]" in text and "R44: no alternates" in text
    assert isinstance(info.value, AssertionError)


def test_a_not_tested_result_is_recorded_not_tested_never_pass() -> None:
    from harness.checks import untested

    v = make()
    assert v.check("R36", untested("no HTTP response"), "create") is False
    assert v.checks[0].status == "not_tested" and v.failures == []
    assert v.checks[0].message == "create: no HTTP response"


def test_side_weight_is_recorded_and_cannot_carry_a_pass() -> None:
    from harness.checks import passed, side, untested
    from schemas.results import fold_status

    v = make()
    v.check("R44", side(passed("events name POQs the buyer created")))
    assert fold_status(v.checks) == "not_tested"  # a side pass alone proves nothing
    v.check("R44", untested("no state change observed"))
    assert fold_status(v.checks) == "not_tested"
    v.check("R44", passed("every target heard every change"))
    assert fold_status(v.checks) == "pass"
    v.check("R44", side((False, "an event for a foreign POQ")))
    assert fold_status(v.checks) == "fail"  # a side check still fails the requirement
    assert [c.weight for c in v.checks] == ["side", "subject", "subject", "side"]
    assert v.checks[0].to_dict()["weight"] == "side"


def test_side_only_requirement_says_why_it_is_not_tested() -> None:
    from harness.checks import side
    from schemas.results import SIDE_ONLY_REASON, requirement_entry

    class Req:
        id, level, actor, use_cases, section, paraphrase = "R92", "MUST", "seller", (), "", ""

    v = make()
    v.check("R44", side((True, "owned")))
    entry = requirement_entry(Req(), v.checks)
    assert entry["status"] == "not_tested" and entry["reason"] == SIDE_ONLY_REASON
    old = [{k: val for k, val in c.to_dict().items() if k != "weight"} for c in v.checks]
    assert requirement_entry(Req(), old)["status"] == "pass"  # no weight: a subject check
