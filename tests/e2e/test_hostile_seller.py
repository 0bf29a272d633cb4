"""``poq-conformance run`` against hostile sellers (issue 17, items 8-12), end to end.

Each seller is the bundled mock behind a small stdlib proxy on 127.0.0.1 that turns chosen
answers hostile: dripping one byte a second, redirecting the token request elsewhere,
nesting 100,000 deep, answering 50 MB, flooding the listener, or a third process spoofing
notifications. The harness runs as a real subprocess; its peak RSS is its own (the mock
is another process).
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from harness.mock_process import MockSeller
from harness.profile import bundled_profile_path

pytestmark = pytest.mark.slow

POQ_PATH = re.compile(r"/productOfferingQualification/v8/productOfferingQualification(/[^/?]+)?")
LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener"
DEEP = b"[" * 100_000 + b"]" * 100_000
FIFTY_MB = 50 * 1024 * 1024
MEASURED = """
import atexit, resource, sys
from pathlib import Path
out = Path(sys.argv[1])
atexit.register(lambda: out.write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
from harness.cli import main
main(sys.argv[2:])
"""

Rule = Callable[["Proxy", BaseHTTPRequestHandler, bytes], bool]


class Proxy:
    """The mock seller behind a proxy; ``rule`` may answer a request itself (returns True)."""

    def __init__(self, mock_root: str, rule: Rule) -> None:
        self.upstream = urlsplit(mock_root)
        self.rule = rule
        self.callbacks: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mefApi/sonata/productOfferingQualification/v8"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("host", "connection", "content-length")}
        conn.request(handler.command, handler.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if handler.command == "POST" and handler.path.split("?")[0].endswith("/hub"):
            callback = json.loads(body or b"{}").get("callback")
            if resp.status == 201 and callback:
                self.callbacks.append(callback)
        handler.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding",
                                    "date", "server"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    if not proxy.rule(proxy, self, body):
                        proxy.forward(self, body)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _any  # noqa: N815

        return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> bool:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return True


def poq(handler: BaseHTTPRequestHandler) -> str | None:
    """"create", "retrieve", "list" or None for other paths."""
    match = POQ_PATH.search(handler.path.split("?")[0])
    if match is None:
        return None
    if match.group(1):
        return "retrieve"
    return "create" if handler.command == "POST" else "list"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockSeller]:
    with MockSeller(None) as seller:
        yield seller


@pytest.fixture
def proxy(mock: MockSeller) -> Iterator[Callable[[Rule], Proxy]]:
    made: list[Proxy] = []

    def start(rule: Rule) -> Proxy:
        made.append(Proxy(mock.root_url, rule))
        return made[-1]

    yield start
    for p in made:
        p.close()


def write_profile(tmp_path: Path, base_url: str, **changes: Any) -> Path:
    data = yaml.safe_load(bundled_profile_path("mock-v8").read_text("utf-8"))
    data["seller"]["base_url"] = base_url
    data["deferred"] = {"max_wait_s": 4, "poll_interval_s": 0.2}
    data["notifications"] = {"max_wait_s": 3}
    for key, value in changes.items():
        section, name = key.split("__")
        data[section][name] = value
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str], elapsed: float, rss_kb: int,
                 out: Path) -> None:
        self.code, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        self.elapsed, self.rss_mb, self.out = elapsed, rss_kb / 1024, out

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text("utf-8"))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"exit {self.code}\n{self.stdout[-3000:]}\n{self.stderr[-2000:]}"


def run(tmp_path: Path, profile: Path, *args: str, timeout: float = 400) -> Run:
    out, rss = tmp_path / "out", tmp_path / "rss.txt"
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, str(rss), "run", "--profile", str(profile),
         "--report-dir", str(out), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
    )
    result = Run(proc, time.monotonic() - t0, int(rss.read_text() or 0), out)
    print(f"\n[{profile.parent.name}] exit {result.code} in {result.elapsed:.1f} s, "
          f"peak RSS {result.rss_mb:.0f} MB")
    assert "Traceback" not in proc.stdout + proc.stderr, result
    return result


def last_line(run: Run) -> str:
    return run.stderr.strip().splitlines()[-1]


# -- item 8: a seller that drips --------------------------------------------------------------


def drip_on_create(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
    if poq(handler) != "create":
        return False
    handler.send_response(201)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(600):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(1)
    return True


def test_drip_ends_the_run_at_the_request_deadline(tmp_path: Path, proxy: Any) -> None:
    seller = proxy(drip_on_create)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url(), seller__timeout_s=3))
    assert done.code == 2, done
    assert re.fullmatch(r"poq-conformance: error: no complete answer to POST http://127\.0\.0"
                        r"\.1:\d+/\S+ within 3 s \(seller\.timeout_s\): timeout: body not "
                        r"complete within 3 s", last_line(done)), done
    assert done.elapsed < 45, done
    errored = [t for t in done.doc["tests"] if t["outcome"] == "error"]
    assert errored and errored[-1]["longrepr"].startswith("run stopped: no complete answer")


def slow_everything(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
    if poq(handler) in ("create", "retrieve"):
        time.sleep(1.0)
    return False


def test_the_run_deadline_ends_a_slow_run(tmp_path: Path, proxy: Any) -> None:
    seller = proxy(slow_everything)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url()), "--max-duration", "12")
    assert done.code == 2, done
    assert re.fullmatch(r"poq-conformance: error: run deadline of 12 s \(--max-duration\) "
                        r"passed while waiting for .+", last_line(done)), done
    assert done.elapsed < 12 + 15, done


# -- item 9: the token request is redirected -----------------------------------------------


class Counting(ThreadingHTTPServer):
    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer(self)

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_token_redirect_reaches_no_other_port(tmp_path: Path, mock: MockSeller) -> None:
    def token(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b'{"access_token": "stolen", "expires_in": 300}')

    thief = Counting(token)

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", f"http://127.0.0.1:{thief.port}/token")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    idp = Counting(redirect)
    try:
        auth = {"type": "oauth2_client_credentials", "client_auth": "body",
                "token_url": f"http://127.0.0.1:{idp.port}/token", "client_id": "buyer",
                "client_secret_env": "HOSTILE_SECRET"}
        profile = write_profile(tmp_path, mock.base_url("v8"), seller__auth=auth)
        import os

        os.environ["HOSTILE_SECRET"] = "very-secret-value"
        try:
            done = run(tmp_path, profile)
        finally:
            del os.environ["HOSTILE_SECRET"]
        assert done.code == 2, done
        assert idp.hits >= 1 and thief.hits == 0
        line = last_line(done)
        assert line.startswith("poq-conformance: error: seller.auth.token_url: the token "
                               f"endpoint http://127.0.0.1:{idp.port}/token answered HTTP 307 "
                               f"redirecting to http://127.0.0.1:{thief.port}/token; not "
                               "followed"), done
    finally:
        for server in (idp, thief):
            server.shutdown()
            server.server_close()


# -- item 10: nesting 100,000 deep ----------------------------------------------------------


@pytest.mark.parametrize("where", ["create", "retrieve"])
def test_deep_json_is_a_finding_never_a_crash(tmp_path: Path, proxy: Any, where: str) -> None:
    def deep(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        if poq(handler) != where:
            return False
        if where == "create":
            return send(handler, 201, DEEP)
        return send(handler, 200, DEEP)

    seller = proxy(deep)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url()), "--uc", "2a,4")
    assert done.code == 1, done
    doc = done.doc
    assert "RecursionError" not in json.dumps(doc["tests"])
    deep_ids = {e["id"] for e in doc["exchanges"]
                if (e["error"] or "").startswith("response body not parsed: JSON nested")}
    assert deep_ids, done
    failed = [c for r in doc["requirements"] for c in r["checks"]
              if c["status"] == "fail" and deep_ids & set(c["evidence"])]
    assert failed, "the deep answers are cited as evidence of failed checks"
    errored = [t for t in doc["tests"] if t["outcome"] == "error"]
    assert all(t["requirements"] for t in errored)
    print(f"  {len(failed)} failed checks cite deep answers; {len(errored)} tests errored")


# -- item 11: 50 MB answers and 300 notifications of 1 MB ------------------------------------


def test_fifty_megabyte_answers_keep_the_run_small(tmp_path: Path, proxy: Any) -> None:
    big = b'{"id": "' + b"x" * FIFTY_MB + b'"}'

    def huge(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        if poq(handler) not in ("create", "retrieve", "list") or "limit=1" in handler.path:
            return False
        return send(handler, 201 if poq(handler) == "create" else 200, big)

    seller = proxy(huge)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url()), "--uc", "2a,3,4")
    assert done.code in (1, 2), done
    assert done.rss_mb < 400, done
    refused = [e for e in done.doc["exchanges"] if "larger than" in (e["error"] or "")]
    assert len(refused) >= 5
    assert all(len(json.dumps(e["response"]["body"])) < 70_000 for e in refused)


def test_a_notification_flood_stays_bounded(tmp_path: Path, proxy: Any) -> None:
    """At the first registration the seller starts posting 300 notifications of 1 MB to
    the registered callback; it answers the first unregistration only once all are sent."""
    pad = json.dumps({"eventId": "flood", "eventType": "poqStateChangeEvent",
                      "eventTime": "2026-01-01T00:00:00Z",
                      "event": {"id": "flood", "pad": [0] * 333_000}}).encode()
    assert 990_000 < len(pad) < 1_048_576
    sent: list[int] = []
    flooding = threading.Thread()

    def flood(callback: str) -> None:
        def post(count: int) -> None:
            with requests.Session() as s:
                for _ in range(count):
                    r = s.post(f"{callback}{LISTENER}/poqStateChangeEvent", data=pad,
                               timeout=30, headers={"Content-Type": "application/json"})
                    sent.append(r.status_code)

        posters = [threading.Thread(target=post, args=(150,)) for _ in range(2)]
        for poster in posters:
            poster.start()
        for poster in posters:
            poster.join()

    def on_hub(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        nonlocal flooding
        hub = handler.path.split("?")[0].rsplit("/hub", 1)
        if handler.command == "POST" and hub[-1] == "" and not flooding.is_alive() and \
                not sent:
            flooding = threading.Thread(target=flood, args=(json.loads(body)["callback"],))
            flooding.start()
        if handler.command == "DELETE" and len(hub) == 2 and flooding.ident is not None:
            flooding.join(timeout=100)
        return False

    seller = proxy(on_hub)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url(), seller__timeout_s=120),
               "--uc", "1,5")
    assert sent.count(204) == 300, done
    assert done.rss_mb < 400, done
    notes = done.doc["notifications"]
    flooded = [n for n in notes if isinstance(n["body"], str) and "flood" in n["body"][:200]]
    released = [n for n in flooded if n.get("note", "").startswith("parsed body released")]
    assert len(flooded) == 300 and len(released) >= 250
    assert sum(len(n["body"]) for n in flooded) < 40 * 1024 * 1024
    print(f"  {len(released)} of 300 flood notifications kept only as records")


# -- item 12: spoofed notifications ----------------------------------------------------------


def test_spoofed_notifications_are_not_counted(tmp_path: Path, proxy: Any) -> None:
    spoofed = {"n": 0}

    def spoof(callback: str) -> None:
        """A third process that knows the listener's port but not the run's path."""
        parts = urlsplit(callback)
        root = f"{parts.scheme}://{parts.netloc}"
        body = {"eventId": "spoof", "eventType": "poqStateChangeEvent",
                "eventTime": "2026-01-01T00:00:00Z",
                "event": {"id": "spoofed-poq", "state": "done"}}
        for _ in range(20):
            r = requests.post(f"{root}{LISTENER}/poqStateChangeEvent", json=body, timeout=5)
            spoofed["n"] += r.status_code == 404

    def on_hub(proxy: Proxy, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        if handler.command == "POST" and handler.path.split("?")[0].endswith("/hub"):
            callback = str(json.loads(body).get("callback"))
            if callback.startswith("http://127.0.0.1:"):  # not the suite's invalid ones
                threading.Thread(target=spoof, args=(callback,), daemon=True).start()
        return False

    seller = proxy(on_hub)
    done = run(tmp_path, write_profile(tmp_path, seller.base_url()), "--uc", "1,5")
    assert done.code == 0, done
    assert spoofed["n"] >= 20
    notes = done.doc["notifications"]
    foreign = [n for n in notes if n.get("foreign")]
    assert len(foreign) >= 20 and all(n["error"] == "not this run's callback path"
                                      for n in foreign)
    rows = {r["id"]: r for r in done.doc["requirements"]}
    assert rows["R92"]["status"] == "pass", rows["R92"]
    judged = [n for n in notes if not n.get("foreign")]
    assert judged and all("spoofed-poq" not in json.dumps(n["body"]) for n in judged)
