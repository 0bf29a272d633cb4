"""``/_mock/defects``: switch seeded defects on and off in a running mock seller.

The kit's own blueprint under ``/_mock``, behind the control API's guard (404 unless a
control token is configured, 401 without it; mock_seller/sandbox/control.py).

* ``GET /_mock/defects`` -> ``{"defects": [{"name", "breaks"}], "variants": [...],
  "known": [names]}``
* ``PUT /_mock/defects`` with ``{"defects": ["name", ...]}`` -> the same, after replacing
  the active set (``[]`` switches every defect off); 400 naming an unknown defect.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, request

from mock_seller.api.errors import error, json_response
from mock_seller.proving.registry import DefectError, defect_names
from mock_seller.proving.runtime import switch_of
from mock_seller.sandbox.control import URL_PREFIX, require_control

bp = Blueprint("mock_proving", __name__)
bp.before_request(require_control)


def _view() -> Response:
    body = switch_of(current_app).describe()
    body["known"] = defect_names()
    return json_response(body)


@bp.get("/defects")
def get_defects() -> Response:
    return _view()


@bp.put("/defects")
def put_defects() -> Response:
    try:
        body = json.loads(request.get_data(cache=False) or b"{}")
    except ValueError as exc:
        return json_response(error("invalidBody", f"the body is not valid JSON: {exc}"), 400)
    if not isinstance(body, dict) or not isinstance(body.get("defects"), list):
        return json_response(error("invalidBody",
                                   'expected {"defects": ["name", ...]}'), 400)
    try:
        switch_of(current_app).set(body["defects"])
    except DefectError as exc:
        return json_response(error("invalidBody", str(exc)), 400)
    return _view()


def install(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix=URL_PREFIX)


__all__ = ["bp", "install"]
