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


class ItemPointers:
    """The JSON Pointers of item ``i`` and of its parts, written once per index (a create's
    checks name them a dozen times), and the passing findings that depend on nothing but
    the index and a name (``passes``, filled as the checks meet them)."""

    __slots__ = ("at", "id", "action", "product", "product_id", "configuration", "place",
                 "contacts", "passes")

    def __init__(self, i: int) -> None:
        at = f"/{ITEMS}/{i}"
        self.at = at
        self.id = f"{at}/id"
        self.action = f"{at}/action"
        self.product = f"{at}/product"
        self.product_id = f"{at}/product/id"
        self.configuration = f"{at}/product/productConfiguration"
        self.place = f"{at}/product/place"
        self.contacts = f"{at}/relatedContactInformation"
        self.passes: dict[str | tuple[str, str], Finding] = {}


_ITEM_POINTERS = [ItemPointers(i) for i in range(32)]


def item_pointers(i: int) -> ItemPointers:
    """The pointers of item ``i`` (shared for the first 32 items, fresh beyond)."""
    return _ITEM_POINTERS[i] if i < 32 else ItemPointers(i)


def is_text(value: Any) -> bool:
    """A non-empty string that is not only whitespace."""
    return isinstance(value, str) and bool(value.strip())


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


__all__ = ["ITEMS", "MODES", "Finding", "ItemPointers", "as_dict", "as_list", "failed",
           "is_text", "item_pointers", "passed"]
