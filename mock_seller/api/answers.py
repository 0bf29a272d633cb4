"""The answer extension point at the HTTP edge: when an answer hook is active, each JSON
answer of the POQ and hub routes is parsed into a ``core.hooks.Answer``, handed to the hooks
in order, and serialized again. With no hook active answers pass untouched, unparsed."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request

from mock_seller.api.current import current_request
from mock_seller.core.hooks import Answer, Hooks
from schemas.dialect import APIS

# view function -> operation name the hooks see
_OPS = {"create": "create", "retrieve": "retrieve", "list_poqs": "list", "register": "register",
        "read": "hub_get", "unregister": "unregister"}


def install(app: Flask, hooks: Hooks, engine: Any) -> None:
    """Run ``hooks.answer`` on the answers of ``app`` (hooks may be added later)."""

    @app.before_request
    def _keep_body() -> None:
        """Keep a POST body for the hooks that judge the request (the mock itself reads it
        uncached), within the scenario's body cap."""
        req = current_request()
        if req.method != "POST":
            return
        for hook in hooks.answer:  # a loop: any() of a generator costs two more calls
            if hook.active():
                break
        else:
            return
        size = req.content_length
        if size is not None and size <= engine.scenario.limits.max_body_bytes:
            req.get_data(cache=True)

    @app.after_request
    def _answer_hooks(response: Response) -> Response:
        active = [hook for hook in hooks.answer if hook.active()]
        return _apply(active, engine, response) if active else response


def _apply(active: list[Any], engine: Any, response: Response) -> Response:
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    op = _OPS.get(endpoint)
    api = (request.view_args or {}).get("api")
    if op is None or api not in APIS:
        return response
    body: Any = None
    if response.mimetype == "application/json" or (response.mimetype or "").endswith("+json"):
        try:
            body = json.loads(response.get_data())
        except ValueError:
            return response
    answer = Answer(op, api, response.status_code, body, dict(request.args.items()), engine,
                    request_body=request.get_data(cache=True) if request.method == "POST"
                    else None)
    for hook in active:
        hook.apply(answer)
    if answer.status == 204:  # No Content: whatever body the original answer had goes
        answer.body = None
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
    if answer.body is not None:
        response.set_data(json.dumps(answer.body).encode())
        if response.mimetype != "application/json":
            response.mimetype = "application/json"
    response.status_code = answer.status
    for key, value in answer.headers.items():
        if value is None:
            response.headers.pop(key, None)
        else:
            response.headers[key] = value
    return response


__all__ = ["install"]
