"""Before the suites: is the seller serving the POQ API at all, and does it accept a request
built from each ``test_data`` fragment of the profile? A refused fragment is the tester's
set-up to fix (or, with ``--trust-test-data``, the seller's failure to explain); a gateway
answering HTML 5xx is an environment error, not a list of seller failures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.client import SellerClient
from harness.errors import ConfigError
from harness.evidence import Exchange
from harness.explain import describe_errors, seller_errors
from harness.payloads import PayloadBuilder
from harness.profile import TEST_DATA_PATHS, Profile

# a request meant to be turned down: a refusal proves nothing about the data
MEANT_TO_FAIL = frozenset({"insufficient_information"})
DEFERRED_ONLY = frozenset({"unable_to_meet_time"})
ALTERNATES = frozenset({"install_offering_red", "change_product_alternates",
                        "install_specification"})
# mid-run: how many exchanges before a share of bad answers means "not serving"
MIN_EXCHANGES, BAD_SHARE, CONNECT_RUN = 6, 0.5, 5


class NotServing(ConfigError):
    """Nobody serves the POQ API at the seller's URL (a gateway's HTML 5xx, no answers):
    an environment error (exit 2), never a list of seller failures."""


@dataclass(slots=True)
class FragmentCheck:
    """What the seller said to a create built from one ``test_data`` key."""

    key: str
    outcome: str  # accepted | refused | not_checked
    mode: str | None = None
    status: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    message: str = ""
    exchange: str | None = None
    poq_id: str | None = None

    @property
    def refusal(self) -> str:
        """``HTTP 422 code: reason at propertyPath`` (what a set-up finding quotes)."""
        said = describe_errors(self.errors)
        return f"the seller answered HTTP {self.status}" + (f" {said}" if said else "")

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "outcome": self.outcome, "mode": self.mode,
                "status": self.status, "errors": list(self.errors),
                "message": self.message, "exchange": self.exchange}


def _mode(key: str, profile: Profile) -> str | None:
    if key in DEFERRED_ONLY:
        return "deferred" if profile.has("deferred") else None
    return "immediate" if profile.has("immediate") else "deferred"


def check_test_data(profile: Profile, client: SellerClient) -> list[FragmentCheck]:
    """One create per fragment (immediate where the seller answers at once, else deferred)."""
    payloads = PayloadBuilder(profile)
    out: list[FragmentCheck] = []
    for key in TEST_DATA_PATHS:
        if profile.test_data.fragment(key) is None:
            continue
        mode = _mode(key, profile)
        if key in MEANT_TO_FAIL or mode is None:
            why = ("a request meant to be turned down" if key in MEANT_TO_FAIL
                   else "needs deferred responses, which the profile does not declare")
            out.append(FragmentCheck(key, "not_checked", mode, message=why))
            continue
        body = payloads.create(key, immediate=mode == "immediate",
                               provide_alternative=key in ALTERNATES)
        ex = client.create_poq(body)
        out.append(_judge(key, mode, ex))
    return out


def _judge(key: str, mode: str, ex: Exchange) -> FragmentCheck:
    made = FragmentCheck(key, "not_checked", mode, ex.status, exchange=ex.id)
    if ex.ok:
        made.outcome, made.message = "accepted", f"HTTP {ex.status}"
        body = ex.json if isinstance(ex.json, dict) else {}
        made.poq_id = str(body["id"]) if body.get("id") is not None else None
    elif ex.status is not None and 400 <= ex.status < 500 and ex.status not in (401, 403):
        made.outcome = "refused"
        made.errors = seller_errors(ex.json)
        made.message = made.refusal
    else:
        made.message = (f"HTTP {ex.status}: judged by the suites" if ex.status is not None
                        else f"no answer: {ex.error}")
    return made


def is_gateway_answer(ex: Exchange) -> bool:
    """A 5xx that is not a JSON body: a proxy or gateway speaking, not the POQ API."""
    return ex.status is not None and ex.status >= 500 and not ex.is_json


def _content_type(ex: Exchange) -> str:
    for name, value in ex.response_headers.items():
        if name.lower() == "content-type":
            return value.split(";")[0].strip()
    return "no content type"


def not_serving(exchanges: Iterable[Exchange], smoke: bool = False) -> str | None:
    """One line when the answers say nobody serves the API: most requests (or the smoke
    request) answered by non-JSON 5xx, or the last requests, of more than one kind, all got
    no HTTP response."""
    done = list(exchanges)
    if not done:
        return None
    gateway = [e for e in done if is_gateway_answer(e)]
    if gateway and (smoke or (len(done) >= MIN_EXCHANGES
                              and len(gateway) / len(done) > BAD_SHARE)):
        first = gateway[0]
        return (f"seller not serving the POQ API: {len(gateway)} of {len(done)} request(s) "
                f"answered HTTP {first.status} {_content_type(first)} (first: {first.method} "
                f"{first.url})")
    tail = done[-CONNECT_RUN:]
    # A seller that drops the connection on one kind of request (say every invalid create)
    # is judged for it; one that answers none of several kinds of request is not serving.
    kinds = {(e.method, e.url.split("?", 1)[0]) for e in tail}
    if len(tail) == CONNECT_RUN and len(kinds) > 1 and all(e.status is None for e in tail):
        failed = sum(1 for e in done if e.status is None)
        return (f"seller stopped answering: {failed} of {len(done)} request(s) got no HTTP "
                f"response, the last {CONNECT_RUN} in a row ({tail[-1].error})")
    return None


__all__ = ["FragmentCheck", "NotServing", "check_test_data", "is_gateway_answer", "not_serving"]
