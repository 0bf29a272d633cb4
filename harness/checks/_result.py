"""The shape every check returns.

A result is still the pair ``(ok, message)`` (so ``ok, message = check(...)`` keeps working),
with two more facts a plain tuple cannot say:

- ``status``: ``pass``, ``fail``, ``not_tested`` (the premise was not observed: nothing to
  judge, never a pass) or ``not_applicable`` (the dialect cannot show the subject). Only
  ``pass`` has ``ok`` true.
- ``weight``: ``subject`` when the check observes what the requirement is about, ``side``
  when it only supports the verdict. A requirement passes only on a passed subject check
  (see :func:`schemas.results.fold_status`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

STATUSES = ("pass", "fail", "not_tested", "not_applicable")
WEIGHTS = ("subject", "side")


class Result(tuple[bool, str]):
    """``(ok, message)`` with a ``status`` and a ``weight``."""

    status: str
    weight: str

    def __new__(cls, ok: bool, message: str, status: str | None = None,
                weight: str = "subject") -> Result:
        status = status or ("pass" if ok else "fail")
        if status not in STATUSES:
            raise ValueError(f"result status must be one of {', '.join(STATUSES)}")
        if weight not in WEIGHTS:
            raise ValueError(f"result weight must be one of {', '.join(WEIGHTS)}")
        self = super().__new__(cls, (status == "pass", message))
        self.status = status
        self.weight = weight
        return self

    @property
    def ok(self) -> bool:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    def __getnewargs__(self) -> tuple[bool, str, str, str]:  # type: ignore[override]
        return self[0], self[1], self.status, self.weight

    def __repr__(self) -> str:
        return f"Result({self.status}, {self.message!r}, weight={self.weight})"


def passed(message: str) -> Result:
    return Result(True, message)


def failed(message: str) -> Result:
    return Result(False, message)


def untested(message: str) -> Result:
    """The premise of the check was not observed: say why, never pass."""
    return Result(False, message, "not_tested")


def inapplicable(message: str) -> Result:
    """The subject cannot be shown in this dialect (e.g. an optional v7 attribute)."""
    return Result(False, message, "not_applicable")


def side(result: tuple[bool, str]) -> Result:
    """The same result, weighed as a side check: it can fail a requirement, never pass it."""
    return Result(result[0], result[1], status_of(result), "side")


def reworded(result: tuple[bool, str], message: str) -> Result:
    """The same verdict (status and weight kept) with another message."""
    return Result(result[0], message, status_of(result), weight_of(result))


def status_of(result: Any) -> str:
    """``pass`` / ``fail`` / ``not_tested`` / ``not_applicable`` of any ``(ok, message)``."""
    status = getattr(result, "status", None)
    if status in STATUSES:
        return str(status)
    return "pass" if result[0] else "fail"


def weight_of(result: Any) -> str:
    weight = getattr(result, "weight", None)
    return str(weight) if weight in WEIGHTS else "subject"


def joined(problems: Iterable[str], success: str, limit: int = 8) -> Result:
    """Fold a list of problems into one result (pass when the list is empty)."""
    found = list(problems)
    if not found:
        return passed(success)
    shown = "; ".join(found[:limit])
    more = f" (+{len(found) - limit} more)" if len(found) > limit else ""
    return failed(shown + more)
