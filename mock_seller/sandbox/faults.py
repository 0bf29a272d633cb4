"""Injected faults of a running mock seller (set through ``PUT /_mock/faults``): latency and
error rate per endpoint, dropped or delayed notifications. Randomness comes from seeded
generators (one per endpoint), so a fixed ``seed`` replays the same fault sequence for the
same sequence of requests.

Forcing UNABLE_TO_MEET_TIME for the next deferred POQs lives in the engine (it changes
outcomes, not transport); the control blueprint forwards that key there.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass
from typing import Any

import jsonschema

from mock_seller.exceptions import ConfigError

# names used in fault configs and in the request log; "*" = every API endpoint
VIEW_ENDPOINTS = {"create": "create", "list_poqs": "list", "retrieve": "retrieve",
                  "register": "hub_register", "read": "hub_read", "unregister": "hub_delete"}
ENDPOINTS = tuple(VIEW_ENDPOINTS.values())
ERROR_STATUSES = (429, 500, 502, 503, 504)

_ENDPOINT_FAULT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "latency": {"type": "number", "minimum": 0, "maximum": 120},
        "error_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "error_next": {"type": "integer", "minimum": 0},
        "error_status": {"enum": list(ERROR_STATUSES)},
    },
}
FAULTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": ["integer", "string", "null"]},
        "endpoints": {
            "type": "object",
            "propertyNames": {"enum": [*ENDPOINTS, "*"]},
            "additionalProperties": _ENDPOINT_FAULT,
        },
        "notifications": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "drop_rate": {"type": "number", "minimum": 0, "maximum": 1},
                "drop_next": {"type": "integer", "minimum": 0},
                "delay": {"type": "number", "minimum": 0, "maximum": 600},
            },
        },
        "unable_to_meet_time_next": {"type": "integer", "minimum": 0},
    },
}


class FaultConfigError(ConfigError):
    """A fault configuration that does not validate; ``problems`` lists every error."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def config_problems(raw: Any) -> list[str]:
    """Every schema violation of a fault configuration, each prefixed by its JSON Pointer."""
    validator = jsonschema.Draft202012Validator(FAULTS_SCHEMA)
    out = []
    for err in sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path)):
        where = "/" + "/".join(str(p) for p in err.absolute_path)
        out.append(f"{where}: {err.message}")
    return out


@dataclass(slots=True)
class _EndpointFault:
    latency: float
    error_rate: float
    error_next: int
    error_status: int
    rng: random.Random


@dataclass(frozen=True, slots=True)
class RequestFault:
    """What to do to one API request: sleep ``latency`` s, then fail with ``status`` if set."""

    latency: float = 0.0
    status: int | None = None


_NO_FAULT = RequestFault()


class Faults:
    """The current fault configuration; thread-safe, consulted on every API request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: dict[str, Any] = {}
        self._endpoints: dict[str, _EndpointFault] = {}
        #: whether any endpoint has a fault: every API request asks, most often of none
        self.on_requests = False
        self._drop_rate = 0.0
        self._drop_next = 0
        self._delay = 0.0
        self._notify_rng = random.Random()
        self.injected_errors = 0
        self.dropped_notifications = 0
        self.delayed_notifications = 0

    def configure(self, raw: Any) -> None:
        """Replace the whole configuration (``{}`` clears it) and zero the counters of what
        was injected; raises FaultConfigError."""
        problems = config_problems(raw)
        if problems:
            raise FaultConfigError(problems)
        seed = raw.get("seed")
        base = str(seed) if seed is not None else os.urandom(16).hex()
        endpoints = {
            name: _EndpointFault(float(f.get("latency", 0)), float(f.get("error_rate", 0)),
                                 int(f.get("error_next", 0)), int(f.get("error_status", 500)),
                                 random.Random(f"{base}:{name}"))
            for name, f in (raw.get("endpoints") or {}).items()
        }
        notes = raw.get("notifications") or {}
        with self._lock:
            self._raw = {k: v for k, v in raw.items() if k != "unable_to_meet_time_next"}
            self._endpoints = endpoints
            self.on_requests = bool(endpoints)
            self._drop_rate = float(notes.get("drop_rate", 0))
            self._drop_next = int(notes.get("drop_next", 0))
            self._delay = float(notes.get("delay", 0))
            self._notify_rng = random.Random(f"{base}:notifications")
            self.injected_errors = self.dropped_notifications = self.delayed_notifications = 0

    def clear(self) -> None:
        self.configure({})

    def snapshot(self) -> dict[str, Any]:
        """The configuration as set, with the counters still pending and what was injected."""
        with self._lock:
            out = dict(self._raw)
            if self._endpoints:
                out["endpoints"] = {
                    name: {**(self._raw.get("endpoints") or {}).get(name, {}),
                           "error_next": f.error_next}
                    for name, f in self._endpoints.items()
                }
            if self._raw.get("notifications"):
                out["notifications"] = {**self._raw["notifications"], "drop_next": self._drop_next}
            out["injected"] = {"errors": self.injected_errors,
                               "dropped_notifications": self.dropped_notifications,
                               "delayed_notifications": self.delayed_notifications}
            return out

    def for_request(self, endpoint: str) -> RequestFault:
        """Decide the fault of one request to ``endpoint`` (a name of ENDPOINTS)."""
        with self._lock:
            fault = self._endpoints.get(endpoint) or self._endpoints.get("*")
            if fault is None:
                return _NO_FAULT
            fail = False
            if fault.error_next > 0:
                fault.error_next -= 1
                fail = True
            elif fault.error_rate > 0:
                fail = fault.rng.random() < fault.error_rate
            if fail:
                self.injected_errors += 1
            return RequestFault(fault.latency, fault.error_status if fail else None)

    def for_notification(self) -> float | None:
        """Delay in seconds before sending one notification, or None to drop it."""
        with self._lock:
            if self._drop_next > 0:
                self._drop_next -= 1
                self.dropped_notifications += 1
                return None
            if self._drop_rate > 0 and self._notify_rng.random() < self._drop_rate:
                self.dropped_notifications += 1
                return None
            if self._delay > 0:
                self.delayed_notifications += 1
            return self._delay


__all__ = ["ENDPOINTS", "FAULTS_SCHEMA", "FaultConfigError", "Faults", "RequestFault",
           "VIEW_ENDPOINTS", "config_problems"]
