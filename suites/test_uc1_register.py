"""Use case 1: Register for POQ Notifications, Action START / STOP (MEF 79.1 8.3.1; R4, R8).

START is ``POST /hub`` (201 with the id and the echoed callback and query), STOP is
``DELETE /hub/{id}`` (204). Alternative paths of 8.3.1.3: an error for a registration the
seller cannot process (unknown id, invalid return address) and for a seller that only gives
Immediate Responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.checks import errors, side
from suites._support import GuardedVerdict, judge, response_code, skip_ids

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.listener import Listener
    from harness.profile import Profile
    from schemas.dialect import Dialect


def _registration_expected(profile: Profile) -> bool:
    return profile.has("deferred") or profile.has("notifications")


@pytest.mark.uc("1")
@pytest.mark.requirements("R4", "R8")
def test_register_and_unregister(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
                                 verdict: GuardedVerdict, listener: Listener) -> None:
    """START answers 201 with id, callback and query; (v8) GET shows it; STOP answers 204."""
    if not _registration_expected(seller_profile):
        skip_ids(verdict, ["R4"], "the seller gives Immediate Responses only", applicable=False)
        pytest.skip("immediate-only seller: see test_immediate_only_seller_refuses")
    query = f"eventType={dialect.wire_event_type('POQ_STATE_CHANGE')}"
    reg = seller.register(listener.callback_url, query)
    ev = [reg]
    body = reg.json if isinstance(reg.json, dict) else {}
    created = reg.status == 201 and bool(body.get("id"))
    judge(verdict, ["R8"], response_code(dialect.api, "register", reg, "START"), ev)
    if seller_profile.has("deferred"):
        verdict.check("R4", created, f"a seller with Deferred Responses accepts a "
                      f"registration: HTTP {reg.status}, id {body.get('id')!r}", evidence=ev)
    verdict.check("R8", side((created, f"START answered HTTP {reg.status} with id "
                  f"{body.get('id')!r} (expected 201 and an id)")), evidence=ev)
    if not created:
        return
    verdict.check("R8", side((body.get("callback") == listener.callback_url,
                  f"callback echoed as {body.get('callback')!r}")), evidence=ev)
    verdict.check("R8", side((body.get("query") == query,
                  f"query {query!r} echoed as {body.get('query')!r}")), evidence=ev)
    hub_id = str(body["id"])
    if seller_profile.has("hub_get") and dialect.has_hub_get:
        got = seller.get_hub(hub_id)
        gbody = got.json if isinstance(got.json, dict) else {}
        verdict.check("R8", side((got.status == 200 and gbody.get("id") == body["id"]
                      and gbody.get("callback") == listener.callback_url,
                      f"GET /hub/{hub_id} answered HTTP {got.status} with {gbody!r:.200}")),
                      evidence=[got])
    stop = seller.unregister(hub_id)
    judge(verdict, ["R8"], response_code(dialect.api, "unregister", stop, "STOP"), [stop])
    # A second STOP may answer 204 again (idempotent) or 404 with an Error body: both are
    # Seller Response Codes.
    again = seller.unregister(hub_id)
    judge(verdict, ["R8"], response_code(dialect.api, "unregister", again,
                                         "STOP of an already removed registration"), [again])


@pytest.mark.uc("1")
@pytest.mark.requirements("R8")
@pytest.mark.parametrize("callback", ["", "not a url", "http://"])
def test_register_invalid_callback(seller: SellerClient, seller_profile: Profile,
                                   verdict: GuardedVerdict, callback: str) -> None:
    """Invalid Return Address Information gets a Seller Response Code: Table 5's "Invalid
    Return Address Information" (a failure with a MEF Error body), or an acceptance (a seller
    may accept a callback it cannot use yet; R8 asks only for a response code)."""
    if not _registration_expected(seller_profile):
        pytest.skip("immediate-only seller: see test_immediate_only_seller_refuses")
    reg = seller.register(callback)
    ev = [reg]
    body = reg.json
    if reg.ok and isinstance(body, dict) and body.get("id"):
        seller.unregister(str(body["id"]))  # leave no registration behind
    judge(verdict, ["R8"], response_code(seller.profile.api, "register", reg), ev)
    if reg.status is not None and 400 <= reg.status < 500:
        judge(verdict, ["R8"], side(errors.check_no_success_attributes(
            body, errors.HUB_SUCCESS_ATTRIBUTES, "registration failure")), ev)


@pytest.mark.uc("1")
@pytest.mark.requirements("R8")
def test_immediate_only_seller_refuses(seller: SellerClient, seller_profile: Profile,
                                       dialect: Dialect, verdict: GuardedVerdict,
                                       listener: Listener) -> None:
    """8.3.1.3 path 2: a seller that only answers immediately returns an error (v8: 501)."""
    if _registration_expected(seller_profile):
        pytest.skip("the seller gives Deferred Responses or supports notifications")
    reg = seller.register(listener.callback_url)
    body = reg.json
    if reg.ok and isinstance(body, dict) and body.get("id"):
        seller.unregister(str(body["id"]))
    expected = dialect.hub_refusal_codes
    verdict.check("R8", reg.status in expected,
                  f"registration to an immediate-only seller answered HTTP {reg.status} "
                  f"(expected {list(expected)}, not a silent accept)", evidence=[reg])
    judge(verdict, ["R8"], errors.check_error_body(reg.status, body), [reg])
