"""R22, the Buyer's half: every contact the Buyer sends (the request's
relatedContactInformation, v8 place contacts, v7 item contacts) gives a name, a telephone
number and an email address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mock_seller.buyer.checks.findings import (
    ITEMS,
    Finding,
    as_dict,
    as_list,
    failed,
    is_text,
    passed,
)
from schemas.dialect import get_dialect

REQUIRED = ("name", "number", "emailAddress")


def contacts_of(api: str, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(pointer, contact) for every contact in a create request."""
    for k, contact in enumerate(as_list(body.get("relatedContactInformation"))):
        yield f"/relatedContactInformation/{k}", contact
    for i, item in enumerate(as_list(body.get(ITEMS))):
        at = f"/{ITEMS}/{i}"
        item = as_dict(item)
        if get_dialect(api).item_place_shape == "flat":  # on-site contact on the item
            for k, contact in enumerate(as_list(item.get("relatedContactInformation"))):
                yield f"{at}/relatedContactInformation/{k}", contact
        for j, place in enumerate(as_list(as_dict(item.get("product")).get("place"))):
            for k, contact in enumerate(as_list(as_dict(place).get("contact"))):
                yield f"{at}/product/place/{j}/contact/{k}", contact


def check(api: str, body: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for pointer, contact in contacts_of(api, body):
        if not isinstance(contact, dict):
            out.append(failed("R22", pointer, "a contact must be an object with name, number "
                              "and emailAddress"))
            continue
        missing = [key for key in REQUIRED if not is_text(contact.get(key))]
        for key in missing:
            out.append(failed("R22", f"{pointer}/{key}", f"a contact gives its {key} (name, "
                              "number and emailAddress are required)", "missingProperty"))
        if not missing:
            out.append(passed("R22", pointer, "contact with name, number and emailAddress"))
    return out
