"""When a run must stop: its overall deadline (``--max-duration``) and the one place that
turns "we waited too long" into the environment error a run ends with (exit 2).

A run against a Seller that never finishes answering must still end. Every request is
bounded by ``seller.timeout_s`` and the whole run by its deadline; past either the run
stops with one line naming what it was waiting for, never as a Seller failure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NoReturn

from harness.errors import ConfigError
from harness.profile import Profile

# The suites wait for deferred answers or notifications at about 20 places; each wait is
# bounded by the profile, so the default run deadline is that many full waits plus time
# for the plain requests.
WAIT_PLACES = 20
REQUESTS_BUDGET_S = 300.0


class RunStopped(ConfigError):
    """The run cannot go on (deadline passed, the Seller stopped answering in time)."""


def default_max_duration(profile: Profile) -> float:
    """``--max-duration`` when none is given, from the waits the profile allows."""
    waits = profile.deferred.max_wait_s + profile.notifications.max_wait_s
    return WAIT_PLACES * waits + REQUESTS_BUDGET_S


class RunGuard:
    """The run's deadline, and how to stop the run (``on_stop`` may end it its own way,
    e.g. end the pytest session; otherwise :class:`RunStopped` is raised)."""

    def __init__(
        self,
        max_duration_s: float | None = None,
        on_stop: Callable[[str], Any] | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        self.max_duration_s = max_duration_s
        self.expires_at = (None if max_duration_s is None
                           else time.monotonic() + max_duration_s - elapsed_s)
        self.on_stop = on_stop
        self.reason: str | None = None

    def remaining(self) -> float:
        if self.expires_at is None:
            return math.inf
        return max(self.expires_at - time.monotonic(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def clamp(self, timeout_s: float) -> tuple[float, bool]:
        """The time a wait of ``timeout_s`` may take, and whether the run deadline (rather
        than the wait's own limit) is what bounds it."""
        left = self.remaining()
        return (left, True) if left < timeout_s else (timeout_s, False)

    def past_deadline(self, waiting_for: str) -> NoReturn:
        assert self.max_duration_s is not None
        self.stop(f"run deadline of {self.max_duration_s:g} s (--max-duration) passed while "
                  f"waiting for {waiting_for}")

    def stop(self, reason: str) -> NoReturn:
        """End the run as an environment error naming ``reason``."""
        if self.reason is None:
            self.reason = reason
        if self.on_stop is not None:
            self.on_stop(reason)
        raise RunStopped(reason)


class StopReason:
    """pytest plugin object: remembers why a run was stopped (``pytest.exit``), so the
    CLI can end with that one line."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        import pytest

        if isinstance(excinfo.value, pytest.exit.Exception) and excinfo.value.returncode == 2:
            self.reason = str(excinfo.value.msg)


__all__ = ["RunGuard", "RunStopped", "StopReason", "default_max_duration"]
