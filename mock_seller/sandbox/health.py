"""``GET /health``: liveness and readiness for a load balancer, without a token (unlike
``/_mock/health``). 200 ``{"status": "ok"}`` when this process can reach its store, else 503
``{"status": "unavailable"}``: take the process out of rotation until the database is back.
Nothing else is said (no counts, no store address), and the request log does not keep it."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app

from mock_seller.api.errors import json_response

PATH = "/health"
log = logging.getLogger(__name__)
health_bp = Blueprint("mock_health", __name__)


@health_bp.get(PATH)
def health() -> Response:
    store = current_app.extensions["poq_mock"].store
    db = getattr(store, "db", None)
    try:
        if db is not None:
            db.query("SELECT 1")
    except Exception as exc:  # the store's own error type varies by driver
        log.warning("health: the store does not answer: %s", type(exc).__name__)
        return json_response({"status": "unavailable"}, 503)
    return json_response({"status": "ok"})


def install(app: Flask) -> None:
    app.register_blueprint(health_bp)


__all__ = ["PATH", "install"]
