"""Scenario loading: YAML validated against ``schemas/scenario.schema.json``, then turned into
immutable records the engine reads without further checks.

Errors name the offending key (as a JSON Pointer) so a scenario author can fix it at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mock_seller.api.limits import Limits
from mock_seller.core.hooks import ScenarioHook
from mock_seller.core.scenario_overlay import expand as expand_overlay
from mock_seller.exceptions import ScenarioError
from mock_seller.sandbox.auth import AuthSettings, parse_auth
from mock_seller.sandbox.callbacks import CallbackPolicy

DEFAULT_SCENARIO = "default"


@dataclass(frozen=True, slots=True)
class Interval:
    amount: int
    units: str  # MEF 79.1 unit, e.g. BUSINESS_DAYS


@dataclass(frozen=True, slots=True)
class Alternate:
    offering: str
    confidence: str
    reason: str | None
    installation_interval: Interval
    delivery_type: str
    third_party_provider: str | None = None
    third_party_offering: str | None = None
    configuration: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What the seller answers for one item (MEF 79.1 terms); fields may be None when unset."""

    outcome: str | None = None
    confidence: str | None = None
    reason: str | None = None
    installation_interval: Interval | None = None
    delivery_type: str | None = None
    third_party_provider: str | None = None
    third_party_offering: str | None = None
    termination_reason: str | None = None
    alternates: tuple[Alternate, ...] | None = None

    def over(self, base: Result) -> Result:
        """This result with unset fields taken from ``base``."""
        values = {}
        for name in Result.__slots__:
            mine = getattr(self, name)
            values[name] = mine if mine is not None else getattr(base, name)
        return Result(**values)


@dataclass(frozen=True, slots=True)
class Offering:
    id: str
    specification: str
    place: str  # required | forbidden | optional
    result: Result


@dataclass(frozen=True, slots=True)
class Specification:
    id: str
    configuration_types: tuple[str, ...]
    place: str = "optional"  # required | forbidden | optional (buyer checks R18-R20)


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    city: str | None
    postcode: str | None
    country: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    when: dict[str, Any]
    then: Result


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    response_mode: str
    seller_contact: dict[str, str]
    guaranteed_for_days: float
    in_progress_after: float
    item_interval: float
    notifications_enabled: bool
    v7_create_event: bool
    notify_retries: int
    notify_backoff: float
    notify_timeout: float
    notify_workers: int
    max_page_size: int
    too_many_records: int | None
    specifications: dict[str, Specification]
    offerings: dict[str, Offering]  # catalogue order preserved
    inventory: dict[str, str]  # product id -> offering id
    places: dict[str, Place]
    rules: tuple[Rule, ...]
    source: str = field(default="<dict>")
    # names kept for the extension that owns them (the proving kit checks them; docs/defects.md)
    defects: tuple[str, ...] = ()  # seeded violations
    variants: tuple[str, ...] = ()  # unusual but legal behaviours
    buyer_conformance: dict[str, Any] = field(default_factory=dict)  # mock_seller.buyer.checks
    limits: Limits = field(default_factory=Limits)  # mock_seller/api/limits.py: body caps
    callback_policy: CallbackPolicy = field(default_factory=CallbackPolicy)  # sandbox/callbacks.py
    auth: AuthSettings | None = None  # sandbox/auth.py: bearer/OAuth2, buyers (off: None)

    def offerings_of(self, specification: str) -> list[Offering]:
        return [o for o in self.offerings.values() if o.specification == specification]


_DEFAULT_CONTACT = {
    "name": "Mock Seller Desk",
    "number": "+1-555-0100",
    "emailAddress": "poq-desk@seller.example",
}


def _schema() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("scenario.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def load_scenario(source: str | Path | dict[str, Any] | Scenario | None = None,
                  prepare: Sequence[ScenarioHook] = ()) -> Scenario:
    """Load a scenario from a file path, a bundled name ("default") or a mapping; the
    ``prepare`` hooks of the app's extensions check and rewrite the document first."""
    if isinstance(source, Scenario):
        return source
    if source is None:
        source = DEFAULT_SCENARIO
    data, label = (source, "<dict>") if isinstance(source, dict) else _document(source)
    overlay = expand_overlay(data, label, _document, ScenarioError)  # scenario_overlay.py
    if overlay is not None:
        data = overlay.data
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = (overlay.where(tuple(first.absolute_path)) if overlay is not None
                 else _pointer(first.absolute_path) if first.absolute_path else "(top level)")
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ScenarioError(f"scenario {label}: key {where}: {first.message}{more}")
    for hook in prepare:
        data = hook(data, label)
    return _build(data, label)


