"""`poq-conformance requirements`: the three output formats, the filters, usage errors, and
the committed docs/requirements.md being what the generator prints today."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from schemas.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[1]
ROW_START = re.compile(r"^\s*((?:CR|R|D|O)\d+)\s{2,}(MUST NOT|MUST|SHOULD|MAY)\s", re.M)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["requirements", *args])
    return result.exit_code, result.output


def test_table_lists_all_125_ids_in_order() -> None:
    code, out = _run()
    assert code == 0, out
    rows = ROW_START.findall(out)
    assert [rid for rid, _ in rows] == load_catalogue().ids
    assert len(rows) == 125
    assert dict(rows)["R6"] == "MUST NOT"
    assert "MEF 79.1 requirements (125)" in out


def test_table_filters_by_use_case_and_actor() -> None:
    code, out = _run("--uc", "2c", "--actor", "seller", "--format", "table")
    assert code == 0, out
    ids = [rid for rid, _ in ROW_START.findall(out)]
    expected = [r.id for r in load_catalogue() if "2c" in r.use_cases and r.actor == "seller"]
    assert ids == expected
    assert "R55" in ids and "R48" not in ids and "R27" not in ids
    assert "uc=2c, actor=seller" in out


def test_json_is_machine_readable_and_complete() -> None:
    code, out = _run("--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["count"] == 125 and len(doc["requirements"]) == 125
    r90 = next(r for r in doc["requirements"] if r["id"] == "R90")
    assert r90["applies_when"] == ["insufficient_information"]
    assert r90["guide_refs"]["v8"] == [{"guide_id": "R66", "cites": "Mplify79.1 R90"}]
    r93 = next(r for r in doc["requirements"] if r["id"] == "R93")
    assert r93["fields"]["v7"] == "not representable in v7"
    assert doc["inconsistencies"], "inconsistencies travel with the unfiltered catalogue"


def test_json_filters_by_verification_and_level() -> None:
    code, out = _run("--format", "json", "--verification", "buyer", "--level", "MUST NOT")
    assert code == 0
    doc = json.loads(out)
    assert [r["id"] for r in doc["requirements"]] == ["R20"]
    assert doc["filters"] == {"verification": "buyer", "level": "MUST NOT"}


def test_not_testable_filter_explains_why() -> None:
    code, out = _run("--format", "json", "--verification", "not-testable")
    assert code == 0
    reqs = json.loads(out)["requirements"]
    assert [r["id"] for r in reqs] == ["R1"]
    assert "onboarding" in reqs[0]["not_testable_reason"]


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (["--uc", "2d"], "--uc"),
        (["--actor", "mock"], "--actor"),
        (["--verification", "maybe"], "--verification"),
        (["--format", "yaml"], "--format"),
        (["--level", "must"], "--level"),
    ],
)
def test_bad_filter_value_is_a_usage_error(args: list[str], bad: str) -> None:
    code, out = _run(*args)
    assert code == 2
    assert f"Invalid value for '{bad}'" in out
    assert "Traceback" not in out


def test_markdown_has_overview_details_and_readings() -> None:
    code, out = _run("--format", "markdown")
    assert code == 0
    overview = [line for line in out.splitlines() if line.startswith("| [")]
    assert len(overview) == 125
    assert out.count("\n### ") == 125
    assert "## Inconsistencies and the readings we apply" in out
    # a pipe inside a field list must not break the Markdown table
    assert all(line.count(" | ") == 7 for line in overview)


def test_committed_docs_are_up_to_date() -> None:
    """docs/requirements.md is regenerated with:
    poq-conformance requirements --format markdown > docs/requirements.md"""
    committed = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    code, out = _run("--format", "markdown")
    assert code == 0
    assert committed == out, (
        "docs/requirements.md is stale: run "
        "`poq-conformance requirements --format markdown > docs/requirements.md`"
    )


def test_installed_command_prints_the_table() -> None:
    """Through the real console entry point, as a user runs it."""
    exe = Path(sys.executable).with_name("poq-conformance")
    if not exe.exists():
        pytest.skip("poq-conformance entry point not installed in this environment")
    proc = subprocess.run([str(exe), "requirements", "--uc", "5"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [rid for rid, _ in ROW_START.findall(proc.stdout)] == [
        "R4", "R5", "R6", "R91", "R92", "R93", "R94"
    ]
    bad = subprocess.run([str(exe), "requirements", "--actor", "nobody"], capture_output=True,
                         text=True, check=False, timeout=60)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
