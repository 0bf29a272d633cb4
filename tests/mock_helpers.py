"""Shared pieces of the mock seller tests: request builders, a real notification listener,
polling helpers, the mock as a child process. Servers bind 127.0.0.1 on port 0 and are
stopped by the tests."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.mock_process import MockSeller
from mock_seller.server import MockServer

POQ = "/productOfferingQualification"
BUYER = {"role": "buyerContactInformation", "name": "Buyer Person", "number": "+1-555-0199",
         "emailAddress": "buyer@example.com"}
ELINE_TYPE = "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
UNI_TYPE = "urn:mef:lso:spec:sonata:carrier-ethernet-operator-uni:v5.0.0:all"


def iso(delta_seconds: float) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=delta_seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def eline_item(item_id: str = "1", offering: str = "000073", eir: int = 1) -> dict[str, Any]:
    return {"id": item_id, "action": "add", "product": {
        "productOffering": {"id": offering},
        "productConfiguration": {"@type": ELINE_TYPE, "uniEp": {
            "ingressBandwidthProfilePerClassOfServiceName": [
                {"classOfServiceName": "low", "bwpFlow": {"eir": {"irValue": eir,
                                                                  "irUnits": "GBPS"}}}]}}}}


def uni_item(item_id: str = "1", place_id: str = "NewYorkAddress-id-1", api: str = "v8",
             offering: str = "000074") -> dict[str, Any]:
    if api == "v8":
        place = {"role": "INSTALL_LOCATION",
                 "place": {"@type": "GeographicAddressRef", "id": place_id},
                 "contact": [{"name": "Site", "number": "1", "emailAddress": "s@example.com"}]}
    else:
        place = {"@type": "GeographicAddressRef", "role": "INSTALL_LOCATION", "id": place_id}
    return {"id": item_id, "action": "add", "product": {
        "productOffering": {"id": offering}, "place": [place],
        "productConfiguration": {"@type": UNI_TYPE, "maximumServiceFrameSize": 1522}}}


def spec_item(item_id: str = "1", spec: str = "access-eline-ovc") -> dict[str, Any]:
    return {"id": item_id, "action": "add", "product": {
        "productSpecification": {"id": spec},
        "productConfiguration": {"@type": ELINE_TYPE, "maximumFrameSize": 1526}}}


def modify_item(item_id: str = "1", product_id: str = "AccessElineOVC-0001") -> dict[str, Any]:
    item = eline_item(item_id)
    item["action"] = "modify"
    item["product"]["id"] = product_id
    return item


def poq(*items: dict[str, Any], instant: bool = True, alternatives: bool = False,
        requested: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"instantSyncQualification": instant,
                            "provideAlternative": alternatives,
                            "relatedContactInformation": [dict(BUYER)],
                            "productOfferingQualificationItem": list(items) or [eline_item()]}
    if not instant:
        body["requestedPOQCompletionDate"] = requested or iso(3600)
    body.update(extra)
    return copy.deepcopy(body)


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture(name="mock")
def mock_fixture(seller: MockServer) -> Iterator[MockServer]:
    seller.engine.reset()
    yield seller
    seller.engine.reset()


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, step: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(step)


class Listener:
    """A real buyer listener: records every POST (path, JSON body) and answers 204.

    ``fail_first`` answers 503 to the first N requests; ``delay`` sleeps before answering;
    ``port``: a fixed port (a listener that is down first and up later), else a free one.
    Use it as a context manager, or ``start()`` and ``close()``.
    """

    def __init__(self, fail_first: int = 0, delay: float = 0.0, port: int = 0) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.delay = delay
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                with outer._lock:
                    outer.attempts += 1
                    failing = outer.attempts <= outer.fail_first
                    if not failing:
                        outer.received.append((self.path, body))
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(503 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def bodies(self) -> list[Any]:
        """The JSON bodies received so far, duplicates included (a copy)."""
        with self._lock:
            return [body for _, body in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [body for _, body in self.received]

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.received]


def create(server: MockServer, body: dict[str, Any], api: str = "v8") -> requests.Response:
    return requests.post(server.base_url(api) + POQ, json=body, timeout=10)


def poll_final(server: MockServer, poq_id: str, api: str = "v8", timeout: float = 5.0
               ) -> dict[str, Any]:
    finals = {"v8": {"done", "rejected", "terminatedWithError"},
              "v7": {"done.ready", "terminatedWithError", "done.unableToProvide"}}[api]

    def done() -> dict[str, Any] | None:
        body = requests.get(f"{server.base_url(api)}{POQ}/{poq_id}", timeout=10).json()
        return body if body["state"] in finals else None

    return wait_for(done, timeout)  # type: ignore[no-any-return]


class MockProcess(MockSeller):
    """``python -m mock_seller [ARGS]`` as a child process on a free port, started on
    construction and stopped on exit. The harness's own starter (``harness.mock_process``):
    it waits for the ready line with a deadline and keeps stderr for the failure message.
    ``url`` is the v8 base URL, ``root`` the server's; ``kill`` ends the process as a
    crash would (SIGKILL), ``stop`` as an operator would (SIGTERM)."""

    def __init__(self, *args: str, scenario: Path | None = None,
                 store: str | None = None) -> None:
        store_args = ["--store", store] if store else []
        super().__init__(scenario, extra_args=[*store_args, *args])
        self.start()

    def __enter__(self) -> MockProcess:
        return self  # started on construction

    @property
    def url(self) -> str:
        return self.base_url("v8")

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``: ``root_url`` of the running process."""
        assert self.root_url is not None, "the mock seller is not running"
        return self.root_url

    @property
    def port(self) -> int:
        return int(self.root.rsplit(":", 1)[1])

    @property
    def pid(self) -> int:
        assert self._proc is not None, "the mock seller is not running"
        return self._proc.pid

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        proc = self._proc
        assert proc is not None, "the mock seller is not running"
        proc.kill()
        proc.wait(timeout=10)
        self.stop()  # nothing left to stop: closes the pipes
