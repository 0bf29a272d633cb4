"""PayloadBuilder: every path's request is schema-valid in its dialect and buyer-complete."""

from __future__ import annotations

from datetime import datetime

import pytest

from harness.payloads import MissingTestData, PayloadBuilder, rfc3339
from harness.profile import bundled_profile_path, load_profile
from schemas.validation import validate


@pytest.fixture(params=["mock-v8", "mock-v7"])
def builder(request: pytest.FixtureRequest) -> PayloadBuilder:
    return PayloadBuilder(load_profile(bundled_profile_path(request.param)))


BUILDS = ["install_offering", "install_specification", "change_product",
          "red_with_alternatives", "insufficient_information", "unable_to_meet_time",
          "change_with_alternatives", "install_off_net", "change_off_net"]


@pytest.mark.parametrize("method", BUILDS)
def test_every_path_is_schema_valid(builder: PayloadBuilder, method: str) -> None:
    if method == "change_off_net" and builder.profile.api == "v7":
        assert not builder.has("change_product_off_net")  # O11 is v8 only
        return
    body = getattr(builder, method)()
    assert validate(builder.profile.api, "ProductOfferingQualification_Create", body) == []
    assert body["relatedContactInformation"][0]["role"] == "buyerContactInformation"
    assert isinstance(body["instantSyncQualification"], bool)
    assert isinstance(body["provideAlternative"], bool)
    items = body["productOfferingQualificationItem"]
    assert [i["id"] for i in items] == [str(n) for n in range(1, len(items) + 1)]
    if not body["instantSyncQualification"]:
        assert "requestedPOQCompletionDate" in body  # R11


def test_actions_follow_the_use_case(builder: PayloadBuilder) -> None:
    assert builder.install_offering()["productOfferingQualificationItem"][0]["action"] == "add"
    change = builder.change_product()["productOfferingQualificationItem"][0]
    assert change["action"] == "modify" and change["product"]["id"]
    assert builder.install_specification()["provideAlternative"] is True  # R10


def test_deferred_date_and_overrides(builder: PayloadBuilder) -> None:
    body = builder.install_offering(immediate=False, externalId="x-1")
    assert body["externalId"] == "x-1"
    assert datetime.fromisoformat(body["requestedPOQCompletionDate"].replace("Z", "+00:00"))
    soon = builder.unable_to_meet_time(delay_s=1.0)
    assert soon["requestedPOQCompletionDate"] < body["requestedPOQCompletionDate"]
    assert len(soon["productOfferingQualificationItem"]) == 2


def test_missing_fragment_is_reported(builder: PayloadBuilder) -> None:
    profile = builder.profile
    from dataclasses import replace

    bare = replace(profile, test_data=replace(profile.test_data, change_product=None))
    with pytest.raises(MissingTestData, match="change_product"):
        PayloadBuilder(bare).change_product()
    assert not PayloadBuilder(bare).has("change_product")
    with pytest.raises(KeyError):
        builder.create("nonsense", immediate=True)


def test_optional_paths(builder: PayloadBuilder) -> None:
    """2c alternates ask for alternates and change a product; off-net paths keep the action
    of their use case; without the fragment they are reported missing by key."""
    alt = builder.change_with_alternatives()
    assert alt["provideAlternative"] is True
    assert alt["productOfferingQualificationItem"][0]["action"] == "modify"
    assert builder.install_off_net()["productOfferingQualificationItem"][0]["action"] == "add"
    if builder.has("change_product_off_net"):
        off_net = builder.change_off_net()["productOfferingQualificationItem"][0]
        assert off_net["action"] == "modify"
    from dataclasses import replace

    profile = builder.profile
    bare = PayloadBuilder(replace(profile, test_data=replace(
        profile.test_data, change_product_alternates=None, install_offering_off_net=None)))
    assert not bare.has("change_product_alternates") and not bare.has("install_offering_off_net")
    with pytest.raises(MissingTestData, match="test_data.install_offering_off_net"):
        bare.install_off_net()


def test_rfc3339_form() -> None:
    assert rfc3339(datetime(2030, 1, 2, 3, 4, 5, 123456).astimezone()).endswith("Z")


