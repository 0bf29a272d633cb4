"""Seller profile: what Buyer and Seller agreed at onboarding (MEF 79.1 section 7.2).

Loaded from YAML, validated against ``schemas/profile.schema.json`` and then by semantic
checks; every problem becomes one :class:`~harness.errors.ConfigError` naming the key
(``seller.api: must be one of v8, v7``). Secrets come from environment variables and are
kept out of ``repr``.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from harness.errors import ConfigError
from schemas.dialect import APIS, BASE_PATHS, DIALECT_CONDITIONS, get_dialect

CAPABILITIES = (
    "immediate",
    "deferred",
    "notifications",
    "product_specification",
    "change",
    "list",
    "alternates",
    "hub_get",
)
TEST_DATA_PATHS = (
    "install_offering",
    "install_offering_red",
    "install_specification",
    "change_product",
    "insufficient_information",
    "unable_to_meet_time",
    "change_product_alternates",
    "install_offering_off_net",
    "change_product_off_net",
)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How the client authenticates; secrets resolved from the environment at load."""

    type: str = "none"
    token: str | None = field(default=None, repr=False)
    token_env: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str | None = None
    client_auth: str = "basic"
    cert: str | None = None
    key: str | None = None
    ca: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach evidence."""
        return tuple(s for s in (self.token, self.client_secret) if s)


@dataclass(frozen=True, slots=True)
class SellerConfig:
    api: str
    base_url: str
    buyer_id: str | None = None
    seller_id: str | None = None
    auth: AuthConfig = field(default_factory=AuthConfig)
    timeout_s: float = 30.0
    connect_retries: int = 2
    verify_tls: bool = True
    max_body_bytes: int = 5 * 1024 * 1024
    record_body_chars: int = 65536


@dataclass(frozen=True, slots=True)
class Capabilities:
    immediate: bool = True
    deferred: bool = True
    notifications: bool = True
    product_specification: bool = True
    change: bool = True
    list: bool = True
    alternates: bool = True
    hub_get: bool = True


@dataclass(frozen=True, slots=True)
class DeferredConfig:
    max_wait_s: float = 120.0
    poll_interval_s: float = 1.0
    requested_completion_offset_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class NotificationsConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    callback_url: str | None = None
    max_wait_s: float = 30.0
    allowed_sources: tuple[str, ...] | None = None  # IPs / CIDRs notifications come from


@dataclass(frozen=True, slots=True)
class ListConfig:
    """What was agreed about Retrieve POQ List (MEF 79.1 8.3.3.3 item 3)."""

    too_many_records_threshold: int | None = None


@dataclass(frozen=True, slots=True)
class ProfileTestData:
    """Request fragments (in the Seller's dialect) that lead the Seller down each path."""

    buyer_contact: dict[str, Any]
    install_offering: dict[str, Any]
    install_offering_red: dict[str, Any] | None = None
    install_specification: dict[str, Any] | None = None
    change_product: dict[str, Any] | None = None
    insufficient_information: dict[str, Any] | None = None
    unable_to_meet_time: dict[str, Any] | None = None
    change_product_alternates: dict[str, Any] | None = None
    install_offering_off_net: dict[str, Any] | None = None
    change_product_off_net: dict[str, Any] | None = None
    unknown_poq_id: str | None = None
    poq: dict[str, Any] = field(default_factory=dict)
    place_contact: dict[str, Any] | None = None
    # R13/R14 facts only the seller's catalogue knows (optional; not_tested without them)
    specification_offerings: dict[str, list[str]] | None = None
    green_offering: str | None = None

    def fragment(self, path: str) -> dict[str, Any] | None:
        """A deep copy of one path's item fragment (None when the profile has none)."""
        if path not in TEST_DATA_PATHS:
            raise KeyError(f"unknown test_data path {path!r}")
        value = getattr(self, path)
        return copy.deepcopy(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Profile:
    seller: SellerConfig
    capabilities: Capabilities
    deferred: DeferredConfig
    notifications: NotificationsConfig
    test_data: ProfileTestData
    name: str = "profile"
    source: str | None = None
    listing: ListConfig = field(default_factory=ListConfig)

    @property
    def api(self) -> str:
        return self.seller.api

    def has(self, capability: str) -> bool:
        """True when the Seller agreed to ``capability`` (a key of ``capabilities``)."""
        if capability not in CAPABILITIES:
            raise KeyError(f"unknown capability {capability!r}")
        return bool(getattr(self.capabilities, capability))

    def condition(self, key: str) -> bool | None:
        """Evaluate a catalogue ``applies_when`` key; None when the key is unknown here."""
        if key in CAPABILITIES:
            return self.has(key)
        if key in DIALECT_CONDITIONS:
            return key in get_dialect(self.api).conditions
        if key in TEST_DATA_PATHS:
            return self.test_data.fragment(key) is not None
        if key == "buyer_id":
            return self.seller.buyer_id is not None
        if key == "seller_id":
            return self.seller.seller_id is not None
        return None

    def with_base_url(self, base_url: str) -> Profile:
        """A copy pointing at another URL (``--seller-url``, ``--mock``), re-checked."""
        _check_base_url(base_url, self.seller.api)
        return replace(self, seller=replace(self.seller, base_url=base_url.rstrip("/")))


# -- loading ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def profile_schema() -> dict[str, Any]:
    """The shipped JSON Schema of a profile."""
    text = resources.files("schemas").joinpath("profile.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def bundled_profile_path(name: str) -> Path:
    """Path of a profile shipped in ``schemas/profiles`` (``mock-v8``, ``mock-v7``)."""
    path = Path(str(resources.files("schemas").joinpath("profiles").joinpath(f"{name}.yaml")))
    if not path.is_file():
        raise ConfigError(f"no bundled profile named {name!r}")
    return path


def load_profile(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> Profile:
    """Read, validate and type a profile file; every problem is a ConfigError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"profile file not found: {p}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read profile {p}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"profile {p}: invalid YAML{where}: {problem}") from None
    return parse_profile(data, source=str(p), base_dir=p.parent, env=env)


def parse_profile(
    data: Any,
    *,
    source: str | None = None,
    base_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> Profile:
    """Validate an already-parsed profile mapping and build the typed Profile."""
    if not isinstance(data, dict):
        raise ConfigError("profile: must be a mapping with the keys seller, test_data, ...")
    errors = sorted(
        Draft202012Validator(profile_schema()).iter_errors(data),
        key=lambda e: [str(x) for x in e.absolute_path],
    )
    messages = _dedupe(m for e in errors for m in _describe(e))
    if messages:
        raise ConfigError("; ".join(messages))
    environ = os.environ if env is None else env
    base = base_dir or Path.cwd()
    s = data["seller"]
    api = s.get("api", "v8")
    base_url = str(s["base_url"]).rstrip("/")
    _check_base_url(base_url, api)
    auth = _auth(s.get("auth") or {"type": "none"}, environ, base)
    seller = SellerConfig(
        api=api,
        base_url=base_url,
        buyer_id=s.get("buyer_id"),
        seller_id=s.get("seller_id"),
        auth=auth,
        timeout_s=float(s.get("timeout_s", 30)),
        connect_retries=int(s.get("connect_retries", 2)),
        verify_tls=bool(s.get("verify_tls", True)),
        max_body_bytes=int(s.get("max_body_bytes", 5 * 1024 * 1024)),
        record_body_chars=int(s.get("record_body_chars", 65536)),
    )
    caps = Capabilities(**(data.get("capabilities") or {}))
    if not (caps.immediate or caps.deferred):
        raise ConfigError(
            "capabilities: at least one of immediate, deferred must be true"
        )
    deferred = DeferredConfig(**{k: float(v) for k, v in (data.get("deferred") or {}).items()})
    if deferred.poll_interval_s > deferred.max_wait_s:
        raise ConfigError("deferred.poll_interval_s: must not exceed deferred.max_wait_s")
    raw_notes = dict(data.get("notifications") or {})
    if raw_notes.get("allowed_sources") is not None:
        raw_notes["allowed_sources"] = _sources(raw_notes["allowed_sources"])
    notifications = NotificationsConfig(**raw_notes)
    if notifications.callback_url is not None:
        _check_http_url(notifications.callback_url, "notifications.callback_url")
    td = data["test_data"]
    test_data = ProfileTestData(**copy.deepcopy(td))
    required = {"product_specification": "install_specification", "change": "change_product"}
    for capability, path in required.items():
        if getattr(caps, capability) and td.get(path) is None:
            raise ConfigError(
                f"test_data.{path}: is required when capabilities.{capability} is true"
            )
    return Profile(
        seller=seller,
        capabilities=caps,
        deferred=deferred,
        notifications=notifications,
        test_data=test_data,
        name=str(data.get("name") or (Path(source).stem if source else "profile")),
        source=source,
        listing=ListConfig(**(data.get("list") or {})),
    )


def _auth(raw: dict[str, Any], environ: Any, base: Path) -> AuthConfig:
    kind = raw["type"]
    if kind == "bearer":
        token, token_env = raw.get("token"), raw.get("token_env")
        if (token is None) == (token_env is None):
            raise ConfigError("seller.auth: bearer needs exactly one of token, token_env")
        if token_env is not None:
            token = _env(environ, token_env, "seller.auth.token_env")
        return AuthConfig(type=kind, token=token, token_env=token_env)
    if kind == "oauth2_client_credentials":
        _check_http_url(raw["token_url"], "seller.auth.token_url")
        secret = _env(environ, raw["client_secret_env"], "seller.auth.client_secret_env")
        return AuthConfig(
            type=kind,
            token_url=raw["token_url"],
            client_id=raw["client_id"],
            client_secret_env=raw["client_secret_env"],
            client_secret=secret,
            scope=raw.get("scope"),
            client_auth=raw.get("client_auth", "basic"),
        )
    if kind == "mtls":
        files = {k: _file(base, raw[k], f"seller.auth.{k}") for k in ("cert", "key")}
        ca = _file(base, raw["ca"], "seller.auth.ca") if raw.get("ca") else None
        return AuthConfig(type=kind, cert=files["cert"], key=files["key"], ca=ca)
    return AuthConfig()


def _env(environ: Any, name: str, key: str) -> str:
    value = environ.get(name)
    if not value:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return str(value)


def _file(base: Path, value: str, key: str) -> str:
    path = Path(value) if Path(value).is_absolute() else base / value
    if not path.is_file():
        raise ConfigError(f"{key}: file not found: {path}")
    return str(path)


def _sources(values: list[str]) -> tuple[str, ...]:
    """``notifications.allowed_sources``, each an IP address or CIDR block."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ConfigError(f"notifications.allowed_sources: {value!r} is not an IP address "
                              "or CIDR block") from None
    return tuple(values)


def _check_http_url(url: str, key: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{key}: must be an http(s) URL, got {url!r}")


def _check_base_url(url: str, api: str) -> None:
    _check_http_url(url, "seller.base_url")
    path = urlsplit(url).path.rstrip("/")
    match = re.search(r"/productOfferingQualification/(v\d+)$", path)
    if match and any(path.endswith(BASE_PATHS[other]) for other in APIS if other != api):
        raise ConfigError(
            f"seller.base_url: path ends in /{match.group(1)} but seller.api is {api}"
        )


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "profile"


def _describe(error: ValidationError) -> list[str]:
    """Turn one jsonschema error into messages that name the profile key."""
    if error.validator in ("if", "allOf", "anyOf", "oneOf") and error.context:
        return [m for sub in error.context for m in _describe(sub)]
    key = _key(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        prefix = f"{key}." if error.absolute_path else ""
        return [f"{prefix}{m}: is required" for m in missing] or [f"{key}: {error.message}"]
    if v == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(", 1)[-1])
        prefix = f"{key}." if error.absolute_path else ""
        return [f"{prefix}{name}: unknown key" for name in extra]
    if v == "enum":
        return [f"{key}: must be one of {', '.join(str(x) for x in error.validator_value)}"]
    if v == "type":
        types = error.validator_value
        wanted = " or ".join(types) if isinstance(types, list) else types
        wanted = wanted.replace("object", "mapping").replace("array", "list")
        return [f"{key}: must be a {wanted}, got {error.instance!r}"]
    if v == "minLength":
        return [f"{key}: must not be empty"]
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        op = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return [f"{key}: must be {op[v]} {error.validator_value}, got {error.instance!r}"]
    if v == "const":
        return []
    return [f"{key}: {error.message}"]


def _dedupe(messages: Any) -> list[str]:
    seen: dict[str, None] = {}
    for m in messages:
        seen.setdefault(m, None)
    return list(seen)


__all__ = [
    "CAPABILITIES",
    "TEST_DATA_PATHS",
    "AuthConfig",
    "Capabilities",
    "DeferredConfig",
    "ListConfig",
    "NotificationsConfig",
    "Profile",
    "ProfileTestData",
    "SellerConfig",
    "bundled_profile_path",
    "load_profile",
    "parse_profile",
    "profile_schema",
]
