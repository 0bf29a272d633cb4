"""MEF Error bodies and the app-wide handlers: every failure is JSON in the Error model of the
API (never an HTML page), and carries no success attributes (R41, R63, R69, R79, R86)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from mock_seller.api.location import SellerResponse
from mock_seller.core import wire_json

log = logging.getLogger(__name__)
JSON_TYPE = "application/json;charset=utf-8"


class ApiError(Exception):
    """Raised by views; rendered as the MEF error body it carries."""

    def __init__(self, status: int, body: dict[str, Any] | list[dict[str, Any]]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return SellerResponse(wire_json.dumps(body), status=status, content_type=JSON_TYPE,
                          headers=headers)


def error(code: str, reason: str, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "reason": reason[:255]}
    if message:
        body["message"] = message
    return body


def bad_request(code: str, reason: str, message: str | None = None) -> ApiError:
    return ApiError(400, error(code, reason, message))


def not_found(what: str) -> ApiError:
    return ApiError(404, error("notFound", f"{what} not found"))


def unprocessable(entries: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, entries)


def not_implemented(reason: str) -> ApiError:
    return ApiError(501, error("notImplemented", reason))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return json_response(exc.body, exc.status)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        allowed: list[str] = list(getattr(exc, "valid_methods", None) or [])
        if status == 404:
            body = error("notFound", "No resource at this path")
        elif status == 405:
            body = error("methodNotAllowed", "Method not allowed on this resource",
                         f"Allowed: {', '.join(allowed)}" if allowed else None)
        elif status == 413:  # mock_seller/api/limits.py: the body cap, answered as a MEF Error
            body = error("invalidBody", "The request body is larger than the limit",
                         "Send a smaller body (scenario key limits.max_body_bytes)")
        elif status < 500:
            status, body = 400, error("invalidBody", exc.description or "Bad request")
        else:
            status, body = 500, error("internalError", "Internal server error")
        headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else None
        return json_response(body, status, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error in the mock seller")
        return json_response(error("internalError", "Internal server error",
                                   type(exc).__name__), 500)
