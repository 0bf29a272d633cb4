"""The request log keeps raw facts (mock_seller/sandbox/request_log.py): what it counts
against its byte cap must be what the written entry weighs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_seller.sandbox.request_log import ApiRequest, RequestLog

_text = st.text(max_size=40)
_query = st.dictionaries(_text, st.one_of(_text, st.lists(_text, max_size=3)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(method=_text, path=_text, query=_query, status=st.integers(100, 599),
       endpoint=_text, buyer=st.one_of(st.none(), _text), seller=st.one_of(st.none(), _text),
       latency=st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False)),
       truncated=st.booleans(),
       when=st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(timezone.utc)))
def test_an_entry_costs_its_json_length(method: str, path: str, query: dict[str, object],
                                        status: int, endpoint: str, buyer: str | None,
                                        seller: str | None, latency: float | None,
                                        truncated: bool, when: datetime) -> None:
    request = ApiRequest(when, method, path, query, status, endpoint, buyer, seller, latency,
                         truncated)
    assert request.cost() == len(json.dumps(request.entry(), default=str))


def test_the_log_writes_entries_when_read() -> None:
    log = RequestLog(size=2)
    when = datetime(2026, 11, 30, 5, 31, 2, 123456, tzinfo=timezone.utc)
    for status in (200, 201, 404):
        log.add(ApiRequest(when, "GET", "/p", {}, status, "retrieve", "alice", None, 1.5))
    log.add({"status": 500})  # a ready-made entry is kept as it is
    assert log.entries() == [
        {"time": "2026-11-30T05:31:02.123Z", "method": "GET", "path": "/p", "query": {},
         "status": 404, "endpoint": "retrieve", "buyer": "alice", "seller": None,
         "latency_ms": 1.5},
        {"status": 500}]
    assert log.entries(buyer="alice")[0]["status"] == 404 and log.total == 4
