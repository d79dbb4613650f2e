"""Tests for plait.address: reprs, value semantics and validation."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.address import HostnameAddress, IPv4Address, IPv6Address, UNIXAddress
from plait.interfaces import IAddress


def test_ipv4Repr() -> None:
    """IPv4Address prints exactly as Twisted's."""
    assert repr(IPv4Address("TCP", "127.0.0.1", 80)) == "IPv4Address(type='TCP', host='127.0.0.1', port=80)"
    assert str(IPv4Address("UDP", "127.0.0.1", 53)) == "IPv4Address(type='UDP', host='127.0.0.1', port=53)"


def test_ipv6Repr() -> None:
    """IPv6Address prints its flow info and scope ID, defaulting to 0."""
    assert repr(IPv6Address("TCP", "::1", 80)) == (
        "IPv6Address(type='TCP', host='::1', port=80, flowInfo=0, scopeID=0)"
    )
    address = IPv6Address("UDP", "::1", 80, 1, 2)
    assert (address.flowInfo, address.scopeID) == (1, 2)


def test_hostnameAddressRepr() -> None:
    """HostnameAddress keeps bytes hostnames and prints them as bytes."""
    address = HostnameAddress(b"localhost", 80)
    assert repr(address) == "HostnameAddress(hostname=b'localhost', port=80)"
    assert address.hostname == b"localhost"


@pytest.mark.parametrize("cls", [IPv4Address, IPv6Address])
def test_typeIsValidated(cls: Any) -> None:
    """Only 'TCP' and 'UDP' are accepted as type, with Twisted's message."""
    with pytest.raises(ValueError) as caught:
        cls("SCTP", "127.0.0.1", 80)
    assert str(caught.value) == "'type' must be in ['TCP', 'UDP'] (got 'SCTP')"


@pytest.mark.parametrize(
    ("make", "same", "other"),
    [
        (lambda: IPv4Address("TCP", "127.0.0.1", 80), lambda: IPv4Address("TCP", "127.0.0.1", 80),
         lambda: IPv4Address("TCP", "127.0.0.1", 81)),
        (lambda: IPv6Address("TCP", "::1", 80), lambda: IPv6Address("TCP", "::1", 80, 0, 0),
         lambda: IPv6Address("TCP", "::1", 80, 0, 1)),
        (lambda: HostnameAddress(b"localhost", 80), lambda: HostnameAddress(b"localhost", 80),
         lambda: HostnameAddress(b"localhost", 81)),
        (lambda: UNIXAddress("/nonexistent/a"), lambda: UNIXAddress(b"/nonexistent/a"),
         lambda: UNIXAddress("/nonexistent/b")),
    ],
    ids=["ipv4", "ipv6", "hostname", "unix"],
)
def test_valueEqualityAndHash(make: Any, same: Any, other: Any) -> None:
    """Addresses compare and hash by value."""
    assert make() == same()
    assert (make() != same()) is False
    assert hash(make()) == hash(same())
    assert make() != other()
    assert len({make(), same(), other()}) == 2


def test_differentClassesAreNotEqual() -> None:
    """An IPv4Address never equals an IPv6Address or another type."""
    ipv4: object = IPv4Address("TCP", "127.0.0.1", 80)
    assert ipv4 != IPv6Address("TCP", "127.0.0.1", 80)
    assert ipv4 != ("TCP", "127.0.0.1", 80)
    assert UNIXAddress("/nonexistent/a") != "/nonexistent/a"


def test_addressesAreOrderable() -> None:
    """Addresses of one class sort by their fields, as Twisted's attrs classes do."""
    low, high = IPv4Address("TCP", "127.0.0.1", 80), IPv4Address("TCP", "127.0.0.1", 81)
    assert low < high
    assert sorted([high, low]) == [low, high]


def test_addressesAreImmutable() -> None:
    """Assigning to an address field fails: they are values."""
    with pytest.raises(AttributeError):
        IPv4Address("TCP", "127.0.0.1", 80).port = 81  # type: ignore[misc]
    with pytest.raises(AttributeError):
        UNIXAddress("/nonexistent/a").name = b"/nonexistent/b"


@pytest.mark.parametrize(
    "address",
    [IPv4Address("TCP", "127.0.0.1", 80), IPv6Address("UDP", "::1", 53, 3, 4),
     HostnameAddress(b"localhost", 80), UNIXAddress("/nonexistent/a"), UNIXAddress(None)],
    ids=repr,
)
def test_addressesProvideIAddressAndPickle(address: Any) -> None:
    """Every address provides IAddress and survives pickling unchanged."""
    assert verifyObject(IAddress, address)
    assert pickle.loads(pickle.dumps(address)) == address


