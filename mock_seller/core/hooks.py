"""The extension points the mock seller declares. Plug-ins (the proving kit in
``mock_seller.proving``) append to these lists through ``create_app(cfg, extensions=...)``;
the core calls them at fixed places and never learns who they are. Nothing is patched.

* ``scenario``: a scenario document before it is built: check keys the plug-in owns, rewrite
  it (raise ``ScenarioError`` naming the key).
* ``answer``: an outgoing POQ or hub answer, parsed into an :class:`Answer` to mutate.
* ``publish``: one event about to be queued -> the events actually queued (drop, alter, add);
  called only when its API has a subscription (an event nobody can receive is not built).
* ``subscribe`` / ``unsubscribe``: around a hub (un)registration; each gets ``proceed``.
* ``new_record``: a new POQ record just before it is stored (may change it; a hook that
  returns ``False`` says it left the record as it was, so an immediate answer is not
  serialized again).
* ``shareable``: run-time settings a plug-in owns (e.g. the kit's active defects), by name, so
  that a sandbox shared by several processes can carry them to the others.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas.dialect import Dialect, get_dialect

Event = tuple[str, str, dict[str, Any]]  # (api, wire event type, body)
ScenarioHook = Callable[[dict[str, Any], str], dict[str, Any]]  # (document, label) -> document
PublishHook = Callable[[str, str, dict[str, Any]], list[Event]]
Subscribe = Callable[[str, str, str, str | None], Any]  # (api, family, callback, query)
SubscribeHook = Callable[[Subscribe, str, str, str, str | None], Any]
Unsubscribe = Callable[[str, str], bool]  # (api, subscription id)
UnsubscribeHook = Callable[[Unsubscribe, str, str], bool]
RecordHook = Callable[[Any], "bool | None"]  # False: the record was left untouched


@dataclass
class Answer:
    """One outgoing answer as a plug-in sees it. Mutate ``status``, ``body``, ``headers``."""

    op: str  # create | retrieve | list | register | hub_get | unregister
    api: str
    status: int
    body: Any
    args: dict[str, str]
    engine: Any
    headers: dict[str, str | None] = field(default_factory=dict)  # None = remove
    request_body: bytes | None = None  # what the buyer POSTed, when the edge kept it

    def request_json(self) -> dict[str, Any] | None:
        """The JSON object the buyer POSTed, or None."""
        try:
            body = json.loads(self.request_body or b"null")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @property
    def dialect(self) -> Dialect:
        return get_dialect(self.api)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def poq(self) -> dict[str, Any] | None:
        """The POQ body of a successful create or retrieve."""
        if self.op in ("create", "retrieve") and self.ok and isinstance(self.body, dict):
            return self.body
        return None

    def items(self) -> list[dict[str, Any]]:
        body = self.poq()
        found = body.get("productOfferingQualificationItem") if body else None
        return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []

    def mef_state(self) -> str | None:
        body = self.poq()
        return self.dialect.mef_poq_state(body.get("state")) if body else None


@dataclass(frozen=True)
class AnswerHook:
    """Mutates outgoing answers; ``active`` says cheaply whether it has anything to do now
    (when no hook is active, answers are not even parsed)."""

    apply: Callable[[Answer], None]
    active: Callable[[], bool] = lambda: True


@dataclass
class Hooks:
    """The lists the core calls (empty: the mock behaves as the scenario says)."""

    scenario: list[ScenarioHook] = field(default_factory=list)
    answer: list[AnswerHook] = field(default_factory=list)
    publish: list[PublishHook] = field(default_factory=list)
    subscribe: list[SubscribeHook] = field(default_factory=list)
    unsubscribe: list[UnsubscribeHook] = field(default_factory=list)
    new_record: list[RecordHook] = field(default_factory=list)
    shareable: dict[str, Shareable] = field(default_factory=dict)


@dataclass
class Shareable:
    """A run-time setting of a plug-in: ``apply`` sets it without announcing it; ``watch``
    registers a callback told of every change made here (with the new value)."""

    apply: Callable[[Any], None]
    watch: Callable[[Callable[[Any], None]], None]


class UnableCounter:
    """How many of the next deferred POQs end UNABLE_TO_MEET_TIME whatever the scenario says
    (``/_mock/faults``). One per process; a store shared by several processes puts one
    counter for all of them in its place (``mock_seller.sandbox.shared``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending = 0

    def force(self, count: int) -> None:
        with self._lock:
            self.pending = max(0, count)

    def take(self) -> bool:
        """One deferred create takes one (False when none is left)."""
        with self._lock:
            if self.pending <= 0:
                return False
            self.pending -= 1
            return True


def around(hooks: list[Any], proceed: Callable[..., Any]) -> Callable[..., Any]:
    """``proceed`` wrapped by ``hooks`` (the first hook outermost)."""
    call = proceed
    for hook in reversed(hooks):
        call = _bind(hook, call)
    return call


def _bind(hook: Callable[..., Any], inner: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args: hook(inner, *args)


__all__ = ["Answer", "AnswerHook", "Event", "Hooks", "PublishHook", "RecordHook", "ScenarioHook",
           "SubscribeHook", "UnsubscribeHook", "around"]
