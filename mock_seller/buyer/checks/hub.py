"""Register for POQ notifications: R7. The API expresses the Action by the method (POST
/hub starts, DELETE /hub/{id} stops), so R7 asks for a callback on POST and the
subscription id on DELETE; ``query`` (the notification types) is optional."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mock_seller.buyer.checks.findings import Finding, failed, is_text, passed


def check_register(body: Any) -> list[Finding]:
    """POST /hub: the Return Address Information (callback) must be given."""
    callback = body.get("callback") if isinstance(body, dict) else None
    if not isinstance(callback, str) or not is_text(callback):
        return [failed("R7", "/callback", "callback (where to send notifications) is "
                       "required to start notifications", "missingProperty", blocking=True)]
    try:
        parts = urlsplit(callback)
    except ValueError:  # e.g. "http://[": an unbalanced IPv6 bracket
        return [failed("R7", "/callback", "callback is not a valid URL", blocking=True)]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [failed("R7", "/callback", "callback must be an absolute http(s) URL",
                       blocking=True)]
    return [passed("R7", "/callback", "START names its callback")]


def check_unregister(sub_id: str | None) -> list[Finding]:
    """DELETE /hub/{id}: stopping names the subscription."""
    if not is_text(sub_id):
        return [failed("R7", "/id", "stopping notifications names the subscription id "
                       "(DELETE /hub/{id})", "missingProperty", blocking=True)]
    return [passed("R7", "/id", "STOP names the subscription")]
