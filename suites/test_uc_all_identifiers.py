"""Run-wide identifier uniqueness (R32, R59), judged after every other suite has created
its POQs (this module sorts after the use case suites)."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.checks import poq
from suites._support import CreatedPoqs, GuardedVerdict, PoqRun, judge, skip_ids


@pytest.mark.uc("2a", "2b", "2c")
@pytest.mark.requirements("R32", "R59")
def test_poq_ids_unique(verdict: GuardedVerdict, created_poqs: CreatedPoqs,
                        deferred_runs: dict[str, PoqRun]) -> None:
    """No two POQs created during the run share an identifier."""
    ids = list(created_poqs.ids)
    if len(ids) < 2:
        skip_ids(verdict, ["R32", "R59"], "fewer than two POQs were created")
        return
    dupes = {i for i, n in Counter(ids).items() if n > 1}
    ev = [r.create for r in deferred_runs.values() if r.id in dupes][:6] or [
        r.create for r in deferred_runs.values()][:3]
    judge(verdict, ["R32", "R59"], poq.check_unique_ids(ids), ev)
