"""List checks: filters that really filter, inclusive ranges, summary fields, pagination."""

from __future__ import annotations

from harness.checks import listing as c
from schemas.dialect import V7, V8

ROWS = [
    {"id": "a", "state": "done", "creationDate": "2030-01-01T00:00:00Z",
     "requestedPOQCompletionDate": "2030-02-01T00:00:00Z", "projectId": "p1"},
    {"id": "b", "state": "acknowledged", "creationDate": "2030-01-02T00:00:00Z",
     "requestedPOQCompletionDate": "2030-03-01T00:00:00Z", "projectId": "p2"},
]


def test_rows_match_filters_and_inclusive_ranges() -> None:
    assert c.check_rows_match(ROWS[:1], {"projectId": "p1", "limit": "5"})[0]
    assert not c.check_rows_match(ROWS, {"projectId": "p1"})[0]
    on_bound = {"requestedPOQCompletionDate.gt": "2030-02-01T00:00:00.000Z"}
    assert c.check_rows_match(ROWS, on_bound)[0]
    before = {"requestedPOQCompletionDate.lt": "2030-02-15T00:00:00Z"}
    assert not c.check_rows_match(ROWS, before)[0]
    assert not c.check_rows_match([{"id": "x"}], {"creationDate.gt": "2030-01-01T00:00:00Z"})[0]


def test_membership() -> None:
    assert c.check_membership(ROWS, ["a"], ["c"])[0]
    assert not c.check_membership(ROWS, ["c"], [])[0]
    assert c.check_membership(ROWS, ["c"], [], complete=False)[0]
    assert not c.check_membership(ROWS, [], ["b"], complete=False)[0]


def test_summary_fields() -> None:
    created = {"requestedPOQCompletionDate": "2030-02-01T00:00:00Z", "projectId": "p1",
               "externalId": "e"}
    ok, message = c.check_summary_fields(ROWS[0], created, V8)
    assert not ok and "externalId missing" in message
    assert c.check_summary_fields(ROWS[0], {"projectId": "p1"}, V8)[0]
    assert not c.check_summary_fields({"id": "a", "state": "done"}, None, V8)[0]
    assert c.check_summary_fields({"id": "a", "state": "done.ready"}, None, V7)[0]
    assert not c.check_summary_fields({"id": "a", "state": "done"}, None, V7)[0]


def test_page_headers() -> None:
    assert c.check_page(ROWS, {"X-Result-Count": "2", "X-Total-Count": "5"}, 2, 0)[0]
    assert not c.check_page(ROWS, {"x-result-count": "3"}, 2, 0)[0]
    assert not c.check_page(ROWS, {}, 1, 0)[0]
    assert not c.check_page(ROWS, {"X-Total-Count": "3"}, 2, 2)[0]


def test_pages_cover_the_list_once() -> None:
    whole = [{"id": i} for i in "abcde"]
    pages = [([{"id": "a"}, {"id": "b"}], {"X-Total-Count": "5"}),
             ([{"id": "c"}, {"id": "d"}], {"X-Total-Count": "5"}),
             ([{"id": "e"}], {"X-Total-Count": "5"})]
    assert c.check_pages(pages, whole)[0]
    overlapping = [pages[0], ([{"id": "b"}, {"id": "c"}], {}), ([{"id": "d"}, {"id": "e"}], {})]
    assert not c.check_pages(overlapping, whole)[0]
    assert not c.check_pages(pages[:2], whole)[0]
    throttled = [(rows, {"X-Pagination-Throttled": "true"}) for rows, _ in pages[:2]]
    assert c.check_pages(throttled, whole)[0]
    changing = [pages[0], ([{"id": "c"}, {"id": "d"}], {"X-Total-Count": "6"}), pages[2]]
    assert not c.check_pages(changing, whole)[0]


def test_empty_list() -> None:
    assert c.check_empty(200, [])[0]
    assert not c.check_empty(200, [{"id": "a"}])[0]
    assert not c.check_empty(404, None)[0]


def test_v7_date_only_rows() -> None:
    rows = [{"id": "a", "state": "done.ready", "requestedPOQCompletionDate": "2030-02-01"}]
    assert c.check_rows_match(rows, {"requestedPOQCompletionDate.gt": "2030-02-01T10:00:00Z"})[0]
    assert c.check_rows_match(rows, {"requestedPOQCompletionDate.lt": "2030-02-01T10:00:00Z"})[0]
    later = {"requestedPOQCompletionDate.gt": "2030-02-02T00:00:00Z"}
    assert not c.check_rows_match(rows, later)[0]
    created = {"requestedPOQCompletionDate": "2030-02-01T10:00:00Z"}
    assert c.check_summary_fields(rows[0], created, V7)[0]
    assert not c.check_summary_fields(rows[0], {"requestedPOQCompletionDate":
                                                "2030-02-03T10:00:00Z"}, V7)[0]
