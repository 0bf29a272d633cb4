"""Progress lines while a run waits (deferred POQs, notifications). The CLI installs a
sink that writes to the terminal; without one, progress is silent."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def status(self, text: str) -> None: ...

    def clear(self) -> None: ...


_sink: ProgressSink | None = None


def set_sink(sink: ProgressSink | None) -> None:
    global _sink
    _sink = sink


def status(text: str) -> None:
    """Show ``text`` as the current status line (replacing the previous one)."""
    if _sink is not None:
        _sink.status(text)


def clear() -> None:
    if _sink is not None:
        _sink.clear()


__all__ = ["ProgressSink", "clear", "set_sink", "status"]
