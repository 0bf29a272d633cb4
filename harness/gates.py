"""Capability gates: a test that needs something the Seller did not agree to at
onboarding records its requirements as not applicable (with the reason) and skips."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from harness.profile import Profile
from harness.verdicts import Verdict


class CapabilityGate:
    def __init__(self, profile: Profile, verdict: Verdict, requirements: Iterable[str]) -> None:
        self.profile = profile
        self.verdict = verdict
        self.requirements = list(requirements)

    def require(self, *capabilities: str) -> None:
        """Skip unless every capability (or catalogue condition such as ``v8_only`` or a
        test_data path) holds for this Seller."""
        for name in capabilities:
            holds = self.profile.condition(name)
            if holds is None:
                raise KeyError(f"unknown capability or condition {name!r}")
            if not holds:
                reason = _reason(name, self.profile)
                for req in self.requirements:
                    self.verdict.not_applicable(req, reason)
                pytest.skip(reason)


def _reason(name: str, profile: Profile) -> str:
    if name == "v8_only":
        return f"not representable in {profile.api}"
    if name == "v7_only":
        return f"only in v7, the Seller speaks {profile.api}"
    if hasattr(profile.capabilities, name):
        return f"profile: capabilities.{name} is false"
    return f"profile: no test_data.{name}"


__all__ = ["CapabilityGate"]
