"""The URL adapter of a request, with its host worked out once per client.

Flask binds the URL map to every request through ``Map.bind_to_environ``: the Host header
is parsed and checked twice, then IDNA-encoded by the pure-Python codec, some 60,000
instructions, a twentieth of a create. All of that depends only on a few environ entries
that one client sends the same on every request, so the result is kept per such entries and
only the request's own path, method and query are bound each time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from werkzeug.routing import MapAdapter

#: the environ entries Map.bind_to_environ reads besides the path, method and query
_HOST_KEYS = ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme", "SCRIPT_NAME",
              "HTTP_CONNECTION", "HTTP_UPGRADE")
MAX_HOSTS = 256


class HostCache:
    """Per app: environ host entries -> (request.host, server name, script name, subdomain,
    scheme) as Flask's own binding found them."""

    def __init__(self) -> None:
        self._known: dict[tuple[Any, ...], tuple[str, str, str, str | None, str]] = {}

    def adapter(self, app: Flask, request: Request,
                bind: Callable[[Request], MapAdapter | None]) -> MapAdapter | None:
        """``bind``: Flask's own ``create_url_adapter`` (used where the app routes by host
        or by subdomain, trusts only some hosts or names its server, and for a client not
        seen yet)."""
        config = app.config
        if (config["TRUSTED_HOSTS"] is not None or config["SERVER_NAME"] is not None
                or app.url_map.host_matching or app.subdomain_matching):
            return bind(request)
        env = request.environ
        key = tuple([env.get(name) for name in _HOST_KEYS])
        known = self._known.get(key)
        if known is None:
            adapter = bind(request)  # a bad Host raises here, as it always did
            if adapter is None:
                return None
            if len(self._known) >= MAX_HOSTS:
                self._known.clear()
            self._known[key] = (request.host, adapter.server_name, adapter.script_name,
                                adapter.subdomain, adapter.url_scheme)
            return adapter
        host, server_name, script_name, subdomain, scheme = known
        request.host = host  # type: ignore[misc]  # what Flask's binding sets
        path = env.get("PATH_INFO")
        query = env.get("QUERY_STRING")
        return MapAdapter(app.url_map, server_name, script_name, subdomain, scheme,
                          "/" if path is None else _decoded(path), env["REQUEST_METHOD"],
                          None if query is None else _decoded(query))


def _decoded(value: str) -> str:
    """A WSGI string as werkzeug reads it (latin-1 bytes, UTF-8 text)."""
    return value.encode("latin1").decode(errors="replace")
