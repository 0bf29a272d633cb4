"""`poq-conformance report` and `diff` through the real entry point: outputs, exit codes,
and one readable line (never a traceback) on bad input."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from reports.sample import sample_results


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    return _write(tmp_path / "results.json", sample_results())


@pytest.mark.parametrize(
    ("fmt", "name", "marker"),
    [
        ("html", "report.html", "<!DOCTYPE html>"),
        ("junit", "junit.xml", "<testsuites"),
        ("md", "summary.md", "## POQ conformance"),
    ],
)
def test_report_default_output_next_to_results(
    results: Path, capsys: pytest.CaptureFixture[str], fmt: str, name: str, marker: str
) -> None:
    code, out, _ = _run(["report", str(results), "--format", fmt], capsys)
    assert code == 0
    target = results.parent / name
    assert marker in target.read_text(encoding="utf-8")
    assert str(target) in out


def test_report_out_file_and_stdout(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "x" / "r.md"
    assert _run(["report", str(results), "--format", "md", "--out", str(out_file)], capsys)[0] == 0
    assert out_file.read_text(encoding="utf-8").startswith("## POQ conformance")
    code, out, _ = _run(["report", str(results), "--format", "md", "--out", "-"], capsys)
    assert code == 0 and out == out_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ({"schema_version": "2.0", "kind": "seller"}, "schema_version '2.0' is not supported"),
        ({"schema_version": "1.0", "kind": "seller"}, "not a valid results document"),
        ([1, 2, 3], "not a results document"),
    ],
)
def test_report_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, expected: str
) -> None:
    path = tmp_path / "results.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        _write(path, content)
    code, out, err = _run(["report", str(path)], capsys)
    assert code == 2
    assert expected in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not (tmp_path / "report.html").exists()


def test_report_unwritable_out_and_bad_format(
    results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = results.parent / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = _run(["report", str(results), "--out", str(blocker / "r.html")], capsys)
    assert code == 2 and "cannot write" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(["report", str(results), "--format", "pdf"], capsys)
    assert code == 2 and "pdf" in err


def test_diff_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base_doc = sample_results()
    base = _write(tmp_path / "base.json", base_doc)
    same = _write(tmp_path / "same.json", base_doc)
    code, out, _ = _run(["diff", str(base), str(same)], capsys)
    assert code == 0 and "no change" in out

    worse_doc = copy.deepcopy(base_doc)
    victim = next(r for r in worse_doc["requirements"] if r["status"] == "pass")
    victim["status"] = "fail"
    victim["checks"][0]["status"] = "fail"
    worse = _write(tmp_path / "worse.json", worse_doc)
    code, out, _ = _run(["diff", str(base), str(worse)], capsys)
    assert code == 1 and f"{victim['id']}: pass -> fail  [NEW FAILURE]" in out

    # the reverse direction only fixes things: exit 0
    code, out, _ = _run(["diff", str(worse), str(base)], capsys)
    assert code == 0 and f"{victim['id']}: fail -> pass" in out


def test_diff_unreadable_input_exit_2(
    tmp_path: Path, results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[", encoding="utf-8")
    for args in (
        ["diff", str(results), str(bad)],
        ["diff", str(tmp_path / "nope.json"), str(results)],
    ):
        code, out, err = _run(args, capsys)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    code, _, _ = _run(["diff", str(results)], capsys)  # missing argument
    assert code == 2


def test_console_script_end_to_end(results: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from harness.cli import main; main()",
            "report",
            str(results.parent / "missing.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"poq-conformance: error: {results.parent / 'missing.json'}: no such file"
    )
