"""The one guard for requests to destinations a user supplies (chat channels, web push
endpoints, webhooks): no user may make the server reach inside its own network.

Rules (docs/outbound.md): a destination is refused when any address its host resolves to is
loopback, private (RFC 1918, RFC 4193), link-local (cloud metadata 169.254.169.254
included), shared (CGNAT 100.64/10), multicast, unspecified or reserved, also when an IPv6
address carries such an IPv4 address (mapped, compatible, 6to4, NAT64, Teredo) and for every
numeric spelling of one (`127.1`, `2130706433`, `0x7f000001`, `localhost.`). The instance's
owner may allow hosts, addresses or networks in `EXSTRAT_OUTBOUND_ALLOW`.

Two places use it:
- `check_destination` at add time, for a 422 that says why;
- `guarded_sends` at send time: inside it, every connection the thread opens through
  urllib3 (requests: Apprise, pywebpush) or `socket.create_connection` (smtplib: Apprise's
  mailto) resolves the host once, checks every address and connects to the checked one
  (no second lookup a rebinding DNS server could answer differently), no redirect is
  followed, and nothing connects after the send's deadline. Apprise and pywebpush call
  `requests.post` themselves, so the guard sits under them, at the connection, and only in
  the context that entered `guarded_sends`: the exchanges' own requests are untouched.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import requests.sessions
import urllib3.util.connection

from exstrat_app.i18n import N_

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 6761: `localhost` and every name under it is the machine itself, whatever DNS says.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# inet_aton's spellings of an IPv4 address: 1 to 4 parts, decimal, octal (0…) or hex (0x…).
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.I)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class OutboundRefused(ConnectionRefusedError):
    """The destination is inside (or unreadable); words only, safe to show to its owner.

    An OSError, so that requests and Apprise treat it like any failed connection; the
    guarded scope remembers it so the caller can tell a refusal from a failed delivery."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What the instance's owner allows besides the public internet."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> OutboundPolicy:
        """`EXSTRAT_OUTBOUND_ALLOW`: host names, addresses or CIDR networks, comma separated.
        Raises ValueError naming an entry that is none of them."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in text.split(","):
            entry = raw.strip().lower().rstrip(".").strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not re.fullmatch(r"[a-z0-9_.-]+", entry):
                    raise ValueError(
                        f"EXSTRAT_OUTBOUND_ALLOW: {raw.strip()!r} is not a host, "
                        "an address or a network"
                    ) from None
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, when it stands for one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if any(address in net for net in _NAT64) or int(address) >> 32 == 0:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # NAT64, IPv4-compatible
    return None


def refusal(address: IPAddress) -> str | None:
    """Why an address is inside, in words; None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and int(inner) != 0:
            return refusal(inner)
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, N_("an unspecified address")),
        (address.is_loopback, N_("a loopback address")),
        (address.is_link_local, N_("a link-local address")),
        (address.is_multicast, N_("a multicast address")),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, N_("a shared address")),
        (address.is_private, N_("a private network address")),
        (address.is_reserved, N_("a reserved address")),
        (not address.is_global, N_("an address that is not public")),
    )
    return next((words for hit, words in checks if hit), None)


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# Module level so a test can answer for DNS (a rebinding resolver): `outbound.resolve = …`.
resolve: Callable[[str, int], list[str]] = _system_resolve


def _literal(host: str) -> IPAddress | None:
    """An address written in the URL itself, in any spelling inet_aton accepts."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise OutboundRefused(N_("{host} is not a valid address", host=host)) from None
    return None


def _normalise(host: str) -> str:
    return (host or "").strip().lower().strip("[]").rstrip(".")


def check_destination(host: str, port: int, policy: OutboundPolicy) -> list[IPAddress]:
    """Every address `host` resolves to, each one checked; OutboundRefused otherwise."""
    name = _normalise(host)
    if not name:
        raise OutboundRefused(N_("the destination has no host"))
    literal = _literal(name)
    if literal is not None:
        addresses = [literal]
    else:
        if name not in policy.hosts and (name in _LOCAL_NAMES or name.endswith(".localhost")):
            raise OutboundRefused(N_("{host} is this machine", host=name))
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(name, port)]
        except (OSError, UnicodeError, ValueError):
            raise OutboundRefused(N_("{host} could not be resolved", host=name)) from None
        if not addresses:
            raise OutboundRefused(N_("{host} could not be resolved", host=name))
    if name in policy.hosts:
        return addresses
    for address in addresses:
        words = refusal(address)
        if words is not None and not policy.allows_address(address):
            raise OutboundRefused(N_("{host} points to {what}", host=name, what=words))
    return addresses


@dataclass
class _Scope:
    policy: OutboundPolicy
    deadline: float  # time.monotonic()
    refused: list[str] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


# A context variable, not a thread-local: a library that hands the send to a pool with the
# caller's context (Apprise's `submit_with_context`) stays guarded in the pool's thread.
_active: ContextVar[_Scope | None] = ContextVar("outbound_scope", default=None)


def _scope() -> _Scope | None:
    return _active.get()


@contextmanager
def guarded_sends(policy: OutboundPolicy, *, seconds: float) -> Iterator[_Scope]:
    """Every connection opened inside (this context) is checked; none opens after the
    deadline."""
    scope = _Scope(policy, time.monotonic() + seconds)
    token = _active.set(scope)
    try:
        yield scope
    finally:
        _active.reset(token)


def _connect(scope: _Scope, address: tuple[str, int], timeout: Any, options: Any) -> socket.socket:
    host, port = address[0], int(address[1])
    try:
        if scope.remaining() <= 0:
            raise OutboundRefused(N_("the send ran out of time"))
        checked = check_destination(host, port, scope.policy)
    except OutboundRefused as exc:
        scope.refused.append(exc.args[0] if exc.args else str(exc))  # a Msg: shown translated
        raise
    last: OSError | None = None
    for ip in checked:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in options or ():
                sock.setsockopt(*option)
            wait = scope.remaining()
            if isinstance(timeout, int | float):
                wait = min(wait, float(timeout))
            sock.settimeout(max(wait, 0.001))
            sock.connect((str(ip), port))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OutboundRefused(N_("{host} could not be reached", host=host))


_original_urllib3 = urllib3.util.connection.create_connection
_original_socket = socket.create_connection
_original_redirect_target = requests.sessions.SessionRedirectMixin.get_redirect_target


def _urllib3_connection(
    address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT, *args: Any, **kw: Any
) -> socket.socket:
    scope = _scope()
    if scope is None:
        return _original_urllib3(address, timeout, *args, **kw)
    return _connect(scope, address, timeout, kw.get("socket_options"))


def _socket_connection(
    address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT, *args: Any, **kw: Any
) -> socket.socket:
    scope = _scope()
    if scope is None:
        return _original_socket(address, timeout, *args, **kw)
    return _connect(scope, address, timeout, None)


def _redirect_target(self: Any, response: Any) -> str | None:
    # Inside a guarded send no redirect is followed: a 30x is the remote's final answer.
    if _scope() is not None:
        return None
    return _original_redirect_target(self, response)


def _install() -> None:
    """Put the guard under urllib3, the socket module and requests' redirects (idempotent)."""
    urllib3.util.connection.create_connection = _urllib3_connection  # type: ignore[assignment]
    socket.create_connection = _socket_connection  # type: ignore[assignment]
    requests.sessions.SessionRedirectMixin.get_redirect_target = _redirect_target  # type: ignore[method-assign]


_install()
