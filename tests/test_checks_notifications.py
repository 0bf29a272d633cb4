"""Notification checks: registered types, ownership, coverage of state changes, real states."""

from __future__ import annotations

from harness.checks import notifications as c
from schemas.dialect import V7, V8

BASE = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener/"


def poq_event(poq: str, state: str | None) -> dict:
    event = {"id": poq} if state is None else {"id": poq, "state": state}
    return {"path": BASE + "poqStateChangeEvent",
            "body": {"eventId": "e", "eventType": "poqStateChangeEvent", "event": event}}


def item_event(poq: str, item: str, state: str | None) -> dict:
    event = {"id": poq, "poqItemId": item}
    if state is not None:
        event["state"] = state
    return {"path": BASE + "poqItemStateChangeEvent",
            "body": {"eventType": "poqItemStateChangeEvent", "event": event}}


def test_event_type_from_body_or_path() -> None:
    assert c.event_type(poq_event("P", "done"), V8) == "POQ_STATE_CHANGE"
    assert c.event_type({"path": BASE + "poqItemStateChangeEvent", "body": {}}, V8) == (
        "POQ_ITEM_STATE_CHANGE")
    assert c.event_type({"path": "/x/poqCreateEvent", "body": None}, V7) == "POQ_CREATE"


def test_parse_query() -> None:
    assert c.parse_query(None, V8) is None
    assert c.parse_query("eventType=poqStateChangeEvent", V8) == {"POQ_STATE_CHANGE"}
    assert c.parse_query("eventType=poqStateChangeEvent,poqItemStateChangeEvent", V8) == {
        "POQ_STATE_CHANGE", "POQ_ITEM_STATE_CHANGE"}


def test_only_registered_types() -> None:
    notes = [poq_event("P", "done"), item_event("P", "1", "done")]
    assert c.check_only_registered_types(notes, None, V8)[0]
    assert not c.check_only_registered_types(notes, {"POQ_STATE_CHANGE"}, V8)[0]
    create = {"path": "/x/poqCreateEvent", "body": {"eventType": "poqCreateEvent",
                                                     "event": {"id": "P"}}}
    ok, message = c.check_only_registered_types([create], {"POQ_STATE_CHANGE"}, V7)
    assert ok and "information" in message


def test_owned_and_none() -> None:
    notes = [poq_event("P", "done")]
    assert c.check_only_owned(notes, ["P"])[0]
    assert not c.check_only_owned(notes, ["Q"])[0]
    assert c.check_none([], "for an immediate POQ").status == "not_tested"
    assert c.check_none([], "for an immediate POQ", occasions=2)[0]
    assert not c.check_none(notes, "after unregistration")[0]
    assert c.check_none([{"path": "/x/poqCreateEvent", "body": {}}], "x", occasions=1)[0]


def test_event_carries_state() -> None:
    assert c.check_event_carries_state(poq_event("P", "inProgress"), V8)[0]
    assert not c.check_event_carries_state(poq_event("P", None), V8)[0]
    assert not c.check_event_carries_state(poq_event("P", "done.ready"), V8)[0]
    assert c.check_event_carries_state(item_event("P", "1", "done.abandoned"), V8)[0]
    assert not c.check_event_carries_state(item_event("P", "", "done"), V8)[0]


def test_coverage_of_history_v8() -> None:
    history = ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    items = {"1": ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]}
    notes = [poq_event("P", "inProgress"), poq_event("P", "done"),
             item_event("P", "1", "inProgress"), item_event("P", "1", "done")]
    assert c.check_events_cover_history(notes, history, items, None, V8)[0]
    ok, message = c.check_events_cover_history(notes[1:], history, items, None, V8)
    assert not ok and "IN_PROGRESS" in message
    assert c.check_events_cover_history(notes[:2], history, items, {"POQ_STATE_CHANGE"}, V8)[0]
    assert not c.check_events_cover_history(notes[:2], history, items, None, V8)[0]


def test_coverage_of_history_v7_counts() -> None:
    history = ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    notes = [poq_event("P", None), poq_event("P", None)]
    assert c.check_events_cover_history(notes, history, {}, {"POQ_STATE_CHANGE"}, V7)[0]
    assert not c.check_events_cover_history(notes[:1], history, {}, {"POQ_STATE_CHANGE"}, V7)[0]


def test_event_states_real() -> None:
    history = ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    items = {"1": ["ACKNOWLEDGED", "READY"]}
    assert c.check_event_states_real([poq_event("P", "done"), item_event("P", "1", "done")],
                                     history, items, V8)[0]
    assert not c.check_event_states_real([poq_event("P", "rejected")], history, items, V8)[0]
    assert not c.check_event_states_real([item_event("P", "1", "inProgress")],
                                         history, items, V8)[0]
    assert not c.check_event_states_real([item_event("P", "9", "done")], history, items, V8)[0]


def test_listener_record_objects_are_understood() -> None:
    from harness.evidence import Notification

    note = Notification(id="nt-1", test=None, path=BASE + "poqStateChangeEvent",
                        received="", monotonic=0.0, body={"truncated": True},
                        json={"eventType": "poqStateChangeEvent",
                              "event": {"id": "P", "state": "done"}})
    assert c.event_type(note, V8) == "POQ_STATE_CHANGE"
    assert c.poq_id_of(note) == "P"
    assert c.check_event_carries_state(note, V8)[0]
