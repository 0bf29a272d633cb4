"""The request log: one line per request (method, path, status, latency, buyer, failed
buyer-side requirement IDs with pointers), text or JSON; on by default on the command line,
off with --quiet."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import tempfile
from typing import Any

import pytest
import requests

from mock_seller.api.console_log import install
from mock_seller.app import create_app
from mock_seller.core.scenario import load_scenario
from mock_seller.testing.examples import create

V8 = "/mefApi/sonata/productOfferingQualification/v8"
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?P<method>[A-Z]+) (?P<path>\S+) "
                  r"(?P<status>\d{3}) (?P<ms>[\d.]+) ms buyer=(?P<buyer>\S+)(?P<rest>.*)$")


def _client(fmt: str, mode: str = "strict") -> tuple[Any, io.StringIO]:
    app = create_app({"SCENARIO": {"extends": "default", "buyer_conformance": {"mode": mode}}})
    out = io.StringIO()
    install(app, out, fmt)
    return app.test_client(), out


def _bad_body() -> dict[str, Any]:
    body = create(load_scenario("default"), deferred=True)
    del body["requestedPOQCompletionDate"]
    return body


def test_text_line_per_request_with_failed_requirements() -> None:
    client, out = _client("text")
    assert client.post(V8 + "/productOfferingQualification",
                       json=create(load_scenario("default"))).status_code == 201
    assert client.post(V8 + "/productOfferingQualification", json=_bad_body()).status_code == 422
    assert client.get(V8 + "/productOfferingQualification/nope").status_code == 404
    lines = out.getvalue().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["method"], m["status"], m["buyer"]) for m in parsed] == [  # type: ignore[index]
        ("POST", "201", "anonymous"), ("POST", "422", "anonymous"), ("GET", "404", "anonymous")]
    assert parsed[0]["rest"] == ""  # type: ignore[index]
    assert parsed[1]["rest"] == " R11 /requestedPOQCompletionDate"  # type: ignore[index]
    assert parsed[2]["path"] == V8 + "/productOfferingQualification/nope"  # type: ignore[index]


def test_json_lines() -> None:
    client, out = _client("json", mode="default")
    client.post(V8 + "/productOfferingQualification", json=_bad_body())
    [row] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert row["method"] == "POST" and row["status"] == 422 and row["buyer"] == "anonymous"
    assert row["findings"] == [{"requirement": "R11", "pointer": "/requestedPOQCompletionDate"}]
    assert isinstance(row["latency_ms"], float)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        install(create_app(), io.StringIO(), "xml")


@pytest.mark.parametrize(("args", "expect_lines"), [([], 2), (["--quiet"], 0),
                                                    (["--log-format", "json"], 2)])
def test_command_line(args: list[str], expect_lines: int) -> None:
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--port", "0", *args],
                                stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            root = proc.stdout.readline().strip().rsplit(" ", 1)[-1]  # type: ignore[union-attr]
            requests.get(root + V8 + "/productOfferingQualification", timeout=5)
            requests.get(root + V8 + "/productOfferingQualification/x", timeout=5)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            proc.stdout.close()  # type: ignore[union-attr]
        err.seek(0)
        lines = err.read().splitlines()
    assert len(lines) == expect_lines, lines
    if "json" in args:
        assert [json.loads(line)["status"] for line in lines] == [200, 404]
    elif lines:
        assert [LINE.match(line)["status"] for line in lines] == ["200", "404"]  # type: ignore[index]
