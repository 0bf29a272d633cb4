"""A small buyer client of the MEF LSO Sonata POQ API v8, as a buyer team would write it:
create (immediate or deferred), retrieve, list, register for notifications; 429/503 answers
are retried after their Retry-After. It knows nothing of the mock seller: its tests
(test_buyer_client.py) point it at the ``poq_seller`` fixture."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

RETRIED = (429, 503)
FINAL_STATES = ("done", "rejected", "terminatedWithError")


class SellerError(Exception):
    """The seller refused a request; ``errors`` is its MEF Error body."""

    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(f"seller answered HTTP {status}: {errors}")
        self.status = status
        self.errors = errors


class PoqClient:
    def __init__(self, base_url: str, *, buyer: dict[str, str], retries: int = 3,
                 sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.buyer = buyer
        self.retries = retries
        self.sleep = sleep
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(self.retries + 1):
            answer = self.session.request(method, self.base_url + path, timeout=10, **kwargs)
            if answer.status_code not in RETRIED or attempt == self.retries:
                break
            self.sleep(float(answer.headers.get("Retry-After", "1")))
        if answer.status_code >= 400:
            raise SellerError(answer.status_code, answer.json() if answer.content else None)
        return answer.json() if answer.content else None

    def qualify(self, offering: str, configuration: dict[str, Any], *, deferred: bool = False,
                answer_within: timedelta | None = timedelta(days=7),
                external_id: str | None = None) -> dict[str, Any]:
        """Ask whether ``offering`` in ``configuration`` (its ``@type`` names the product
        specification's schema) can be delivered; deferred asks say by when."""
        body: dict[str, Any] = {
            "instantSyncQualification": not deferred,
            "provideAlternative": False,
            "relatedContactInformation": [{"role": "buyerContactInformation", **self.buyer}],
            "productOfferingQualificationItem": [
                {"id": "1", "action": "add", "product": {"productOffering": {"id": offering},
                                                         "productConfiguration": configuration}}],
        }
        if external_id:
            body["externalId"] = external_id
        if deferred and answer_within is not None:
            when = datetime.now(timezone.utc) + answer_within
            body["requestedPOQCompletionDate"] = when.isoformat(timespec="milliseconds")
        return self._call("POST", "/productOfferingQualification", json=body)  # type: ignore[no-any-return]

    def get(self, poq_id: str) -> dict[str, Any]:
        return self._call("GET", f"/productOfferingQualification/{poq_id}")  # type: ignore[no-any-return]

    def find(self, **filters: str) -> list[dict[str, Any]]:
        return self._call("GET", "/productOfferingQualification", params=filters)  # type: ignore[no-any-return]

    def subscribe(self, callback: str) -> str:
        """Register ``callback`` for state changes; returns the subscription id."""
        hub = self._call("POST", "/hub", json={"callback": callback,
                                               "query": "eventType=poqStateChangeEvent"})
        return str(hub["id"])

    def unsubscribe(self, subscription: str) -> None:
        self._call("DELETE", f"/hub/{subscription}")
