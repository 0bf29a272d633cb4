"""``poq-conformance example``: every example is accepted by the mock seller serving the same
scenario, in strict buyer mode, with no buyer-side finding failing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from click.testing import CliRunner

from harness.cli import cli
from mock_seller.core.scenario import load_scenario

DEFAULT_OFFERINGS = list(load_scenario("default").offerings)


def _example(*args: str) -> str:
    result = CliRunner().invoke(cli, ["example", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.poq_scenario(buyer_mode="strict")
@pytest.mark.parametrize("api", ["v8", "v7"])
@pytest.mark.parametrize("deferred", [False, True])
@pytest.mark.parametrize("offering", DEFAULT_OFFERINGS)
def test_create_examples_are_valid(poq_seller: Any, api: str, deferred: bool,
                                   offering: str) -> None:
    args = ["create", "--api", api, "--offering", offering] + (["--deferred"] if deferred
                                                               else [])
    body = json.loads(_example(*args))
    answer = requests.post(poq_seller.base_url(api) + "/productOfferingQualification",
                           json=body, timeout=5)
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == ("acknowledged" if deferred else
                                      ("done" if api == "v8" else "done.ready"))
    poq_seller.assert_buyer_conformant()


@pytest.mark.poq_scenario(buyer_mode="strict")
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_register_list_and_notification_examples(poq_seller: Any, api: str) -> None:
    base = poq_seller.base_url(api)
    hub = json.loads(_example("register", "--api", api, "--callback", "http://127.0.0.1:9"))
    assert requests.post(base + "/hub", json=hub, timeout=5).status_code == 201
    created = requests.post(base + "/productOfferingQualification",
                            json=json.loads(_example("create", "--api", api)), timeout=5)
    method, target = _example("list", "--api", api).split()
    url = urlsplit(target)
    assert method == "GET"
    listing = requests.get(poq_seller.root_url + url.path, params=parse_qsl(url.query),
                           timeout=5)
    assert listing.status_code == 200, listing.text
    assert [row["id"] for row in listing.json()] == [created.json()["id"]]
    note = json.loads(_example("notification", "--api", api))
    assert note["eventType"] == "poqStateChangeEvent"
    assert ("state" in note["event"]) == (api == "v8")  # v7 events only reference the POQ
    poq_seller.assert_buyer_conformant()


def test_examples_follow_the_scenario(tmp_path: Path) -> None:
    overlay = tmp_path / "only-uni.yaml"
    overlay.write_text("extends: default\ncatalogue:\n  offerings:\n"
                       "    - {id: UNI-9, specification: carrier-ethernet-operator-uni, "
                       "place: required}\ninventory: []\nrules: []\n", encoding="utf-8")
    body = json.loads(_example("create", "--scenario", str(overlay)))
    product = body["productOfferingQualificationItem"][0]["product"]
    assert product["productOffering"] == {"id": "UNI-9"}
    assert product["place"][0]["place"]["id"] == "NewYorkAddress-id-1"


@pytest.mark.parametrize(("args", "message"), [
    (["create", "--scenario", "nope"], "scenario 'nope': no such file and no bundled "
                                       "scenario of that name"),
    (["create", "--offering", "X"], "the scenario has no offering 'X'; it has 000073, "
                                    "000166, 000099, 000074, 000075"),
])
def test_bad_input_is_one_line(args: list[str], message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["example", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"poq-conformance: error: {message}"]
