"""POQ-level checks of create and retrieve responses."""

from __future__ import annotations

from harness.checks import poq as c
from schemas.dialect import V7, V8

SELLER = {"role": "sellerContactInformation", "name": "S", "number": "1", "emailAddress": "s@x"}


def test_id_state_and_items() -> None:
    assert c.check_poq_id({"id": "P1"})[0]
    assert not c.check_poq_id({"id": ""})[0]
    assert not c.check_poq_id([])[0]
    assert c.check_poq_state_is({"state": "acknowledged"}, V8, "ACKNOWLEDGED")[0]
    assert not c.check_poq_state_is({"state": "inProgress"}, V8, "ACKNOWLEDGED")[0]
    assert c.check_poq_state_is({"state": "done.ready"}, V7, "READY")[0]
    assert not c.check_poq_state_is({"state": "done.ready"}, V8, "READY")[0]
    assert c.check_poq_state_present({"state": "terminatedWithError"}, V7)[0]
    assert not c.check_poq_state_present({}, V8)[0]
    assert c.check_items_present({"productOfferingQualificationItem": [{}]})[0]
    assert not c.check_items_present({"productOfferingQualificationItem": []})[0]


def test_creation_date_per_dialect() -> None:
    assert c.check_creation_date({"creationDate": "2030-01-01T00:00:00Z"}, V8)[0]
    assert not c.check_creation_date({"creationDate": "yesterday"}, V8)[0]
    assert not c.check_creation_date({}, V8)[0]
    log = {"stateChange": [{"state": "acknowledged", "changeDate": "2030-01-01T00:00:00Z"}]}
    assert c.check_creation_date(log, V7)[0]
    assert not c.check_creation_date({}, V7)[0]


def test_seller_contact() -> None:
    assert c.check_seller_contact({"relatedContactInformation": [SELLER, dict(SELLER)]})[0]
    assert not c.check_seller_contact({"relatedContactInformation": [
        dict(SELLER, role="buyerContactInformation")]})[0]
    assert not c.check_seller_contact({"relatedContactInformation": [
        dict(SELLER, emailAddress="")]})[0]


def test_expected_completion_and_unique_ids() -> None:
    assert c.check_expected_completion({"expectedPOQCompletionDate": "2030-01-01T00:00:00Z"})[0]
    assert not c.check_expected_completion({})[0]
    assert c.check_unique_ids(["a", "b"])[0]
    assert not c.check_unique_ids(["a", "b", "a"])[0]


def test_state_log() -> None:
    poq = {"stateChange": [{"state": "acknowledged"}, {"state": "done"}]}
    assert c.state_log(poq, V8.mef_poq_state) == ["ACKNOWLEDGED", "READY"]


def test_log_order_is_the_sellers_choice() -> None:
    """Newest-first logs are read backwards, others by changeDate; entries of one instant
    keep the seller's order when the dates give no direction (rule 4)."""
    log = [{"state": "done", "changeDate": "2026-01-01T00:00:02Z"},
           {"state": "inProgress", "changeDate": "2026-01-01T00:00:02Z"},
           {"state": "acknowledged", "changeDate": "2026-01-01T00:00:00.500Z"}]
    assert c.state_log({"stateChange": log}, V8.mef_poq_state) == [
        "ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    shuffled = [log[1], log[2], log[0]]  # no direction: sorted, ties kept as given
    assert c.state_log({"stateChange": shuffled}, V8.mef_poq_state) == [
        "ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    same = [{**e, "changeDate": "2026-01-01T00:00:00Z"} for e in reversed(log)]
    same[1], same[2] = same[2], same[1]  # ACK, READY, IN_PROGRESS at one instant: as given
    assert c.state_log({"stateChange": same}, V8.mef_poq_state) == [
        "ACKNOWLEDGED", "READY", "IN_PROGRESS"]
    undated = [{"state": "done"}, {"state": "acknowledged"}]
    assert [e["state"] for e in c.chronological(undated)] == ["done", "acknowledged"]


def test_v7_without_state_log_cannot_show_a_create_date() -> None:
    """v7 trap: no optional stateChange -> not_applicable, not a failure (MAPPING.md)."""
    result = c.check_creation_date({"id": "P", "state": "done.ready"}, V7)
    assert result.status == "not_applicable" and not result[0]
    assert c.check_creation_date({"id": "P", "state": "done"}, V8).status == "fail"
