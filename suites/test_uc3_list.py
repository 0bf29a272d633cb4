"""Use case 3: Retrieve POQ List (MEF 79.1 8.3.3; R78-R81, alternative paths of 8.3.3.3).

The module creates its own POQs, labelled with a project and external ids no other POQ of the
seller carries, and requested completion dates one day apart, so each filter can be seen to
keep exactly the POQs it should. Ranges are inclusive (Table 24: "the same as or later").
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import errors, listing
from harness.payloads import PayloadBuilder, now, rfc3339
from suites._support import (
    CreatedPoqs,
    GuardedVerdict,
    PoqRun,
    create,
    judge,
    response_code,
    wait_final,
)

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.evidence import Exchange
    from harness.profile import Profile
    from schemas.dialect import Dialect

pytestmark = pytest.mark.uc("3")
LIST_IDS = ["R78", "R79", "R80", "R81"]


class ListSetup:
    """Three POQs of one project: ids, requests and the requested dates they carry."""

    def __init__(self, project: str, runs: list[PoqRun], dates: list[str]) -> None:
        self.project = project
        self.runs = runs
        self.dates = dates

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.runs if r.id]

    @property
    def state_of_first(self) -> str | None:
        """The last state the first POQ was seen in (final, polled, or as created)."""
        run = self.runs[0]
        return run.last.view.state if run.last else run.first.state

    def request_of(self, poq_id: str) -> dict[str, Any]:
        return next(r.request for r in self.runs if r.id == poq_id)


@pytest.fixture(scope="module")
def list_setup(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
               payloads: PayloadBuilder, created_poqs: CreatedPoqs) -> ListSetup:
    if not seller_profile.has("list"):
        pytest.skip("the seller profile declares no use case 3")
    project = payloads.unique_label("poq-list")
    base = now().replace(microsecond=0) + timedelta(days=30)
    dates = [rfc3339(base + timedelta(days=n)) for n in range(3)]
    immediate = seller_profile.has("immediate")
    runs = []
    for n, date in enumerate(dates):
        request = payloads.install_offering(
            immediate=immediate, projectId=project, externalId=f"{project}-ext-{n}",
            requestedPOQCompletionDate=date)
        run = create(seller, dialect, f"list-{n}", request)
        created_poqs.add(run)
        runs.append(run)
    if not immediate:
        cfg = seller_profile.deferred
        wait_final(seller, runs, cfg.poll_interval_s, cfg.max_wait_s)
    if not all(r.created for r in runs):
        pytest.skip("the POQs to list could not be created (judged by the use case 2 suites)")
    return ListSetup(project, runs, dates)


def _list(seller: SellerClient, verdict: GuardedVerdict,
          params: dict[str, Any]) -> tuple[Any, list[Any]]:
    """GET the list, judge R78/R80 on the answer, return the exchange and its rows."""
    exchange = seller.list_poqs(params)
    judge(verdict, ["R78"], response_code(seller.profile.api, "list", exchange, f"list {params}"),
          [exchange])
    rows = exchange.json
    ok = exchange.status == 200 and isinstance(rows, list)
    verdict.check("R80", ok, f"list {params}: HTTP {exchange.status}, "
                  f"{'a list of ' + str(len(rows)) if isinstance(rows, list) else 'no list'}",
                  evidence=[exchange])
    return exchange, rows if ok else []


def _complete(exchange: Exchange, rows: list[Any]) -> bool:
    """Whether the page holds every match (not capped by the seller)."""
    if listing.throttled(exchange.response_headers):
        return False
    total = listing.header(exchange.response_headers, "X-Total-Count")
    return not (total is not None and total.isdigit() and int(total) > len(rows))


@pytest.mark.requirements("R78", "R80", "R81")
def test_summary_fields(seller: SellerClient, dialect: Dialect, verdict: GuardedVerdict,
                        list_setup: ListSetup) -> None:
    """Each listed POQ carries id, state, create date and the buyer's labels (Table 26)."""
    exchange, rows = _list(seller, verdict, {"projectId": list_setup.project})
    mine = [r for r in rows if isinstance(r, dict) and r.get("id") in list_setup.ids]
    judge(verdict, ["R80"], listing.check_membership(rows, list_setup.ids, [],
                                                     _complete(exchange, rows)), [exchange])
    for row in mine:
        judge(verdict, ["R81"], listing.check_summary_fields(
            row, list_setup.request_of(row["id"]), dialect), [exchange])
    if not mine:
        verdict.check("R81", False, "none of the created POQs was listed", evidence=[exchange])


