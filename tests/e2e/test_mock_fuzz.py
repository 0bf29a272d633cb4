"""Schemathesis fuzzing of the running mock seller over real HTTP, from three OpenAPI documents:
our v8 and v7 documents (``schemas.validation.openapi_document``) and the official v7 document of
the MEF SDK (skipped when ../shared is absent).

Every operation gets positive cases (schema-valid data; for create, the items are pointed at a
known offering so the 201 path is exercised too) and negative cases (schema-breaking data). The
checks: no 5xx, every status documented, every response body and header valid against the
document, and schema-breaking requests refused with a 4xx. Not checked: that schema-valid data is
accepted (business rules legitimately refuse most random POQs with 422).

Size: ``POQ_FUZZ_EXAMPLES`` (default 100) cases per operation and mode, about 2,800 in all;
create operations get a sixth of that (their bodies are expensive to generate).
``POQ_FUZZ_SEED`` varies the run (default: derandomized, the same cases every run).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from mock_helpers import ELINE_TYPE, POQ, eline_item, poq

from mock_seller.server import MockServer
from schemas.validation import openapi_document

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

OFFICIAL_V7 = (Path(__file__).resolve().parents[2] / ".." / "shared" / "mef-sdk" / "productApi"
               / "serviceability" / "offeringQualification"
               / "productOfferingQualificationManagement.api.yaml")
EXAMPLES = int(os.environ.get("POQ_FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("POQ_FUZZ_SEED")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

pytestmark = pytest.mark.slow


def _scenario() -> dict[str, Any]:
    """The default scenario, with callbacks limited to loopback literals and a name nobody
    fuzzes into: random hosts are refused without a DNS lookup or a delivery attempt."""
    from importlib import resources

    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["callbacks"] = {"allow": ["buyer.fuzz.invalid"]}
    data.setdefault("notifications", {}).update({"retries": 0, "timeout": 1})
    return data  # type: ignore[no-any-return]


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    with MockServer(_scenario(), threads=4) as server:
        yield server


def _document(name: str) -> tuple[str, dict[str, Any]]:
    if name == "official-v7":
        if not OFFICIAL_V7.is_file():
            pytest.skip(f"official v7 OpenAPI not found at {OFFICIAL_V7}")
        return "v7", yaml.safe_load(OFFICIAL_V7.read_text("utf-8"))
    return name, openapi_document(name)


def _valid_item(api: str, index: int, item: Any) -> dict[str, Any]:
    """A generated item pointed at a known offering (its other members kept as generated)."""
    out = dict(item) if isinstance(item, dict) else {}
    known = eline_item(str(index + 1))
    out.update(id=known["id"], action="add", product=known["product"])
    for key in ("qualificationItemRelationship", "state", "stateChange"):
        out.pop(key, None)
    return out


def _make_creatable(api: str, case: Any) -> Any:
    """Turn a schema-valid create body into one the default scenario answers with 201."""
    body = case.body if isinstance(case.body, dict) else {}
    items = body.get("productOfferingQualificationItem") or [{}]
    body["productOfferingQualificationItem"] = [
        _valid_item(api, i, item) for i, item in enumerate(items[:3])]
    body["instantSyncQualification"] = True
    body["provideAlternative"] = False
    body.pop("requestedPOQCompletionDate", None)
    contacts = [c for c in body.get("relatedContactInformation") or [] if isinstance(c, dict)]
    body["relatedContactInformation"] = [*contacts, dict(poq()["relatedContactInformation"][0])]
    assert ELINE_TYPE in str(body)
    case.body = body
    return case


def _allowed_callback(case: Any) -> Any:
    """Every other positive registration gets a callback the policy allows (the 201 path);
    the rest keep their random callback (refused: not in the allow-list)."""
    if isinstance(case.body, dict) and zlib.crc32(repr(case.body).encode()) % 2:
        case.body = {**case.body, "callback": "http://127.0.0.1:9/fuzz"}
    return case


def _seed_resources(seller: MockServer, api: str) -> dict[str, list[str]]:
    """Known POQ and subscription ids, so reads and deletes also hit existing resources."""
    base = seller.base_url(api)
    poqs = [requests.post(base + POQ, json=poq(eline_item()), timeout=10).json()["id"]
            for _ in range(3)]
    subs = [requests.post(base + "/hub", json={"callback": "http://127.0.0.1:9/cb"},
                          timeout=10).json()["id"] for _ in range(3)]
    return {POQ: poqs, "/hub": subs}


def _strategy(operation: Any, mode: GenerationMode, api: str, known: dict[str, list[str]]
              ) -> Any:
    strategy = operation.as_strategy(mode)
    method, path = operation.method.upper(), operation.path
    if method == "POST" and path.rstrip("/") == POQ and mode is GenerationMode.POSITIVE:
        return strategy.map(lambda case: _make_creatable(api, case))
    if method == "POST" and path == "/hub" and mode is GenerationMode.POSITIVE:
        return strategy.map(_allowed_callback)
    if "{id}" in path:
        ids = known[POQ if path.startswith(POQ) else "/hub"]
        fixed = [operation.as_strategy(mode, path_parameters={"id": i}) for i in ids]
        return st.one_of(strategy, *fixed)
    return strategy


def _examples(operation: Any) -> int:
    heavy = operation.method.upper() == "POST" and operation.path.rstrip("/") == POQ
    return max(5, EXAMPLES // 6) if heavy else EXAMPLES


@pytest.mark.parametrize("doc_name", ["v8", "v7", "official-v7"])
def test_fuzz_the_running_mock(seller: MockServer, doc_name: str) -> None:
    api, document = _document(doc_name)
    schema = schemathesis.openapi.from_dict(document)
    base_url = seller.base_url(api)
    known = _seed_resources(seller, api)
    session = requests.Session()
    failures: list[str] = []
    statuses: Counter[tuple[str, str, int]] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        for mode in MODES:
            _run(operation, mode, _strategy(operation, mode, api, known), base_url, session,
                 statuses, failures)
    session.close()
    summary = ", ".join(f"{label} {mode}: {dict(_by_status(statuses, label, mode))}"
                        for label, mode in sorted({(k[0], k[1]) for k in statuses}))
    total = sum(statuses.values())
    print(f"\n{doc_name}: {total} cases; {summary}")
    assert not failures, f"{len(failures)} failing case(s) of {total}:\n" + "\n".join(
        failures[:5])
    assert not [k for k in statuses if k[2] >= 500]
    created = sum(n for (label, mode, status), n in statuses.items()
                  if label.startswith("POST") and label.endswith(POQ) and status == 201)
    assert created > 0, "no positive create case reached the 201 path"


def _by_status(statuses: Counter[tuple[str, str, int]], label: str, mode: str
               ) -> Iterator[tuple[int, int]]:
    for (lbl, md, status), n in sorted(statuses.items()):
        if lbl == label and md == mode:
            yield status, n


def _run(operation: Any, mode: GenerationMode, strategy: Any, base_url: str,
         session: requests.Session, statuses: Counter[tuple[str, str, int]],
         failures: list[str]) -> None:
    """Run the cases of one operation and mode; failures are collected, not raised, so one
    report lists every distinct problem."""

    @given(case=strategy)
    @settings(max_examples=_examples(operation), deadline=None, database=None,
              derandomize=SEED is None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, timeout=30)
        statuses[(operation.label, mode.value, response.status_code)] += 1
        try:
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
        except FailureGroup as exc:
            if len(failures) < 50:
                failures.append(f"[{operation.label} {mode.value}] {str(exc)[:1500]}")

    if SEED is not None:
        check = seed(int(SEED))(check)
    check()


# -- the requested-date index of the memory store (bench/bench_prism.py list figures) -----------

_DAY = st.one_of(st.none(), st.integers(0, 30))


@pytest.fixture(scope="module", name="engine")
def engine_fixture() -> Iterator[Any]:
    from mock_seller.core.engine import Engine
    from mock_seller.core.scenario import load_scenario

    engine = Engine(load_scenario())
    yield engine
    engine.close()


@given(days=st.lists(_DAY, max_size=40), low=_DAY, high=_DAY,
       state=st.sampled_from([None, "READY", "ACKNOWLEDGED"]))
@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_requested_window_index_agrees_with_a_full_scan(
        engine: Any, days: list[int | None], low: int | None, high: int | None,
        state: str | None) -> None:
    """The bisected index returns exactly the records a scan finds, in creation order."""
    from mock_seller.core.timeutil import parse_datetime
    from mock_seller.storage.memory import MemoryStore, _filter
    from mock_seller.storage.protocol import ListQuery

    def when(day: int | None, hour: int = 0) -> str | None:
        return None if day is None else f"2030-01-{1 + day:02d}T{hour:02d}:00:00+01:00"

    engine.reset()
    for n, day in enumerate(days):
        body = poq(eline_item(), externalId=f"e{n}")
        if day is not None:
            body["requestedPOQCompletionDate"] = when(day, n % 24)
        engine.create("v8", body, "http://127.0.0.1:9/x")
    store = engine.store
    assert isinstance(store, MemoryStore)
    query = ListQuery(state=state, requested_from=parse_datetime(when(low)),
                      requested_to=parse_datetime(when(high, 12)))
    everything = list(store.match("v8", ListQuery()))
    expected = [r.id for r in _filter(everything, query)]
    assert [r.id for r in store.match("v8", query)] == expected

