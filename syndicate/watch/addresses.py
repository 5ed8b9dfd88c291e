"""Which network addresses a remote source may be fetched from (pure: no I/O).

A planet polls feeds that other people control, and republishes what it reads. A feed that
redirects (or whose name resolves) to an address inside the network the daemon runs in, such as
the loopback interface, a private network or a cloud's metadata service, would have the daemon
fetch and publish what only it can reach. So by default a source may be fetched only from public
addresses, and from its own host: the address its configured url names (`127.0.0.1`,
`10.0.0.5`, `[::1]`), or what `localhost` resolves to on the loopback interface, whatever kind
it is. A redirect reaches another non-public address only if it is that same host again (same
name, or same address), so a source on 127.0.0.1 cannot send the daemon to 127.0.0.2 or to
0.0.0.0. `intranet = true` lets a source reach a private network's addresses (loopback, private,
link-local and shared). A cloud's metadata service is never reached. A host name in the url is
not trusted for what it resolves to: its owner may point it anywhere, so a named source on a
private network needs `intranet = true`. The connection is made only to addresses that were
checked (watch/transport.py).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Collection, Iterable, Sequence
from urllib.parse import urlsplit

import msgspec

from syndicate.errors import AddressRefusedError

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
    address = unwrap(address)
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


def unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv6 one (mapped, NAT64, 6to4), or `address` itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


class AddressPolicy(msgspec.Struct, frozen=True):
    """Where one source may be fetched from: public addresses, its own host's, and with
    `intranet` a private network's; never a metadata service."""

    own_host: str | None = None  # the url's host when it names a trusted address (see module)
    intranet: bool = False

    @classmethod
    def for_source(cls, url: str, *, intranet: bool = False) -> AddressPolicy:
        """The policy of a source whose configured url is `url`."""
        host = host_of(url)
        trusted = _literal(host) is not None or _is_local_name(host)
        return cls(own_host=host if trusted else None, intranet=intranet)

    def own_addresses(self, resolved: Iterable[IPAddress] = ()) -> frozenset[IPAddress]:
        """The addresses of the source's own host. `resolved` is what `own_host` resolves to
        when it is a name (`localhost`): only its loopback addresses count."""
        if self.own_host is None:
            return frozenset()
        literal = _literal(self.own_host)
        if literal is not None:
            return frozenset({unwrap(literal)})
        return frozenset(unwrap(a) for a in resolved if kind_of(a) is AddressKind.LOOPBACK)

    def allowed(
        self, host: str, addresses: Sequence[IPAddress], own: Collection[IPAddress] = ()
    ) -> list[IPAddress]:
        """Those of `addresses` (what `host` resolves to) a connection may go to, in their
        order; `own` is own_addresses(). AddressRefusedError, naming the first refused
        address, when there are none."""
        permitted = [a for a in addresses if self._permits(a, own)]
        if not permitted and addresses:
            refused = addresses[0]
            raise AddressRefusedError(host, refused, kind_of(refused))
        return permitted

    def _permits(self, address: IPAddress, own: Collection[IPAddress]) -> bool:
        kind = kind_of(address)
        if kind is AddressKind.METADATA:
            return False
        if kind is AddressKind.PUBLIC or unwrap(address) in own:
            return True
        return self.intranet and kind in INTRANET


def host_of(url: str) -> str:
    """The host of `url` as the policy compares hosts (see normal_host)."""
    return normal_host(urlsplit(url).hostname or "")


def normal_host(host: str) -> str:
    """`host` as the policy compares hosts: lower case, no brackets, no trailing dot."""
    return host.strip("[]").rstrip(".").lower()


def _is_local_name(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(".localhost")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
