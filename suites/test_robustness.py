"""API robustness: schemathesis-generated requests from our OpenAPI document of the dialect.

Valid (positive) and invalid (negative) requests go through the recording client to the
seller's endpoints. Whatever comes in, the seller answers with a response code and never a
5xx; answers conform to the dialect's schemas; requests that break the schema are refused
(400/422) with a MEF Error body and none of the success attributes. ``POST /hub`` is left
out: a generated callback would make the seller post notifications to arbitrary addresses.

The number of examples per operation and mode is ``POQ_SCHEMATHESIS_EXAMPLES`` (default 8),
kept small so a CI run stays fast; the generation is derandomized, so a run is repeatable.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import errors
from harness.schema_findings import LIST_SAMPLE, SchemaFindings, sample_rows
from schemas.validation import openapi_document, validate

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.evidence import Exchange
    from harness.profile import Profile
    from schemas.dialect import Dialect
    from suites._support import GuardedVerdict

pytestmark = pytest.mark.uc("2a", "3", "4", "1")

DEFAULT_EXAMPLES = 8
ERROR_TYPES = {400: "Error400", 401: "Error401", 403: "Error403", 404: "Error404",
               409: "Error409", 422: "Error422", 500: "Error500", 501: "Error501"}


def examples() -> int:
    """Examples per operation and generation mode (env ``POQ_SCHEMATHESIS_EXAMPLES``)."""
    raw = os.environ.get("POQ_SCHEMATHESIS_EXAMPLES", "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_EXAMPLES
    except ValueError:
        return DEFAULT_EXAMPLES


def response_problems(api: str, status: int | None, body: Any, success_type: str | None,
                      list_of: bool = False) -> list[str]:
    """Schema violations of an answer: the success type for 2xx, the Error type otherwise."""
    if status is None:
        return ["no HTTP response"]
    if 200 <= status < 300:
        if success_type is None or status == 204:
            return []
        if list_of:
            if not isinstance(body, list):
                return [f"HTTP {status}: body is not a list"]
            return [f"/{n}{v.pointer}: {v.message}" for n in sample_rows(len(body))
                    for v in validate(api, success_type, body[n])][:5]
        return [str(v) for v in validate(api, success_type, body)][:5]
    error_type = ERROR_TYPES.get(status, "Error")
    if status == 422:
        if not isinstance(body, list):
            return ["HTTP 422: body is not a list of Error422"]
        return [f"/{n}{v.pointer}: {v.message}" for n, e in enumerate(body)
                for v in validate(api, error_type, e)][:5]
    return [str(v) for v in validate(api, error_type, body)][:5]


def _sampled(body: Any) -> str:
    """What part of a list answer was checked, for the check's message."""
    if isinstance(body, list) and len(body) > LIST_SAMPLE:
        return f" ({len(sample_rows(len(body)))} of {len(body)} rows checked, spread evenly)"
    return ""


def _capped(node: Any) -> Any:
    """Bound unbounded arrays and free strings: generation gets ~10x faster and every
    positive case stays valid for the real schema (negative ones are re-checked against it)."""
    if isinstance(node, dict):
        if node.get("type") == "array" and "maxItems" not in node:
            node["maxItems"] = 2
        if node.get("type") == "string" and not {"maxLength", "enum", "format"} & set(node):
            node["maxLength"] = 24
        for value in node.values():
            _capped(value)
    elif isinstance(node, list):
        for value in node:
            _capped(value)
    return node


@functools.cache
def _generation_schema(api: str) -> Any:
    import schemathesis

    return schemathesis.openapi.from_dict(_capped(copy.deepcopy(openapi_document(api))))


