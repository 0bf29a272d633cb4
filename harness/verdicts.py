"""Soft assertions per requirement ID.

A suite test records as many verdicts as it can reach (``check``, ``not_applicable``,
``not_tested``) and keeps going after a failure; the pytest plugin fails the test at its
end when any check failed, with a summary of the failed checks.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from typing import Any

from harness.checks._result import status_of, weight_of
from harness.evidence import evidence_ids, now_rfc3339
from schemas.results import Check


class UnknownRequirementError(ValueError):
    """A check named an ID that is not in the catalogue: a bug in the suite."""


class VerdictFailure(AssertionError):
    """Raised at the end of a test whose checks did not all pass."""


Sink = Callable[[Check], None]


class Verdict:
    """Collects the verdicts of one test (``test`` is its pytest node id)."""

    def __init__(
        self,
        test: str | None,
        known_ids: Container[str],
        sink: Sink | None = None,
    ) -> None:
        self.test = test
        self._known = known_ids
        self._sink = sink
        self.checks: list[Check] = []

    def check(
        self,
        req_id: str,
        condition: Any,
        message: str | None = None,
        evidence: Iterable[Any] = (),
    ) -> bool:
        """Record the verdict of ``req_id``; ``condition`` is a truth value or a check
        result ``(ok, detail)``. A :class:`~harness.checks.Result` carries its own status
        (a ``not_tested`` result is recorded not_tested, never pass) and weight. Returns
        whether it passed."""
        status, weight = "pass", "subject"
        if isinstance(condition, tuple) and len(condition) == 2 and isinstance(
            condition[1], str
        ):
            status, weight = status_of(condition), weight_of(condition)
            detail = condition[1]
            text = f"{message}: {detail}" if message else detail
        else:
            status, text = ("pass" if condition else "fail"), message or ""
        if not text:
            raise ValueError("a check needs a message saying what was checked")
        self._add(req_id, status, text, evidence, weight)
        return status == "pass"

    def not_applicable(self, req_id: str, reason: str, evidence: Iterable[Any] = ()) -> None:
        """The requirement's condition does not hold for this Seller (say why)."""
        self._add(req_id, "not_applicable", _need(reason), evidence)

    def not_tested(self, req_id: str, reason: str, evidence: Iterable[Any] = (),
                   weight: str = "subject") -> None:
        """The test meant to check it but could not get there (say why). A ``side``
        not_tested does not keep a requirement from passing on its subject checks."""
        self._add(req_id, "not_tested", _need(reason), evidence, weight)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def summary(self) -> str:
        lines = [f"{len(self.failures)} of {len(self.checks)} requirement check(s) failed:"]
        for c in self.failures:
            where = f" [{', '.join(c.evidence)}]" if c.evidence else ""
            lines.append(f"  {c.requirement}: {c.message}{where}")
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        if self.failures:
            raise VerdictFailure(self.summary())

    def _add(self, req_id: str, status: str, message: str, evidence: Iterable[Any],
             weight: str = "subject") -> None:
        if req_id not in self._known:
            raise UnknownRequirementError(f"unknown requirement ID {req_id!r}")
        check = Check(
            requirement=req_id,
            test=self.test,
            status=status,
            message=message,
            evidence=evidence_ids(evidence),
            time=now_rfc3339(),
            weight=weight,
        )
        self.checks.append(check)
        if self._sink is not None:
            self._sink(check)


def _need(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValueError("a reason is required")
    return reason


__all__ = ["UnknownRequirementError", "Verdict", "VerdictFailure"]
