"""The defect registry: the data file (what each defect breaks) joined with the functions
that implement it (how it breaks it). A name missing on either side is an error, so the
documentation and the behaviour cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from mock_seller.exceptions import ConfigError
from mock_seller.proving import (  # noqa: F401  (registration)
    failure_paths,
    notifications,
    responses,
)
from mock_seller.proving.hookpoints import NOTIFIER_HOOKS, RESPONSE_HOOKS
from schemas import fast_yaml


class DefectError(ConfigError):
    """An unknown defect name, or a data file that does not match the implementations."""


@dataclass(frozen=True, slots=True)
class SideEffect:
    id: str
    why: str


@dataclass(frozen=True, slots=True)
class Defect:
    """One seeded violation: what it does, which requirement IDs it is meant to break."""

    name: str
    description: str
    breaks: tuple[str, ...]
    side_effects: tuple[SideEffect, ...]
    use_cases: tuple[str, ...]
    api: str = "both"  # v8 | v7 | both: where the defect can be seen
    scenario: dict[str, Any] = field(default_factory=dict)  # extra scenario keys it needs
    profile: dict[str, Any] = field(default_factory=dict)  # what the seller's profile claims
    trust_test_data: bool = False  # the refusal of valid test data is the defect itself

    @property
    def allowed_failures(self) -> set[str]:
        return set(self.breaks) | {s.id for s in self.side_effects}


def _implemented() -> set[str]:
    return set(RESPONSE_HOOKS) | set(NOTIFIER_HOOKS)


@cache
def load_defects() -> dict[str, Defect]:
    """Every defect of the data file, in file order (checked against the implementations)."""
    text = resources.files("mock_seller.proving").joinpath("defects.yaml").read_text("utf-8")
    raw = fast_yaml.load(text)
    out: dict[str, Defect] = {}
    for entry in raw["defects"]:
        name = entry["name"]
        if name in out:
            raise DefectError(f"defects.yaml: duplicate defect {name!r}")
        out[name] = Defect(
            name=name,
            description=" ".join(entry["description"].split()),
            breaks=tuple(entry["breaks"]),
            side_effects=tuple(SideEffect(s["id"], " ".join(s["why"].split()))
                               for s in entry.get("side_effects") or ()),
            use_cases=tuple(entry["use_cases"]),
            api=entry.get("api", "both"),
            scenario=dict(entry.get("scenario") or {}),
            profile=dict(entry.get("profile") or {}),
            trust_test_data=bool(entry.get("trust_test_data", False)),
        )
    implemented = _implemented()
    missing = sorted(set(out) - implemented)
    extra = sorted(implemented - set(out))
    if missing or extra:
        raise DefectError(f"defects.yaml and the implementations disagree: not implemented "
                          f"{missing}, not listed {extra}")
    return out


def defect_names() -> list[str]:
    return list(load_defects())


def get_defect(name: str) -> Defect:
    try:
        return load_defects()[name]
    except KeyError:
        raise DefectError(f"unknown defect {name!r}; known: {', '.join(load_defects())}"
                          ) from None


def check_defect_names(names: Any) -> tuple[str, ...]:
    """Validated tuple of defect names (DefectError naming the first unknown one)."""
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise DefectError("defects must be a list of defect names")
    for name in names:
        get_defect(name)
    return tuple(dict.fromkeys(names))
