"""Optional authentication of the mock seller (scenario key ``auth``, off by default).

Requesting entities (the Buyer's systems, MEF 87 / Mplify 87.1 section 5.4) are listed in the
scenario with the buyers they represent, their static bearer tokens and, optionally, an
OAuth 2.0 client secret. Every API request then needs ``Authorization: Bearer <token>``:
none is 401 ``missingCredentials``, a wrong or expired one 401 ``invalidCredentials`` (both
with ``WWW-Authenticate``, RFC 6750). ``POST /_auth/token`` issues tokens with the client
credentials grant (RFC 6749 section 4.4) for clients that expect MEF 128-style flows.

Which buyer (and seller) a request acts for is decided by ``mock_seller.sandbox.tenancy``.
"""

from __future__ import annotations

import heapq
import hmac
import secrets
import threading
import time
from base64 import b64decode
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, Flask, Response, current_app, g, request

from mock_seller.api.current import current_flask, current_request
from mock_seller.api.errors import error, json_response
from mock_seller.core.context import engine_of
from mock_seller.exceptions import ScenarioError
from mock_seller.sandbox.tenancy import resolve_party

DEFAULT_REALM = "poq-mock-seller"
DEFAULT_TOKEN_LIFETIME = 3600.0
MAX_LIVE_TOKENS = 100_000  # issued OAuth tokens alive at once (TokenIssuer)
TOKEN_PATH = "/_auth/token"
_ISSUER = "poq_mock_tokens"


@dataclass(frozen=True, slots=True)
class Entity:
    """One requesting entity: the buyers it represents, the sellers it deals with."""

    id: str
    buyers: tuple[str, ...]
    sellers: tuple[str, ...]  # empty: the responding entity represents a single seller
    tokens: frozenset[str]
    client_secret: str | None
    scopes: frozenset[str] | None  # None: any scope may be requested


@dataclass(frozen=True, slots=True)
class AuthSettings:
    enabled: bool
    realm: str
    token_lifetime: float
    entities: dict[str, Entity]
    by_token: dict[str, str]  # static token -> entity id

    def entity(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id)


def parse_auth(raw: dict[str, Any] | None, label: str = "<dict>") -> AuthSettings | None:
    """The (schema-valid) ``auth`` key of a scenario; ScenarioError on a bad reference."""
    if not raw:
        return None
    def fail(where: str, message: str) -> ScenarioError:
        return ScenarioError(f"scenario {label}: key /auth{where}: {message}")

    sellers = tuple(raw.get("sellers", ()))
    entities: dict[str, Entity] = {}
    by_token: dict[str, str] = {}
    for i, e in enumerate(raw.get("entities", ())):
        if e["id"] in entities:
            raise fail(f"/entities/{i}/id", f"duplicate entity id {e['id']!r}")
        own_sellers = tuple(e.get("sellers", sellers))
        for s in own_sellers:
            if sellers and s not in sellers:
                raise fail(f"/entities/{i}/sellers", f"{s!r} is not in /auth/sellers")
        for token in e.get("tokens", ()):
            if token in by_token:
                raise fail(f"/entities/{i}/tokens", "a token may belong to one entity only")
            by_token[token] = e["id"]
        scopes = e.get("scopes")
        entities[e["id"]] = Entity(e["id"], tuple(e["buyers"]), own_sellers,
                                   frozenset(e.get("tokens", ())), e.get("client_secret"),
                                   None if scopes is None else frozenset(scopes))
    enabled = bool(raw.get("enabled", True))
    if enabled and not entities:
        raise fail("/entities", "auth is enabled but no entity can authenticate")
    return AuthSettings(enabled, str(raw.get("realm", DEFAULT_REALM)),
                        float(raw.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)),
                        entities, by_token)


def settings() -> AuthSettings | None:
    """Auth settings of the current scenario, None when auth is off."""
    auth = getattr(engine_of(current_flask()).scenario, "auth", None)
    return auth if auth is not None and auth.enabled else None


# -- issued tokens --------------------------------------------------------------------------
class TokenIssuer:
    """OAuth2 access tokens issued by ``/_auth/token``: token -> (entity id, expiry).

    Expired tokens are purged as new ones are minted, oldest expiry first from a heap: a mint
    costs O(log n), never a pass over every token. At most ``max_tokens`` live at once (the
    ones closest to expiry make room), so minting in a loop cannot grow memory."""

    def __init__(self, max_tokens: int = MAX_LIVE_TOKENS) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._expiries: list[tuple[float, str]] = []  # heap of (expiry, token)
        self._lock = threading.Lock()
        self.max_tokens = max_tokens

    def issue(self, entity_id: str, lifetime: float) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            self._tokens[token] = (entity_id, now + lifetime)
            heapq.heappush(self._expiries, (now + lifetime, token))
        return token

    def _purge(self, now: float) -> None:
        heap = self._expiries
        while heap and (heap[0][0] <= now or len(self._tokens) >= self.max_tokens):
            _, token = heapq.heappop(heap)
            self._tokens.pop(token, None)

    def entity_of(self, token: str) -> str | None:
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)


