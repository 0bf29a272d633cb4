"""Callback URL policy: the sandbox must not be turned into a proxy against internal hosts.

A buyer registers ``callback`` (POST /hub) and the mock then POSTs events to it, so a callback
is checked twice: when it is registered (400 with a MEF Error saying why) and again before every
delivery (DNS may have changed; a refused delivery is dropped). The policy:

- ``http`` or ``https`` only, an absolute URL with a host, no userinfo (``user@host``), no query
  or fragment (the listener paths are appended to the callback), at most 2,048 characters;
- a host name that the HTTP client could not connect to (empty or over-long labels such as
  ``a..b``, invalid IDNA) is refused at registration, not found out at delivery;
- addresses that are never a buyer's listener are refused: link-local (169.254.0.0/16 and
  fe80::/10, home of the cloud metadata services), the metadata addresses themselves,
  unspecified (0.0.0.0, ::), multicast, broadcast and reserved ranges; an IPv6 address that
  carries an IPv4 one (``::ffff:a.b.c.d``, ``::a.b.c.d``, ``::ffff:0:a.b.c.d``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is judged as that IPv4 address;
- loopback (127.0.0.0/8, ::1) is allowed by default for local development
  (``callbacks.allow_loopback: false`` refuses it);
- ``callbacks.allow`` (scenario) and ``--callback-allow`` (CLI) name the only hosts allowed:
  host names (``buyer.example``), suffixes (``*.buyer.example``), addresses or CIDRs
  (``10.1.0.0/16``). An address or CIDR listed there is allowed even if a rule above refuses it.
  With no list, every other host is allowed.

Host names are resolved and every address they resolve to must pass; a name that does not
resolve (yet) is accepted, as there is nothing to connect to. Redirects are not followed by the
notifier, so a listener cannot bounce a delivery elsewhere. A name that changes its answer
between our check and the connection (DNS rebinding) is the remaining gap: a deployment facing
untrusted buyers should list its buyers' hosts in the allow-list.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import urlsplit

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]  # noqa: UP007 (py3.10 alias)
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]  # noqa: UP007

MAX_URL_LENGTH = 2048

#: Well-known metadata services outside link-local (AWS IPv6, Alibaba Cloud).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200")
)
_DENIED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
              "255.255.255.255/32", "::/128", "fe80::/10", "ff00::/8")
)

Resolver = Callable[[str], list[str]]


class CallbackRefused(ValueError):
    """A callback URL the policy does not allow (the message says why)."""


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """Which callback URLs the mock will register and deliver to."""

    allow: tuple[str, ...] = ()
    allow_loopback: bool = True
    resolver: Resolver = field(default=_resolve, compare=False, repr=False)
    _names: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)
    _networks: tuple[IPNetwork, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        names, networks = parse_allow(self.allow)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_networks", networks)

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, extra_allow: Iterable[str] = ()
                    ) -> CallbackPolicy:
        """From the scenario key ``callbacks`` plus CLI ``--callback-allow`` entries."""
        raw = raw or {}
        allow = tuple(raw.get("allow", ())) + tuple(extra_allow)
        return cls(allow=allow, allow_loopback=bool(raw.get("allow_loopback", True)))

    def with_allow(self, extra: Iterable[str]) -> CallbackPolicy:
        return CallbackPolicy(self.allow + tuple(extra), self.allow_loopback, self.resolver)

    # -- checks ---------------------------------------------------------------------------
    def refusal(self, url: object) -> str | None:
        """Why ``url`` is refused, or None when it is allowed."""
        try:
            self.check(url)
        except CallbackRefused as exc:
            return str(exc)
        return None

    def check(self, url: object) -> None:
        """Raise CallbackRefused unless ``url`` is an allowed callback."""
        host = _host_of(url)
        if self._name_listed(host):
            return
        literal = _literal(host)
        if literal is not None:
            self._check_address(host, literal)
            return
        if self.allow and not self._networks:  # only names listed, and this is none of them
            raise _not_listed(host)
        try:
            addresses = self.resolver(host)
        except (OSError, UnicodeError):
            if self.allow:  # cannot be in a listed network
                raise _not_listed(host) from None
            return  # nothing to connect to yet; checked again before every delivery
        for raw in addresses:
            address = _literal(raw.split("%", 1)[0])
            if address is None:
                raise CallbackRefused(f"callback host {host!r} resolves to {raw!r}")
            self._check_address(host, address)

    def _name_listed(self, host: str) -> bool:
        for name in self._names:
            if name.startswith("*."):
                if host.endswith(name[1:]) and len(host) > len(name) - 1:
                    return True
            elif host == name:
                return True
        return False

    def _check_address(self, host: str, address: IPAddress) -> None:
        shown = host if host == str(address) else f"{host!r} ({address})"
        if any(address in net for net in self._networks if net.version == address.version):
            return
        if address.is_loopback:
            if self.allow_loopback:
                return
            raise CallbackRefused(f"callback host {shown} is a loopback address, which this "
                                  "seller refuses (callbacks.allow_loopback is false)")
        if address in METADATA_ADDRESSES or any(
            address in net for net in _DENIED_NETWORKS if net.version == address.version
        ):
            raise CallbackRefused(f"callback host {shown} is a link-local, metadata, multicast "
                                  "or reserved address, never a buyer's listener")
        if self.allow:
            raise _not_listed(shown)


def _not_listed(host: str) -> CallbackRefused:
    return CallbackRefused(f"callback host {host} is not in this seller's callback allow-list "
                           "(callbacks.allow / --callback-allow)")


def parse_allow(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[IPNetwork, ...]]:
    """Split allow-list entries into host names and networks; ValueError names a bad entry."""
    names: list[str] = []
    networks: list[IPNetwork] = []
    for entry in entries:
        text = str(entry).strip().lower()
        if not text:
            raise ValueError("empty callback allow-list entry")
        try:
            networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        label = text[2:] if text.startswith("*.") else text
        if not label or any(not part or not _label_ok(part) for part in label.split(".")):
            raise ValueError(f"callback allow-list entry {entry!r} is neither a host name, "
                             "a *.suffix, an IP address nor a CIDR")
        names.append(text)
    return tuple(names), tuple(networks)


def _label_ok(part: str) -> bool:
    return len(part) <= 63 and all(c.isascii() and (c.isalnum() or c in "-_") for c in part)


def _host_of(url: object) -> str:
    if not isinstance(url, str):
        raise CallbackRefused("callback must be a string")
    if len(url) > MAX_URL_LENGTH:
        raise CallbackRefused(f"callback is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise CallbackRefused("callback must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise CallbackRefused(f"callback is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise CallbackRefused("callback must be an absolute http(s) URL")
    if "@" in parts.netloc:
        raise CallbackRefused("callback must not carry credentials (user@host)")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise CallbackRefused("callback must not carry a query or fragment: the listener "
                              "paths are appended to it")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise CallbackRefused("callback must name a host")
    if "%" in host:
        raise CallbackRefused("callback host must not hold '%' (percent-escapes, IPv6 zone "
                              "indexes)")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise CallbackRefused("callback host is not a valid internationalised name") from None
    host = host.lower()
    if _literal(host) is None:
        _check_name(host)
    _check_deliverable(url)
    return host


def _check_name(host: str) -> None:
    """RFC 1123 host names (underscores tolerated), the IDNA form of every xn-- label: what
    the HTTP client refuses at delivery time is refused here, at registration."""
    if len(host) > 253:
        raise CallbackRefused("callback host name is longer than 253 characters")
    for label in host.split("."):
        if not label:
            raise CallbackRefused(f"callback host {host[:80]!r} has an empty label")
        if len(label) > 63:
            raise CallbackRefused(f"callback host label {label[:20]!r}... is longer than 63 "
                                  "characters")
        if not _label_ok(label) or label.startswith("-") or label.endswith("-"):
            raise CallbackRefused(f"callback host label {label[:63]!r} is not a valid host "
                                  "name label (letters, digits, inner hyphens)")
        if label.startswith("xn--"):
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                raise CallbackRefused(f"callback host label {label!r} is not valid "
                                      "IDNA") from None


def _check_deliverable(url: str) -> None:
    """The notifier's HTTP client must accept the URL (parsed the way it will be sent)."""
    import requests
    from urllib3.util import parse_url

    try:
        parse_url(requests.Request("POST", url).prepare().url or "")
    except Exception as exc:  # noqa: BLE001 - any parser complaint is a refusal
        raise CallbackRefused(f"callback is not a valid URL ({str(exc)[:120]})") from None


#: IPv6 forms that carry an IPv4 address (RFC 4291 compatible/mapped, RFC 2765 translated,
#: RFC 6052 NAT64, RFC 3056 6to4): judged as the IPv4 address they lead to.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def _literal(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return _embedded_ipv4(address) or address
    return address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in _TRANSLATED or any(address in net for net in _NAT64):
        return low32
    if address in _COMPATIBLE and int(address) > 1:  # not :: nor ::1
        return low32
    return None


__all__ = ["CallbackPolicy", "CallbackRefused", "METADATA_ADDRESSES", "parse_allow"]
