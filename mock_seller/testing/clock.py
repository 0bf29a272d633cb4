"""A hand-driven clock for deferred POQs: the engine's transitions wait here until a test
calls ``advance`` or ``complete``, so a buyer test walks a deferred POQ to its end without
sleeping. Everything else the scheduler runs (notification retries, injected delays) keeps
real time."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_seller.core.scheduler import Scheduler


@dataclass(frozen=True, slots=True)
class Step:
    """One held engine transition: ``fn(*args)`` with args (generation, api, poq_id, ...)."""

    due: float
    seq: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]

    @property
    def poq(self) -> tuple[str, str]:
        """(api, poq id) of the POQ this step moves."""
        return str(self.args[1]), str(self.args[2])


class ManualClock:
    """Stands in for ``engine.scheduler``: holds the engine's own steps (bound methods of
    ``engine``), passes every other call to the real scheduler. ``held=False`` lets time run."""

    def __init__(self, real: Scheduler, engine: Any) -> None:
        self.real = real
        self._engine = engine
        self._steps: list[Step] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.held = True

    # -- the Scheduler interface the engine uses --------------------------------------------
    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        if not self.held or getattr(fn, "__self__", None) is not self._engine or len(args) < 3:
            self.real.call_later(delay, fn, *args)
            return
        with self._lock:
            self._steps.append(Step(time.monotonic() + max(0.0, delay), next(self._seq), fn,
                                    args))

    def pending(self) -> int:
        with self._lock:
            return len(self._steps) + self.real.pending()

    def clear(self) -> None:
        with self._lock:
            self._steps.clear()
        self.real.clear()

    def close(self) -> None:
        self.clear()
        self.real.close()

    # -- driving ----------------------------------------------------------------------------
    def waiting(self) -> list[tuple[str, str]]:
        """(api, id) of the POQs with transitions still held, in creation order."""
        with self._lock:
            return list(dict.fromkeys(s.poq for s in sorted(self._steps, key=lambda s: s.seq)))

    def step(self, poq_id: str | None = None) -> list[tuple[str, str]]:
        """Run the next held transition of each POQ (or of ``poq_id`` only); the POQs moved."""
        with self._lock:
            firsts: dict[tuple[str, str], Step] = {}
            for s in sorted(self._steps, key=lambda s: (s.due, s.seq)):
                if poq_id in (None, s.poq[1]):
                    firsts.setdefault(s.poq, s)
            for s in firsts.values():
                self._steps.remove(s)
        for s in sorted(firsts.values(), key=lambda s: (s.due, s.seq)):
            s.fn(*s.args)
        return list(firsts)

    def finish(self, poq_id: str | None = None) -> list[tuple[str, str]]:
        """Run every held transition (of ``poq_id`` only, when given), in timeline order."""
        moved: list[tuple[str, str]] = []
        while True:
            ran = self.step(poq_id)
            if not ran:
                return moved
            moved += [p for p in ran if p not in moved]

    def release(self) -> None:
        """Let time run again: held transitions go to the real scheduler at their due time."""
        with self._lock:
            self.held = False
            steps, self._steps = self._steps, []
        now = time.monotonic()
        for s in sorted(steps, key=lambda s: (s.due, s.seq)):
            self.real.call_later(s.due - now, s.fn, *s.args)
