"""Diff of two runs: transitions per ID, new and removed checks, the new-failure rule."""

from __future__ import annotations

import copy

from reports import diff_results, format_diff, format_diff_markdown
from reports.sample import sample_results


def _req(doc: dict, status: str) -> dict:
    return next(r for r in doc["requirements"] if r["status"] == status)


def test_identical_runs_have_no_change() -> None:
    doc = sample_results()
    result = diff_results(doc, copy.deepcopy(doc))
    assert result.changes == [] and result.unchanged == len(doc["requirements"])
    assert format_diff(result).splitlines()[0] == "no change"


def test_pass_to_fail_is_a_new_failure_and_fail_to_pass_is_fixed() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    broke, fixed = _req(cur, "pass"), _req(cur, "fail")
    broke["status"] = "fail"
    broke["checks"].append(
        {
            "test": "t::new",
            "status": "fail",
            "message": "m",
            "evidence": [],
            "time": "2026-11-20T09:30:00Z",
        }
    )
    fixed["status"] = "pass"
    result = diff_results(base, cur)
    assert [c.id for c in result.new_failures] == [broke["id"]]
    assert [c.id for c in result.fixed] == [fixed["id"]]
    text = format_diff(result)
    assert f"{broke['id']}: pass -> fail  [NEW FAILURE]" in text
    assert "    + check t::new (fail)" in text
    assert f"{fixed['id']}: fail -> pass" in text


def test_still_failing_is_not_new() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    still = _req(cur, "fail")
    still["checks"][-1]["test"] = "t::renamed"
    result = diff_results(base, cur)
    assert result.new_failures == []
    change = next(c for c in result.changes if c.id == still["id"])
    assert change.checks_added == ["t::renamed (fail)"] and change.checks_removed
    assert "(checks changed)" in format_diff(result)


def test_added_and_removed_ids() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    gone = cur["requirements"].pop(0)
    new = copy.deepcopy(_req(base, "fail"))
    new["id"] = "R999"
    cur["requirements"].append(new)
    result = diff_results(base, cur)
    text = format_diff(result)
    assert f"{gone['id']}: removed (was {gone['status']})" in text
    assert "R999: new in current run (fail)  [NEW FAILURE]" in text
    assert [c.id for c in result.new_failures] == ["R999"]


def test_check_status_change_within_same_status() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    req = _req(cur, "fail")
    req["checks"][0]["status"] = "not_applicable"
    result = diff_results(base, cur)
    change = next(c for c in result.changes if c.id == req["id"])
    assert change.checks_changed == [f"{req['checks'][0]['test']}: pass -> not_applicable"]


def test_judged_to_unjudged_is_lost_coverage() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    lost = _req(cur, "pass")
    lost["status"], lost["checks"] = "not_tested", []
    result = diff_results(base, cur)
    assert [c.id for c in result.lost_coverage] == [lost["id"]]
    assert result.new_failures == []
    assert f"{lost['id']}: pass -> not_tested  [LOST COVERAGE]" in format_diff(result)
    assert "1 lost coverage" in format_diff(result).splitlines()[-1]


def test_other_api_profile_and_narrower_use_cases_are_said() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    base["run"]["use_cases"] = []
    cur["run"].update(api="v7", profile="other.yaml", use_cases=["1"])
    notes = diff_results(base, cur).context
    assert any(n.startswith("different api: 'v8' -> 'v7'") for n in notes)
    assert any(n.startswith("different profile:") for n in notes)
    assert any(n.startswith("narrower --uc set: 1 (was all") for n in notes)


def test_markdown_diff_has_its_own_lost_coverage_section() -> None:
    base = sample_results()
    cur = copy.deepcopy(base)
    lost = _req(cur, "pass")
    lost["status"] = "not_applicable"
    md = format_diff_markdown(diff_results(base, cur))
    section = md.split("### Lost coverage (1)", 1)[1]
    assert f"| {lost['id']} | pass | not_applicable |" in section.split("###")[0]
