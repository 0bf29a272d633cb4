"""Authentication to the Seller: none, static bearer token, OAuth 2.0 client credentials
(token cached until shortly before expiry) and mutual TLS."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from harness.evidence import Recorder
from harness.profile import AuthConfig

EXPIRY_MARGIN_S = 30.0


class AuthError(RuntimeError):
    """The Buyer could not obtain credentials (token endpoint down or refusing)."""


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

    def headers(self, session: requests.Session) -> dict[str, str]:
        """Per-request headers; may fetch an OAuth token (raises AuthError)."""
        if self.config.type == "bearer" and self.config.token:
            return {"Authorization": f"Bearer {self.config.token}"}
        if self.config.type == "oauth2_client_credentials":
            return {"Authorization": f"Bearer {self._oauth_token(session)}"}
        return {}

    def invalidate(self) -> None:
        """Forget a cached token (the Seller answered 401)."""
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def _oauth_token(self, session: requests.Session) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            token, lifetime = self._fetch(session)
            self.recorder.add_secret(token)
            self._token = token
            self._expires_at = time.monotonic() + max(lifetime - EXPIRY_MARGIN_S, 1.0)
            return token

    def _fetch(self, session: requests.Session) -> tuple[str, float]:
        cfg = self.config
        data: dict[str, Any] = {"grant_type": "client_credentials"}
        if cfg.scope:
            data["scope"] = cfg.scope
        auth = None
        if cfg.client_auth == "body":
            data.update(client_id=cfg.client_id, client_secret=cfg.client_secret)
        else:
            auth = (str(cfg.client_id), str(cfg.client_secret))
        try:
            resp = session.post(str(cfg.token_url), data=data, auth=auth, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise AuthError(f"token endpoint {cfg.token_url} unreachable: {exc}") from None
        if resp.status_code != 200:
            raise AuthError(f"token endpoint {cfg.token_url} answered HTTP {resp.status_code}")
        try:
            payload = resp.json()
            token = str(payload["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"token endpoint {cfg.token_url} sent no access_token") from None
        try:
            lifetime = float(payload.get("expires_in", 300))
        except (TypeError, ValueError):
            lifetime = 300.0
        return token, lifetime


__all__ = ["AuthError", "Authenticator"]
