"""Smoke suite: one immediate Create POQ (use case 2a) and its Retrieve by Identifier
(use case 4). Proves the whole chain (profile, client, verdicts, results) against any
Seller before the full suites run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.checks.poq import (
    check_creation_date,
    check_items_present,
    check_poq_id,
    check_poq_state_is,
    check_poq_state_present,
    check_seller_contact,
)
from harness.views import mef_view
from schemas.dialect import READY, Dialect
from suites._support import GuardedVerdict, judge, response_code

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.gates import CapabilityGate
    from harness.payloads import PayloadBuilder
    from harness.timeline import Timelines


def _success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


@pytest.mark.uc("2a", "4")
@pytest.mark.requirements("R36", "R38", "R39", "R40", "R84", "R85")
def test_smoke_immediate_create_then_retrieve(
    seller: SellerClient, dialect: Dialect, payloads: PayloadBuilder, verdict: GuardedVerdict,
    timeline: Timelines, capability: CapabilityGate,
) -> None:
    capability.require("immediate")
    created = seller.create_poq(payloads.install_offering(immediate=True))
    judge(verdict, ["R36"], response_code(dialect.api, "create", created, "immediate create"),
          [created])
    if not (_success(created.status) and isinstance(created.json, dict)):
        for req in ("R38", "R39", "R40", "R84", "R85"):
            verdict.not_tested(
                req, f"create did not succeed (HTTP {created.status}, {created.error})",
                evidence=[created],
            )
        return
    poq = created.json
    timeline.record_poq(poq, dialect, "create", created.id)
    for result in (
        check_poq_id(poq),
        check_creation_date(poq, dialect),
        check_seller_contact(poq),
        check_items_present(poq),
    ):
        verdict.check("R38", result, evidence=[created])
    verdict.check("R39", check_poq_state_is(poq, dialect, READY), evidence=[created])
    view = mef_view(poq, dialect)
    if view.state == READY:
        not_ready = {k: v for k, v in view.item_states.items() if v != READY}
        verdict.check(
            "R40",
            bool(view.items) and not not_ready,
            f"items of a READY POQ: {view.item_states}"
            + (f"; not READY: {sorted(not_ready)}" if not_ready else ""),
            evidence=[created],
        )
    else:
        verdict.not_tested("R40", f"POQ state is {view.wire_state!r}, not READY",
                           evidence=[created])
    if view.id is None:
        verdict.not_tested("R84", "create response carried no POQ id to retrieve")
        verdict.not_tested("R85", "create response carried no POQ id to retrieve")
        return
    got = seller.get_poq(view.id)
    judge(verdict, ["R84"], response_code(dialect.api, "retrieve", got, "retrieve by identifier"),
          [got])
    if not (_success(got.status) and isinstance(got.json, dict)):
        verdict.check("R85", False,
                      f"retrieve of POQ {view.id} did not succeed (HTTP {got.status})",
                      evidence=[got])
        return
    timeline.record_poq(got.json, dialect, "retrieve", got.id)
    for result in (
        check_poq_id(got.json),
        check_poq_state_present(got.json, dialect),
        check_creation_date(got.json, dialect),
        check_items_present(got.json),
    ):
        verdict.check("R85", result, evidence=[got])
    verdict.check(
        "R85",
        got.json.get("id") == view.id,
        f"retrieved POQ id {got.json.get('id')!r} equals the created id {view.id!r}",
        evidence=[created, got],
    )
