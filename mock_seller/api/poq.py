"""POQ resource: create (UC2), list (UC3), retrieve (UC4). Registered once per base path."""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.sansio.utils import get_current_url

from mock_seller.api.current import current_flask, current_request
from mock_seller.api.errors import (
    ApiError,
    bad_request,
    error,
    json_response,
    not_found,
    unprocessable,
)
from mock_seller.api.limits import Limits, check_content_type, parse_json, read_body
from mock_seller.api.processable import shape_violations, unanswerable_items
from mock_seller.api.validation import business_errors, structural_violations
from mock_seller.buyer.hooks import (
    gate_create,
    gate_list,
    gate_retrieve,
    waive_errors,
    waive_violations,
)
from mock_seller.core.context import engine_of
from mock_seller.core.engine import Engine, TooManyRecords
from mock_seller.core.rules import ItemPlan
from mock_seller.core.timeutil import parse_datetime
from mock_seller.sandbox.tenancy import current_owner
from mock_seller.storage.protocol import ListQuery
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS, get_dialect

bp = Blueprint("poq", __name__)


def engine() -> Engine:
    return engine_of(current_flask())


def read_json_body(limits: Limits) -> Any:
    """The request body as JSON, nested less than ``limits.max_depth`` deep, or a 400
    invalidBody that says what is wrong."""
    req = current_request()
    check_content_type(req)  # mock_seller/api/limits.py: strict JSON, size/depth/string caps
    return parse_json(read_body(req, limits), limits)


def _structure_error(violations: list[tuple[str, str]]) -> ApiError:
    first = violations[0]
    detail = "; ".join(f"{p or '/'}: {m}" for p, m in violations[:20])
    return bad_request("invalidBody", f"{first[0] or '/'}: {first[1]}", detail)


@bp.post("/productOfferingQualification")
def create(api: str, family: str) -> Response:
    eng = engine()
    limits = eng.scenario.limits
    body = read_json_body(limits)
    gate_create(api, body)  # buyer-side conformance: records; strict mode refuses (422)
    violations = structural_violations(api, "ProductOfferingQualification_Create", body,
                                       limits.max_depth)
    violations = waive_violations(violations)  # lenient buyer mode waives what it recorded
    if violations:
        raise _structure_error(violations)
    violations = shape_violations(api, body)  # never waived: what the engine must read
    if violations:
        raise _structure_error(violations)
    immediate = eng.is_immediate(body)
    problems = business_errors(api, body, eng.scenario, immediate)
    problems = waive_errors(problems) or unanswerable_items(body, eng.scenario)
    if problems:
        raise unprocessable(problems)
    plans = eng.plan(body)  # once: the immediate check and the engine share them
    immediate_failures = _immediate_failures(plans) if immediate else []
    if immediate_failures:
        raise unprocessable(immediate_failures)
    req = current_request()
    href_base = _host_url(req.scheme, req.host).rstrip("/") + req.script_root + _base(api, family)
    response = eng.create(api, body, href_base, owner=current_owner(), plans=plans)
    return json_response(response, 201, {"Location": response["href"]})


def _immediate_failures(plans: list[ItemPlan]) -> list[dict[str, Any]]:
    """Items the scenario cannot answer at once: an immediate response must be READY (R39),
    so insufficient information or a long evaluation is a 422 instead."""
    out = []
    for i, plan in enumerate(plans):
        outcome = plan.result.outcome or "READY"
        if outcome != "READY":
            reason = plan.result.termination_reason or "This item cannot be answered immediately"
            out.append({"code": "otherIssue", "reason": reason[:255],
                        "propertyPath": f"/productOfferingQualificationItem/{i}"})
    return out


@functools.lru_cache(maxsize=64)
def _host_url(scheme: str, host: str) -> str:
    """``request.host_url``, which werkzeug rebuilds (and IRI-decodes) on every request."""
    return get_current_url(scheme, host)


def _base(api: str, family: str) -> str:
    return (CANTATA_BASE_PATHS if family == "cantata" else BASE_PATHS)[api]  # type: ignore[index]


@bp.get("/productOfferingQualification/<poq_id>")
def retrieve(api: str, family: str, poq_id: str) -> Response:
    gate_retrieve(api, poq_id)  # R82
    body = engine().retrieve(api, poq_id, owner=current_owner())  # foreign: 404
    if body is None:
        raise not_found(f"Product offering qualification {poq_id!r}")
    return json_response(body)


_LIST_KEYS = {"state", "projectId", "externalId", "requestedPOQCompletionDate.gt",
              "requestedPOQCompletionDate.lt", "creationDate.gt", "creationDate.lt",
              "offset", "limit", "buyerId", "sellerId"}


@bp.get("/productOfferingQualification")
def list_poqs(api: str, family: str) -> Response:
    args = request.args
    gate_list(api, list(args))  # O15
    dialect = get_dialect(api)
    for key in args:
        no_such_filter = key.startswith("creationDate") and not dialect.has_creation_date
        if key not in _LIST_KEYS or no_such_filter:
            raise bad_request("invalidQuery", f"Unsupported query parameter {key!r}")
        if len(args.getlist(key)) > 1:
            raise bad_request("invalidQuery", f"Query parameter {key!r} given more than once")
    state = None
    if "state" in args:
        state = dialect.mef_poq_state(args["state"])
        if state is None:
            raise bad_request("invalidQuery", f"Unknown state {args['state']!r} for {api}",
                              "expected one of " + ", ".join(dialect.poq_states.values()))
    dates = {}
    for key in ("requestedPOQCompletionDate.gt", "requestedPOQCompletionDate.lt",
                "creationDate.gt", "creationDate.lt"):
        if key in args:
            value = parse_datetime(args[key])
            if value is None:
                raise bad_request("invalidQuery", f"{key} must be an RFC 3339 date-time")
            dates[key] = value
    offset = _non_negative(args, "offset", 0)
    limit = _non_negative(args, "limit", None)
    query = ListQuery(
        state=state, project_id=args.get("projectId"), external_id=args.get("externalId"),
        created_from=dates.get("creationDate.gt"), created_to=dates.get("creationDate.lt"),
        requested_from=dates.get("requestedPOQCompletionDate.gt"),
        requested_to=dates.get("requestedPOQCompletionDate.lt"),
    )
    try:
        page = engine().list(api, query, offset or 0, limit, owner=current_owner())
    except TooManyRecords as exc:
        raise unprocessable([error("tooManyRecords",
                                   f"{exc.args[0]} POQs match; narrow the filters",
                                   "Add state, projectId, externalId or date filters")]) from None
    headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(page.rows))}
    if page.throttled:
        headers["X-Pagination-Throttled"] = "true"
    return json_response(page.rows, 200, headers)


_INT32_MAX = 2**31 - 1


def _non_negative(args: Any, key: str, default: int | None) -> int | None:
    if key not in args:
        return default
    raw = args[key]
    if not (raw.isascii() and raw.isdigit()) or int(raw) > _INT32_MAX:  # format int32
        raise bad_request("invalidQuery", f"{key} must be a non-negative 32-bit integer")
    value = int(raw)
    if key == "limit" and value == 0:
        raise bad_request("invalidQuery", "limit must be at least 1")
    return value
