"""Use case 2 answered with a Deferred Response, then followed to its end (8.3.2, section 9).

The POQs come from the session fixture ``deferred_runs`` (created together, polled together).
The acknowledgement is judged under R27-R34 (2a/2b) or R55-R62 (2c); the observed life cycle
under Figure 2, Figure 3, Table 29 and R95-R103. A seller may answer at once even when a
deferred answer was allowed (O5): such POQs are judged as immediate answers instead.
The acknowledgement must echo the request (R34/R62) although the v8 guide calls it a
"partial POQ": the draft's requirement IDs are the normative source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import echo, items, logs, poq, reworded, states
from schemas.dialect import ACKNOWLEDGED, IN_PROGRESS, READY, REJECTED, UNABLE_TO_MEET_TIME, Dialect
from suites._answers import UC2A, UC2B, UC2C, all_ids, judge_answers, judge_use_case
from suites._support import PoqRun, judge, report_crash, response_code, skip_ids, state_history

if TYPE_CHECKING:
    from harness.payloads import PayloadBuilder
    from harness.profile import Profile
    from suites._support import GuardedVerdict


@dataclass(frozen=True, kw_only=True)
class AckIds:
    """Which requirement IDs a deferred acknowledgement is judged under."""

    code: str  # the Seller Response Code
    correspond: str  # one answered item per requested item
    poq_id: str  # the POQ has an id
    poq_state: tuple[str, ...]  # the POQ is ACKNOWLEDGED
    item_state: tuple[str, ...]  # every item is ACKNOWLEDGED
    create_date: tuple[str, ...]  # the POQ's create date
    echo: str  # the request echoed


ACK_IDS = {
    "2a": AckIds(code="R27", correspond="R28", poq_id="R29", poq_state=("R30",),
                 item_state=("R31",), create_date=("R33",), echo="R34"),
    "2c": AckIds(code="R55", correspond="R70", poq_id="R56", poq_state=("R57", "R60"),
                 item_state=("R58", "R61"), create_date=("R60",), echo="R62"),
}
OUTCOME_RUNS = ("rejected", "utmt")  # a refusal of these requests is a legal answer
ACKNOWLEDGEMENT_IDS = ["R27", "R28", "R29", "R30", "R31", "R33", "R34", "R55", "R56", "R57",
                       "R58", "R60", "R61", "R62"]


def _need_deferred(profile: Profile, verdict: GuardedVerdict, ids: list[str]) -> None:
    if not profile.has("deferred"):
        skip_ids(verdict, ids, "the seller profile declares no Deferred Response",
                 applicable=False)
        pytest.skip("seller does not provide deferred responses")


def _deferred(runs: dict[str, PoqRun], verdict: GuardedVerdict, ids: list[str]) -> list[PoqRun]:
    """Runs the seller really answered deferred (O5 immediate answers set aside)."""
    chosen = [r for r in runs.values() if r.created and not r.immediate]
    for run in runs.values():
        if run.created and run.immediate:
            judge(verdict, ["O5"], poq.check_answered_at_once(run.request, run.create.json,
                                                              run.dialect), [run.create])
    if not chosen:
        skip_ids(verdict, ids, "the seller answered no request with a Deferred Response")
    return chosen


@pytest.mark.uc("2a", "2b", "2c")
@pytest.mark.requirements("R27", "R28", "R29", "R30", "R31", "R33", "R34", "R55", "R56", "R57",
                          "R58", "R60", "R61", "R62", "R70", "O5")
def test_deferred_acknowledgement(seller_profile: Profile, dialect: Dialect,
                                  verdict: GuardedVerdict,
                                  deferred_runs: dict[str, PoqRun]) -> None:
    """Every deferred create: 201, id, ACKNOWLEDGED POQ and items, create date, echo."""
    _need_deferred(seller_profile, verdict, ACKNOWLEDGEMENT_IDS)
    for run in deferred_runs.values():
        ack = ACK_IDS["2c" if run.name.startswith("2c") else "2a"]
        ev = [run.create]
        able = "CR1" if run.name == "2b" else "R3"
        if report_crash(verdict, [ack.code, able], run.create,
                        f"{run.name}: valid deferred create"):
            if run.name in OUTCOME_RUNS:
                verdict.not_tested("R96", f"{run.name}: the seller failed the request; the "
                                   "outcome was not reached", evidence=ev)
            continue
        judge(verdict, [ack.code], response_code(dialect.api, "create", run.create, run.name),
              ev)
        if not run.created and run.name in OUTCOME_RUNS:
            verdict.not_tested("R96", f"{run.name}: the seller refused the request "
                               f"(HTTP {run.create.status}); the outcome was not reached",
                               evidence=ev)
            continue
        if not run.created:
            for req_id in (ack.poq_id, *ack.poq_state, ack.echo):
                verdict.check(req_id, False, f"{run.name}: valid deferred request not accepted "
                              f"(HTTP {run.create.status}, {run.create.error or 'no id'})",
                              evidence=ev)
            continue
        if run.immediate:
            continue
        body = run.create.json
        judge(verdict, [ack.poq_id], poq.check_poq_id(body), ev)
        expected = poq.check_expected_completion(body)
        note = (f"; {expected[1]}" if expected[0] else "; no expectedPOQCompletionDate "
                "(Table 12 lists it, no requirement ID makes it mandatory)")
        for req_id in ack.poq_state:
            result = poq.check_poq_state_is(body, dialect, ACKNOWLEDGED)
            verdict.check(req_id, reworded(result, result[1] + note), evidence=ev)
        for req_id in ack.create_date:
            judge(verdict, [req_id], poq.check_creation_date(body, dialect), ev)
        resp_items = items.items_of(body)
        judge(verdict, [ack.correspond], items.check_item_correspondence(
            run.request["productOfferingQualificationItem"], resp_items), ev)
        for item in resp_items:
            for req_id in ack.item_state:
                judge(verdict, [req_id], items.check_item_state_is(item, dialect, ACKNOWLEDGED),
                      ev)
            if not run.name.startswith("2c"):
                judge(verdict, ["R33"], items.check_item_state_is(item, dialect, ACKNOWLEDGED),
                      ev)
        judge(verdict, [ack.echo], echo.check_echo(run.request, body, "acknowledgement"), ev)
    if not any(r.created and r.immediate for r in deferred_runs.values()):
        verdict.not_tested("O5", "the seller answered every deferred request with a Deferred "
                           "Response; answering at once instead was not exercised")
    if not any(r.name == "2c" for r in deferred_runs.values()):
        skip_ids(verdict, ["R55", "R56", "R57", "R58", "R60", "R61", "R62"],
                 "no deferred 2c POQ (capability 'change' or test_data.change_product missing)")


@pytest.mark.uc("flow")
@pytest.mark.requirements("R85", "R96", "R98", "R99", "R100", "R102")
def test_deferred_life_cycle(seller_profile: Profile, dialect: Dialect, verdict: GuardedVerdict,
                             deferred_runs: dict[str, PoqRun]) -> None:
    """Every observed state follows Figure 2 / Figure 3, every snapshot Table 29."""
    _need_deferred(seller_profile, verdict, ["R96", "R98", "R99", "R100", "R102"])
    item_utmt = dialect.supports_item_state(UNABLE_TO_MEET_TIME)
    for run in _deferred(deferred_runs, verdict, ["R96", "R98", "R99", "R100", "R102"]):
        ev = run.evidence()
        if run.poll_error:
            verdict.check("R85", False, f"{run.name}: POQ {run.id} could not be retrieved "
                          f"while it was worked on ({run.poll_error})", evidence=ev)
        elif run.timed_out:
            verdict.check("R96", False, f"{run.name}: POQ {run.id} not final after "
                          f"{seller_profile.deferred.max_wait_s} s (last "
                          f"{run.last.view.state if run.last else None})", evidence=ev)
        final_body = run.last.exchange.json if run.last else {}
        logged = state_history(final_body.get("stateChange") if isinstance(final_body, dict)
                               else None, dialect.mef_poq_state)
        judge(verdict, ["R96"], states.check_poq_sequence(run.poq_states()), ev)
        if logged:  # the seller's own log is complete: no state may be skipped in it
            judge(verdict, ["R96"], states.check_poq_sequence(logged, complete=True), ev)
            _judge_log(verdict, "R96", logged, False, ev)
        item_logs = [state_history(item.get("stateChange"), dialect.mef_item_state)
                     for item in (final_body.get("productOfferingQualificationItem") or []
                                  if isinstance(final_body, dict) else [])
                     if isinstance(item, dict)]  # the seller's own item logs, as for the POQ
        for log in item_logs:
            _judge_log(verdict, "R102", log, True, ev)
        for failure in run.poll_failures[:3]:
            if not report_crash(verdict, ["R84"], failure,
                                f"{run.name}: retrieve of POQ {run.id} while polling"):
                verdict.check("R85", False, f"{run.name}: retrieve of known POQ {run.id} "
                              f"answered HTTP {failure.status}", evidence=[failure])
        polled: list[list[Any]] = list(run.item_states().values())
        histories: list[list[Any]] = [*polled, *[log for log in item_logs if log]]
        if run.timed_out and not any(len({s for s in h if s}) > 1 for h in histories):
            verdict.not_tested("R102", f"{run.name}: no item transition observed before the "
                               "wait ended")
            histories = []
        for n, history in enumerate(histories):
            judge(verdict, ["R102"], states.check_item_sequence(
                history, complete=n >= len(polled)), ev)
        for obs in run.observations:
            poq_state, item_states = obs.view.state, list(obs.view.item_states.values())
            oev = [obs.exchange]
            judge(verdict, ["R100"], states.check_table29(poq_state, item_states, item_utmt), oev)
            if poq_state == IN_PROGRESS:
                judge(verdict, ["R99"], states.check_in_progress_items(poq_state, item_states),
                      oev)
            if poq_state == READY:
                judge(verdict, ["R98"], states.check_ready_items(poq_state, item_states), oev)


def _judge_log(verdict: GuardedVerdict, req_id: str, logged: list[str], item: bool,
               ev: list[Any]) -> None:
    judge(verdict, [req_id], logs.check_log_steps(logged, item), ev)


@pytest.mark.uc("flow")
@pytest.mark.requirements("R96", "R102", "R100")
def test_rejected_path(seller_profile: Profile, dialect: Dialect, verdict: GuardedVerdict,
                       deferred_runs: dict[str, PoqRun]) -> None:
    """Insufficient information ends the POQ REJECTED with the bad item REJECTED (Table 29)."""
    _need_deferred(seller_profile, verdict, ["R96", "R102"])
    run = deferred_runs.get("rejected")
    if run is None or not run.created or run.immediate:
        skip_ids(verdict, ["R96", "R102"], "no deferred POQ with insufficient information "
                 "(test_data.insufficient_information missing or answered at once)")
        return
    final = run.final
    ev = run.evidence()
    # The outcome the test data should lead to is the profile's claim, not a requirement:
    # another legal end is said (not_tested), never failed; the flow is judged by the life
    # cycle test.
    _outcome(verdict, "R96", final.state if final else None, REJECTED,
            "POQ with insufficient information", ev)
    bad = final.item("2") if final else None
    _outcome(verdict, "R102", bad.state if bad else None, REJECTED,
            "item with insufficient information", ev)


@pytest.mark.uc("flow")
@pytest.mark.requirements("R96", "R102", "R103")
def test_unable_to_meet_time_path(seller_profile: Profile, dialect: Dialect,
                                  verdict: GuardedVerdict, payloads: PayloadBuilder,
                                  deferred_runs: dict[str, PoqRun]) -> None:
    """A requested completion date the seller cannot meet ends UNABLE_TO_MEET_TIME; items
    still in progress at that moment are abandoned (R103)."""
    _need_deferred(seller_profile, verdict, ["R96", "R102", "R103"])
    run = deferred_runs.get("utmt")
    if run is None or not run.created or run.immediate:
        skip_ids(verdict, ["R103"], "no deferred POQ with a requested completion date it "
                 "could not meet (not created or answered at once)")
        return
    final = run.final
    ev = run.evidence()
    source = ("test_data.unable_to_meet_time" if payloads.has("unable_to_meet_time") else
              "a requested completion date a few seconds away (no test_data."
              "unable_to_meet_time)")
    if final is None or final.state != UNABLE_TO_MEET_TIME:
        # meeting a near date, or ending otherwise, is the seller's right: nothing to judge
        skip_ids(verdict, ["R103"], f"the POQ built from {source} ended "
                 f"{final.state if final else 'not final'}, not UNABLE_TO_MEET_TIME")
        verdict.not_tested("R96", f"UNABLE_TO_MEET_TIME was not reached with {source}",
                           evidence=ev)
        return
    verdict.check("R96", True, f"POQ built from {source} ended UNABLE_TO_MEET_TIME",
                  evidence=ev)
    late = [k for k, v in final.item_states.items() if v == UNABLE_TO_MEET_TIME]
    if dialect.supports_item_state(UNABLE_TO_MEET_TIME):
        verdict.check("R102", bool(late), f"under an UNABLE_TO_MEET_TIME POQ the items ended "
                      f"{final.item_states}", evidence=ev)
    snapshots = run.snapshots()
    result = states.check_abandonment(snapshots)
    if result[0] and not _other_item_pending_at_failure(snapshots):
        verdict.not_tested("R103", "no other item was still in progress when the time ran out "
                           f"(observed {run.poq_states()})", evidence=ev)
    else:
        judge(verdict, ["R103"], result, ev)


def _outcome(verdict: GuardedVerdict, req_id: str, seen: str | None, expected: str, what: str,
             evidence: list[Any]) -> None:
    """Pass when the test data's outcome was reached; another end is no violation (the data
    may not hold for this seller, or it was faster): not_tested, saying what was seen."""
    if seen == expected:
        verdict.check(req_id, True, f"{what} ended {seen}", evidence=evidence)
    else:
        verdict.not_tested(req_id, f"{what} ended {seen}, not {expected}: the test data's "
                           "outcome was not reached (another end is legal)", evidence=evidence)


def _other_item_pending_at_failure(snapshots: list[tuple[Any, dict[str, Any]]]) -> bool:
    """Whether an item other than the late one was still being worked on in the last
    snapshot before the failure was seen (else R103 had nothing to act on). The late item
    is the one that shows UNABLE_TO_MEET_TIME; v7 has no such item state, so there two
    items must still have been pending."""
    before: dict[str, Any] = {}
    for poq_state, items_ in snapshots:
        if poq_state == UNABLE_TO_MEET_TIME or UNABLE_TO_MEET_TIME in items_.values():
            late = {k for k, v in items_.items() if v == UNABLE_TO_MEET_TIME}
            pending = [k for k, v in before.items() if v in (ACKNOWLEDGED, IN_PROGRESS)]
            return len([k for k in pending if k not in late]) >= (1 if late else 2)
        before = dict(items_)
    return False


ANSWER_IDS = tuple(dict.fromkeys((*all_ids(UC2A), *all_ids(UC2B), *all_ids(UC2C), "R13",
                                  "R14", "R15", "R16", "O2")))
IMMEDIATE_ONLY = {"R36", "R37", "R38", "R39", "R40", "R42", "R43", "R44", "D3", "R64", "R65",
                  "R66", "R67", "R68", "R71", "R72", "R73", "R74", "D5", "R95", "R101"}


@pytest.mark.uc("2a", "2b", "2c")
@pytest.mark.requirements("R3", "CR1", "R22", "O10",
                          *(i for i in ANSWER_IDS if i not in IMMEDIATE_ONLY))
def test_deferred_answers(seller_profile: Profile, dialect: Dialect, verdict: GuardedVerdict,
                          deferred_runs: dict[str, PoqRun]) -> None:
    """The final answer of each deferred POQ: the offering or specification asked for,
    alternates only when allowed and complete, options within their conditions."""
    _need_deferred(seller_profile, verdict, ["R3"])
    for run in deferred_runs.values():
        if run.name in OUTCOME_RUNS:
            continue
        able = "CR1" if run.name == "2b" else "R3"
        verdict.check(able, run.created, f"{run.name}: deferred create answered HTTP "
                      f"{run.create.status}", evidence=[run.create])
        final = run.final
        if run.immediate or final is None:
            continue
        body = run.last.exchange.json if run.last else {}
        ev = [run.last.exchange] if run.last else []
        ids = UC2B if run.name == "2b" else UC2C if run.name.startswith("2c") else UC2A
        judge_answers(verdict, dialect, run.request, items.items_of(body), ids, ev,
                      immediate=False)
        judge_use_case(verdict, dialect, run.name, run.request, body, ev,
                       seller_profile.test_data)
        if poq.contacts(body, poq.SELLER_CONTACT):
            judge(verdict, ["R22"], poq.check_seller_contact(body), ev)
    if "2c" in deferred_runs:
        verdict.not_tested("O10", "the profile's 2c test data keeps the product's offering; a "
                           "change to another offering is not attempted (either answer is legal)")