FILTERS = {
    # name -> (params builder, indexes of the created POQs that match)
    "externalId": (lambda s, d: {"externalId": f"{s.project}-ext-1"}, [1]),
    "projectId": (lambda s, d: {"projectId": s.project}, [0, 1, 2]),
    "requestedPOQCompletionDate.gt": (
        lambda s, d: {"projectId": s.project, "requestedPOQCompletionDate.gt": s.dates[1]},
        [1, 2]),
    "requestedPOQCompletionDate.lt": (
        lambda s, d: {"projectId": s.project, "requestedPOQCompletionDate.lt": s.dates[1]},
        [0, 1]),
    "state": (lambda s, d: {"projectId": s.project,
                            "state": d.wire_poq_state(s.state_of_first)
                            if s.state_of_first else "x"}, [0, 1, 2]),
    "state (no match)": (lambda s, d: {"projectId": s.project, "state": d.wire_poq_state(
        "REJECTED" if s.state_of_first == "ACKNOWLEDGED" else "ACKNOWLEDGED")}, []),
}


@pytest.mark.requirements("R78", "R80")
@pytest.mark.parametrize("name", list(FILTERS))
def test_filter_really_filters(seller: SellerClient, dialect: Dialect, verdict: GuardedVerdict,
                               list_setup: ListSetup, name: str) -> None:
    """Every row satisfies the filter; the created POQs that match are listed, others not."""
    build, matching = FILTERS[name]
    params = build(list_setup, dialect)
    exchange, rows = _list(seller, verdict, params)
    ev = [exchange]
    include = [str(list_setup.runs[i].id) for i in matching]
    exclude = [str(r.id) for n, r in enumerate(list_setup.runs) if n not in matching]
    judge(verdict, ["R80"], listing.check_rows_match(rows, params), ev)
    judge(verdict, ["R80"], listing.check_membership(rows, include, exclude,
                                                     _complete(exchange, rows)), ev)


@pytest.mark.requirements("R78", "R80")
def test_creation_date_range(seller: SellerClient, dialect: Dialect, verdict: GuardedVerdict,
                             list_setup: ListSetup) -> None:
    """(v8) creationDate.gt / .lt around the POQs' creation keep or drop them all."""
    if not dialect.has_creation_date:
        pytest.skip("v7 has no creationDate filter")
    parsed = [listing.parse_instant(r.create.json.get("creationDate")) for r in list_setup.runs]
    created = [c for c in parsed if c is not None]
    if len(created) != len(parsed):
        verdict.not_tested("R80", "the created POQs carry no creationDate to filter on")
        return
    before = rfc3339(min(created) - timedelta(minutes=5))
    for params, matching in (({"creationDate.gt": before}, list_setup.ids),
                             ({"creationDate.lt": before}, [])):
        params = {"projectId": list_setup.project, **params}
        exchange, rows = _list(seller, verdict, params)
        exclude = [i for i in list_setup.ids if i not in matching]
        judge(verdict, ["R80"], listing.check_rows_match(rows, params), [exchange])
        judge(verdict, ["R80"], listing.check_membership(rows, matching, exclude,
                                                         _complete(exchange, rows)), [exchange])


@pytest.mark.requirements("R78", "R80")
def test_empty_list_when_nothing_matches(seller: SellerClient, verdict: GuardedVerdict,
                                         payloads: PayloadBuilder, list_setup: ListSetup) -> None:
    """8.3.3.3 path 2: no POQ matches -> success with an empty list."""
    params = {"externalId": payloads.unique_label("poq-none")}
    exchange = seller.list_poqs(params)
    judge(verdict, ["R78"], response_code(seller.profile.api, "list", exchange), [exchange])
    judge(verdict, ["R80"], listing.check_empty(exchange.status, exchange.json), [exchange])