def issuer_of(app: Flask) -> TokenIssuer:
    return app.extensions[_ISSUER]  # type: ignore[no-any-return]


def authenticate(auth: AuthSettings, header: str | None) -> tuple[Entity | None, str | None]:
    """(entity, None) for valid credentials, else (None, Error401 code)."""
    if not header or not header.strip():
        return None, "missingCredentials"
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, "invalidCredentials"
    entity_id = _static_entity(auth, token) or issuer_of(current_app).entity_of(token)
    entity = auth.entity(entity_id) if entity_id else None  # gone after a scenario switch
    return (entity, None) if entity is not None else (None, "invalidCredentials")


def _static_entity(auth: AuthSettings, token: str) -> str | None:
    for known, entity_id in auth.by_token.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return entity_id
    return None


def unauthorized(auth: AuthSettings, code: str) -> Response:
    """401 Error401 with the RFC 6750 challenge."""
    reason = {"missingCredentials": "No credentials provided: send Authorization: Bearer",
              "invalidCredentials": "The credentials are invalid or expired"}[code]
    challenge = f'Bearer realm="{auth.realm}"'
    if code == "invalidCredentials":
        challenge += ', error="invalid_token"'
    return json_response(error(code, reason), 401, {"WWW-Authenticate": challenge})


def _guard_api() -> Response | None:
    """before_request on the POQ and hub blueprints: authenticate, then resolve the party."""
    blueprint = current_request().blueprint
    if not blueprint or not blueprint.startswith(("poq_", "hub_")):
        return None
    auth = settings()
    if auth is None:
        return None
    entity, problem = authenticate(auth, request.headers.get("Authorization"))
    if entity is None:
        return unauthorized(auth, problem or "invalidCredentials")

    g.poq_entity = entity
    g.poq_party = resolve_party(entity, request.args)  # raises ApiError 400/403
    return None


# -- OAuth 2.0 token endpoint ---------------------------------------------------------------
auth_bp = Blueprint("mock_auth", __name__)

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(code: str, description: str, status: int = 400,
                 basic_challenge: str | None = None) -> Response:
    headers = dict(_NO_STORE)
    if basic_challenge:
        headers["WWW-Authenticate"] = f'Basic realm="{basic_challenge}"'
    return json_response({"error": code, "error_description": description}, status, headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 2.3.1: form-encoded


@auth_bp.post("/token")
def token() -> Response:
    auth = settings()
    if auth is None:
        return json_response(error("notFound", "No resource at this path"), 404)
    if (request.mimetype or "").lower() != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request",
                            "Send the parameters as application/x-www-form-urlencoded")
    form = request.form
    for key in form:
        if len(form.getlist(key)) > 1:
            return _oauth_error("invalid_request", f"parameter {key} given more than once")
    header = request.headers.get("Authorization")
    basic = _basic_credentials(header) if header else None
    if header and basic is None:
        return _oauth_error("invalid_client", "Unsupported client authentication", 401,
                            auth.realm)
    if basic and ("client_secret" in form or "client_id" in form and form["client_id"]
                  != basic[0]):
        return _oauth_error("invalid_request", "Use one client authentication method only")
    if not basic and "client_id" not in form:
        return _oauth_error("invalid_client", "Client authentication is required", 401,
                            auth.realm)
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    entity = auth.entity(client_id)
    if (entity is None or entity.client_secret is None
            or not hmac.compare_digest(entity.client_secret.encode(), secret.encode())):
        return _oauth_error("invalid_client", "Unknown client or wrong secret", 401,
                            auth.realm)
    grant = form.get("grant_type")
    if not grant:
        return _oauth_error("invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error("unsupported_grant_type",
                            "Only the client_credentials grant is supported")
    scope = form.get("scope")
    if scope is not None and entity.scopes is not None:
        unknown = [s for s in scope.split() if s not in entity.scopes]
        if unknown:
            return _oauth_error("invalid_scope", f"scope not allowed: {' '.join(unknown)}")
    access = issuer_of(current_app).issue(entity.id, auth.token_lifetime)
    body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                            "expires_in": int(auth.token_lifetime)
                            if auth.token_lifetime.is_integer() else auth.token_lifetime}
    if scope:
        body["scope"] = scope
    return json_response(body, 200, _NO_STORE)


def install(app: Flask) -> None:
    """Register the token endpoint and the API guard (before the fault and log hooks)."""
    app.extensions[_ISSUER] = TokenIssuer()
    app.register_blueprint(auth_bp, url_prefix="/_auth")
    app.before_request(_guard_api)


__all__ = ["AuthSettings", "Entity", "TOKEN_PATH", "TokenIssuer", "auth_bp", "authenticate",
           "install", "issuer_of", "parse_auth", "settings", "unauthorized"]
