"""Figure 2 / Figure 3 sequences, the Table 29 matrix and R103 abandonment."""

from __future__ import annotations

import pytest

from harness.checks.states import (
    check_abandonment,
    check_in_progress_items,
    check_item_sequence,
    check_poq_sequence,
    check_ready_items,
    check_table29,
)

ACK, IP, RDY, REJ, UT, AB = (
    "ACKNOWLEDGED", "IN_PROGRESS", "READY", "REJECTED", "UNABLE_TO_MEET_TIME", "ABANDONED")


@pytest.mark.parametrize("seq", [[ACK, IP, RDY], [ACK, ACK, RDY], [ACK, REJ], [ACK, IP, IP, UT]])
def test_legal_poq_sequences(seq: list[str]) -> None:
    assert check_poq_sequence(seq)[0]


@pytest.mark.parametrize("seq", [[ACK, RDY, IP], [IP, RDY], [ACK, IP, RDY, REJ], [ACK, "done"]])
def test_illegal_poq_sequences(seq: list[str]) -> None:
    assert not check_poq_sequence(seq)[0]


def test_immediate_poq_is_only_ready() -> None:
    assert check_poq_sequence([RDY, RDY], deferred=False)[0]
    assert not check_poq_sequence([ACK, RDY], deferred=False)[0]


def test_item_sequences() -> None:
    assert check_item_sequence([ACK, IP, AB])[0]
    assert check_item_sequence([ACK, AB])[0]
    assert not check_item_sequence([ACK, AB, RDY])[0]
    assert not check_item_sequence([ACK, RDY, IP])[0]
    assert not check_item_sequence([RDY], deferred=True)[0]
    assert not check_item_sequence([IP], deferred=False)[0]


@pytest.mark.parametrize(
    ("poq", "items"),
    [(ACK, [ACK, ACK]), (ACK, [ACK, IP]), (IP, [IP, RDY]), (IP, [IP, ACK]), (RDY, [RDY, RDY]),
     (REJ, [REJ, AB]), (REJ, [REJ, RDY]), (UT, [UT, AB]), (UT, [UT, RDY]), (UT, [UT])],
)
def test_table29_allowed(poq: str, items: list[str]) -> None:
    assert check_table29(poq, items)[0]


@pytest.mark.parametrize(
    ("poq", "items"),
    [(RDY, [RDY, IP]), (IP, [RDY, RDY]), (IP, [ACK, ACK]), (ACK, [IP, IP]), (REJ, [RDY, AB]),
     (REJ, [AB, AB, REJ][0:2]), (REJ, [REJ, IP]), (UT, [RDY]), (UT, [UT, REJ]), (ACK, [ACK, AB]),
     (RDY, []), ("done", [RDY]), (RDY, ["weird"])],
)
def test_table29_forbidden(poq: str, items: list[str]) -> None:
    assert not check_table29(poq, items)[0]


def test_ready_and_in_progress_item_rules() -> None:
    assert check_ready_items(RDY, [RDY, RDY])[0]
    assert not check_ready_items(RDY, [RDY, IP])[0]
    assert check_in_progress_items(IP, [IP, RDY])[0]
    assert not check_in_progress_items(IP, [IP, REJ])[0]


def test_abandonment_after_unable_to_meet_time() -> None:
    good = [(ACK, {"1": ACK, "2": ACK}), (IP, {"1": IP, "2": IP}), (UT, {"1": UT, "2": AB})]
    assert check_abandonment(good)[0]
    bad = [(ACK, {"1": ACK, "2": ACK}), (IP, {"1": IP, "2": IP}), (UT, {"1": UT, "2": IP})]
    ok, message = check_abandonment(bad)
    assert not ok and "item 2" in message
    late_ready = [(IP, {"1": IP, "2": IP}), (UT, {"1": UT, "2": IP}), (UT, {"1": UT, "2": RDY})]
    assert not check_abandonment(late_ready)[0]
    assert check_abandonment([(RDY, {"1": RDY})]).status == "not_tested"


def test_v7_has_no_item_unable_to_meet_time() -> None:
    assert not check_table29(UT, [AB, RDY])[0]
    assert check_table29(UT, [AB, RDY], item_utmt=False)[0]
    assert not check_table29(UT, [IP, RDY], item_utmt=False)[0]
    v7 = [(IP, {"1": IP, "2": IP}), (UT, {"1": AB, "2": IP})]
    assert not check_abandonment(v7)[0]
    assert check_abandonment([(IP, {"1": IP, "2": IP}), (UT, {"1": AB, "2": AB})])[0]


def test_a_complete_log_must_follow_the_edges_polls_may_miss_states() -> None:
    """Reachability is for polls; the seller's own log is complete (rule 4)."""
    assert check_poq_sequence(["ACKNOWLEDGED", "READY"])[0]
    assert not check_poq_sequence(["ACKNOWLEDGED", "READY"], complete=True)[0]
    assert check_poq_sequence(["ACKNOWLEDGED", "IN_PROGRESS", "READY"], complete=True)[0]
    assert not check_item_sequence(["ACKNOWLEDGED", "READY"], complete=True)[0]
    assert check_item_sequence(["ACKNOWLEDGED", "ABANDONED"], complete=True)[0]


def test_v7_late_item_terminated_with_error_under_unable_to_provide_is_not_rejected() -> None:
    """v7 trap (R100): terminatedWithError (read REJECTED) under done.unableToProvide."""
    assert check_table29("UNABLE_TO_MEET_TIME", ["REJECTED", "READY"], item_utmt=False)[0]
    assert not check_table29("UNABLE_TO_MEET_TIME", ["REJECTED", "READY"], item_utmt=True)[0]
    assert not check_table29("READY", ["REJECTED", "READY"], item_utmt=False)[0]