@pytest.mark.parametrize("method", BUILDS)
def test_requests_pass_the_mock_sellers_buyer_side_checks(
    builder: PayloadBuilder, method: str
) -> None:
    """Our own requests must meet the buyer-side requirements (R9-R26, R48-R54), so a seller can
    never blame the harness: judged by the same checks the mock seller applies to buyers."""
    from mock_seller.buyer.checks import run_create
    from mock_seller.core.scenario import load_scenario

    build = getattr(builder, method)
    try:
        body = build() if method == "unable_to_meet_time" else build(immediate=True)
    except MissingTestData:
        pytest.skip(f"{method}: no test data in this profile")
    scenario = load_scenario("default")
    api = builder.profile.api
    findings, _ = run_create(api, body, scenario)
    assert findings, "the checks judged nothing"
    assert [f for f in findings if not f.ok] == []


def test_place_contact_defaults_to_buyer_contact_and_keeps_a_given_one(
    builder: PayloadBuilder,
) -> None:
    item = builder.item("install_offering")
    if builder.profile.api == "v8":
        (place,) = item["product"]["place"]
        assert place["contact"] == [builder.place_contact()]
        assert "role" not in place["contact"][0]
    else:
        assert item["relatedContactInformation"] == [
            {"role": "locationContact", **builder.place_contact()}]
    assert builder.place_contact()["name"] == builder.profile.test_data.buyer_contact["name"]
    given = {"name": "Site Guard", "number": "1", "emailAddress": "g@site.example"}
    fragment = builder.profile.test_data.install_offering
    if builder.profile.api == "v8":
        fragment["product"]["place"][0]["contact"] = [given]
        try:
            assert builder.item("install_offering")["product"]["place"][0]["contact"] == [given]
        finally:
            del fragment["product"]["place"][0]["contact"]


def test_optional_buyer_attributes_are_sent_without_profile_data(builder: PayloadBuilder
                                                                 ) -> None:
    """Rule 7 of issue 11: echo is only as strong as what is sent. A profile without
    test_data.poq still gets externalId/projectId, the optional contact fields and (on
    request) an item relationship, all schema-valid."""
    from dataclasses import replace

    bare = replace(builder.profile, test_data=replace(builder.profile.test_data, poq={}))
    plain = PayloadBuilder(bare)
    first = plain.install_offering(immediate=True)
    second = plain.install_offering(immediate=True)
    assert first["externalId"] != second["externalId"]
    assert first["projectId"] == second["projectId"] == plain.project_id
    contact = first["relatedContactInformation"][0]
    assert {"organization", "numberExtension", "postalAddress"} <= set(contact)
    both = plain.create(["install_offering", "install_offering"], immediate=True,
                        relate_items=True, requested_completion=plain.requested_completion())
    assert both["requestedPOQCompletionDate"]
    items = both["productOfferingQualificationItem"]
    assert "qualificationItemRelationship" not in items[0]
    assert items[1]["qualificationItemRelationship"] == [{"id": "1",
                                                          "relationshipType": "reliesOn"}]
    for body in (first, both):
        assert validate(bare.api, "ProductOfferingQualification_Create", body) == []
    # the profile's own values win
    given = builder.install_offering(immediate=True)
    assert given["projectId"] == builder.profile.test_data.poq["projectId"]
    assert given["externalId"] == builder.profile.test_data.poq["externalId"]


def test_unable_to_meet_time_without_test_data_uses_a_near_date(builder: PayloadBuilder
                                                                ) -> None:
    from dataclasses import replace

    bare = PayloadBuilder(replace(builder.profile, test_data=replace(
        builder.profile.test_data, unable_to_meet_time=None)))
    body = bare.unable_to_meet_time(delay_s=3)
    assert len(body["productOfferingQualificationItem"]) == 2
    assert body["instantSyncQualification"] is False
    due = datetime.fromisoformat(body["requestedPOQCompletionDate"].replace("Z", "+00:00"))
    assert 0 < (due - datetime.now(due.tzinfo)).total_seconds() < 10
