"""Collects a seller run (checks, tests, exchanges, notifications, timelines) and writes
results.json through :mod:`schemas.results`, with every catalogue ID present."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness import __version__
from harness.evidence import Exchange, Recorder, now_rfc3339
from harness.explain import Explainer
from harness.preflight import FragmentCheck
from harness.profile import CAPABILITIES, Profile
from harness.timeline import Timelines
from schemas.results import Check, build_document, write_document

CREATE_ID = "R3"  # the seller answers an install / change create in one of the two styles
_CREATE_IDS = {"install_specification": "CR1"}  # by specification (2b): CR1 asks the same
BUYER_SIDE = "a requirement on the Buyer: verified by the mock seller's buyer report"


def not_applicable_reason(req: Any, profile: Profile) -> str | None:
    """Why ``req`` cannot apply to this Seller (capability off, not in the dialect)."""
    for key in getattr(req, "applies_when", ()):
        holds = profile.condition(key)
        if holds is False:
            if key == "v8_only":
                return f"not representable in {profile.api}"
            if key in CAPABILITIES:
                return f"profile: capabilities.{key} is false"
            return f"profile: no test_data.{key}"
    fields = getattr(req, "fields", None)
    representable = getattr(fields, "representable", None)
    if representable is not None and not representable(profile.api):
        return f"not representable in {profile.api}"
    return None


class RunCollector:
    """Everything a seller run produces, folded into one results document at the end."""

    def __init__(
        self,
        catalogue: Iterable[Any],
        profile: Profile,
        recorder: Recorder,
        timelines: Timelines,
        *,
        mock: bool = False,
        use_cases: Iterable[str] = (),
    ) -> None:
        self.catalogue = list(catalogue)
        self.known_ids = frozenset(r.id for r in self.catalogue)
        self.profile = profile
        self.recorder = recorder
        self.timelines = timelines
        self.checks: list[Check] = []
        self.tests: list[dict[str, Any]] = []
        self.hints: dict[str, str] = {}
        self.hint_tests: dict[str, str | None] = {}
        self.schema_deviations: list[dict[str, Any]] = []
        self.started = now_rfc3339()
        self.mock = mock
        self.use_cases = list(use_cases)
        self.keyword: str | None = None
        self.preflight: list[FragmentCheck] = []
        self.trust_test_data = False
        self.interrupted: str | None = None  # when SIGINT / SIGTERM stopped the run
        self.interrupted_by: str | None = None
        self.environment_error: str | None = None  # why the run was stopped early
        self._lock = threading.Lock()

    def add_check(self, check: Check) -> None:
        with self._lock:
            self.checks.append(check)

    def explainer(self, exchanges: Iterable[Exchange] | None = None) -> Explainer:
        """Rewrites checks with their test-data key, the seller's Error and refusals."""
        refused = {f.key: f.refusal for f in self.preflight if f.outcome == "refused"}
        if exchanges is None:
            exchanges = self.recorder.snapshot()[0]
        return Explainer(self.profile, exchanges, refused, self.trust_test_data)

    def add_schema_deviation(self, entry: dict[str, Any]) -> None:
        """An API-schema finding (its own results section, not a requirement check)."""
        with self._lock:
            self.schema_deviations.append(entry)

    def hint(self, req_id: str, reason: str, test: str | None = None) -> None:
        """Reason to show if ``req_id`` ends without any check (e.g. its test skipped)."""
        if req_id in self.known_ids and req_id not in self.hints:
            self.hints[req_id] = reason
            self.hint_tests[req_id] = test

    def add_test(
        self,
        nodeid: str,
        outcome: str,
        duration: float,
        use_cases: Iterable[str] = (),
        requirements: Iterable[str] = (),
        longrepr: str | None = None,
    ) -> None:
        with self._lock:
            self.tests.append(
                {
                    "nodeid": nodeid,
                    "outcome": outcome,
                    "duration": round(max(duration, 0.0), 4),
                    "use_cases": list(use_cases),
                    "requirements": list(requirements),
                    "longrepr": longrepr,
                }
            )

    def document(self, finished: str | None = None) -> dict[str, Any]:
        with self._lock:
            checks = list(self.checks)
            tests = list(self.tests)
            deviations = list(self.schema_deviations)
        exchanges, notifications = self.recorder.snapshot()
        explainer = self.explainer(exchanges)
        checks = explainer.apply(checks)
        hints = {rid: explainer.hint(text, self.hint_tests.get(rid))
                 for rid, text in self.hints.items()}
        if self.trust_test_data:
            checks += self._trusted_refusals()
        checked = {c.requirement for c in checks}
        for req in self.catalogue:
            if req.id in checked:
                continue
            reason = not_applicable_reason(req, self.profile)
            if reason is not None:
                checks.append(Check(req.id, None, "not_applicable", reason, [], now_rfc3339()))
            elif getattr(req, "verification", None) == "buyer":
                hints.setdefault(req.id, BUYER_SIDE)
        run = {
            "seller": self.profile.seller.base_url,
            "api": self.profile.api,
            "profile": self.profile.source or self.profile.name,
            "started": self.started,
            "finished": finished or now_rfc3339(),
            "tool_version": __version__,
            "use_cases": self.use_cases,
            "mock": self.mock,
            "keyword": self.keyword,
            "capabilities": {c: self.profile.has(c) for c in CAPABILITIES},
            "trust_test_data": self.trust_test_data,
            "complete": self.interrupted is None and self.environment_error is None,
            "interrupted": self.interrupted,
            "interrupted_by": self.interrupted_by,
            "environment_error": self.environment_error,
        }
        doc = build_document(
            kind="seller",
            run=run,
            catalogue=self.catalogue,
            checks=checks,
            reasons=hints,
            tests=tests,
            exchanges=[e.to_dict() for e in exchanges],
            notifications=[n.to_dict() for n in notifications],
            timelines=self.timelines.to_list(),
            schema_deviations=deviations,
        )
        doc["preflight"] = [f.to_dict() for f in self.preflight]
        return doc

    def _trusted_refusals(self) -> list[Check]:
        """``--trust-test-data``: a refused fragment is the seller failing to answer a
        valid create (R3), not a set-up finding."""
        return [
            Check(_CREATE_IDS.get(f.key, CREATE_ID), "preflight", "fail",
                  f"valid create built from test_data.{f.key} refused ({f.refusal}); the test "
                  "data is trusted as valid (--trust-test-data)",
                  [f.exchange] if f.exchange else [], now_rfc3339())
            for f in self.preflight if f.outcome == "refused"
            and _CREATE_IDS.get(f.key, CREATE_ID) in self.known_ids
        ]

    def write(self, path: str | Path) -> Path:
        return write_document(self.document(), path)


__all__ = ["BUYER_SIDE", "RunCollector", "not_applicable_reason"]
