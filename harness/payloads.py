"""Create-POQ requests built from a seller profile's ``test_data``, in the profile's dialect.

Each path of use case 2 has a builder: 2a (``install_offering``), 2b (``install_specification``,
Provide Alternate true as R10 requires), 2c (``change_product``), red with alternates asked
for, insufficient information (ends REJECTED), and unable to meet time (a requested
completion date the seller cannot meet). Every request carries what R9/R11/R12/R17/R48 ask of
a buyer, so a seller can never blame the harness's request for a failure.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from harness.profile import TEST_DATA_PATHS, Profile
from schemas.dialect import Dialect, get_dialect

BUYER_CONTACT_ROLE = "buyerContactInformation"
# v7 carries a place's on-site contact as an item contact with this role (MEF 87 guide)
V7_PLACE_CONTACT_ROLE = "locationContact"
_counter = itertools.count(1)


def rfc3339(moment: datetime) -> str:
    """UTC date-time with milliseconds and ``Z``, the form both guides use."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def now() -> datetime:
    return datetime.now(timezone.utc)


class MissingTestData(LookupError):
    """The profile has no request fragment for a path (the check is then not tested)."""


class PayloadBuilder:
    """Builds ``ProductOfferingQualification_Create`` bodies for one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.dialect: Dialect = get_dialect(profile.api)
        # one project for the whole run unless the profile names one (list filters use it)
        self.project_id = str(profile.test_data.poq.get("projectId")
                              or self.unique_label("poq-conformance-project"))

    # -- pieces --------------------------------------------------------------------------
    def has(self, path: str) -> bool:
        return self.profile.test_data.fragment(path) is not None

    def buyer_contact(self) -> dict[str, Any]:
        """The profile's buyer contact, completed with the optional Table 9 fields it leaves
        out (organization, numberExtension, postalAddress), so their echo is judged."""
        contact = copy.deepcopy(self.profile.test_data.buyer_contact)
        for key, value in self.optional_contact_fields().items():
            contact.setdefault(key, value)
        return {"role": BUYER_CONTACT_ROLE, **contact}

    def optional_contact_fields(self) -> dict[str, Any]:
        address: dict[str, Any] = {"streetNr": "1", "streetName": "Conformance",
                                   "streetType": "Street", "city": "Springfield",
                                   "postcode": "12345"}
        if self.dialect.contact_address_shape == "place":
            # v7 types a contact address as a place: @type and role are required there
            address.update({"@type": "FieldedAddress", "role": "postalAddress", "country": "US"})
        else:
            address["countryCode"] = "US"
        return {"organization": "Conformance Buyer", "numberExtension": "100",
                "postalAddress": address}

    def item(self, path: str, item_id: str = "1") -> dict[str, Any]:
        """One POQ item for ``path``: the profile's fragment plus id and action."""
        fragment = self.profile.test_data.fragment(path)
        if fragment is None:
            raise MissingTestData(f"the profile has no test_data.{path}")
        raw = fragment.get("product")
        product: dict[str, Any] = raw if isinstance(raw, dict) else {}
        action = "CHANGE" if product.get("id") is not None else "INSTALL"
        item = {"id": item_id, "action": self.dialect.wire_action(action)}
        item.update(fragment)
        item["id"] = item_id
        item.setdefault("action", self.dialect.wire_action(action))
        self._add_place_contacts(item)
        return item

    def place_contact(self) -> dict[str, Any]:
        raw = self.profile.test_data.place_contact or self.profile.test_data.buyer_contact
        return {k: v for k, v in copy.deepcopy(raw).items() if k != "role"}

    def _add_place_contacts(self, item: dict[str, Any]) -> None:
        """R19: a place the buyer names comes with an on-site contact. v8 nests it in each
        ``product.place[]`` entry; v7 carries it as an item contact. A fragment that already
        gives one is left as it is."""
        product = item.get("product")
        places = product.get("place") if isinstance(product, dict) else None
        if not isinstance(places, list) or not places:
            return
        if self.dialect.item_place_shape == "nested":
            for entry in places:
                if isinstance(entry, dict) and not entry.get("contact"):
                    entry["contact"] = [self.place_contact()]
            return
        contacts = item.setdefault("relatedContactInformation", [])
        if isinstance(contacts, list) and not contacts:
            contacts.append({"role": V7_PLACE_CONTACT_ROLE, **self.place_contact()})

    def requested_completion(self, seconds: float | None = None) -> str:
        offset = self.profile.deferred.requested_completion_offset_s if seconds is None else seconds
        return rfc3339(now() + timedelta(seconds=offset))

    # -- whole requests ------------------------------------------------------------------
    def create(
        self,
        paths: str | list[str],
        *,
        immediate: bool,
        provide_alternative: bool = False,
        requested_completion: str | None = None,
        relate_items: bool = False,
        **poq: Any,
    ) -> dict[str, Any]:
        """A create request with one item per path (ids "1", "2", ...).

        Every request carries the optional buyer attributes a seller must accept and echo
        (Table 6 ``externalId`` and ``projectId``, generated when the profile's
        ``test_data.poq`` gives none; the optional contact fields). ``relate_items`` links
        each further item to item "1" (Table 18 POQ Item Relationship)."""
        names = [paths] if isinstance(paths, str) else list(paths)
        for name in names:
            if name not in TEST_DATA_PATHS:
                raise KeyError(f"unknown test_data path {name!r}")
        body: dict[str, Any] = copy.deepcopy(self.profile.test_data.poq)
        body.update(
            instantSyncQualification=immediate,
            provideAlternative=provide_alternative,
            relatedContactInformation=[self.buyer_contact()],
            productOfferingQualificationItem=[
                self.item(name, str(index)) for index, name in enumerate(names, start=1)
            ],
        )
        body.setdefault("externalId", self.unique_label("poq-conformance-ext"))
        body.setdefault("projectId", self.project_id)
        if relate_items:
            for item in body["productOfferingQualificationItem"][1:]:
                item.setdefault("qualificationItemRelationship",
                                [{"id": "1", "relationshipType": "reliesOn"}])
        if not immediate:
            body["requestedPOQCompletionDate"] = requested_completion or self.requested_completion()
        elif requested_completion:
            body["requestedPOQCompletionDate"] = requested_completion
        body.update(poq)
        return body

    def install_offering(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """Use case 2a: INSTALL with a product offering (ends green or yellow)."""
        return self.create("install_offering", immediate=immediate, **poq)

    def install_specification(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """Use case 2b: INSTALL with a product specification; R10 sets Provide Alternate."""
        poq.setdefault("provide_alternative", True)
        return self.create("install_specification", immediate=immediate, **poq)

    def change_product(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """Use case 2c: CHANGE of an existing product."""
        return self.create("change_product", immediate=immediate, **poq)

    def red_with_alternatives(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """2a that ends red, asking for alternates."""
        poq.setdefault("provide_alternative", True)
        return self.create("install_offering_red", immediate=immediate, **poq)

    def change_with_alternatives(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """2c that ends YELLOW or RED, asking for alternates (R75-R77, D6, O13, O14)."""
        poq.setdefault("provide_alternative", True)
        return self.create("change_product_alternates", immediate=immediate, **poq)

    def install_off_net(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """2a answered with an off-net delivery (O6: 3rd party provider may be named)."""
        return self.create("install_offering_off_net", immediate=immediate, **poq)

    def change_off_net(self, immediate: bool = True, **poq: Any) -> dict[str, Any]:
        """2c answered with an off-net delivery (O11: 3rd party provider may be named)."""
        return self.create("change_product_off_net", immediate=immediate, **poq)

    def insufficient_information(self, immediate: bool = False, **poq: Any) -> dict[str, Any]:
        """A request the seller cannot evaluate (ends REJECTED when deferred)."""
        return self.create("insufficient_information", immediate=immediate, **poq)

    def unable_to_meet_time(self, delay_s: float = 2.0, **poq: Any) -> dict[str, Any]:
        """Deferred request with a requested completion date ``delay_s`` from now, beside a

        normal item, so one item cannot meet the time while the other is still worked."""
        paths = ["unable_to_meet_time"] if self.has("unable_to_meet_time") else [
            "install_offering"]  # no test data: a near date the seller may not meet
        paths.append("install_offering")
        poq.setdefault("requested_completion", self.requested_completion(delay_s))
        return self.create(paths, immediate=False, **poq)

    def unique_label(self, prefix: str = "poq-conformance") -> str:
        """A label (externalId / projectId) no other POQ of this run carries."""
        return f"{prefix}-{now().strftime('%Y%m%dT%H%M%S')}-{next(_counter)}"


__all__ = ["BUYER_CONTACT_ROLE", "MissingTestData", "PayloadBuilder", "now", "rfc3339"]
