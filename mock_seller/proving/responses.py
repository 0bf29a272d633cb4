"""Defects applied to outgoing answers (after serialization). Each function mutates one
``Answer`` the way a faulty seller would; names and the IDs they break are in defects.yaml."""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from mock_seller.core.hooks import Answer
from mock_seller.proving.hookpoints import response_defect
from mock_seller.storage.protocol import ListQuery
from schemas.dialect import (
    ABANDONED,
    ACKNOWLEDGED,
    IN_PROGRESS,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
)

ITEMS = "productOfferingQualificationItem"
ALTS = "alternateProductOfferingProposal"
SELLER_ROLE = "sellerContactInformation"
GARBLED_STATUS = 1000  # not a valid HTTP status line: the client sees no outcome code

if TYPE_CHECKING:
    from mock_seller.proving.runtime import Switch


def _item_state(answer: Answer, item: dict[str, Any]) -> str | None:
    return answer.dialect.mef_item_state(item.get("state"))


def _ready_items(answer: Answer) -> list[dict[str, Any]]:
    return [i for i in answer.items() if _item_state(answer, i) == READY]


def _is_change(answer: Answer) -> bool:
    return any(i.get("action") in ("modify", "change") for i in answer.items())


def _is_spec(item: dict[str, Any]) -> bool:
    return "productSpecification" in (item.get("product") or {})


def _log(answer: Answer, states: list[str], item: bool = False) -> list[dict[str, Any]]:
    wire = (lambda s: answer.dialect.wire_item_state(s)) if item else (
        lambda s: answer.dialect.wire_poq_state(s))
    return [{"changeDate": "2025-01-01T00:00:00Z", "state": wire(s)} for s in states]


# -- immediate answers -------------------------------------------------------------------
@response_defect("immediate_poq_in_progress")
def immediate_poq_in_progress(answer: Answer, switch: Switch) -> None:
    if answer.op == "create" and answer.mef_state() == READY:
        answer.body["state"] = answer.dialect.wire_poq_state(IN_PROGRESS)


@response_defect("immediate_item_in_progress")
def immediate_item_in_progress(answer: Answer, switch: Switch) -> None:
    if answer.op == "create" and answer.mef_state() == READY:
        for item in answer.items():
            item["state"] = answer.dialect.wire_item_state(IN_PROGRESS)


@response_defect("immediate_log_shows_progress")
def immediate_log_shows_progress(answer: Answer, switch: Switch) -> None:
    if answer.op == "create" and answer.mef_state() == READY:
        answer.body["stateChange"] = _log(answer, [ACKNOWLEDGED, IN_PROGRESS, READY])
        for item in answer.items():
            item["stateChange"] = _log(answer, [ACKNOWLEDGED, IN_PROGRESS, READY], item=True)


# -- POQ attributes --------------------------------------------------------------------
@response_defect("no_seller_contact")
def no_seller_contact(answer: Answer, switch: Switch) -> None:
    body = answer.poq()
    if body is not None:
        body["relatedContactInformation"] = [
            c for c in body.get("relatedContactInformation") or []
            if not (isinstance(c, dict) and c.get("role") == SELLER_ROLE)]


@response_defect("seller_contact_incomplete")
def seller_contact_incomplete(answer: Answer, switch: Switch) -> None:
    body = answer.poq()
    for contact in (body or {}).get("relatedContactInformation") or []:
        if isinstance(contact, dict) and contact.get("role") == SELLER_ROLE:
            contact.pop("emailAddress", None)


@response_defect("no_creation_date")
def no_creation_date(answer: Answer, switch: Switch) -> None:
    body = answer.poq()
    if body is not None:
        body.pop("creationDate", None)


@response_defect("echo_changed")
def echo_changed(answer: Answer, switch: Switch) -> None:
    body = answer.poq()
    if body is not None and isinstance(body.get("externalId"), str):
        body["externalId"] += "-seller"


@response_defect("echo_dropped")
def echo_dropped(answer: Answer, switch: Switch) -> None:
    for item in answer.items():
        (item.get("product") or {}).pop("productConfiguration", None)


# -- items -------------------------------------------------------------------------------
@response_defect("item_dropped")
def item_dropped(answer: Answer, switch: Switch) -> None:
    found = answer.items()
    if len(found) > 1:
        answer.body[ITEMS] = found[:-1]


