"""Which buyer (and seller) a request acts for, and the ``buyerId`` / ``sellerId`` rules.

MEF 87 (v7 guide section 5.1.3, R2-R6) and Mplify 87.1 (v8 guide section 5.4, R5-R6): a
requesting entity that represents several buyers MUST send ``buyerId``; a responding entity
that represents several sellers to this buyer needs ``sellerId``. The guides name no status
for a violation, so this seller answers (documented in docs/sandbox.md):

* ``buyerId`` / ``sellerId`` missing where required: 400 ``missingQueryParameter`` (the
  Error400 code for exactly this), empty: 400 ``missingQueryValue``, repeated: 400
  ``invalidQuery``;
* ``buyerId`` naming a buyer the entity does not represent: 403 ``forbiddenRequester``;
  ``sellerId`` naming a seller not represented to this entity: 403 ``accessDenied``. Both
  answer the same for unknown and for other entities' parties, so nothing leaks;
* an entity with one buyer (or one seller) may repeat it in ``buyerId`` (``sellerId``): the
  v7 guide says it MUST NOT, but that is the buyer's duty (the buyer report flags it), and
  refusing it would only break clients for no protection.

Records and subscriptions belong to an owner ``(buyer, seller)``; another owner's POQ or
subscription is 404, never 403, so its existence does not leak. Without ``auth`` in the
scenario there is one anonymous owner and nothing here applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from flask.ctx import _AppCtxGlobals

from mock_seller.api.current import current_g
from mock_seller.api.errors import ApiError, error

Owner = tuple["str | None", "str | None"]


@dataclass(frozen=True, slots=True)
class Party:
    """The buyer and seller of one request, and the ids the request named (these go back on
    the notifications of a subscription it registers)."""

    buyer: str | None
    seller: str | None
    buyer_id: str | None = None  # as sent in the query
    seller_id: str | None = None

    @property
    def owner(self) -> Owner:
        return (self.buyer, self.seller)

    @property
    def named(self) -> tuple[tuple[str, str], ...]:
        out = []
        if self.buyer_id is not None:
            out.append(("buyerId", self.buyer_id))
        if self.seller_id is not None:
            out.append(("sellerId", self.seller_id))
        return tuple(out)


def _single(args: Any, key: str) -> str | None:
    values = args.getlist(key) if hasattr(args, "getlist") else (
        [args[key]] if key in args else [])
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, error("invalidQuery", f"Query parameter {key!r} given more than once"))
    if not values[0].strip():
        raise ApiError(400, error("missingQueryValue", f"Query parameter {key} has no value"))
    return str(values[0])


def _choose(options: tuple[str, ...], given: str | None, key: str, what: str,
            forbidden_code: str) -> str | None:
    if given is None:
        if len(options) > 1:
            raise ApiError(400, error(
                "missingQueryParameter", f"{key} is required",
                f"These credentials represent several {what}s: name one with ?{key}="))
        return options[0] if options else None
    if given not in options:
        raise ApiError(403, error(forbidden_code, f"{key} {given!r} is not a {what} these "
                                  "credentials may act for"))
    return given


def resolve_party(entity: Any, args: Any) -> Party:
    """The party of a request by ``entity`` (mock_seller.sandbox.auth.Entity) with query ``args``;
    raises ApiError (400/403) when buyerId/sellerId break the rules above."""
    buyer_id = _single(args, "buyerId")
    seller_id = _single(args, "sellerId")
    buyer = _choose(tuple(entity.buyers), buyer_id, "buyerId", "buyer", "forbiddenRequester")
    seller = _choose(tuple(entity.sellers), seller_id, "sellerId", "seller", "accessDenied")
    return Party(buyer, seller, buyer_id, seller_id)


def current_party(request_g: _AppCtxGlobals | None = None) -> Party | None:
    """The party of the request being served; None when auth is off (one anonymous buyer).
    ``request_g``: the request's ``g``, when the caller holds it already."""
    if request_g is None:
        if not has_request_context():
            return None
        request_g = current_g()
    return vars(request_g).get("poq_party")  # g.get without its Python-level call


def current_buyer(request_g: _AppCtxGlobals | None = None) -> str | None:
    """The buyer the request acts for (None when auth is off or outside a request)."""
    party = current_party(request_g)
    return None if party is None else party.buyer


def current_owner() -> Owner | None:
    """Owner filter for the engine and notifier: None = no filtering (auth off)."""
    party = current_party()
    return None if party is None else party.owner


__all__ = ["Owner", "Party", "current_buyer", "current_owner", "current_party", "resolve_party"]