def test_unixNameIsStoredAsBytes() -> None:
    """A text or path-like UNIX name is stored as bytes; the repr shows text."""
    address = UNIXAddress("/tmp/sock")
    assert address.name == b"/tmp/sock"
    assert repr(address) == "UNIXAddress('/tmp/sock')"
    assert UNIXAddress(Path("/tmp/sock")).name == b"/tmp/sock"
    assert repr(UNIXAddress(b"/tmp/sock")) == "UNIXAddress('/tmp/sock')"


def test_unixUnnamed() -> None:
    """UNIXAddress(None) is the unnamed client-side address."""
    assert UNIXAddress(None).name is None
    assert repr(UNIXAddress(None)) == "UNIXAddress(None)"
    assert UNIXAddress(None) == UNIXAddress(None)
    assert UNIXAddress(None) != UNIXAddress("/nonexistent/a")
    assert hash(UNIXAddress(None)) == hash(UNIXAddress(None))


def test_unixUndecodableNameRoundTrips() -> None:
    """A non-UTF-8 byte name is kept intact (filesystem encoding, surrogateescape)."""
    address = UNIXAddress(b"/tmp/\xff")
    assert address.name == b"/tmp/\xff"
    assert UNIXAddress(os.fsdecode(b"/tmp/\xff")) == address


def test_unixRejectsOtherTypes() -> None:
    """A UNIX name that is not text, bytes, a path or None is a TypeError."""
    with pytest.raises(TypeError, match="UNIXAddress name"):
        UNIXAddress(42)  # type: ignore[arg-type]


def test_unixSameFileIsEqual(tmp_path: Path) -> None:
    """Two names of the same existing file are equal and hash alike."""
    target = tmp_path / "sock"
    target.write_bytes(b"")
    link = tmp_path / "link"
    os.link(target, link)
    assert UNIXAddress(str(target)) == UNIXAddress(str(link))
    assert hash(UNIXAddress(str(target))) == hash(UNIXAddress(str(link)))
    assert UNIXAddress(str(target)) != UNIXAddress(str(tmp_path / "missing"))


def test_everyOrderingComparisonWorksWithinOneClass() -> None:
    """<, <=, > and >= order addresses of one class by their fields."""
    low, high = IPv4Address("TCP", "127.0.0.1", 1), IPv4Address("TCP", "127.0.0.1", 2)
    assert low < high and low <= high and high > low and high >= low
    assert low <= IPv4Address("TCP", "127.0.0.1", 1) >= low
    assert not (high < low or high <= low or low > high or low >= high)


@pytest.mark.parametrize("op", ["__lt__", "__le__", "__gt__", "__ge__"])
def test_orderingAcrossClassesIsRefused(op: str) -> None:
    """Comparing an IPv4Address with an IPv6Address for order is a TypeError."""
    v4, v6 = IPv4Address("TCP", "127.0.0.1", 1), IPv6Address("TCP", "::1", 1)
    assert getattr(v4, op)(v6) is NotImplemented
    with pytest.raises(TypeError):
        {"__lt__": lambda: v4 < v6, "__le__": lambda: v4 <= v6,
         "__gt__": lambda: v4 > v6, "__ge__": lambda: v4 >= v6}[op]()


def test_attributesCannotBeDeleted() -> None:
    """del on an address field raises AttributeError naming the class."""
    address = IPv4Address("TCP", "127.0.0.1", 1)
    with pytest.raises(AttributeError, match="IPv4Address is immutable; cannot delete 'port'"):
        del address.port


def test_valueBaseDemandsValues() -> None:
    """The shared base class has no fields of its own: subclasses must say them."""
    from plait.address import _Value

    with pytest.raises(NotImplementedError):
        _Value()._values()


def test_unixAbstractNamespace() -> None:
    """A Linux abstract name (leading NUL) keeps its NUL, shows it in the repr,
    equals only the same name and hashes like it (no file to compare)."""
    address = UNIXAddress("\0plait-abstract")
    assert address.name == b"\0plait-abstract"
    assert repr(address) == "UNIXAddress('\\x00plait-abstract')"
    assert address == UNIXAddress(b"\0plait-abstract")
    assert hash(address) == hash(UNIXAddress(b"\0plait-abstract"))
    assert address != UNIXAddress("\0plait-other")
    assert address != UNIXAddress("/tmp")
    assert UNIXAddress("/tmp") != address
