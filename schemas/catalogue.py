"""The MEF 79.1 requirement catalogue: every requirement ID of the draft with what it takes to
check it. The harness, the mock seller and the reports all key on these entries, so the YAML
is validated on load (JSON Schema plus cross-field rules) and a broken entry is named."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from schemas import fast_yaml
from schemas.dialect import APIS

__all__ = [
    "ACTORS",
    "APPLIES_WHEN",
    "LEVELS",
    "NOT_REPRESENTABLE_V7",
    "USE_CASES",
    "VERIFICATIONS",
    "Catalogue",
    "CatalogueError",
    "Fields",
    "GuideRef",
    "GuideRefs",
    "Inconsistency",
    "Requirement",
    "is_gating",
    "load_catalogue",
    "load_catalogue_file",
    "parse_catalogue",
]

LEVELS = ("MUST", "MUST NOT", "SHOULD", "MAY")
ACTORS = ("seller", "buyer", "both", "agreement")
USE_CASES = ("1", "2a", "2b", "2c", "3", "4", "5", "flow")
VERIFICATIONS = ("seller", "buyer", "not-testable")
APPLIES_WHEN = (
    "immediate",
    "deferred",
    "notifications",
    "product_specification",
    "change",
    "list",
    "alternates",
    "insufficient_information",
    "v8_only",
)
NOT_REPRESENTABLE_V7 = "not representable in v7"

# Which levels an ID prefix may carry (section 6 of the draft: R = MUST/MUST NOT,
# D = SHOULD, O = MAY; CR = conditional MUST).
_PREFIX_LEVELS = {"R": ("MUST", "MUST NOT"), "CR": ("MUST",), "D": ("SHOULD",), "O": ("MAY",)}


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the entry and the key."""


@dataclass(frozen=True, slots=True)
class GuideRef:
    """One requirement of an API developer guide that implements the catalogue entry.

    ``cites`` is the guide's own citation text (published 79.1 / MEF 79 numbering), kept
    verbatim because it does not always equal the draft ID the entry is filed under."""

    guide_id: str
    cites: str | None


@dataclass(frozen=True, slots=True)
class GuideRefs:
    v8: tuple[GuideRef, ...]
    v7: tuple[GuideRef, ...]

    def __getitem__(self, api: str) -> tuple[GuideRef, ...]:
        if api not in APIS:
            raise KeyError(api)
        refs: tuple[GuideRef, ...] = getattr(self, api)  # one field per dialect
        return refs

    def ids(self, api: str) -> list[str]:
        """The guide requirement IDs for ``api`` (e.g. ``["R43", "R44"]``)."""
        return [ref.guide_id for ref in self[api]]


@dataclass(frozen=True, slots=True)
class Fields:
    """API attributes a requirement concerns; ``v7`` is None when v7 cannot express it."""

    v8: tuple[str, ...]
    v7: tuple[str, ...] | None

    def __getitem__(self, api: str) -> tuple[str, ...] | str:
        names = self._of(api)
        return NOT_REPRESENTABLE_V7 if names is None else names

    def representable(self, api: str) -> bool:
        return self._of(api) is not None

    def _of(self, api: str) -> tuple[str, ...] | None:
        """The field names of ``api`` (one field per dialect), None if not representable."""
        if api not in APIS:
            raise KeyError(api)
        names: tuple[str, ...] | None = getattr(self, api)
        return names


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement ID of the MEF 79.1 draft (see ARCHITECTURE.md for the contract)."""

    id: str
    level: str
    actor: str
    use_cases: tuple[str, ...]
    section: str
    paraphrase: str
    fields: Fields
    verification: str
    not_testable_reason: str | None
    applies_when: tuple[str, ...]
    guide_refs: GuideRefs
    notes: str | None
    gating: bool = False  # a failure counts with the MUST / MUST NOT ones (see is_gating)

    @property
    def prefix(self) -> str:
        return self.id.rstrip("0123456789")

    @property
    def number(self) -> int:
        return int(self.id[len(self.prefix):])

    @property
    def is_mandatory(self) -> bool:
        """MUST / MUST NOT: a failure counts towards ``must_failed``."""
        return self.level in ("MUST", "MUST NOT")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, keys as in the YAML."""
        out: dict[str, Any] = {
            "id": self.id,
            "level": self.level,
            "actor": self.actor,
            "use_cases": list(self.use_cases),
            "section": self.section,
            "paraphrase": self.paraphrase,
            "fields": {"v8": list(self.fields.v8),
                       "v7": NOT_REPRESENTABLE_V7 if self.fields.v7 is None
                       else list(self.fields.v7)},
            "verification": self.verification,
            "not_testable_reason": self.not_testable_reason,
            "applies_when": list(self.applies_when),
            "guide_refs": {
                api: [{"guide_id": r.guide_id, "cites": r.cites} for r in self.guide_refs[api]]
                for api in APIS
            },
            "notes": self.notes,
            "gating": self.gating,
        }
        return out


