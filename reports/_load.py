"""Read a results.json document and check it against the shipped schema before rendering.

A report drawn from a malformed document would mislead a buyer, so input is checked first:
a wrong major ``schema_version`` is refused with its own message, unknown extra fields are
tolerated (newer minor versions may add them), every other violation is named by pointer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.results import results_schema

__all__ = ["SUPPORTED_MAJOR", "ResultsError", "check_results", "load_results"]

SUPPORTED_MAJOR = 1
_MAX_LISTED = 3


class ResultsError(ValueError):
    """A results document that cannot be rendered; the message is one readable line."""


def _schema() -> dict[str, Any] | None:
    """The shipped results schema (schemas.results), or None if the package lacks it."""
    try:
        return results_schema()
    except (FileNotFoundError, OSError, ValueError):
        return None


def _major(version: object) -> int | None:
    if not isinstance(version, str):
        return None
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def check_results(doc: object, source: str = "results") -> dict[str, Any]:
    """Return ``doc`` if it is a results document this tool can render, else raise."""
    if not isinstance(doc, dict):
        raise ResultsError(f"{source}: not a results document (top level is not a JSON object)")
    version = doc.get("schema_version")
    if version is None:
        raise ResultsError(f"{source}: not a results document (no schema_version)")
    major = _major(version)
    if major != SUPPORTED_MAJOR:
        raise ResultsError(
            f"{source}: schema_version {version!r} is not supported "
            f"(this tool reads {SUPPORTED_MAJOR}.x); use a matching poq-conformance version"
        )
    schema = _schema()
    if schema is not None:
        _validate(doc, schema, source)
    return doc


def _validate(doc: dict[str, Any], schema: dict[str, Any], source: str) -> None:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    problems = []
    for error in cls(schema).iter_errors(doc):
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            continue  # unknown extra fields: a newer minor version may add them
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{pointer}: {error.message}")
    if problems:
        problems.sort()
        listed = "; ".join(p[:200] for p in problems[:_MAX_LISTED])
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise ResultsError(f"{source}: not a valid results document: {listed}{more}")


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and check one results.json file; every failure is a ResultsError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultsError(f"{path}: is a directory, expected a results.json file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    return check_results(doc, str(path))
