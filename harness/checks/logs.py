"""A seller's own ``stateChange`` log is a complete record, not a sample: unlike polls,
which may miss states, every step in it must be a single transition of Figure 2 (POQ,
R96) or Figure 3 (item, R102). A log that jumps ACKNOWLEDGED -> READY hides the
IN_PROGRESS step the seller owes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.checks._result import Result, joined, untested
from harness.checks.states import ITEM_EDGES, POQ_EDGES


def check_log_steps(logged: Sequence[str], item: bool = False) -> Result:
    """Each consecutive pair of a (changeDate-ordered) log is one allowed transition;
    not_tested when the log holds no transition (nothing to judge, never a pass)."""
    if len(logged) < 2:
        return untested(f"the {'POQ item' if item else 'POQ'} log holds no transition")
    edges: Mapping[str, frozenset[str]] = ITEM_EDGES if item else POQ_EDGES
    what = "POQ item" if item else "POQ"
    problems = [f"log step {n}: {a} -> {b} is not one transition of the {what} flow"
                for n, (a, b) in enumerate(zip(logged, logged[1:], strict=False), start=1)
                if a != b and b not in edges.get(a, frozenset())]
    return joined(problems, f"every step of the {what} log {' -> '.join(logged)} is one "
                  "allowed transition")


__all__ = ["check_log_steps"]
