"""The detection matrix: the harness run against the mock seller with one seeded defect at a
time must report every seeded violation `fail` and nothing else beyond the documented side
effects; the clean mock must fail nothing (v8 and v7). Plus fast checks of the registry,
its documentation and the hook points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mock_seller.app import create_app, engine_of
from mock_seller.core.scenario import ScenarioError, load_scenario
from mock_seller.proving import load_defects
from mock_seller.proving.docs import render as render_defects_doc
from mock_seller.proving.kit import ProvingKit
from mock_seller.proving.matrix import dialects_of, profile_for, scenario_for
from mock_seller.server import MockServer
from schemas.catalogue import USE_CASES, load_catalogue

ROOT = Path(__file__).resolve().parents[1]
V8_POQ = "/mefApi/sonata/productOfferingQualification/v8/productOfferingQualification"
DEFECTS = load_defects()
RUNS = [(name, api) for name, defect in DEFECTS.items() for api in dialects_of(defect)]
CREATE_BODY = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Jane",
                                   "number": "+1-555-0199", "emailAddress": "j@buyer.example"}],
    "productOfferingQualificationItem": [{
        "id": "1", "action": "add",
        "product": {"productOffering": {"id": "000073"}, "productConfiguration": {
            "@type": "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"}}}],
}


# -- registry ------------------------------------------------------------------------------
def test_every_defect_names_real_requirements_and_use_cases() -> None:
    cat = load_catalogue()
    for defect in DEFECTS.values():
        assert defect.breaks, defect.name
        for req_id in (*defect.breaks, *(s.id for s in defect.side_effects)):
            assert req_id in cat, f"{defect.name}: {req_id}"
        assert set(defect.use_cases) <= set(USE_CASES), defect.name
        assert defect.api in ("v8", "v7", "both"), defect.name
        assert not set(defect.breaks) & {s.id for s in defect.side_effects}, defect.name
        for side in defect.side_effects:
            assert side.why.strip(), f"{defect.name}: side effect {side.id} without why"


def test_every_seller_side_must_has_a_defect() -> None:
    """Issue 8.1: at least one profile per seller-side MUST / MUST NOT observable on the API."""
    covered = {i for d in DEFECTS.values() for i in d.breaks}
    missing = [r.id for r in load_catalogue()
               if r.is_mandatory and r.verification == "seller" and r.id not in covered]
    assert missing == []


def test_defects_doc_is_current() -> None:
    doc = (ROOT / "docs" / "defects.md").read_text("utf-8")
    assert doc == render_defects_doc(), "run: python -m mock_seller.proving.docs"


def test_unknown_defect_or_variant_is_named() -> None:
    """The proving kit owns the scenario keys: an app built with it names a bad one."""
    data = scenario_for()
    data["defects"] = ["no_such_defect"]
    with pytest.raises(ScenarioError, match=r"/defects.*no_such_defect"):
        create_app({"SCENARIO": data})
    data = scenario_for()
    data["variants"] = ["always_immediate", "nope"]
    with pytest.raises(ScenarioError, match=r"/variants/1.*nope"):
        load_scenario(data, [ProvingKit().prepare_scenario])


def test_the_core_alone_knows_no_defect() -> None:
    """Without extensions the scenario's defect names are data nobody acts on."""
    data = scenario_for()
    data["defects"] = ["no_seller_contact"]
    client = create_app({"SCENARIO": data}, extensions=()).test_client()
    body = client.post(V8_POQ, json=CREATE_BODY).get_json()
    assert any(c["role"] == "sellerContactInformation"
               for c in body["relatedContactInformation"])


def test_the_kit_uses_hooks_and_patches_no_live_object() -> None:
    data = scenario_for()
    data["defects"] = ["no_seller_contact", "duplicate_poq_ids", "event_without_state"]
    app = create_app({"SCENARIO": data})
    engine = engine_of(app)
    assert not {"publish", "subscribe", "unsubscribe"} & set(vars(engine.notifier))
    assert "add" not in vars(engine.store)
    body = app.test_client().post(V8_POQ, json=CREATE_BODY).get_json()
    assert not any(c["role"] == "sellerContactInformation"
                   for c in body["relatedContactInformation"])


def test_scenario_for_merges_what_a_defect_needs() -> None:
    defect = DEFECTS["duplicate_alternate_ids"]
    scenario = load_scenario(scenario_for([defect]))
    assert scenario.defects == ("duplicate_alternate_ids",)
    assert scenario.rules[0].when == {"action": "CHANGE"}
    assert load_scenario(scenario_for()).defects == ()


# -- hook points, in process ------------------------------------------------------------------
@pytest.fixture
def seller() -> Iterator[MockServer]:
    with MockServer(scenario_for([DEFECTS["immediate_poq_in_progress"]])) as server:
        yield server


def _create(server: MockServer) -> requests.Response:
    return requests.post(server.base_url("v8") + "/productOfferingQualification",
                         json=CREATE_BODY, timeout=10)


def test_defect_mutates_the_answer_and_can_be_switched_at_run_time(seller: MockServer) -> None:
    from mock_seller.proving.runtime import switch_of

    assert _create(seller).json()["state"] == "inProgress"
    switch = switch_of(seller.app)
    switch.set([])
    assert _create(seller).json()["state"] == "done"
    switch.set(["no_seller_contact"])
    roles = [c["role"] for c in _create(seller).json()["relatedContactInformation"]]
    assert roles == ["buyerContactInformation"]
    with pytest.raises(ValueError, match="unknown defect"):
        switch.set(["nope"])


