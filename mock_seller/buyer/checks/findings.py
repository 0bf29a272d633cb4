"""What every buyer-side check returns: a :class:`Finding` per requirement and request."""

from __future__ import annotations

from typing import Any, NamedTuple

#: strict: every failing finding is a 422 naming its requirement; lenient: accept what can
#: be processed and record; default: today's answers unchanged, findings recorded; off:
#: neither checks nor records.
MODES = ("default", "strict", "lenient", "off")
ITEMS = "productOfferingQualificationItem"


class Finding(NamedTuple):
    """One verdict on one buyer requirement for one request.

    ``ok`` False is a violation; ``code`` is the Error422 code a strict seller answers
    with; ``blocking`` says the seller could not process the request even leniently.
    A named tuple: a create makes a dozen, and a frozen dataclass costs three times as much
    to build."""

    requirement: str
    ok: bool
    pointer: str
    message: str
    code: str = "invalidValue"
    blocking: bool = False

    def as_error(self) -> dict[str, str]:
        """The Error422 entry of a failing finding (reason names the requirement)."""
        return {"code": self.code, "reason": f"{self.requirement}: {self.message}"[:255],
                "propertyPath": self.pointer}


_make = tuple.__new__  # a Finding without the Python-level __new__ of named tuples


def passed(requirement: str, pointer: str, message: str) -> Finding:
    return _make(Finding, (requirement, True, pointer, message, "invalidValue", False))


def failed(requirement: str, pointer: str, message: str, code: str = "invalidValue",
           blocking: bool = False) -> Finding:
    return _make(Finding, (requirement, False, pointer, message, code, blocking))


def is_text(value: Any) -> bool:
    """A non-empty string that is not only whitespace."""
    return isinstance(value, str) and bool(value.strip())


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


__all__ = ["ITEMS", "MODES", "Finding", "as_dict", "as_list", "failed", "is_text", "passed"]
