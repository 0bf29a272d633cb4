"""Retrieve POQ List (UC3): filters, pagination headers, throttling, 400 and 422 answers."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from mock_helpers import (
    POQ,
    create,
    eline_item,
    iso,
    mock_fixture,  # noqa: F401 (fixture)
    poq,
    seller_fixture,  # noqa: F401 (fixture)
)

from mock_seller.core.scenario import load_scenario
from mock_seller.server import MockServer


def _list(server: MockServer, api: str = "v8", **params: str) -> requests.Response:
    return requests.get(server.base_url(api) + POQ, params=params, timeout=5)


def test_summary_rows_and_filters() -> None:
    slow = dataclasses.replace(load_scenario(), in_progress_after=60.0)  # b stays acknowledged
    with MockServer(scenario=slow) as server:
        _summary_rows_and_filters(server)


def _summary_rows_and_filters(mock: MockServer) -> None:
    a = create(mock, poq(eline_item(), projectId="P1", externalId="E1")).json()
    b = create(mock, poq(eline_item(), projectId="P2", instant=False,
                         requested=iso(7200))).json()
    create(mock, poq(eline_item()), "v7")  # other dialect: never listed on v8
    rows = _list(mock).json()
    assert [r["id"] for r in rows] == [a["id"], b["id"]]
    assert set(rows[0]) == {"id", "state", "creationDate", "projectId", "externalId"}
    assert set(rows[1]) == {"id", "state", "creationDate", "projectId",
                            "requestedPOQCompletionDate"}
    assert [r["id"] for r in _list(mock, projectId="P2").json()] == [b["id"]]
    assert [r["id"] for r in _list(mock, externalId="E1").json()] == [a["id"]]
    assert [r["id"] for r in _list(mock, state="done").json()] == [a["id"]]
    assert [r["id"] for r in _list(mock, state="acknowledged").json()] == [b["id"]]
    assert _list(mock, **{"requestedPOQCompletionDate.gt": iso(3600)}).json()[0]["id"] == b["id"]
    assert _list(mock, **{"requestedPOQCompletionDate.lt": iso(3600)}).json() == []
    assert [r["id"] for r in _list(mock, **{"creationDate.gt": a["creationDate"]}).json()] == [
        a["id"], b["id"]]
    assert _list(mock, **{"creationDate.lt": iso(-3600)}).json() == []
    assert _list(mock, projectId="nope").json() == []


def test_v7_rows_use_v7_words_and_have_no_creation_date(mock: MockServer) -> None:
    created = create(mock, poq(eline_item()), "v7").json()
    (row,) = _list(mock, "v7", state="done.ready").json()
    assert row == {"id": created["id"], "state": "done.ready"}
    assert _list(mock, "v7", **{"creationDate.gt": iso(-60)}).status_code == 400


def test_pagination_headers(mock: MockServer) -> None:
    ids = [create(mock, poq(eline_item())).json()["id"] for _ in range(5)]
    page = _list(mock, offset="1", limit="2")
    assert [r["id"] for r in page.json()] == ids[1:3]
    assert page.headers["X-Total-Count"] == "5" and page.headers["X-Result-Count"] == "2"
    assert "X-Pagination-Throttled" not in page.headers
    tail = _list(mock, offset="4", limit="10")
    assert [r["id"] for r in tail.json()] == ids[4:]
    assert _list(mock, offset="9").json() == []


def test_seller_caps_the_page() -> None:
    scenario = dataclasses.replace(load_scenario(), max_page_size=3, too_many_records=None)
    with MockServer(scenario=scenario) as server:
        for _ in range(5):
            create(server, poq(eline_item()))
        page = _list(server, limit="10")
        assert len(page.json()) == 3
        assert page.headers["X-Pagination-Throttled"] == "true"
        assert page.headers["X-Total-Count"] == "5" and page.headers["X-Result-Count"] == "3"
        last = _list(server, offset="3", limit="10")
        assert len(last.json()) == 2 and "X-Pagination-Throttled" not in last.headers


def test_too_many_records_unless_a_filter_narrows() -> None:
    scenario = dataclasses.replace(load_scenario(), too_many_records=3)
    with MockServer(scenario=scenario) as server:
        for i in range(5):
            create(server, poq(eline_item(), projectId="big" if i < 4 else "small"))
        resp = _list(server)
        assert resp.status_code == 422
        (entry,) = resp.json()
        assert entry["code"] == "tooManyRecords" and "reason" in entry
        assert _list(server, projectId="big").status_code == 422
        assert len(_list(server, projectId="small").json()) == 1


@pytest.mark.parametrize("params", [{"limit": "x"}, {"offset": "-1"}, {"limit": "0"},
                                    {"state": "done.ready"}, {"state": "READY"},
                                    {"creationDate.gt": "yesterday"},
                                    {"requestedPOQCompletionDate.lt": "2024-13-01T00:00:00Z"},
                                    {"colour": "red"}])
def test_bad_queries_are_400_invalid_query(mock: MockServer, params: dict) -> None:
    resp = _list(mock, **params)
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalidQuery"
    assert isinstance(resp.json(), dict) and "id" not in resp.json()


def test_trailing_slash_of_the_guides_is_accepted(mock: MockServer) -> None:
    created = create(mock, poq(eline_item())).json()
    resp = requests.get(mock.base_url("v8") + POQ + "/", timeout=5)
    assert resp.status_code == 200 and [r["id"] for r in resp.json()] == [created["id"]]
