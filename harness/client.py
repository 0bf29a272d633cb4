"""HTTP client for the Seller's POQ API, as the Buyer sees it.

Every call returns an :class:`~harness.evidence.Exchange` that is also recorded as
evidence; transport trouble (Seller down, timeouts, HTML error pages, huge or non-JSON
bodies) ends up in ``exchange.error`` instead of an exception, so a misbehaving Seller
fails checks rather than crashing the run. Connection failures are retried only before a
request reached the Seller: a POST is never sent twice.
"""

from __future__ import annotations

import json as jsonlib
import time
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from harness.auth import Authenticator, AuthError
from harness.deadline import RunGuard
from harness.errors import ConfigError
from harness.evidence import Exchange, Recorder, now_rfc3339, read_body
from harness.profile import Profile
from harness.transport import BoundedAdapter, Capped, Watchdog, read_capped

POQ = "productOfferingQualification"
HUB = "hub"
TIMEOUTS_IN_A_ROW = 3  # requests left unanswered one after another: the seller is not serving


class SellerClient:
    """A requests.Session bound to one Seller profile."""

    def __init__(
        self,
        profile: Profile,
        recorder: Recorder,
        session: requests.Session | None = None,
        guard: RunGuard | None = None,
    ) -> None:
        self.profile = profile
        self.guard = guard
        self._timeouts_in_a_row = 0
        self.recorder = recorder
        cfg = profile.seller
        self.base_url = cfg.base_url.rstrip("/")
        self.timeout_s = cfg.timeout_s
        self.max_body_bytes = cfg.max_body_bytes
        self.record_chars = cfg.record_body_chars
        self.session = session or requests.Session()
        retry = Retry(
            total=None,
            connect=cfg.connect_retries,
            read=0,
            status=0,
            other=0,
            redirect=0,
            backoff_factor=0.2,
            raise_on_status=False,
            allowed_methods=None,
        )
        adapter = BoundedAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = cfg.verify_tls
        self.session.headers.update({"Accept": "application/json"})
        self.auth = Authenticator(cfg.auth, recorder, cfg.timeout_s)
        self.auth.configure(self.session)

    # -- operations of the POQ API ---------------------------------------------------------
    def create_poq(self, body: Any, **kw: Any) -> Exchange:
        return self.request("POST", POQ, json_body=body, **kw)

    def get_poq(self, poq_id: str, **kw: Any) -> Exchange:
        return self.request("GET", f"{POQ}/{quote(str(poq_id), safe='')}", **kw)

    def list_poqs(self, params: dict[str, Any] | None = None, **kw: Any) -> Exchange:
        return self.request("GET", POQ, params=params, **kw)

    def register(self, callback: str, query: str | None = None, **kw: Any) -> Exchange:
        body: dict[str, Any] = {"callback": callback}
        if query is not None:
            body["query"] = query
        return self.request("POST", HUB, json_body=body, **kw)

    def get_hub(self, hub_id: str, **kw: Any) -> Exchange:
        return self.request("GET", f"{HUB}/{quote(str(hub_id), safe='')}", **kw)

    def unregister(self, hub_id: str, **kw: Any) -> Exchange:
        return self.request("DELETE", f"{HUB}/{quote(str(hub_id), safe='')}", **kw)

    def close(self) -> None:
        self.session.close()

    # -- the one place that talks HTTP ---------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: bytes | str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
        authenticate: bool = True,
        party_ids: bool = True,
    ) -> Exchange:
        """Send one request and record it; never raises for transport or body problems.

        ``timeout_s`` (default ``seller.timeout_s``) bounds the whole exchange, however
        slowly the Seller sends. A request that passes its bound is recorded (a judged
        finding); under a :class:`~harness.deadline.RunGuard`, ``TIMEOUTS_IN_A_ROW`` of
        them in a row, or any request past the run's deadline, then stop the run."""
        cfg = self.profile.seller
        query: dict[str, Any] = {}
        if party_ids and cfg.buyer_id:
            query["buyerId"] = cfg.buyer_id
        if party_ids and cfg.seller_id:
            query["sellerId"] = cfg.seller_id
        query.update(params or {})
        hdrs = dict(headers or {})
        data: bytes | None = None
        if raw_body is not None:
            data = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
            hdrs.setdefault("Content-Type", "application/json")
        elif json_body is not None:
            data = jsonlib.dumps(json_body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        timeout = timeout_s if timeout_s is not None else self.timeout_s
        by_run = False
        if self.guard is not None:
            if self.guard.expired():
                self.guard.past_deadline(f"a chance to send {method.upper()} {path or '/'}")
            timeout, by_run = self.guard.clamp(timeout)
        started = now_rfc3339()
        ex = Exchange(
            id=self.recorder.next_id("ex"),
            test=self.recorder.current_test,
            method=method.upper(),
            url=self.recorder.scrub(self.url(path)),
            started=started,
        )
        if json_body is not None and raw_body is None:
            ex.request_body = self.recorder.scrub(json_body)
        elif data is not None:
            ex.request_body = self.recorder.scrub(read_body(data, None, self.record_chars).recorded)
        t0 = time.monotonic()
        refused: ConfigError | None = None
        with Watchdog(timeout) as dog:
            try:
                if authenticate:
                    hdrs = {**self.auth.headers(self.session, timeout), **hdrs}
                req = requests.Request(method.upper(), self.url(path), params=query, data=data,
                                       headers=hdrs)
                prep = self.session.prepare_request(req)
                ex.url = self.recorder.scrub(str(prep.url))
                ex.request_headers = self.recorder.headers(prep.headers)
                settings = self.session.merge_environment_settings(
                    prep.url, {}, True, self.session.verify, self.session.cert
                )
                resp = self.session.send(prep, timeout=timeout, allow_redirects=False,
                                         **settings)
            except AuthError as exc:
                ex.error = f"authentication failed: {exc}"
            except ConfigError as exc:  # e.g. the token endpoint redirected us elsewhere
                ex.error = f"authentication failed: {exc}"
                refused = exc
            except requests.exceptions.ConnectTimeout:
                ex.error = f"seller unreachable: connect timeout after {timeout:g} s"
            except requests.exceptions.ReadTimeout:
                ex.error = f"timeout: no response within {timeout:g} s"
            except requests.exceptions.SSLError as exc:
                ex.error = _cut_short(dog, timeout) or f"TLS error: {_root(exc)}"
            except requests.exceptions.ConnectionError as exc:
                if _is_read_timeout(exc):
                    ex.error = f"timeout: no response within {timeout:g} s"
                elif dog.fired:
                    ex.error = _cut_short(dog, timeout)
                else:
                    root = _root(exc)
                    unreachable = root in ("connection refused", "host name not found")
                    kind = "seller unreachable" if unreachable else "connection error"
                    ex.error = f"{kind}: {root}"
            except requests.RequestException as exc:
                ex.error = _cut_short(dog, timeout) or f"request failed: {_root(exc)}"
            else:
                self._read_response(ex, resp, dog, timeout)
                if resp.status_code == 401 and authenticate:
                    self.auth.invalidate()
        ex.latency_ms = round((time.monotonic() - t0) * 1000, 3)
        self.recorder.add_exchange(ex)
        timed_out = (ex.error or "").startswith("timeout:")
        self._timeouts_in_a_row = self._timeouts_in_a_row + 1 if timed_out else 0
        if self.guard is not None and timed_out:
            if by_run:
                self.guard.past_deadline(f"the answer to {ex.method} {ex.url}")
            # One request left unanswered is the seller's finding (judged with its evidence);
            # a seller that answers none in a row is not serving: the run stops.
            if self._timeouts_in_a_row >= TIMEOUTS_IN_A_ROW:
                self.guard.stop(f"no complete answer to {ex.method} {ex.url} within "
                                f"{timeout:g} s (seller.timeout_s): {ex.error}")
        if refused is not None:
            if self.guard is not None:
                self.guard.stop(str(refused))
            raise refused
        return ex

    def _read_response(
        self, ex: Exchange, resp: requests.Response, dog: Watchdog, timeout: float
    ) -> None:
        ex.status = resp.status_code
        ex.response_headers = self.recorder.headers(resp.headers)
        limit = self.recorder.record_limit(self.record_chars)
        try:
            got = read_capped(resp, self.max_body_bytes)
        finally:
            resp.close()
        raw = got.data
        ctype = resp.headers.get("Content-Type")
        if got.over:
            ex.error = f"response body larger than {self.max_body_bytes} bytes; not read"
        elif got.failure is not None:
            ex.error = (f"timeout: body not complete within {timeout:g} s" if dog.fired
                        else f"response body incomplete: {_root(got.failure)}")
        if ex.error:
            text = raw[:limit].decode("utf-8", errors="replace")
            ex.response_body = self.recorder.scrub(text) + _stopped_marker(got, limit)
            ex.truncated = True
            ex.text = ex.response_body
            self.recorder.account(ex, len(raw), len(ex.response_body))
            return
        body = read_body(raw, ctype, limit)
        ex.response_body = self.recorder.scrub(body.recorded)
        ex.json, ex.text, ex.truncated = body.json, body.text, body.truncated
        if body.problem:
            ex.error = f"response body not parsed: {body.problem}"
        elif raw and not body.is_json:
            kind = "an HTML page" if "html" in (ctype or "").lower() else "not JSON"
            ex.error = f"response body is {kind} (Content-Type: {ctype or 'none'})"
        self.recorder.account(ex, len(raw), len(body.text or ""))


def _cut_short(dog: Watchdog, timeout: float) -> str | None:
    """The error of a request the watchdog ended (None when it did not fire)."""
    return f"timeout: no response within {timeout:g} s" if dog.fired else None


def _stopped_marker(got: Capped, kept: int) -> str:
    """Why a body's record ends early, with what is known of its size."""
    size = f"{got.declared} bytes declared" if got.declared is not None else (
        f"more than {got.size} bytes" if got.over else f"{got.size} bytes received")
    return f"...[truncated: reading stopped ({size}); {min(kept, got.size)} bytes kept]"


_KNOWN = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("Temporary failure in name resolution", "host name not found"),
    ("Connection reset", "connection reset by peer"),
    ("RemoteDisconnected", "connection closed without a response"),
    ("Connection aborted", "connection closed without a response"),
)


def _is_read_timeout(exc: BaseException) -> bool:
    """requests reports a read timeout under urllib3 retries as a ConnectionError."""
    inner = exc.args[0] if exc.args else None
    return isinstance(getattr(inner, "reason", None), ReadTimeoutError)


def _root(exc: BaseException) -> str:
    """A requests/urllib3 error in one short line."""
    text = str(exc)
    for needle, short in _KNOWN:
        if needle in text:
            return short
    return text.splitlines()[0][:300] if text else type(exc).__name__


__all__ = ["HUB", "POQ", "SellerClient"]
