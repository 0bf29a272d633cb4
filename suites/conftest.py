"""Session-wide flows shared by several suites (the harness plugin provides the rest).

``deferred_runs`` creates every deferred POQ the profile's test data allows at once and
polls them together until all are final, so the whole run waits about one deferred timeline.
``created_poqs`` remembers every POQ id the suites obtained (R32/R59 uniqueness, ownership of
notifications).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.payloads import PayloadBuilder
from suites._support import (
    CreatedPoqs,
    GuardedVerdict,
    Observation,
    ObserveHook,
    PoqRun,
    create,
    wait_final,
)

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.profile import Profile
    from harness.schema_findings import SchemaFindings
    from harness.session import RunState
    from harness.timeline import Timelines
    from harness.verdicts import Verdict
    from schemas.catalogue import Catalogue
    from schemas.dialect import Dialect


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The final-state re-read goes last: it judges every POQ the other tests created."""
    last = [i for i in items if i.nodeid.split("::")[0].endswith("test_final_states.py")]
    if last:
        items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    from schemas.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture
def verdict(verdict: Verdict, seller_profile: Profile, catalogue: Catalogue) -> GuardedVerdict:
    """The plugin's verdict, following the profile's capabilities and the dialect."""
    return GuardedVerdict(verdict, seller_profile, catalogue)


@pytest.fixture(scope="session")
def api_schema(poq_run: RunState) -> SchemaFindings:
    """API-schema deviations of the run: their own results section, not requirement IDs."""
    from harness.schema_findings import SchemaFindings

    return SchemaFindings(poq_run.dialect.api, poq_run.collector.add_schema_deviation,
                          lambda: poq_run.recorder.current_test)


@pytest.fixture(scope="session")
def created_poqs(poq_run: RunState) -> CreatedPoqs:
    made = CreatedPoqs()
    made.ids.extend(getattr(poq_run, "preflight_poq_ids", []))  # the preflight's creates
    return made


@pytest.fixture(scope="session")
def observe(timeline: Timelines, api_schema: SchemaFindings) -> ObserveHook:
    """Hook that puts each observation on the run's timeline and checks the answer against
    the dialect's schema (deviations go to their own results section)."""

    def record(run: PoqRun, obs: Observation) -> None:
        api_schema.response(obs.exchange, "ProductOfferingQualification")
        if run.id is not None:
            timeline.record(run.id, obs.source, obs.view.state, obs.view.item_states,
                            obs.exchange.id)

    return record


def deferred_plan(payloads: PayloadBuilder, profile: Profile) -> dict[str, dict[str, Any]]:
    """The deferred POQs worth creating for this profile, by name."""
    plan: dict[str, dict[str, Any]] = {"2a": payloads.install_offering(immediate=False)}
    if not profile.has("deferred"):
        return plan  # only to see how the seller answers a deferred request (O5)
    if profile.has("product_specification") and payloads.has("install_specification"):
        plan["2b"] = payloads.install_specification(immediate=False)
    if profile.has("change") and payloads.has("change_product"):
        plan["2c"] = payloads.change_product(immediate=False, provide_alternative=True)
    if not profile.has("immediate"):  # else the immediate suite takes these optional paths
        if profile.has("change") and payloads.has("change_product_alternates"):
            plan["2c-alt"] = payloads.change_with_alternatives(immediate=False)
        if profile.has("change") and payloads.has("change_product_off_net"):
            plan["2c-off-net"] = payloads.change_off_net(immediate=False)
        if payloads.has("install_offering_off_net"):
            plan["2a-off-net"] = payloads.install_off_net(immediate=False)
    if payloads.has("install_offering_red"):
        plan["red"] = payloads.red_with_alternatives(immediate=False)
    if payloads.has("insufficient_information"):
        plan["rejected"] = payloads.create(
            ["install_offering", "insufficient_information"], immediate=False)
    # With test data the seller said it cannot meet; without, two plain items with a
    # requested completion date a few seconds away: the seller may meet it (then R103 is
    # not tested) or end the POQ UNABLE_TO_MEET_TIME (then R103/R100 are judged).
    delay = max(1.0, min(3.0, profile.deferred.max_wait_s / 4))
    plan["utmt"] = payloads.unable_to_meet_time(delay_s=delay)
    return plan


@pytest.fixture(scope="session")
def deferred_runs(
    seller: SellerClient, seller_profile: Profile, dialect: Dialect, payloads: PayloadBuilder,
    created_poqs: CreatedPoqs, observe: ObserveHook,
) -> dict[str, PoqRun]:
    """All deferred POQs of the plan, created first, then polled together to the end."""
    runs: dict[str, PoqRun] = {}
    for name, request in deferred_plan(payloads, seller_profile).items():
        run = create(seller, dialect, name, request, observe)
        created_poqs.add(run)
        runs[name] = run
    cfg = seller_profile.deferred
    wait_final(seller, runs.values(), cfg.poll_interval_s, cfg.max_wait_s, observe)
    return runs
