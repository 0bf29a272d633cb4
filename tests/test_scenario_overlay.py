"""Overlay scenarios: ``extends`` plus only what differs; mappings merge, lists replace unless
an entry names a known ``id``; the merged result is validated and errors name the overlay's
own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_seller.core.scenario import ScenarioError, _document, load_scenario
from mock_seller.core.scenario_overlay import expand
from mock_seller.sandbox.control import scenario_from

THREE_LINES = "extends: default\nbuyer_conformance: {mode: strict}\nresponse_mode: deferred\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_three_line_overlay_keeps_everything_else(tmp_path: Path) -> None:
    base = load_scenario("default")
    over = load_scenario(_write(tmp_path, "strict.yaml", THREE_LINES))
    assert over.buyer_conformance == {"mode": "strict"}
    assert over.response_mode == "deferred"
    assert over.offerings == base.offerings
    assert over.rules == base.rules
    assert over.seller_contact == base.seller_contact
    assert over.name.endswith("strict.yaml")  # named after the overlay, not "default"


def test_mappings_merge_deeply(tmp_path: Path) -> None:
    over = load_scenario(_write(tmp_path, "o.yaml", "extends: default\n"
                                "notifications: {retries: 1}\n"))
    assert over.notify_retries == 1
    assert over.notify_backoff == load_scenario("default").notify_backoff


def test_list_entries_with_a_known_id_merge_and_new_ones_are_added(tmp_path: Path) -> None:
    over = load_scenario(_write(tmp_path, "o.yaml", """
extends: default
catalogue:
  offerings:
    - id: "000073"
      result: {confidence: YELLOW}
    - {id: "000900", specification: access-eline-ovc}
"""))
    assert list(over.offerings)[-1] == "000900"
    assert len(over.offerings) == len(load_scenario("default").offerings) + 1
    assert over.offerings["000073"].result.confidence == "YELLOW"
    assert over.offerings["000073"].place == "forbidden"  # kept from the base entry


def test_a_list_without_known_ids_replaces(tmp_path: Path) -> None:
    over = load_scenario(_write(tmp_path, "o.yaml", """
extends: default
places:
  - {id: Only-1, city: Springfield}
"""))
    assert list(over.places) == ["Only-1"]


def test_extends_a_relative_path_and_chains(tmp_path: Path) -> None:
    _write(tmp_path, "strict.yaml", THREE_LINES)
    sub = tmp_path / "sub"
    sub.mkdir()
    chained = load_scenario(_write(sub, "paged.yaml", "extends: ../strict.yaml\n"
                                   "list: {max_page_size: 5}\n"))
    assert (chained.max_page_size, chained.response_mode) == (5, "deferred")


def test_errors_name_the_overlay_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", """
extends: default
catalogue:
  offerings:
    - {id: "000166", place: maybe}
""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    # the merged list has 000166 at index 1; the author wrote it at index 0
    assert "key /catalogue/offerings/0/place" in str(err.value)
    assert str(path) in str(err.value)


def test_errors_in_what_was_inherited_say_so(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"key /catalogue/offerings/0/specification"):
        load_scenario(_write(tmp_path, "o.yaml", "extends: default\ncatalogue:\n"
                             "  specifications: [{id: other}]\n"))
    overlay = expand({"extends": "default", "list": {"max_page_size": 5}}, "o.yaml",
                     _document, ScenarioError)
    assert overlay is not None
    assert overlay.where(("list", "max_page_size")) == "/list/max_page_size"
    assert overlay.where(("list", "too_many_records")) == \
        "/list/too_many_records (inherited from default (bundled))"


@pytest.mark.parametrize(("text", "message"), [
    ("extends: nowhere\n", "key /extends: scenario 'nowhere': no such file"),
    ("extends: 3\n", "key /extends: must be a bundled scenario name or a file path"),
    ("extends: loop.yaml\n", "extends itself"),
])
def test_bad_extends(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_write(tmp_path, "loop.yaml", text))


def test_runtime_control_accepts_an_overlay_mapping() -> None:
    scenario = scenario_from({"extends": "default", "response_mode": "immediate"})
    assert scenario.response_mode == "immediate"
    with pytest.raises(ScenarioError, match="key /response_mode"):
        scenario_from({"extends": "default", "response_mode": "sometimes"})
