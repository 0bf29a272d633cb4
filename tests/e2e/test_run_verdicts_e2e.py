"""End to end: `poq-conformance run` and `diff` tell a seller's non-conformance apart from a
broken set-up (refused test data), a seller that is not serving the API (a gateway answering
HTML 502), an interrupted run, and a diff that lost coverage. Each case asserts the exit
code, the verdict in results.json and the first line of the Markdown report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.profile import bundled_profile_path

pytestmark = pytest.mark.slow
RUN_TIMEOUT_S = 300
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)


def results(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text("utf-8"))  # type: ignore[no-any-return]


def first_line(folder: Path) -> str:
    return (folder / "summary.md").read_text("utf-8").splitlines()[0]


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout.strip().splitlines()[-1]


def profile_file(tmp: Path, api: str, name: str, **changes: Any) -> Path:
    data = yaml.safe_load(bundled_profile_path(f"mock-{api}").read_text("utf-8"))
    for dotted, value in changes.items():
        node = data
        *path, leaf = dotted.split("__")
        for key in path:
            node = node[key]
        node[leaf] = value
    data["name"] = name
    target = tmp / f"{name}.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return target


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


Run = tuple[subprocess.CompletedProcess[str], Path]


def mock_run(work: Path, api: str) -> Run:
    out = work / f"full-{api}"
    return cli(["run", "--mock", "--api", api, "--report-dir", str(out)], work), out


@pytest.fixture(scope="module")
def full_runs(work: Path, wrong_offering: Path) -> dict[str, Future[Run]]:
    """The module's three full runs, started together on first use: they are independent
    and spend most of their time waiting on deferred timelines."""
    pool = ThreadPoolExecutor(max_workers=3)
    runs = {"v8": pool.submit(mock_run, work, "v8"), "v7": pool.submit(mock_run, work, "v7"),
            "wrong": pool.submit(wrong_offering_run, work, wrong_offering)}
    pool.shutdown(wait=False)
    return runs


@pytest.fixture(scope="module")
def baseline_v8(full_runs: dict[str, Future[Run]]) -> Run:
    return full_runs["v8"].result()


@pytest.fixture(scope="module")
def full_v7(full_runs: dict[str, Future[Run]]) -> Run:
    return full_runs["v7"].result()


def assert_conformant(run: Run) -> dict[str, Any]:
    proc, out = run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = results(out)
    assert doc["summary"]["verdict"] == "conformant" and doc["run"]["complete"] is True
    assert first_line(out).startswith("## POQ conformance (seller): CONFORMANT")
    assert last_line(proc).startswith("CONFORMANT: ")
    assert "Traceback" not in proc.stdout + proc.stderr
    return doc


# -- the bundled mock is conformant in both dialects ------------------------------------------


def test_mock_v8_is_conformant(baseline_v8: Run) -> None:
    assert_conformant(baseline_v8)


def test_mock_v7_is_conformant_and_v7_events_show_their_type(full_v7: Run) -> None:
    doc = assert_conformant(full_v7)
    out = full_v7[1]
    notes = [e for t in doc["timelines"] for e in t["entries"] if e["source"] == "notification"]
    assert notes, "the v7 run recorded no notification on a timeline"
    refs = [e["ref"] for e in notes]
    assert len(refs) == len(set(refs)), "a notification appears twice on the timelines"
    received = {n["id"]: n["received"] for n in doc["notifications"]}
    assert all(e["time"] == received[e["ref"]] for e in notes)
    assert all(e.get("event") for e in notes if e["poq_state"] is None)
    html = (out / "report.html").read_text("utf-8")
    assert '<span class="state s-None">None</span>' not in html


# -- test data the seller refuses --------------------------------------------------------------


@pytest.fixture(scope="module")
def wrong_offering(work: Path) -> Path:
    return profile_file(work, "v7", "wrong-offering-v7",
                        test_data__install_offering__product__productOffering__id="FN-UNI-100G")


def wrong_offering_run(work: Path, wrong_offering: Path) -> Run:
    out = work / "wrong"
    return cli(["run", "--mock", "--profile", str(wrong_offering), "--report-dir", str(out)],
               work), out


@pytest.fixture(scope="module")
def wrong_run(full_runs: dict[str, Future[Run]]) -> Run:
    return full_runs["wrong"].result()


def test_refused_test_data_is_a_set_up_finding(work: Path, wrong_offering: Path,
                                               wrong_run: Run) -> None:
    proc, out = wrong_run
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = results(out)
    assert doc["summary"]["verdict"] == "incomplete" and doc["summary"]["fail"] == 0
    [refused] = [f for f in doc["preflight"] if f["outcome"] == "refused"]
    assert refused["key"] == "install_offering" and refused["status"] == 422
    setup = next(ln for ln in proc.stdout.splitlines() if ln.startswith("SETUP "))
    for part in ("test_data.install_offering", "referenceNotFound",
                 "Unknown product offering 'FN-UNI-100G'",
                 "/productOfferingQualificationItem/0/product/productOffering/id"):
        assert part in setup, setup
    gaps = {g["group"]: g for g in doc["summary"]["incomplete"]}
    assert {"R5", "R6", "R90"} <= set(gaps["test_data_refused"]["ids"])
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R5"]["reason"].startswith("test data refused: test_data.install_offering: ")
    for uc2bc in ("R55", "R64"):  # use cases 2b / 2c had good data: still judged
        assert rows[uc2bc]["status"] == "pass", rows[uc2bc]
    messages = [c["message"] for r in doc["requirements"] for c in r["checks"]]
    assert not [m for m in messages if "None" in m.replace("'None'", "")]
    assert first_line(out).startswith("## POQ conformance (seller): INCOMPLETE: ")
    assert "test data refused" in first_line(out)
    assert last_line(proc).startswith("INCOMPLETE: ")
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "site-packages" not in proc.stdout + proc.stderr
    allowed = cli(["run", "--mock", "--profile", str(wrong_offering), "--uc", "2a,4",
                   "--allow-incomplete", "--report-dir", str(work / "wrong-allowed")], work)
    assert allowed.returncode == 0, allowed.stdout[-2000:]
    assert results(work / "wrong-allowed")["summary"]["verdict"] == "incomplete"


def test_trusted_test_data_makes_the_refusal_a_seller_failure(work: Path,
                                                              wrong_offering: Path) -> None:
    out = work / "trusted"
    proc = cli(["run", "--mock", "--profile", str(wrong_offering), "--trust-test-data",
                "--uc", "2a", "--report-dir", str(out)], work)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = results(out)
    assert doc["summary"]["verdict"] == "non_conformant"
    rows = {r["id"]: r for r in doc["requirements"]}
    r3 = [c["message"] for c in rows["R3"]["checks"] if c["status"] == "fail"]
    assert any("test_data.install_offering" in m and "referenceNotFound" in m for m in r3), r3
    failed = [c["message"] for r in doc["requirements"] for c in r["checks"]
              if c["status"] == "fail"]
    assert all("test_data.install_offering" in m for m in failed), failed
    assert first_line(out).startswith("## POQ conformance (seller): NON-CONFORMANT: ")
    assert last_line(proc).startswith("NON-CONFORMANT: ")


# -- a seller behind a gateway answering HTML 502 ----------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    """A proxy whose upstream is down: HTML 502 to everything (``reads_ok``: except a GET,
    answered with an empty JSON list, so the smoke request passes)."""

    reads_ok = False

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.reads_ok and self.command == "GET":
            status, ctype, body = 200, "application/json", b"[]"
        else:
            status, ctype = 502, "text/html"
            body = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(params=[False, True], ids=["html-everywhere", "html-on-writes"])
def gateway(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (Gateway,), {"reads_ok": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_gateway_html_502_is_an_environment_error(tmp_path: Path, gateway: str) -> None:
    profile = profile_file(tmp_path, "v8", "behind-gateway", seller__base_url=(
        f"{gateway}/mefApi/sonata/productOfferingQualification/v8"))
    out = tmp_path / "out"
    proc = cli(["run", "--profile", str(profile), "--report-dir", str(out)], tmp_path)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-2000:]
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("poq-conformance: error: seller not serving the POQ API: "), line
    assert "answered HTTP 502 text/html" in line
    assert len(proc.stdout.splitlines()) < 40, proc.stdout
    doc = results(out)
    assert doc["run"]["complete"] is False and "HTTP 502" in doc["run"]["environment_error"]
    assert doc["summary"]["verdict"] == "incomplete"  # a gateway's answers prove nothing
    assert first_line(out).startswith("## POQ conformance (seller): STOPPED: environment error")


# -- interrupted runs -----------------------------------------------------------------------


def interrupt(work: Path, name: str, at_s: float, after_first_test: bool
              ) -> tuple[int, str, Path, int]:
    """Start a mock run in its own process group (as a terminal would) and send SIGINT to
    the group ``at_s`` seconds after the start (and, if asked, after the first test)."""
    out = work / name
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--mock",
                             "--report-dir", str(out)], cwd=work, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    started, seen = time.monotonic(), []
    assert proc.stdout is not None
    if after_first_test:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith(("PASS ", "FAIL ")):
                break
    time.sleep(max(0.0, at_s - (time.monotonic() - started)))
    os.killpg(proc.pid, signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    return proc.returncode, "".join(seen) + rest, out, proc.pid


@pytest.mark.parametrize(("at_s", "mid_run"), [(2.0, False), (10.0, True)],
                         ids=["at-2s", "at-10s-mid-run"])
def test_ctrl_c_ends_the_run_cleanly(work: Path, at_s: float, mid_run: bool,
                                     baseline_v8: Run) -> None:
    code, output, out, group = interrupt(work, f"int-{int(at_s)}", at_s, mid_run)
    assert code == 130, output[-3000:]
    assert "Aborted!" not in output and "Traceback" not in output, output[-3000:]
    doc = results(out)
    assert doc["run"]["complete"] is False and doc["run"]["interrupted"]
    assert doc["run"]["interrupted_by"] == "SIGINT"
    assert doc["summary"]["verdict"] == "incomplete"
    assert doc["summary"]["incomplete"][-1]["group"] == "interrupted"
    if mid_run:
        assert doc["tests"], "the tests run before the interrupt are kept"
    assert first_line(out).startswith("## POQ conformance (seller): INTERRUPTED at ")
    html = (out / "report.html").read_text("utf-8")
    assert 'id="verdict">INTERRUPTED at ' in html
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # the mock and listener went with the run
        os.killpg(group, 0)
    diff = cli(["diff", str(baseline_v8[1] / "results.json"), str(out / "results.json")],
               work)
    assert diff.returncode == 2 and "interrupted run" in diff.stderr, diff.stderr


# -- diff sees coverage ------------------------------------------------------------------------


def test_diff_flags_a_narrowed_run(work: Path, baseline_v8: Run) -> None:
    assert baseline_v8[0].returncode == 0
    out = work / "uc1"
    run = cli(["run", "--mock", "--uc", "1", "--report-dir", str(out)], work)
    assert run.returncode == 0, run.stdout[-2000:]  # conformant for what it covered
    assert results(out)["summary"]["verdict"] == "conformant"
    assert first_line(out).startswith("## POQ conformance (seller): CONFORMANT")
    base = str(baseline_v8[1] / "results.json")
    proc = cli(["diff", base, str(out / "results.json")], work)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "note: narrower --uc set: 1 (was all" in proc.stdout
    for rid in ("R5", "R6", "R103"):
        assert f"{rid}: pass -> not_tested  [LOST COVERAGE]" in proc.stdout
    assert " 0 new failure(s), " in last_line(proc)
    allowed = cli(["diff", base, str(out / "results.json"), "--allow-lost-coverage"], work)
    assert allowed.returncode == 0
    md = cli(["diff", base, str(out / "results.json"), "--format", "md"], work)
    assert "### Lost coverage (" in md.stdout and "| R5 | pass | not_tested |" in md.stdout


def test_diff_flags_a_cross_dialect_run(work: Path, baseline_v8: Run,
                                        full_v7: Run) -> None:
    proc = cli(["diff", str(baseline_v8[1] / "results.json"),
                str(full_v7[1] / "results.json")], work)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "note: different api: 'v8' -> 'v7'" in proc.stdout
    assert "R93: pass -> not_applicable  [LOST COVERAGE]" in proc.stdout  # v8 only


def test_diff_flags_coverage_lost_to_refused_test_data(work: Path, full_v7: Run,
                                                       wrong_run: Run) -> None:
    proc = cli(["diff", str(full_v7[1] / "results.json"), str(wrong_run[1] / "results.json")],
               work)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "R5: pass -> not_tested  [LOST COVERAGE]" in proc.stdout
    assert "note: different profile:" in proc.stdout
