"""docs/buyer-guide.md stays true: its ``poq-conformance example`` commands print exactly
what the page shows, and its Python files, written to a fresh directory, pass under pytest
with the ``poq_seller`` fixture."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli

pytest_plugins = ["pytester"]

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "buyer-guide.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(GUIDE.read_text(encoding="utf-8"))
            if lang == language]


def _example_commands() -> list[tuple[str, str]]:
    """(command, the output shown under it) of every ``$ poq-conformance example`` line."""
    found = []
    for block in _blocks("console"):
        parts = re.split(r"^\$ (.*)\n", block, flags=re.M)
        for command, output in zip(parts[1::2], parts[2::2], strict=True):
            if command.startswith("poq-conformance example"):
                found.append((command, output))
    return found


def _python_files() -> dict[str, str]:
    files = {}
    for block in _blocks("python"):
        first, _, rest = block.partition("\n")
        match = re.fullmatch(r"# (\w+\.py)", first.strip())
        assert match, f"a Python block of the guide does not start with '# name.py': {first}"
        files[match.group(1)] = rest
    return files


def test_the_guide_has_what_the_tests_read() -> None:
    assert len(_example_commands()) == 3
    assert set(_python_files()) == {"my_client.py", "test_my_client.py", "test_in_process.py"}


@pytest.mark.parametrize(("command", "shown"), _example_commands(),
                         ids=[c for c, _ in _example_commands()])
def test_example_commands_print_what_the_guide_shows(command: str, shown: str) -> None:
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.output == shown


def test_the_guide_python_files_pass(pytester: pytest.Pytester) -> None:
    files = _python_files()
    for name, text in files.items():
        pytester.path.joinpath(name).write_text(text, encoding="utf-8")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider",
                                           "-p", "no:schemathesis")
    tests = sum(len(re.findall(r"^def test_", t, re.M)) for t in files.values())
    result.assert_outcomes(passed=tests)
    assert tests == 4