def _document(source: str | Path) -> tuple[dict[str, Any], str]:
    """A scenario file or bundled name, parsed: (mapping, label)."""
    text, label = _read(source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario {label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario {label}: the document must be a mapping of keys")
    return data, label


def _read(source: str | Path) -> tuple[str, str]:
    path = Path(source)
    if not path.exists() and isinstance(source, str) and "/" not in source and "." not in source:
        bundled = resources.files("schemas").joinpath("scenarios").joinpath(f"{source}.yaml")
        if bundled.is_file():
            return bundled.read_text("utf-8"), f"{source} (bundled)"
        raise ScenarioError(
            f"scenario {source!r}: no such file and no bundled scenario of that name"
        )
    try:
        return path.read_text("utf-8"), str(path)
    except OSError as exc:
        raise ScenarioError(f"scenario {path}: cannot read: {exc.strerror or exc}") from None


def _interval(raw: dict[str, Any] | None) -> Interval | None:
    return None if raw is None else Interval(int(raw["amount"]), str(raw["units"]))


def _result(raw: dict[str, Any] | None) -> Result:
    raw = raw or {}
    alternates = None
    if "alternates" in raw:
        alternates = tuple(
            Alternate(
                offering=a["offering"],
                confidence=a["confidence"],
                reason=a.get("reason"),
                installation_interval=_interval(a.get("installation_interval"))
                or Interval(10, "BUSINESS_DAYS"),
                delivery_type=a.get("delivery_type", "ON_NET_WITHOUT_BUILD"),
                third_party_provider=a.get("third_party_provider"),
                third_party_offering=a.get("third_party_offering"),
                configuration=a.get("configuration"),
            )
            for a in raw["alternates"]
        )
    return Result(
        outcome=raw.get("outcome"),
        confidence=raw.get("confidence"),
        reason=raw.get("reason"),
        installation_interval=_interval(raw.get("installation_interval")),
        delivery_type=raw.get("delivery_type"),
        third_party_provider=raw.get("third_party_provider"),
        third_party_offering=raw.get("third_party_offering"),
        termination_reason=raw.get("termination_reason"),
        alternates=alternates,
    )


_BASE_RESULT = Result(
    outcome="READY",
    confidence="GREEN",
    reason="Qualified by the mock seller",
    installation_interval=Interval(10, "BUSINESS_DAYS"),
    delivery_type="ON_NET_WITHOUT_BUILD",
    termination_reason="The request could not be completed",
    alternates=(),
)


def _build(data: dict[str, Any], label: str) -> Scenario:
    cat = data["catalogue"]
    specs = {
        s["id"]: Specification(s["id"], tuple(s.get("configuration_types", ())),
                                s.get("place", "optional"))
        for s in cat["specifications"]
    }
    offerings: dict[str, Offering] = {}
    for i, o in enumerate(cat["offerings"]):
        if o["specification"] not in specs:
            raise ScenarioError(
                f"scenario {label}: key /catalogue/offerings/{i}/specification: "
                f"unknown specification {o['specification']!r}"
            )
        offerings[o["id"]] = Offering(
            o["id"],
            o["specification"],
            o.get("place", "optional"),
            _result(o.get("result")).over(_BASE_RESULT),
        )
    inventory = {}
    for i, p in enumerate(data.get("inventory", [])):
        if p["offering"] not in offerings:
            raise ScenarioError(
                f"scenario {label}: key /inventory/{i}/offering: unknown offering {p['offering']!r}"
            )
        inventory[p["id"]] = p["offering"]
    places = {
        p["id"]: Place(p["id"], p.get("city"), p.get("postcode"), p.get("country"), p.get("text"))
        for p in data.get("places", [])
    }
    rules = []
    for i, r in enumerate(data.get("rules", [])):
        then = _result(r["then"])
        for j, alt in enumerate(then.alternates or ()):
            if alt.offering not in offerings:
                raise ScenarioError(
                    f"scenario {label}: key /rules/{i}/then/alternates/{j}/offering: "
                    f"unknown offering {alt.offering!r}"
                )
        rules.append(Rule(r.get("name", f"rule {i}"), r["when"], then))
    for o in offerings.values():
        for alt in o.result.alternates or ():
            if alt.offering not in offerings:
                raise ScenarioError(
                    f"scenario {label}: offering {o.id}: "
                    f"alternate offering {alt.offering!r} unknown"
                )
    deferred = data.get("deferred", {})
    notes = data.get("notifications", {})
    lst = data.get("list", {})
    return Scenario(
        name=data.get("name", label),
        response_mode=data.get("response_mode", "honour_flag"),
        seller_contact=dict(data.get("seller_contact", _DEFAULT_CONTACT)),
        guaranteed_for_days=float(data.get("guaranteed_for_days", 30)),
        in_progress_after=float(deferred.get("in_progress_after", 0.2)),
        item_interval=float(deferred.get("item_interval", 0.3)),
        notifications_enabled=bool(notes.get("enabled", True)),
        v7_create_event=bool(notes.get("v7_create_event", True)),
        notify_retries=int(notes.get("retries", 4)),
        notify_backoff=float(notes.get("backoff", 0.2)),
        notify_timeout=float(notes.get("timeout", 3)),
        notify_workers=int(notes.get("workers", 4)),
        max_page_size=int(lst.get("max_page_size", 100)),
        too_many_records=lst.get("too_many_records", 5000),
        specifications=specs,
        offerings=offerings,
        inventory=inventory,
        places=places,
        rules=tuple(rules),
        source=label,
        defects=tuple(data.get("defects", ())),
        variants=tuple(data.get("variants", ())),
        buyer_conformance=dict(data.get("buyer_conformance", {})),
        limits=Limits.from_config(data.get("limits")),
        callback_policy=_callback_policy(data.get("callbacks"), label),
        auth=parse_auth(data.get("auth"), label),
    )


def _callback_policy(raw: dict[str, Any] | None, label: str) -> CallbackPolicy:
    try:
        return CallbackPolicy.from_config(raw)
    except ValueError as exc:
        raise ScenarioError(f"scenario {label}: key /callbacks/allow: {exc}") from None


__all__ = [
    "Alternate",
    "Interval",
    "Offering",
    "Place",
    "Result",
    "Rule",
    "Scenario",
    "ScenarioError",
    "Specification",
    "load_scenario",
]