def _generate(api: str, path: str, method: str, mode: str) -> list[Any]:
    """Draw up to ``examples()`` cases for one operation (deterministic)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode

    schema = _generation_schema(api)
    operation = schema[path][method]
    generation = GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    drawn: list[Any] = []

    @settings(max_examples=examples(), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(operation.as_strategy(generation_mode=generation))
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn[: examples()]


def _send(seller: SellerClient, case: Any, keep_query: bool) -> Exchange:
    """Send a generated case through the recording client (our auth, our base URL)."""
    kwargs: dict[str, Any] = {}
    if keep_query and isinstance(case.query, dict):
        kwargs["params"] = {k: v for k, v in case.query.items() if k not in ("buyerId",
                                                                              "sellerId")}
    body = getattr(case, "body", None)
    if case.method.upper() in ("POST", "PUT", "PATCH") and not _is_unset(body):
        if isinstance(body, (bytes, str)):
            kwargs["raw_body"] = body
            kwargs["headers"] = {"Content-Type": case.media_type or "application/json"}
        else:
            kwargs["json_body"] = body
    return seller.request(case.method.upper(), case.formatted_path.lstrip("/"), **kwargs)


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


Judge = Callable[[Any, Any, Any, Any, str, Any], None]


def _conforms(api_schema: SchemaFindings, exchange: Exchange, success_type: str,
              list_of: bool = False) -> None:
    """Schema conformance of an answer is recorded as an API-schema deviation (its own
    results section and gate), not under a MEF 79.1 ID: the IDs judge the behaviour."""
    if exchange.status is None:
        return
    if 200 <= exchange.status < 300:
        if exchange.status != 204:
            api_schema.response(exchange, success_type, list_of)
        return
    problems = response_problems(api_schema.api, exchange.status, exchange.json, None)
    if problems:
        api_schema.error_response(exchange, problems)


def _judge_create(verdict: GuardedVerdict, dialect: Dialect, case: Any, exchange: Exchange,
                  mode: str, api_schema: SchemaFindings) -> None:
    body = case.body if isinstance(case.body, dict) else {}
    immediate = body.get("instantSyncQualification") is True
    code_id, leak_id = ("R36", "R41") if immediate else ("R27", "R35")
    ev = [exchange]
    status = exchange.status
    verdict.check(code_id, status is not None and status < 500,
                  f"{mode} create: HTTP {status} {exchange.error or ''}".strip(), evidence=ev)
    invalid = validate(dialect.api, "ProductOfferingQualification_Create", case.body)
    if mode == "negative" and invalid and exchange.ok:
        # schema laxness: an API-level finding, not an R35/R41 breach (they judge failure
        # responses only)
        api_schema.accepted_request(exchange, "ProductOfferingQualification_Create",
                                    [str(v) for v in invalid[:5]])
    if status is not None and 400 <= status < 500:
        verdict.check(leak_id, errors.check_no_success_attributes(exchange.json), evidence=ev)
    _conforms(api_schema, exchange, "ProductOfferingQualification")


def _judge_retrieve(verdict: GuardedVerdict, dialect: Dialect, case: Any, exchange: Exchange,
                    mode: str, api_schema: SchemaFindings) -> None:
    ev = [exchange]
    status = exchange.status
    verdict.check("R84", status is not None and status < 500,
                  f"{mode} retrieve {case.formatted_path}: HTTP {status}", evidence=ev)
    if status is not None and 400 <= status < 500:
        verdict.check("R86", errors.check_no_success_attributes(exchange.json), evidence=ev)
    _conforms(api_schema, exchange, "ProductOfferingQualification")


def _judge_list(verdict: GuardedVerdict, dialect: Dialect, case: Any, exchange: Exchange, mode: str,
                api_schema: SchemaFindings) -> None:
    ev = [exchange]
    status = exchange.status
    verdict.check("R78", status is not None and status < 500,
                  f"{mode} list {case.query}: HTTP {status}", evidence=ev)
    if status is not None and 400 <= status < 500:
        verdict.check("R79", errors.check_no_success_attributes(
            exchange.json, errors.LIST_ROW_ATTRIBUTES, "list failure"), evidence=ev)
    _conforms(api_schema, exchange, "ProductOfferingQualification_Find", list_of=True)


def _judge_hub(verdict: GuardedVerdict, dialect: Dialect, case: Any, exchange: Exchange, mode: str,
               api_schema: SchemaFindings) -> None:
    ev = [exchange]
    status = exchange.status
    verdict.check("R8", status is not None and status < 500,
                  f"{mode} {case.method} {case.formatted_path}: HTTP {status}", evidence=ev)
    _conforms(api_schema, exchange, "EventSubscription")


OPERATIONS: dict[str, tuple[str, str, Judge, bool, str]] = {
    # name -> (path, method, judge, keep generated query, capability)
    "create": ("/productOfferingQualification", "POST", _judge_create, False, "immediate"),
    "retrieve": ("/productOfferingQualification/{id}", "GET", _judge_retrieve, False, ""),
    "list": ("/productOfferingQualification", "GET", _judge_list, True, "list"),
    "hub-get": ("/hub/{id}", "GET", _judge_hub, False, "hub_get"),
    "hub-delete": ("/hub/{id}", "DELETE", _judge_hub, False, "notifications"),
}


@pytest.mark.requirements("R8", "R27", "R35", "R36", "R41", "R78", "R79", "R80", "R84", "R86")
@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_generated_requests(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
                            verdict: GuardedVerdict, api_schema: SchemaFindings, operation: str,
                            mode: str) -> None:
    """Generated requests: no 5xx, schema-conforming answers, invalid data refused."""
    path, method, judge_fn, keep_query, capability = OPERATIONS[operation]
    if capability and not seller_profile.has(capability) and capability != "immediate":
        pytest.skip(f"the seller profile declares no '{capability}'")
    if path not in openapi_document(dialect.api)["paths"] or method.lower() not in \
            openapi_document(dialect.api)["paths"][path]:
        pytest.skip(f"{method} {path} is not part of the {dialect.api} API")
    cases = _generate(dialect.api, path, method, mode)
    if not cases:
        pytest.skip("schemathesis generated no case for this operation and mode")
    for case in cases:
        exchange = _send(seller, case, keep_query)
        judge_fn(verdict, dialect, case, exchange, mode, api_schema)