@response_defect("item_duplicated")
def item_duplicated(answer: Answer, switch: Switch) -> None:
    found = answer.items()
    if found:
        answer.body[ITEMS] = [*found, copy.deepcopy(found[0])]


@response_defect("green_without_interval")
def green_without_interval(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        if answer.dialect.mef_confidence(item.get("serviceabilityConfidence")) in (
                "GREEN", "YELLOW"):
            item.pop("installationInterval", None)


@response_defect("no_delivery_type")
def no_delivery_type(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        item.pop("deliveryType", None)


@response_defect("ready_item_without_confidence")
def ready_item_without_confidence(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        item.pop("serviceabilityConfidence", None)


@response_defect("rejected_item_with_answer")
def rejected_item_with_answer(answer: Answer, switch: Switch) -> None:
    for item in answer.items():
        if _item_state(answer, item) == REJECTED:
            item["serviceabilityConfidence"] = answer.dialect.wire_confidence("RED")
            item["installationInterval"] = {"amount": 1,
                                            "units": answer.dialect.wire_time_unit("CALENDAR_DAYS")}


# -- alternates --------------------------------------------------------------------------
def _alternate(answer: Answer, n: int, offering: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"alt-{n}",
        "alternateProduct": {"productOffering": {"id": offering}},
        "installationInterval": {"amount": 5,
                                 "units": answer.dialect.wire_time_unit("BUSINESS_DAYS")},
    }
    if answer.dialect.rich_alternates:
        out["serviceabilityConfidence"] = answer.dialect.wire_confidence("GREEN")
        out["deliveryType"] = answer.dialect.wire_delivery_type("ON_NET_WITHOUT_BUILD")
    return out


@response_defect("unasked_alternates")
def unasked_alternates(answer: Answer, switch: Switch) -> None:
    body = answer.poq()
    if body is None or body.get("provideAlternative") is True:
        return
    for item in _ready_items(answer):
        item[ALTS] = [_alternate(answer, 1, "000166")]


def _alternates(answer: Answer) -> list[dict[str, Any]]:
    return [a for i in answer.items() for a in i.get(ALTS) or [] if isinstance(a, dict)]


@response_defect("duplicate_alternate_ids")
def duplicate_alternate_ids(answer: Answer, switch: Switch) -> None:
    for item in answer.items():
        alts = item.get(ALTS)
        if isinstance(alts, list) and alts:
            item[ALTS] = [*alts, {**copy.deepcopy(alts[0])}]


@response_defect("alternate_without_confidence")
def alternate_without_confidence(answer: Answer, switch: Switch) -> None:
    for alt in _alternates(answer):
        alt.pop("serviceabilityConfidence", None)


@response_defect("alternate_without_interval")
def alternate_without_interval(answer: Answer, switch: Switch) -> None:
    for alt in _alternates(answer):
        alt.pop("installationInterval", None)


# -- what was asked ------------------------------------------------------------------------
@response_defect("wrong_offering_answered")
def wrong_offering_answered(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        product = item.get("product") or {}
        if "productOffering" in product and not _is_spec(item) and "id" not in product:
            product["productOffering"] = {"id": "000099"}


@response_defect("specification_changed")
def specification_changed(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        if _is_spec(item):
            item["product"]["productSpecification"] = {"id": "access-eline-ovc"}


@response_defect("specification_without_offering")
def specification_without_offering(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        if _is_spec(item):
            item["product"].pop("productOffering", None)
            if answer.dialect.red_may_omit_offering:  # so it must be RED: make it GREEN
                item["serviceabilityConfidence"] = answer.dialect.wire_confidence("GREEN")


@response_defect("specification_not_best")
def specification_not_best(answer: Answer, switch: Switch) -> None:
    for item in _ready_items(answer):
        if not _is_spec(item):
            continue
        spec = item["product"]["productSpecification"]
        item["serviceabilityConfidence"] = answer.dialect.wire_confidence("YELLOW")
        better = _alternate(answer, 99, "000075")
        better["alternateProduct"]["productSpecification"] = copy.deepcopy(spec)
        better["serviceabilityConfidence"] = answer.dialect.wire_confidence("GREEN")
        item[ALTS] = [*(item.get(ALTS) or []), better]


@response_defect("refuse_change")
def refuse_change(answer: Answer, switch: Switch) -> None:
    if answer.op == "create" and answer.ok and _is_change(answer):
        answer.status, answer.body = 422, [{"code": "otherIssue",
                                            "reason": "Change requests are not supported"}]


@response_defect("refuse_specification")
def refuse_specification(answer: Answer, switch: Switch) -> None:
    if answer.op == "create" and answer.ok and any(_is_spec(i) for i in answer.items()):
        answer.status, answer.body = 422, [{"code": "otherIssue",
                                            "reason": "Qualification by specification failed"}]


# -- deferred acknowledgement --------------------------------------------------------------
def _acknowledgement(answer: Answer) -> dict[str, Any] | None:
    if answer.op == "create" and answer.mef_state() == ACKNOWLEDGED:
        return answer.body  # type: ignore[no-any-return]
    return None


@response_defect("deferred_ack_in_progress")
def deferred_ack_in_progress(answer: Answer, switch: Switch) -> None:
    body = _acknowledgement(answer)
    if body is not None:
        body["state"] = answer.dialect.wire_poq_state(IN_PROGRESS)


@response_defect("deferred_items_not_acknowledged")
def deferred_items_not_acknowledged(answer: Answer, switch: Switch) -> None:
    if _acknowledgement(answer) is not None:
        for item in answer.items():
            item["state"] = answer.dialect.wire_item_state(IN_PROGRESS)


@response_defect("deferred_without_id")
def deferred_without_id(answer: Answer, switch: Switch) -> None:
    body = _acknowledgement(answer)
    if body is not None:
        body.pop("id", None)
        body.pop("href", None)


# -- life cycle seen on retrieve -------------------------------------------------------------
@response_defect("ready_while_item_working")
def ready_while_item_working(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.mef_state() == IN_PROGRESS and any(
            _item_state(answer, i) == IN_PROGRESS for i in answer.items()):
        answer.body["state"] = answer.dialect.wire_poq_state(READY)


@response_defect("in_progress_with_acknowledged_item")
def in_progress_with_acknowledged_item(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.mef_state() == IN_PROGRESS:
        for item in answer.items():
            if _item_state(answer, item) == IN_PROGRESS:
                item["state"] = answer.dialect.wire_item_state(ACKNOWLEDGED)
                return


@response_defect("poq_log_illegal_transition")
def poq_log_illegal_transition(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.mef_state() == READY and answer.body.get(
            "stateChange"):
        answer.body["stateChange"] = _log(answer, [ACKNOWLEDGED, READY, IN_PROGRESS, READY])


@response_defect("item_log_illegal_transition")
def item_log_illegal_transition(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.mef_state() == READY:
        for item in _ready_items(answer):
            if item.get("stateChange"):
                item["stateChange"] = _log(answer, [ACKNOWLEDGED, READY, IN_PROGRESS, READY],
                                           item=True)


@response_defect("no_abandonment")
def no_abandonment(answer: Answer, switch: Switch) -> None:
    if answer.op != "retrieve" or answer.mef_state() not in (UNABLE_TO_MEET_TIME, REJECTED):
        return
    for item in answer.items():
        if _item_state(answer, item) == ABANDONED and not _was_final_log(answer, item):
            item["state"] = answer.dialect.wire_item_state(IN_PROGRESS)
            log = item.get("stateChange")
            if isinstance(log, list) and log:
                item["stateChange"] = log[:-1]


def _was_final_log(answer: Answer, item: dict[str, Any]) -> bool:
    """v7 shows the late item itself as abandoned: leave that one alone."""
    log = item.get("stateChange") or []
    return any(isinstance(e, dict) and e.get("changeReason") for e in log)


# -- retrieve by id --------------------------------------------------------------------------
@response_defect("retrieve_item_without_id")
def retrieve_item_without_id(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve":
        for item in answer.items()[-1:]:
            item.pop("id", None)


@response_defect("retrieve_item_id_changed")
def retrieve_item_id_changed(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve":
        for item in answer.items():
            item["id"] = f"seller-{item.get('id')}"


@response_defect("retrieve_item_without_state")
def retrieve_item_without_state(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.mef_state() in (READY, REJECTED, UNABLE_TO_MEET_TIME):
        for item in answer.items():
            item.pop("state", None)


@response_defect("unknown_id_ok")
def unknown_id_ok(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.status == 404:
        answer.status = 200
        answer.body = {"id": "", "state": answer.dialect.wire_poq_state(REJECTED),
                       ITEMS: []}


@response_defect("unknown_id_500")
def unknown_id_500(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.status == 404:
        answer.status = 500
        answer.body = {"code": "internalError", "reason": "NullPointerException"}


@response_defect("retrieve_error_leaks")
def retrieve_error_leaks(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.status == 404 and isinstance(answer.body, dict):
        answer.body.update({"id": "unknown", "state": answer.dialect.wire_poq_state(REJECTED)})


# -- failures of create ------------------------------------------------------------------------
def _create_error(answer: Answer) -> bool:
    return answer.op == "create" and answer.status in (400, 422)


@response_defect("errors_carry_poq_attributes")
def errors_carry_poq_attributes(answer: Answer, switch: Switch) -> None:
    if _create_error(answer):
        extra = {"id": str(uuid.uuid4()), "state": answer.dialect.wire_poq_state(REJECTED)}
        if isinstance(answer.body, dict):
            answer.body.update(extra)
        elif isinstance(answer.body, list):
            answer.body = [{**e, **extra} if isinstance(e, dict) else e for e in answer.body]


@response_defect("garbled_create_errors")
def garbled_create_errors(answer: Answer, switch: Switch) -> None:
    if _create_error(answer):
        answer.status = GARBLED_STATUS


@response_defect("garbled_retrieve_errors")
def garbled_retrieve_errors(answer: Answer, switch: Switch) -> None:
    if answer.op == "retrieve" and answer.status >= 400:
        answer.status = GARBLED_STATUS


@response_defect("garbled_list_errors")
def garbled_list_errors(answer: Answer, switch: Switch) -> None:
    if answer.op == "list" and answer.status >= 400:
        answer.status = GARBLED_STATUS


@response_defect("garbled_hub_errors")
def garbled_hub_errors(answer: Answer, switch: Switch) -> None:
    if answer.op in ("register", "unregister", "hub_get") and answer.status >= 400:
        answer.status = GARBLED_STATUS


# -- list ----------------------------------------------------------------------------------
def _list_rows(answer: Answer) -> list[dict[str, Any]] | None:
    if answer.op == "list" and answer.ok and isinstance(answer.body, list):
        return answer.body
    return None


@response_defect("list_ignores_filter")
def list_ignores_filter(answer: Answer, switch: Switch) -> None:
    if _list_rows(answer) is None or not any(k in answer.args for k in (
            "projectId", "externalId", "state")):
        return
    page = answer.engine.list(answer.api, ListQuery(), 0, None)
    answer.body = page.rows
    answer.headers.update({"X-Total-Count": str(page.total),
                           "X-Result-Count": str(len(page.rows))})


@response_defect("list_ignores_limit")
def list_ignores_limit(answer: Answer, switch: Switch) -> None:
    if _list_rows(answer) is None or "limit" not in answer.args:
        return
    args = answer.args
    query = ListQuery(project_id=args.get("projectId"), external_id=args.get("externalId"))
    page = answer.engine.list(answer.api, query, 0, None)
    answer.body = page.rows
    answer.headers.update({"X-Total-Count": str(page.total),
                           "X-Result-Count": str(len(page.rows)),
                           "X-Pagination-Throttled": None})


@response_defect("list_foreign_poqs")
def list_foreign_poqs(answer: Answer, switch: Switch) -> None:
    rows = _list_rows(answer)
    if rows is not None and rows:
        foreign = {**rows[0], "id": "other-buyer-" + str(uuid.uuid4()),
                   "projectId": "another-buyers-project", "externalId": "another-buyer"}
        answer.body = [*rows, foreign]


@response_defect("list_row_missing_fields")
def list_row_missing_fields(answer: Answer, switch: Switch) -> None:
    for row in _list_rows(answer) or []:
        for key in ("creationDate", "requestedPOQCompletionDate"):
            row.pop(key, None)


@response_defect("list_error_with_rows")
def list_error_with_rows(answer: Answer, switch: Switch) -> None:
    if answer.op == "list" and answer.status == 400 and isinstance(answer.body, dict):
        answer.body.update({"id": "poq-1", "state": answer.dialect.wire_poq_state(READY)})


# -- registration ---------------------------------------------------------------------------
@response_defect("hub_refuses")
def hub_refuses(answer: Answer, switch: Switch) -> None:
    if answer.op == "register" and answer.status == 201 and isinstance(answer.body, dict):
        answer.engine.notifier.unsubscribe(answer.api, str(answer.body.get("id")))
        answer.status = 501
        answer.body = {"code": "notImplemented", "reason": "Notifications are not supported"}
