"""Which addresses a source may be fetched from, and the transport that holds it to that."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.config import SourceSettings
from syndicate.errors import AddressRefusedError
from syndicate.watch.addresses import AddressKind, AddressPolicy, IPAddress, kind_of, unwrap
from syndicate.watch.poll import SourceState, poll, source_client
from tests.feedserver import FeedServer, serving
from tests.watch.conftest import NOW

K = AddressKind


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", K.PUBLIC),
        ("2606:4700::1111", K.PUBLIC),
        ("127.0.0.1", K.LOOPBACK),
        ("127.9.9.9", K.LOOPBACK),
        ("::1", K.LOOPBACK),
        ("::ffff:127.0.0.1", K.LOOPBACK),  # IPv4 inside IPv6 counts as itself
        ("10.1.2.3", K.PRIVATE),
        ("172.16.0.1", K.PRIVATE),
        ("192.168.1.1", K.PRIVATE),
        ("fd12:3456::1", K.PRIVATE),
        ("::ffff:192.168.1.1", K.PRIVATE),
        ("64:ff9b::a01:203", K.PRIVATE),  # NAT64 of 10.1.2.3
        ("2002:a01:203::1", K.PRIVATE),  # 6to4 of 10.1.2.3
        ("169.254.1.1", K.LINK_LOCAL),
        ("fe80::1", K.LINK_LOCAL),
        ("100.64.0.1", K.SHARED),
        ("224.0.0.1", K.MULTICAST),
        ("ff02::1", K.MULTICAST),
        ("0.0.0.0", K.UNSPECIFIED),
        ("0.1.2.3", K.UNSPECIFIED),
        ("::", K.UNSPECIFIED),
        ("169.254.169.254", K.METADATA),
        ("fd00:ec2::254", K.METADATA),
        ("::ffff:169.254.169.254", K.METADATA),
        ("100.100.100.200", K.METADATA),
        ("240.0.0.1", K.RESERVED),
        ("255.255.255.255", K.RESERVED),
    ],
)
def test_kinds_of_address(address: str, kind: AddressKind) -> None:
    assert kind_of(ipaddress.ip_address(address)) is kind


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_in_any_ipv6_wrapping_is_the_same_kind(v4: ipaddress.IPv4Address) -> None:
    kind = kind_of(v4)
    assert kind_of(ipaddress.IPv6Address(f"::ffff:{v4}")) is kind
    assert kind_of(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(v4))) is kind


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


@given(st.ip_addresses())
def test_only_public_addresses_pass_by_default(address: IPAddress) -> None:
    policy = AddressPolicy.for_source("https://blog.example.org/feed.xml")
    if kind_of(address) is K.PUBLIC:
        assert policy.allowed("host", [address], policy.own_addresses()) == [address]
    else:
        with pytest.raises(AddressRefusedError):
            policy.allowed("host", [address], policy.own_addresses())


@given(st.ip_addresses(), st.ip_addresses(), st.booleans())
def test_a_source_reaches_public_addresses_its_own_and_with_intranet_a_private_networks(
    own: IPAddress, address: IPAddress, intranet: bool
) -> None:
    """Whatever a redirect names: public, the very address the url names, or (intranet) a
    private network's; a metadata service never, not even as the url's own address."""
    host = f"[{own}]" if own.version == 6 else str(own)
    policy = AddressPolicy.for_source(f"http://{host}:8000/feed.xml", intranet=intranet)
    kind = kind_of(address)
    expected = kind is not K.METADATA and (
        kind is K.PUBLIC
        or unwrap(address) == unwrap(own)
        or (intranet and kind in {K.LOOPBACK, K.PRIVATE, K.LINK_LOCAL, K.SHARED})
    )
    try:
        allowed = policy.allowed(str(address), [address], policy.own_addresses())
    except AddressRefusedError as refused:
        assert not expected and refused.address == address
    else:
        assert expected and allowed == [address]


def test_a_redirect_reaches_another_internal_address_only_on_the_sources_own_host() -> None:
    policy = AddressPolicy.for_source("http://127.0.0.1:8000/feed.xml")
    own = policy.own_addresses()
    assert own == {ip("127.0.0.1")}
    assert policy.allowed("127.0.0.1", [ip("127.0.0.1")], own) == [ip("127.0.0.1")]
    # localhost names the same address (and maybe ::1 too, which is not connected to)
    assert policy.allowed("localhost", [ip("::1"), ip("127.0.0.1")], own) == [ip("127.0.0.1")]
    for elsewhere in ("127.0.0.2", "0.0.0.0", "::1", "10.0.0.5", "169.254.169.254"):
        with pytest.raises(AddressRefusedError, match=re.escape(f"{elsewhere} (")):
            policy.allowed(elsewhere, [ip(elsewhere)], own)
    assert AddressPolicy.for_source("http://[::1]:8000/f").own_addresses() == {ip("::1")}
    private = AddressPolicy.for_source("http://10.0.0.5/f")
    assert private.allowed("10.0.0.5", [ip("10.0.0.5")], private.own_addresses())
    with pytest.raises(AddressRefusedError, match=r"10\.0\.0\.6 \(private address\)"):
        private.allowed("10.0.0.6", [ip("10.0.0.6")], private.own_addresses())
    metadata = AddressPolicy.for_source("http://169.254.169.254/latest/")
    with pytest.raises(AddressRefusedError, match="cloud metadata"):
        metadata.allowed("169.254.169.254", [ip("169.254.169.254")], metadata.own_addresses())


def test_localhost_is_its_loopback_addresses_and_other_names_are_not_trusted() -> None:
    local = AddressPolicy.for_source("http://localhost:8000/f")
    assert local.own_host == "localhost"
    assert local.own_addresses([ip("::1"), ip("127.0.0.1"), ip("10.0.0.5")]) == {
        ip("::1"),
        ip("127.0.0.1"),
    }
    # A name is its owner's to point anywhere: what it resolves to is checked like a redirect.
    named = AddressPolicy.for_source("http://planet.intranet.example/f")
    assert named.own_host is None and named.own_addresses([ip("10.0.0.5")]) == frozenset()
    with pytest.raises(AddressRefusedError, match=re.escape("planet.intranet.example = 10.0.0.5")):
        named.allowed("planet.intranet.example", [ip("10.0.0.5")])
    intranet = AddressPolicy.for_source("http://planet.intranet.example/f", intranet=True)
    for inside in ("10.0.0.5", "127.0.0.2", "169.254.1.1", "100.64.0.1", "fd12::1"):
        assert intranet.allowed("h", [ip(inside)]) == [ip(inside)]
    for never in ("169.254.169.254", "0.0.0.0", "224.0.0.1"):
        with pytest.raises(AddressRefusedError):
            intranet.allowed("h", [ip(never)])


def test_only_the_allowed_addresses_a_name_resolves_to_are_connected_to() -> None:
    policy = AddressPolicy.for_source("https://feeds.example/f")
    mixed = [ip("127.0.0.1"), ip("93.184.216.34")]
    assert policy.allowed("feeds.example", mixed) == [ip("93.184.216.34")]
    with pytest.raises(AddressRefusedError, match=r"127\.0\.0\.1 \(loopback address\)"):
        policy.allowed("feeds.example", [ip("127.0.0.1"), ip("10.0.0.1")])


@pytest.fixture
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    root = tmp_path_factory.mktemp("feeds")
    (root / "feed.xml").write_bytes(
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<id>urn:x</id><updated>2024-06-01T00:00:00Z</updated><entry><title>One</title>"
        b"<id>urn:1</id><updated>2024-06-01T00:00:00Z</updated>"
        b'<link href="https://x.example/1"/></entry></feed>'
    )
    with serving(root) as server:
        yield server


def test_the_connection_goes_to_the_address_checked_resolved_once(feeds: FeedServer) -> None:
    """A name that answers a checked address first and another one later (DNS rebinding)
    gets one resolution per connection, and the connection goes where the check said."""
    port = int(feeds.base.rsplit(":", 1)[1].strip("/"))
    answers = [[ipaddress.ip_address("127.0.0.1")], [ipaddress.ip_address("169.254.169.254")]]
    asked: list[str] = []

    def rebinding(host: str, _port: int) -> list[IPAddress]:
        asked.append(host)
        return answers[min(len(asked) - 1, 1)]

    source = SourceSettings(name="s", url=f"http://feeds.test:{port}/feed.xml", intranet=True)
    with source_client(source, resolver=rebinding) as client:
        outcome = poll(client, source, SourceState(), NOW)
    assert outcome.ok, outcome.error
    assert [p.post.title for p in outcome.posts] == ["One"]
    assert asked == ["feeds.test"]
    assert feeds.log[-1][2]["Host"] == f"feeds.test:{port}"  # the name, not the address


def test_a_refused_address_is_never_connected_to() -> None:
    def public_then_internal(host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    source = SourceSettings(name="s", url="http://feeds.example/feed.xml")
    with source_client(source, resolver=public_then_internal) as client:
        outcome = poll(client, source, SourceState(), NOW)
    assert not outcome.ok
    assert outcome.error is not None
    assert "refused to connect to feeds.example = 127.0.0.1 (loopback address)" in outcome.error
    with pytest.raises(httpx.UnsupportedProtocol), source_client(source) as client:
        client.get("ftp://127.0.0.1/feed.xml")