def is_gating(req: Requirement) -> bool:
    """A failure of ``req`` makes the run non-conformant: MUST / MUST NOT, or a
    requirement the catalogue marks ``gating: true`` (a MAY whose conditions bind)."""
    return req.level in ("MUST", "MUST NOT") or req.gating


@dataclass(frozen=True, slots=True)
class Inconsistency:
    """A place where the draft (or a guide) contradicts itself, and the reading we apply."""

    ids: tuple[str, ...]
    issue: str
    reading: str


class Catalogue:
    """All requirements in document order; immutable after loading."""

    __slots__ = ("_by_id", "_inconsistencies", "_items", "source")

    def __init__(
        self,
        requirements: tuple[Requirement, ...],
        inconsistencies: tuple[Inconsistency, ...] = (),
        source: Mapping[str, str] | None = None,
    ) -> None:
        self._items = requirements
        self._by_id = {r.id: r for r in requirements}
        self._inconsistencies = inconsistencies
        self.source = dict(source or {})

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, req_id: object) -> bool:
        return req_id in self._by_id

    def __repr__(self) -> str:
        return f"<Catalogue {len(self)} requirements>"

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self._items]

    @property
    def inconsistencies(self) -> tuple[Inconsistency, ...]:
        return self._inconsistencies

    def get(self, req_id: str) -> Requirement:
        """The entry for ``req_id``; KeyError naming the ID when it does not exist."""
        try:
            return self._by_id[req_id]
        except KeyError:
            raise KeyError(f"no requirement {req_id!r} in the MEF 79.1 catalogue") from None

    def filter(
        self,
        uc: str | None = None,
        actor: str | None = None,
        verification: str | None = None,
        level: str | None = None,
    ) -> list[Requirement]:
        """Entries matching every given criterion, in document order.

        Unknown values raise ValueError (a typo must not silently select nothing)."""
        _check_choice("uc", uc, USE_CASES)
        _check_choice("actor", actor, ACTORS)
        _check_choice("verification", verification, VERIFICATIONS)
        _check_choice("level", level, LEVELS)
        return [
            r
            for r in self._items
            if (uc is None or uc in r.use_cases)
            and (actor is None or r.actor == actor)
            and (verification is None or r.verification == verification)
            and (level is None or r.level == level)
        ]


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("schemas.requirements").joinpath("catalogue.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def load_catalogue() -> Catalogue:
    """The shipped catalogue (parsed and validated once per process)."""
    text = resources.files("schemas.requirements").joinpath("catalogue.yaml").read_text(
        encoding="utf-8"
    )
    return parse_catalogue(fast_yaml.load(text), source="catalogue.yaml")


def load_catalogue_file(path: str | Path) -> Catalogue:
    """A catalogue from another file (tests, or a user checking an edited copy)."""
    p = Path(path)
    try:
        data = fast_yaml.load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{p}: cannot read catalogue: {exc}") from None
    return parse_catalogue(data, source=str(p))


def _where(data: Any, path: list[Any]) -> str:
    """Human location of a schema error: 'requirements[R39].level' rather than a pointer."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int):
            label = str(step)
            if isinstance(node, list) and 0 <= step < len(node):
                item = node[step]
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    label = item["id"]
                elif isinstance(item, dict) and isinstance(item.get("ids"), list):
                    label = ",".join(map(str, item["ids"]))
                node = item
            parts.append(f"[{label}]")
        else:
            parts.append(f".{step}" if parts else str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _validate(data: Any, source: str) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        err = errors[0]
        # A 'not required' failure comes from the not_testable_reason rule: say it plainly.
        message = err.message
        if err.validator == "not":
            message = "not_testable_reason is only allowed when verification is not-testable"
        elif err.validator == "additionalProperties":
            message = f"unknown key: {message}"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CatalogueError(f"{source}: {_where(data, list(err.path))}: {message}{more}")


def parse_catalogue(data: Any, source: str = "<catalogue>") -> Catalogue:
    """Validate raw YAML data and build the typed catalogue."""
    _validate(data, source)
    seen: set[str] = set()
    reqs: list[Requirement] = []
    for raw in data["requirements"]:
        rid = raw["id"]
        if rid in seen:
            raise CatalogueError(f"{source}: requirements[{rid}]: duplicate id")
        seen.add(rid)
        prefix = rid.rstrip("0123456789")
        if raw["level"] not in _PREFIX_LEVELS[prefix]:
            raise CatalogueError(
                f"{source}: requirements[{rid}].level: {raw['level']!r} does not fit a "
                f"{prefix}-requirement (expected {' or '.join(_PREFIX_LEVELS[prefix])})"
            )
        v7 = raw["fields"]["v7"]
        if v7 == NOT_REPRESENTABLE_V7 and "v8_only" not in raw["applies_when"]:
            raise CatalogueError(
                f"{source}: requirements[{rid}].applies_when: fields.v7 says "
                f"{NOT_REPRESENTABLE_V7!r}, so applies_when must contain v8_only"
            )
        if v7 != NOT_REPRESENTABLE_V7 and "v8_only" in raw["applies_when"]:
            raise CatalogueError(
                f"{source}: requirements[{rid}].applies_when: v8_only needs fields.v7 to be "
                f"{NOT_REPRESENTABLE_V7!r}"
            )
        reqs.append(
            Requirement(
                id=rid,
                level=raw["level"],
                actor=raw["actor"],
                use_cases=tuple(raw["use_cases"]),
                section=raw["section"],
                paraphrase=" ".join(raw["paraphrase"].split()),
                fields=Fields(
                    v8=tuple(raw["fields"]["v8"]),
                    v7=None if v7 == NOT_REPRESENTABLE_V7 else tuple(v7),
                ),
                verification=raw["verification"],
                not_testable_reason=_clean(raw.get("not_testable_reason")),
                applies_when=tuple(raw["applies_when"]),
                guide_refs=GuideRefs(
                    v8=tuple(GuideRef(g["guide_id"], g["cites"]) for g in raw["guide_refs"]["v8"]),
                    v7=tuple(GuideRef(g["guide_id"], g["cites"]) for g in raw["guide_refs"]["v7"]),
                ),
                notes=_clean(raw.get("notes")),
                gating=bool(raw.get("gating", False)),
            )
        )
    incs: list[Inconsistency] = []
    for raw in data["inconsistencies"]:
        unknown = [i for i in raw["ids"] if i not in seen]
        if unknown:
            raise CatalogueError(
                f"{source}: inconsistencies[{','.join(raw['ids'])}].ids: unknown requirement "
                f"id(s) {', '.join(unknown)}"
            )
        incs.append(Inconsistency(tuple(raw["ids"]), _clean(raw["issue"]) or "",
                                  _clean(raw["reading"]) or ""))
    return Catalogue(tuple(reqs), tuple(incs), data["source"])


def _clean(text: str | None) -> str | None:
    """Fold YAML block text to one line of single spaces (stable in tables and reports)."""
    if text is None:
        return None
    return " ".join(text.split()) or None
