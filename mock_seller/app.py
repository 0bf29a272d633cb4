"""Flask app factory: one engine, the POQ and hub blueprints mounted on every base path
(Sonata v8/v7, Cantata v2/v1), MEF error handlers, the sandbox features, and the extensions
(by default the proving kit) installed through the hooks the core declares."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flask import Flask, Request
from werkzeug.routing import MapAdapter

from mock_seller.api import answers, limits
from mock_seller.api import hub as blueprint_hub
from mock_seller.api import poq as blueprint_poq
from mock_seller.api.current import STARTED
from mock_seller.api.errors import register_error_handlers
from mock_seller.api.url_adapter import HostCache
from mock_seller.buyer.report import install as install_buyer_conformance
from mock_seller.core.context import ENGINE_KEY, engine_of
from mock_seller.core.engine import Engine
from mock_seller.core.scenario import load_scenario
from mock_seller.proving.kit import ProvingKit
from mock_seller.sandbox.auth import install as install_auth
from mock_seller.sandbox.control import install as install_control
from mock_seller.sandbox.health import install as install_health
from mock_seller.sandbox.shared import install as install_shared
from mock_seller.storage import open_store
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS


class Extension(Protocol):
    """A plug-in of the mock seller: it may check and rewrite scenario documents (keys it
    owns) and add hooks and routes to an app (``mock_seller.core.hooks``)."""

    def prepare_scenario(self, data: dict[str, Any], label: str) -> dict[str, Any]: ...
    def install(self, app: Flask, engine: Engine) -> None: ...


class SellerFlask(Flask):
    """Flask that asks once per function whether it is a coroutine: Flask asks ``inspect``
    on every request for every hook and view (a dozen of them here, none async); and that
    stamps each request's environ with the instant it took it (``STARTED``: the logs'
    latency), cheaper than a hook that reaches the request's ``g``; and that binds its URL
    map to a request with the host worked out once per client (``url_adapter``)."""

    SYNC_CACHE = 512  # functions remembered (hooks and views are a few dozen)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}
        self._hosts = HostCache()

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ[STARTED] = time.monotonic()
        return super().wsgi_app(environ, start_response)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is None:
            return super().create_url_adapter(None)
        return self._hosts.adapter(self, request, super().create_url_adapter)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync[func]
        except (KeyError, TypeError):  # not seen yet, or not hashable
            sync = super().ensure_sync(func)
        if len(self._sync) < self.SYNC_CACHE:
            with contextlib.suppress(TypeError):
                self._sync[func] = sync
        return sync


def default_extensions() -> tuple[Extension, ...]:
    """What ``create_app`` installs unless told otherwise: the proving kit (so a scenario's
    ``defects``/``variants`` and ``PUT /_mock/defects`` work; docs/defects.md)."""
    return (ProvingKit(),)


def create_app(config: dict[str, Any] | None = None,
               extensions: Sequence[Extension] | None = None) -> Flask:
    """Build the mock seller. ``config`` keys: SCENARIO (path, bundled name, mapping or
    Scenario; default "default"), ENGINE (an Engine to reuse), MAX_CONTENT_LENGTH, STORE
    ("memory" (default), "sqlite:///path.db" or a Store; see docs/sandbox.md).
    ``extensions``: plug-ins to install (default: ``default_extensions()``; ``()``: none)."""
    app = SellerFlask("mock_seller")
    app.config.from_mapping(SCENARIO="default", ENGINE=None, MAX_CONTENT_LENGTH=2 * 1024 * 1024,
                            JSON_SORT_KEYS=False)
    if config:
        app.config.update(config)
    chosen = default_extensions() if extensions is None else tuple(extensions)
    prepare = [ext.prepare_scenario for ext in chosen]
    store = app.config.get("STORE")
    engine = app.config["ENGINE"] or Engine(
        load_scenario(app.config["SCENARIO"], prepare),
        store=open_store(store) if store is None or isinstance(store, str) else store)
    engine.hooks.scenario.extend(prepare)  # runtime scenario switches (sandbox/control.py)
    app.extensions[ENGINE_KEY] = engine
    limits.install(app, engine.scenario.limits)
    app.url_map.strict_slashes = False  # the guides write GET /productOfferingQualification/
    for family, bases in (("sonata", BASE_PATHS), ("cantata", CANTATA_BASE_PATHS)):
        for api, base in bases.items():
            defaults = {"api": api, "family": family}
            for bp in (blueprint_poq.bp, blueprint_hub.bp):
                app.register_blueprint(bp, url_prefix=base, url_defaults=defaults,
                                       name=f"{bp.name}_{family}_{api}")
    register_error_handlers(app)
    install_auth(app)  # optional bearer/OAuth2 auth and buyer isolation (auth.py, tenancy.py)
    install_control(app)  # /_mock runtime control (CONTROL_TOKEN), fault hooks, request log
    answers.install(app, engine.hooks, engine)  # the answer hooks of the extensions
    for ext in chosen:
        ext.install(app, engine)
    install_buyer_conformance(app)  # buyer-side checks and report (docs/buyer-conformance.md)
    install_shared(app)  # SQL store: /_mock state shared by every process on it (shared.py)
    install_health(app)  # GET /health for load balancers (health.py)
    return app


__all__ = ["Extension", "SellerFlask", "create_app", "default_extensions", "engine_of"]