def test_garbled_status_leaves_the_client_without_an_outcome_code(seller: MockServer) -> None:
    from mock_seller.proving.runtime import switch_of

    switch_of(seller.app).set(["garbled_retrieve_errors"])
    with pytest.raises(requests.RequestException):
        requests.get(seller.base_url("v8") + "/productOfferingQualification/unknown-1",
                     timeout=10)


def test_duplicate_ids_really_collide(seller: MockServer) -> None:
    from mock_seller.proving.runtime import switch_of

    switch_of(seller.app).set(["duplicate_poq_ids"])
    ids = [_create(seller).json()["id"] for _ in range(3)]
    assert ids[1] == ids[2] and ids[0] != ids[1]


# -- the matrix ------------------------------------------------------------------------------


def test_defects_run_in_every_dialect_that_can_express_them() -> None:
    assert ("item_dropped", "v7") in RUNS and ("item_dropped", "v8") in RUNS
    assert ("no_delivery_type", "v7") not in RUNS  # v7 has no delivery type
    assert {a for n, a in RUNS if n == "log_skips_state"} == {"v8", "v7"}


def test_a_defect_can_change_what_the_profile_claims() -> None:
    defect = DEFECTS["deferred_without_notifications"]
    profile = profile_for("v7", defect.profile)
    assert profile["capabilities"]["notifications"] is False
    assert profile["capabilities"]["deferred"] is True
    assert profile["seller"]["api"] == "v7"


def test_control_route_switches_defects() -> None:
    """PUT /_mock/defects behind the control guard; unknown names are a 400 naming them."""
    from mock_seller.app import create_app

    app = create_app({"CONTROL_TOKEN": "matrix-control-token"})
    client = app.test_client()
    auth = {"Authorization": "Bearer matrix-control-token"}
    assert client.put("/_mock/defects", json={"defects": []}).status_code == 401
    answer = client.put("/_mock/defects", headers=auth, json={"defects": ["unknown_id_500"]})
    assert answer.status_code == 200
    assert answer.json["defects"] == [{"name": "unknown_id_500", "breaks": ["R86"]}]
    got = client.get("/mefApi/sonata/productOfferingQualification/v8/"
                     "productOfferingQualification/nope")
    assert got.status_code == 500
    bad = client.put("/_mock/defects", headers=auth, json={"defects": ["nope"]})
    assert bad.status_code == 400 and "nope" in bad.json["reason"]
    assert client.put("/_mock/defects", headers=auth, json={"defects": []}).json["defects"] == []
    assert client.get("/mefApi/sonata/productOfferingQualification/v8/"
                      "productOfferingQualification/nope").status_code == 404


# -- harness fixes found by the matrix ---------------------------------------------------------
def test_r99_needs_an_item_in_progress() -> None:
    """Found by in_progress_with_acknowledged_item: an IN_PROGRESS POQ whose items are all
    ACKNOWLEDGED passed R99 (the catalogue note and Table 29 want one IN_PROGRESS item)."""
    from harness.checks.states import check_in_progress_items
    from schemas.dialect import ACKNOWLEDGED, IN_PROGRESS, READY

    assert not check_in_progress_items(IN_PROGRESS, [ACKNOWLEDGED])[0]
    assert not check_in_progress_items(IN_PROGRESS, [ACKNOWLEDGED, READY])[0]
    assert check_in_progress_items(IN_PROGRESS, [ACKNOWLEDGED, IN_PROGRESS])[0]
    assert check_in_progress_items(IN_PROGRESS, [READY, IN_PROGRESS])[0]
    assert check_in_progress_items(READY, [READY]).status == "not_tested"  # nothing to judge


def test_item_logs_are_judged_for_r102() -> None:
    """Found by item_log_illegal_transition: the deferred life-cycle test judged the POQ's
    stateChange log but not the items' logs. The item log check it now runs:"""
    from harness.checks.states import check_item_sequence
    from schemas.dialect import ACKNOWLEDGED, IN_PROGRESS, READY, get_dialect
    from suites._support import state_history

    v8 = get_dialect("v8")
    log = [{"state": s} for s in ("acknowledged", "done", "inProgress", "done")]
    history = state_history(log, v8.mef_item_state)
    assert history == [ACKNOWLEDGED, READY, IN_PROGRESS, READY]
    assert not check_item_sequence(history)[0]
    source = (ROOT / "suites" / "test_uc2_deferred.py").read_text("utf-8")
    assert 'state_history(item.get("stateChange"), dialect.mef_item_state)' in source


def test_pages_may_cover_more_than_a_capped_unpaged_list() -> None:
    """Found by the capped_pages variant: a seller that caps the unpaged list (2 of 3, with
    X-Pagination-Throttled) failed R80 because the limit=1 pages found the third record."""
    from harness.checks.listing import check_pages

    pages = [([{"id": i}], {"X-Total-Count": "3"}) for i in ("a", "b", "c")]
    assert check_pages(pages, [{"id": "a"}, {"id": "b"}], whole_complete=False)[0]
    assert not check_pages(pages, [{"id": "a"}, {"id": "b"}])[0]
    assert not check_pages(pages[:1], [{"id": "a"}, {"id": "b"}], whole_complete=False)[0]
