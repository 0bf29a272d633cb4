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
