"""Turn recorded checks into findings a vendor can act on: which profile ``test_data`` key
built the request, what the seller's Error body said, and no Python ``None`` in the text.
A failure that only a refused test-data fragment caused is a set-up finding, not a seller
failure: it becomes ``not_tested`` with the refusal as its reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from harness.evidence import Exchange
from harness.profile import TEST_DATA_PATHS, Profile
from schemas.results import Check
from schemas.run_verdict import TEST_DATA_REFUSED

ITEMS = "productOfferingQualificationItem"
# a "not tested" that says the POQ it needed was never made
_CREATE_FAILED = re.compile(r"could not be created|create (failed|did not succeed)",
                            re.IGNORECASE)
_NONE = re.compile(r"(?<!['\"\w])None(?!['\"\w])")


def seller_errors(body: Any) -> list[dict[str, str]]:
    """The MEF Error entries of a response body (one object, or a list for 422)."""
    entries = body if isinstance(body, list) else [body]
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or not any(k in entry for k in ("code", "reason")):
            continue
        out.append({k: str(entry[k]) for k in ("code", "reason", "propertyPath", "message")
                    if entry.get(k) not in (None, "")})
    return out


def describe_errors(errors: Iterable[Mapping[str, str]], limit: int = 3) -> str:
    """``code: reason at propertyPath``, several joined by ``; ``."""
    parts = []
    for err in list(errors)[:limit]:
        text = f"{err.get('code', '?')}: {err.get('reason') or err.get('message') or ''}".rstrip()
        if err.get("propertyPath"):
            text += f" at {err['propertyPath']}"
        parts.append(text)
    return "; ".join(_dedupe(parts))


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _contains(big: Any, small: Any) -> bool:
    """``small`` is part of ``big`` (dict keys recursively, lists item by item)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(
            k in big and _contains(big[k], v) for k, v in small.items())
    if isinstance(small, list):
        return (isinstance(big, list) and len(big) == len(small)
                and all(_contains(b, s) for b, s in zip(big, small, strict=True)))
    return bool(big == small)


def fragment_keys(request_body: Any, profile: Profile) -> list[str]:
    """The ``test_data`` keys whose fragments built the items of a create request."""
    items = request_body.get(ITEMS) if isinstance(request_body, dict) else None
    if not isinstance(items, list):
        return []
    keys = []
    for item in items:
        for key in TEST_DATA_PATHS:
            fragment = profile.test_data.fragment(key)
            if fragment and _contains(item, fragment):
                keys.append(key)
                break
    return _dedupe(keys)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def clean(message: str) -> str:
    """No Python ``None`` in a vendor's message: ``(HTTP 422, None)`` -> ``(HTTP 422)``."""
    text = re.sub(r",\s*None\)", ")", message)
    text = re.sub(r"\bHTTP None\b", "no HTTP response", text)
    return _NONE.sub("absent", text)


class Explainer:
    """Rewrites the checks of a run once it ended (see :meth:`apply`)."""

    def __init__(self, profile: Profile, exchanges: Iterable[Exchange],
                 refused: Mapping[str, str], trust_test_data: bool = False) -> None:
        self.profile = profile
        self.by_id = {e.id: e for e in exchanges}
        self.refused = dict(refused)  # key -> "HTTP 422 code: reason at path"
        self.trust = trust_test_data
        self._keys: dict[str, list[str]] = {}
        # suite module -> the refusal one of its requests met (module-scoped fixtures
        # create once and the other tests of the module skip or say "not tested")
        self.refused_modules: dict[str, str] = {}
        for ex in self.by_id.values():
            refusal = self._refusal_of(ex)
            if refusal is not None and ex.test:
                self.refused_modules.setdefault(_module(ex.test), refusal)

    def keys_of(self, ex: Exchange) -> list[str]:
        if ex.id not in self._keys:
            self._keys[ex.id] = fragment_keys(ex.request_body, self.profile)
        return self._keys[ex.id]

    def _refusal_of(self, ex: Exchange) -> str | None:
        """The refused fragment behind a refused request."""
        if ex.status is None or not 400 <= ex.status < 500 or not self.refused:
            return None
        for key in self.keys_of(ex):
            if key in self.refused:
                return f"test_data.{key}: {self.refused[key]}"
        return None

    def _refusal(self, check: Check) -> str | None:
        """The refusal a check rests on: through its evidence, or (a check without
        evidence) through a refused request of the same suite module."""
        for ref in check.evidence:
            ex = self.by_id.get(ref)
            refusal = self._refusal_of(ex) if ex is not None else None
            if refusal is not None:
                return refusal
        if (not check.evidence and check.status == "not_tested" and check.test
                and _CREATE_FAILED.search(check.message)):
            return self.refused_modules.get(_module(check.test))
        return None

    def hint(self, reason: str, test: str | None) -> str:
        """A skipped test's reason, naming the refused fragment its module met."""
        if TEST_DATA_REFUSED in reason:  # "test skipped: Skipped: test data refused: ..."
            return clean(reason[reason.index(TEST_DATA_REFUSED):])
        refusal = (self.refused_modules.get(_module(test))
                   if test and not self.trust and _CREATE_FAILED.search(reason) else None)
        if refusal is None:
            return clean(reason)
        return f"{TEST_DATA_REFUSED}: {refusal} ({clean(reason)})"

    def _context(self, check: Check) -> str:
        """`` [request from test_data.X; seller said: HTTP 422 code: reason at path]``."""
        notes: list[str] = []
        for ref in check.evidence:
            ex = self.by_id.get(ref)
            if ex is None:
                continue
            keys = self.keys_of(ex)
            if keys:
                notes.append("request from " + ", ".join(f"test_data.{k}" for k in keys))
            errors = seller_errors(ex.json if ex.json is not None else ex.response_body)
            if errors and not ex.ok:
                notes.append(f"seller said: HTTP {ex.status} {describe_errors(errors)}")
            elif ex.status is None and ex.error:
                notes.append(f"no HTTP response: {ex.error}")
        notes = [n for n in _dedupe(notes) if n not in check.message]
        return f" [{'; '.join(notes)}]" if notes else ""

    def apply(self, checks: Iterable[Check]) -> list[Check]:
        out = []
        for check in checks:
            message = check.message
            status = check.status
            if (status in ("fail", "not_tested") and not self.trust
                    and not message.startswith(TEST_DATA_REFUSED)):
                refusal = self._refusal(check)
                if refusal is not None:
                    was = f" (was: {clean(message)})" if message else ""
                    message, status = f"{TEST_DATA_REFUSED}: {refusal}{was}", "not_tested"
            if status == "fail":
                message = message + self._context(check)
            out.append(Check(check.requirement, check.test, status, clean(message),
                             list(check.evidence), check.time))
        return out


__all__ = ["Explainer", "clean", "describe_errors", "fragment_keys", "seller_errors"]
