"""R22, the Buyer's half: every contact the Buyer sends (the request's
relatedContactInformation, v8 place contacts, v7 item contacts) gives a name, a telephone
number and an email address."""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks.findings import (
    Finding,
    ItemPointers,
    as_dict,
    as_list,
    failed,
    passed,
)

REQUIRED = ("name", "number", "emailAddress")


def request(body: dict[str, Any]) -> list[Finding]:
    """R22 on the request's own relatedContactInformation."""
    out: list[Finding] = []
    contacts = body.get("relatedContactInformation")
    if isinstance(contacts, list):
        for k, contact in enumerate(contacts):
            _judge(out, _REQUEST_CONTACTS[k] if k < 8 else f"/relatedContactInformation/{k}",
                   contact)
    return out


def item(item: dict[str, Any], product: Any, at: ItemPointers, flat: bool) -> list[Finding]:
    """R22 on one item's contacts: its own (``flat``: v7's on-site contact) and its places'
    (``run_create`` walks the items)."""
    out: list[Finding] = []
    own = item.get("relatedContactInformation") if flat else None
    if isinstance(own, list):
        for k, contact in enumerate(own):
            _judge(out, f"{at.contacts}/{k}", contact)
    places = product.get("place") if isinstance(product, dict) else None
    if isinstance(places, list):
        for j, place in enumerate(places):
            for k, contact in enumerate(as_list(as_dict(place).get("contact"))):
                _judge(out, f"{at.place}/{j}/contact/{k}", contact)
    return out


def _judge(out: list[Finding], pointer: str, contact: Any) -> None:
    if not isinstance(contact, dict):
        out.append(failed("R22", pointer, "a contact must be an object with name, number "
                          "and emailAddress"))
        return
    complete = True
    for key in REQUIRED:
        value = contact.get(key)
        if not (isinstance(value, str) and value.strip()):  # is_text, without its call
            complete = False
            out.append(failed("R22", f"{pointer}/{key}", f"a contact gives its {key} (name, "
                              "number and emailAddress are required)", "missingProperty"))
    if complete:
        finding = _COMPLETE.get(pointer)
        if finding is None:
            finding = passed("R22", pointer, "contact with name, number and emailAddress")
            if len(_COMPLETE) < 512:  # the pointers of the first contacts of the first items
                _COMPLETE[pointer] = finding
        out.append(finding)


_REQUEST_CONTACTS = [f"/relatedContactInformation/{k}" for k in range(8)]
_COMPLETE: dict[str, Finding] = {}  # R22's pass per pointer
