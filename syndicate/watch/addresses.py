"""Which network addresses a remote source may be fetched from (pure: no I/O).

A planet polls feeds that other people control, and republishes what it reads. A feed that
redirects (or whose name resolves) to an address inside the network the daemon runs in, such as
the loopback interface, a private network or a cloud's metadata service, would have the daemon
fetch and publish what only it can reach. So by default a source may be fetched only from public
addresses. Its own configured address widens that to its kind (a source configured as
`http://127.0.0.1:8000/feed.xml` may reach loopback addresses; one named `localhost` too), and
`intranet = true` lets a source on a private network be fetched (loopback, private, link-local
and shared addresses, never a metadata service). Every address a host name resolves to must be
allowed, and the connection is made to the address that was checked (watch/transport.py).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressKind(enum.StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link-local"
    SHARED = "shared (carrier-grade NAT)"
    MULTICAST = "multicast"
    UNSPECIFIED = "unspecified"
    METADATA = "cloud metadata"
    RESERVED = "reserved"


# The instance metadata services of the clouds (AWS, GCP, Azure, OpenStack: 169.254.169.254;
# AWS over IPv6; AWS ECS task metadata; Alibaba): they hand out credentials.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host": Linux connects it locally
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
INTRANET = frozenset(
    {AddressKind.LOOPBACK, AddressKind.PRIVATE, AddressKind.LINK_LOCAL, AddressKind.SHARED}
)
LOCAL_NAMES = ("localhost",)  # RFC 6761: always the loopback interface


def kind_of(address: IPAddress) -> AddressKind:
    """What kind of address `address` is; an IPv4 address inside IPv6 counts as itself."""
    address = _embedded(address)
    if address in METADATA:
        return AddressKind.METADATA
    if address.is_unspecified or (address.version == 4 and address in _THIS_NETWORK):
        return AddressKind.UNSPECIFIED
    if address.is_loopback:
        return AddressKind.LOOPBACK
    if address.is_link_local:
        return AddressKind.LINK_LOCAL
    if address.is_multicast:
        return AddressKind.MULTICAST
    if address.version == 4 and address in _SHARED:
        return AddressKind.SHARED
    if address.is_reserved:
        return AddressKind.RESERVED
    if address.is_private:
        return AddressKind.PRIVATE
    if not address.is_global:
        return AddressKind.RESERVED
    return AddressKind.PUBLIC


def _embedded(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


class AddressRefusedError(Exception):
    """A host whose address a source may not be fetched from. The message says which and
    how to allow it, for the source's status."""

    def __init__(self, host: str, address: IPAddress, kind: AddressKind) -> None:
        shown = host if host == str(address) else f"{host} = {address}"
        super().__init__(
            f"refused to connect to {shown} ({kind} address): a remote source may reach only "
            "public addresses, or those of its own url's kind (or, set `intranet = true`, a "
            "private network's)"
        )
        self.host = host
        self.address = address
        self.kind = kind


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The kinds of address one source may be fetched from."""

    allowed: frozenset[AddressKind] = frozenset({AddressKind.PUBLIC})

    @classmethod
    def for_source(cls, url: str, *, intranet: bool = False) -> AddressPolicy:
        """Public addresses; plus the kind of the source's own address when its URL names one
        (or `localhost`); plus the private network's kinds with `intranet`."""
        allowed = {AddressKind.PUBLIC}
        if intranet:
            allowed |= INTRANET
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        literal = _literal(host)
        if literal is not None:
            allowed.add(kind_of(literal))
        elif host in LOCAL_NAMES or host.endswith(".localhost"):
            allowed.add(AddressKind.LOOPBACK)
        return cls(frozenset(allowed))

    def check(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """AddressRefusedError unless every address `host` resolved to is allowed."""
        for address in addresses:
            kind = kind_of(address)
            if kind not in self.allowed:
                raise AddressRefusedError(host, address, kind)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
