"""Shared pieces of the auth / isolation tests: the default scenario with an ``auth`` key,
an authenticated request helper."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import requests
import yaml

TOKENS = {"alpha": "token-alpha-0001", "beta": "token-beta-0001", "broker": "token-broker-0001",
          "multi": "token-multi-0001"}
SECRETS = {"alpha": "alpha-secret-1", "broker": "broker-secret-1"}

AUTH: dict[str, Any] = {
    "realm": "poq-test",
    "entities": [
        {"id": "alpha", "buyers": ["BUYER-A"], "tokens": [TOKENS["alpha"]],
         "client_secret": SECRETS["alpha"], "scopes": ["poq", "poq:read"]},
        {"id": "beta", "buyers": ["BUYER-B"], "tokens": [TOKENS["beta"]]},
        {"id": "broker", "buyers": ["BUYER-A", "BUYER-C"], "tokens": [TOKENS["broker"]],
         "client_secret": SECRETS["broker"]},
    ],
}


def default_scenario() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def auth_scenario(**overrides: Any) -> dict[str, Any]:
    """The default scenario with bearer auth for alpha (BUYER-A), beta (BUYER-B) and a broker
    representing BUYER-A and BUYER-C; ``overrides`` replace keys of ``auth``."""
    data = default_scenario()
    data["name"] = "default-with-auth"
    data["auth"] = {**copy.deepcopy(AUTH), **overrides}
    return data


def call(method: str, url: str, who: str | None = None, token: str | None = None,
         **kwargs: Any) -> requests.Response:
    """A request as entity ``who`` (its static token) or with an explicit ``token``."""
    headers = dict(kwargs.pop("headers", {}) or {})
    bearer = token if token is not None else (TOKENS[who] if who else None)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)
