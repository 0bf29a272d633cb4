"""Authentication to the Seller: none, static bearer token, OAuth 2.0 client credentials
(token cached until shortly before expiry) and mutual TLS."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from harness import safejson
from harness.errors import ConfigError
from harness.evidence import Recorder
from harness.profile import AuthConfig
from harness.transport import Watchdog, read_capped

EXPIRY_MARGIN_S = 30.0
MAX_TOKEN_ANSWER_BYTES = 64 * 1024  # a token answer is a few hundred bytes


class AuthError(RuntimeError):
    """The Buyer could not obtain credentials (token endpoint down or refusing)."""


class TokenRedirect(ConfigError):
    """The token endpoint answered with a redirect: never followed, as following it would
    send the client credentials to whatever address the answer names."""


class Authenticator:
    """Applies the agreed authentication to a session and to each request."""

    def __init__(self, config: AuthConfig, recorder: Recorder, timeout_s: float) -> None:
        self.config = config
        self.recorder = recorder
        self.timeout_s = timeout_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        for secret in config.secrets:
            recorder.add_secret(secret)

    def configure(self, session: requests.Session) -> None:
        """Session-wide settings (client certificate and CA for mTLS)."""
        if self.config.type == "mtls":
            session.cert = (str(self.config.cert), str(self.config.key))
            if self.config.ca:
                session.verify = self.config.ca

    def headers(self, session: requests.Session, timeout_s: float | None = None
                ) -> dict[str, str]:
        """Per-request headers; may fetch an OAuth token within ``timeout_s`` (raises
        AuthError, or TokenRedirect when the token endpoint redirects)."""
        if self.config.type == "bearer" and self.config.token:
            return {"Authorization": f"Bearer {self.config.token}"}
        if self.config.type == "oauth2_client_credentials":
            return {"Authorization": f"Bearer {self._oauth_token(session, timeout_s)}"}
        return {}

    def invalidate(self) -> None:
        """Forget a cached token (the Seller answered 401)."""
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def _oauth_token(self, session: requests.Session, timeout_s: float | None) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            token, lifetime = self._fetch(session, timeout_s or self.timeout_s)
            self.recorder.add_secret(token)
            self._token = token
            self._expires_at = time.monotonic() + max(lifetime - EXPIRY_MARGIN_S, 1.0)
            return token

    def _fetch(self, session: requests.Session, timeout_s: float) -> tuple[str, float]:
        cfg = self.config
        url = str(cfg.token_url)
        data: dict[str, Any] = {"grant_type": "client_credentials"}
        if cfg.scope:
            data["scope"] = cfg.scope
        auth = None
        if cfg.client_auth == "body":
            data.update(client_id=cfg.client_id, client_secret=cfg.client_secret)
        else:
            auth = (str(cfg.client_id), str(cfg.client_secret))
        with Watchdog(timeout_s) as dog:
            try:
                resp = session.post(url, data=data, auth=auth, timeout=timeout_s, stream=True,
                                    allow_redirects=False)
            except requests.RequestException as exc:
                if dog.fired:
                    raise AuthError(f"token endpoint {url} gave no complete answer within "
                                    f"{timeout_s:g} s") from None
                raise AuthError(f"token endpoint {url} unreachable: {exc}") from None
            try:
                if 300 <= resp.status_code < 400:
                    target = str(resp.headers.get("Location") or "no Location")[:200]
                    raise TokenRedirect(
                        f"seller.auth.token_url: the token endpoint {url} answered HTTP "
                        f"{resp.status_code} redirecting to {target}; not followed, so the "
                        "client credentials went nowhere else: set token_url to the address "
                        "that issues the tokens")
                got = read_capped(resp, MAX_TOKEN_ANSWER_BYTES)
            finally:
                resp.close()
        if got.failure is not None or dog.fired:
            raise AuthError(f"token endpoint {url} answer incomplete within {timeout_s:g} s")
        if resp.status_code != 200:
            raise AuthError(f"token endpoint {url} answered HTTP {resp.status_code}")
        if got.over:
            raise AuthError(f"token endpoint {url} answered more than "
                            f"{MAX_TOKEN_ANSWER_BYTES} bytes; not read")
        try:
            payload = safejson.loads(got.data.decode("utf-8", errors="replace"))
            token = str(payload["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"token endpoint {url} sent no access_token") from None
        try:
            lifetime = float(payload.get("expires_in", 300))
        except (TypeError, ValueError):
            lifetime = 300.0
        return token, lifetime


__all__ = ["AuthError", "Authenticator", "TokenRedirect"]
