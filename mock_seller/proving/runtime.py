"""The proving kit at work in one app: the ``Switch`` says which defects and variants are
active; ``install`` adds the kit's hooks to the extension points the core declares
(``mock_seller.core.hooks``):

* answer hook: the active variants (legal shapes), then the active defects, mutate each
  outgoing answer;
* publish / subscribe / unsubscribe hooks: the active defects' notifier functions;
* new-record hook: defects that spoil a POQ before it is stored.

The active set can change at run time (``Switch.set``, used by ``PUT /_mock/defects``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Flask

from mock_seller.core.hooks import Answer, AnswerHook, Event, Hooks, Shareable
from mock_seller.proving.hookpoints import NOTIFIER_HOOKS, RESPONSE_HOOKS
from mock_seller.proving.registry import check_defect_names, load_defects
from mock_seller.proving.variants import VARIANT_HOOKS

EXTENSION = "poq_defects"


class Switch:
    """The defects and variants active in one app. Defects come from the engine's scenario
    unless replaced at run time (``set``); switching the scenario drops the replacement."""

    def __init__(self, engine: Any) -> None:
        self._lock = threading.Lock()
        self._engine = engine
        self._seen = engine.scenario
        self._override: tuple[str, ...] | None = None
        check_defect_names(list(getattr(engine.scenario, "defects", ())))
        self.state: dict[str, Any] = {}  # per-defect memory (e.g. ids handed out)
        self._watchers: list[Callable[[Any], None]] = []

    @property
    def defects(self) -> tuple[str, ...]:
        return tuple(self._defects())

    def _defects(self) -> Sequence[str]:
        """The replacement, else the scenario's defects (a switch of scenario drops the
        replacement and the defects' memory)."""
        scenario = self._engine.scenario
        if scenario is not self._seen:
            with self._lock:
                self._seen, self._override = scenario, None
                self.state.clear()
        if self._override is not None:
            return self._override
        return getattr(scenario, "defects", ())  # type: ignore[no-any-return]

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(getattr(self._engine.scenario, "variants", ()))

    def engaged(self) -> bool:
        """Whether any defect or variant is active: asked on every request, so answered
        without building the tuples ``defects`` and ``variants`` give."""
        return bool(self._defects()) or bool(getattr(self._engine.scenario, "variants", ()))

    def set(self, defects: Iterable[str]) -> tuple[str, ...]:
        """Replace the active defects (DefectError naming an unknown one), and tell the
        watchers (a sandbox shared by several processes carries it to the others)."""
        names = self._replace(defects)
        for watcher in self._watchers:
            watcher(list(names))
        return names

    def _replace(self, defects: Iterable[str]) -> tuple[str, ...]:
        names = check_defect_names(list(defects))
        _ = self.defects  # notice a scenario switch first
        with self._lock:
            self._override = names
            self.state.clear()
        return names

    def active(self, name: str) -> bool:
        return name in self.defects

    def describe(self) -> dict[str, Any]:
        known = load_defects()
        return {"defects": [{"name": n, "breaks": list(known[n].breaks)} for n in self.defects],
                "variants": list(self.variants)}


def switch_of(app: Flask) -> Switch:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def install(app: Flask, engine: Any) -> Switch:
    """Attach the switch of ``engine.scenario`` to ``app`` and add its hooks to the engine's."""
    switch = Switch(engine)
    app.extensions[EXTENSION] = switch
    hooks: Hooks = engine.hooks
    hooks.shareable["defects"] = Shareable(apply=switch._replace,  # type: ignore[arg-type]
                                           watch=switch._watchers.append)
    hooks.answer.append(AnswerHook(lambda answer: _mutate(switch, answer), switch.engaged))

    def defect_hooks(kind: str) -> list[Callable[..., Any]]:
        return [NOTIFIER_HOOKS[n][kind] for n in switch.defects
                if kind in NOTIFIER_HOOKS.get(n, {})]

    def publish(api: str, wire_type: str, body: dict[str, Any]) -> list[Event]:
        events: list[Event] = [(api, wire_type, body)]
        for hook in defect_hooks("publish"):
            events = [out for event in events for out in hook(switch, engine, *event)]
        return events

    def subscribe(proceed: Callable[..., Any], api: str, family: str, callback: str,
                  query: str | None) -> Any:
        for hook in defect_hooks("subscribe"):  # the first active one decides
            return hook(switch, engine, proceed, api, family, callback, query)
        return proceed(api, family, callback, query)

    def unsubscribe(proceed: Callable[[str, str], bool], api: str, sub_id: str) -> bool:
        originals = {"unsubscribe": proceed, "subscribe": engine.notifier.subscribe}
        for hook in defect_hooks("unsubscribe"):
            return bool(hook(switch, engine, originals, api, sub_id))
        return proceed(api, sub_id)

    def new_record(record: Any) -> bool:
        """False when no active defect spoils records (the engine keeps its answer)."""
        active = defect_hooks("store")
        for hook in active:
            hook(switch, engine, record)
        return bool(active)

    hooks.publish.append(publish)
    hooks.subscribe.append(subscribe)
    hooks.unsubscribe.append(unsubscribe)
    hooks.new_record.append(new_record)
    return switch


def _mutate(switch: Switch, answer: Answer) -> None:
    for name in switch.variants:
        variant = VARIANT_HOOKS.get(name)
        if variant is not None:
            variant(answer)
    for name in switch.defects:
        defect = RESPONSE_HOOKS.get(name)
        if defect is not None:
            defect(answer, switch)


__all__ = ["Switch", "install", "switch_of"]