@pytest.mark.requirements("R78", "R80")
def test_pagination(seller: SellerClient, verdict: GuardedVerdict, list_setup: ListSetup) -> None:
    """offset/limit pages agree with the unpaged list and with the count headers."""
    whole_ex, whole = _list(seller, verdict, {"projectId": list_setup.project})
    first, first_rows = _list(seller, verdict, {"projectId": list_setup.project, "limit": 1})
    if len(first_rows) > 1 and listing.header(first.response_headers, "X-Result-Count") is None:
        # MEF 79.1 does not require pagination (the v8 guide only recommends it, D4 there).
        pytest.skip("the seller ignores limit: pagination not supported")
    pages = []
    for offset in range(0, max(len(whole), 1) + 1):
        params = {"projectId": list_setup.project, "offset": offset, "limit": 1}
        exchange, rows = _list(seller, verdict, params)
        judge(verdict, ["R80"], listing.check_page(rows, exchange.response_headers, 1, offset),
              [exchange])
        if not rows:
            break
        pages.append((rows, exchange.response_headers))
    judge(verdict, ["R80"], listing.check_pages(pages, whole, _complete(whole_ex, whole)),
          [whole_ex])


@pytest.mark.requirements("R78", "R79", "R80")
def test_invalid_query_is_a_failure(seller: SellerClient, verdict: GuardedVerdict) -> None:
    """8.3.3.3 path 1: a request the seller cannot process (unknown state value) is a
    failure with a MEF Error body and no list content."""
    exchange = seller.list_poqs({"state": "noSuchState"})
    ev = [exchange]
    judge(verdict, ["R78"], response_code(seller.profile.api, "list", exchange), ev)
    if exchange.status == 200:
        # Lenient but legal: then no POQ can match a state that does not exist.
        judge(verdict, ["R80"], listing.check_empty(exchange.status, exchange.json), ev)
        verdict.not_tested("R79", "the seller accepted an unknown state value (HTTP 200), so "
                           "no failure response was observed")
        return
    # Which failure code is the seller's choice (R78 judges it); R79 judges what it carries.
    if exchange.status is not None and exchange.status >= 400:
        judge(verdict, ["R79"], errors.check_error_body(exchange.status, exchange.json), ev)
        judge(verdict, ["R79"], errors.check_no_success_attributes(
            exchange.json, errors.LIST_ROW_ATTRIBUTES, "list failure", exchange.status), ev)


MAX_THRESHOLD = 50  # more POQs than this are not created just to exceed an agreed threshold


@pytest.mark.requirements("R78", "R79", "R80")
def test_too_many_records(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
                          verdict: GuardedVerdict, payloads: PayloadBuilder,
                          created_poqs: CreatedPoqs, list_setup: ListSetup) -> None:
    """8.3.3.3 path 3: more matches than the agreed threshold give 422 tooManyRecords (a MEF
    Error, no list content), an empty list, or at most the agreed number of records."""
    threshold = seller_profile.listing.too_many_records_threshold
    if threshold is None or threshold > MAX_THRESHOLD:
        why = ("the profile declares no list.too_many_records_threshold" if threshold is None
               else f"list.too_many_records_threshold {threshold} is above {MAX_THRESHOLD}: "
               "exceeding it would take too many POQs")
        for req_id in ("R79", "R80"):
            verdict.not_tested(req_id, f"too-many-records path not exercised: {why}")
        return
    project = payloads.unique_label("poq-many")
    immediate = seller_profile.has("immediate")
    for n in range(threshold + 1):
        run = create(seller, dialect, f"many-{n}", payloads.install_offering(
            immediate=immediate, projectId=project, externalId=f"{project}-{n}"))
        created_poqs.add(run)
        if not run.created:
            verdict.not_tested("R80", f"POQ {n + 1} of {threshold + 1} for the too-many-records "
                               f"path could not be created (HTTP {run.create.status})",
                               evidence=[run.create])
            return
    exchange = seller.list_poqs({"projectId": project})
    ev = [exchange]
    status, body = exchange.status, exchange.json
    judge(verdict, ["R78"], response_code(seller.profile.api, "list", exchange,
                                          f"list of {threshold + 1} matches (agreed "
                                          f"threshold {threshold})"), ev)
    result = errors.check_too_many_records(status, body, threshold)
    if status == 200:
        judge(verdict, ["R80"], result, ev)  # an empty list or at most the agreed number
        return
    # Not a success: the response code must say too many records (v8 guide R58: Error422
    # tooManyRecords), and nothing but the code may come back (R79).
    judge(verdict, ["R78"], result, ev)
    if status is not None and 400 <= status < 500:
        judge(verdict, ["R79"], errors.check_error_body(status, body), ev)
        judge(verdict, ["R79"], errors.check_no_success_attributes(
            body, errors.LIST_ROW_ATTRIBUTES, "too-many-records failure"), ev)
