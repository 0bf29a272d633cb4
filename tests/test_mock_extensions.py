"""The extension points the mock seller's core declares (mock_seller/core/hooks.py), used by a
plug-in written here, as a third party would: ``create_app(cfg, extensions=[...])``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from mock_helpers import BUYER, eline_item, poq

from mock_seller.app import create_app, engine_of
from mock_seller.core.engine import Engine
from mock_seller.core.hooks import Answer, AnswerHook, Event

V8 = "/mefApi/sonata/productOfferingQualification/v8"


class Recorder:
    """Renames the scenario, stamps answers, swallows every event and counts new POQs."""

    def __init__(self) -> None:
        self.records: list[str] = []
        self.stamping = True

    def prepare_scenario(self, data: dict[str, Any], label: str) -> dict[str, Any]:
        return {**data, "name": f"recorded {label}"}

    def install(self, app: Flask, engine: Engine) -> None:
        engine.hooks.answer.append(AnswerHook(self._stamp, lambda: self.stamping))
        engine.hooks.publish.append(self._swallow)
        engine.hooks.new_record.append(lambda record: self.records.append(record.id))

    def _stamp(self, answer: Answer) -> None:
        answer.headers["X-Recorded"] = answer.op

    def _swallow(self, api: str, wire_type: str, body: dict[str, Any]) -> list[Event]:
        return []


def test_a_plug_in_uses_every_kind_of_hook() -> None:
    recorder = Recorder()
    app = create_app({"SCENARIO": "default"}, extensions=[recorder])
    client = app.test_client()
    assert engine_of(app).scenario.name == "recorded default (bundled)"
    created = client.post(f"{V8}/productOfferingQualification",
                          json=poq(eline_item(), instant=True))
    assert created.status_code == 201 and created.headers["X-Recorded"] == "create"
    assert recorder.records == [created.get_json()["id"]]
    notifier = engine_of(app).notifier
    notifier.subscribe("v8", "sonata", "http://127.0.0.1:9/listener", None)
    assert notifier.publish("v8", "poqStateChangeEvent", {"eventId": "e"}) == 0  # swallowed
    recorder.stamping = False  # an inactive hook leaves answers untouched
    listed = client.get(f"{V8}/productOfferingQualification")
    assert listed.status_code == 200 and "X-Recorded" not in listed.headers
    assert BUYER in created.get_json()["relatedContactInformation"]


def test_without_extensions_the_seller_answers_as_its_scenario_says() -> None:
    config = {"SCENARIO": "default", "CONTROL_TOKEN": "t"}
    auth = {"Authorization": "Bearer t"}
    bare = create_app(config, extensions=()).test_client()
    created = bare.post(f"{V8}/productOfferingQualification",
                        json=poq(eline_item(), instant=True))
    assert created.status_code == 201 and "X-Recorded" not in created.headers
    assert bare.get("/_mock/defects", headers=auth).status_code == 404  # no kit, no routes
    assert bare.get("/_mock/health", headers=auth).status_code == 200
    assert create_app(config).test_client().get("/_mock/defects", headers=auth).status_code == 200


def test_an_event_is_built_only_when_a_subscription_can_receive_it() -> None:
    """v7 announces every create: with no subscription nothing is built or queued, and the
    publish hooks see the event once a buyer has registered."""
    seen: list[str] = []

    def watch(api: str, wire_type: str, body: dict[str, Any]) -> list[Event]:
        seen.append(wire_type)
        return [(api, wire_type, body)]

    app = create_app({"SCENARIO": "default"})
    engine_of(app).hooks.publish.append(watch)
    client = app.test_client()
    v7 = "/mefApi/sonata/productOfferingQualification/v7/productOfferingQualification"
    body = poq(eline_item(), instant=True)
    assert client.post(v7, json=body).status_code == 201
    assert seen == []
    engine_of(app).notifier.subscribe("v7", "sonata", "http://127.0.0.1:9/listener", None)
    assert client.post(v7, json=body).status_code == 201
    assert seen == ["poqCreateEvent"]
    assert engine_of(app).notifier.outbox.backlog() == 1  # queued for the buyer
