"""plait.unix and plait.udp objects before any socket exists: constructor
checks, connector addresses, the address family rules (sans-IO: a
MemoryReactorClock, no sockets are made)."""

from __future__ import annotations

import socket

import pytest

from plait import error, udp, unix
from plait.address import UNIXAddress
from plait.protocol import ClientFactory, DatagramProtocol, Factory
from plait.testing import MemoryReactorClock


def test_connectorDestinationAndRepr() -> None:
    """unix.Connector (Twisted's argument order) reports the address given."""
    connector = unix.Connector("/run/a.sock", ClientFactory(), 30, MemoryReactorClock(), 0)
    assert connector.getDestination() == UNIXAddress("/run/a.sock")
    assert connector.state == "disconnected"
    assert repr(connector).startswith("<plait.unix.Connector instance at 0x")
    assert repr(connector).endswith(" disconnected UNIXAddress('/run/a.sock')>")


def test_connectorRefusesBadAddresses() -> None:
    """Not a path: TypeError; checkPID with an abstract name: ValueError."""
    with pytest.raises(TypeError, match="must be a path"):
        unix.Connector(("127.0.0.1", 80), ClientFactory(), 30, MemoryReactorClock(), 0)
    with pytest.raises(ValueError, match="abstract namespace"):
        unix.Connector("\0name", ClientFactory(), 30, MemoryReactorClock(), True)


def test_portBeforeListening() -> None:
    """A unix.Port keeps the path (bytes) and says it is not listening."""
    port = unix.Port("/run/b.sock", Factory(), reactor=MemoryReactorClock(), wantPID=True)
    assert port.port == b"/run/b.sock"
    assert port.addressFamily == socket.AF_UNIX
    assert repr(port) == "<plait.protocol.Factory (not listening)>"
    with pytest.raises(ValueError, match="abstract namespace"):
        unix.Port("\0name", Factory(), reactor=MemoryReactorClock(), wantPID=True)


@pytest.mark.parametrize(
    ("interface", "family"),
    [("", socket.AF_INET), ("0.0.0.0", socket.AF_INET), ("127.0.0.1", socket.AF_INET),
     ("::", socket.AF_INET6), ("::1", socket.AF_INET6)],
)
def test_udpFamilyFollowsTheInterface(interface: str, family: int) -> None:
    """The interface decides the family (Twisted's rule)."""
    port = udp.Port(0, DatagramProtocol(), interface, reactor=MemoryReactorClock())
    assert port.addressFamily == family
    assert port.logPrefix() == "DatagramProtocol (UDP)"
    assert not port.connected


def test_udpConstructorChecks() -> None:
    """A host name, a bad port, a bad size, a protocol class: errors at once."""
    reactor = MemoryReactorClock()
    with pytest.raises(error.InvalidAddressError, match="Resolve the name first"):
        udp.Port(0, DatagramProtocol(), "localhost", reactor=reactor)
    with pytest.raises(ValueError, match="port must be"):
        udp.Port(-1, DatagramProtocol(), reactor=reactor)
    with pytest.raises(ValueError, match="maxPacketSize"):
        udp.Port(0, DatagramProtocol(), maxPacketSize=-5, reactor=reactor)
    with pytest.raises(TypeError, match="not a datagram protocol"):
        udp.Port(0, DatagramProtocol, reactor=reactor)


def test_udpWriteBeforeListening() -> None:
    """A write or connect before startListening is a RuntimeError, not an AttributeError."""
    port = udp.Port(0, DatagramProtocol(), reactor=MemoryReactorClock())
    with pytest.raises(RuntimeError, match="not listening"):
        port.write(b"x", ("127.0.0.1", 9))
    with pytest.raises(RuntimeError, match="not listening"):
        port.connect("127.0.0.1", 9)
    assert port.stopListening() is None


def test_udpModuleExportsTwistedsNames() -> None:
    """twisted.internet.udp's errno names are there (programs import them)."""
    import errno

    assert (udp.EAGAIN, udp.ECONNREFUSED, udp.EINTR, udp.EMSGSIZE) == (
        errno.EAGAIN, errno.ECONNREFUSED, errno.EINTR, errno.EMSGSIZE)
