"""The robustness suite judges a huge list answer on an even sample of its rows, in
bounded time, and says so."""

from __future__ import annotations

import time

from suites.test_robustness import LIST_SAMPLE, _sampled, response_problems, sample_rows


def test_short_lists_are_checked_whole_long_ones_sampled_evenly() -> None:
    assert sample_rows(3) == [0, 1, 2]
    rows = sample_rows(2_500_000)
    assert len(rows) == LIST_SAMPLE and rows[0] == 0 and rows[-1] == 2_499_999
    gaps = {b - a for a, b in zip(rows, rows[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 1


def test_a_huge_list_is_judged_quickly_on_the_sampled_rows() -> None:
    body = ["not an object"] * 2_500_000
    t0 = time.monotonic()
    problems = response_problems("v8", 200, body, "ProductOfferingQualification_Find",
                                 list_of=True)
    assert time.monotonic() - t0 < 10
    sampled = sample_rows(len(body))
    assert [p.split(":")[0] for p in problems] == [f"/{n}" for n in sampled[:5]]
    assert sampled[1] > 50_000
    assert _sampled(body) == " (50 of 2500000 rows checked, spread evenly)"
    assert _sampled(body[:10]) == ""
