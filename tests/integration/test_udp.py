"""UDP on a real reactor: listenUDP over IPv4 and IPv6 loopback, connected
mode, ICMP refusals, bad input, the read batch, adoption and multicast.

Every port binds port 0 on 127.0.0.1 or ::1 (multicast: group 225.0.0.250
sent out of 127.0.0.1 with a time-to-live of 0, so nothing leaves the
host); every wait goes through ``runUntil``; the ``reactor`` fixture checks
that nothing is left registered.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error, udp
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred
from plait.interfaces import (
    IListeningPort,
    IMulticastTransport,
    IReactorMulticast,
    IReactorUDP,
    ISystemHandle,
    IUDPTransport,
)
from plait.protocol import DatagramProtocol
from plait.task import deferLater
from tests.helpers import runUntil

GROUP = "225.0.0.250"  # Twisted's own multicast tests use it; TTL 0 keeps it on this host


class Echo(DatagramProtocol):
    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


class Collect(DatagramProtocol):
    """Records ``(datagram, addr)``; ``waitFor(n)`` fires once n have arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []
        self.refused = 0
        self._waiting: list[tuple[int, Deferred[None]]] = []
        self.events: list[str] = []

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))
        self._check()

    def connectionRefused(self) -> None:
        self.refused += 1
        self._check()

    def waitFor(self, count: int, refusals: int = 0) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self._waiting.append((count, d))
        self._check(refusals)
        return d

    def _check(self, refusals: int = 0) -> None:
        for entry in list(self._waiting):
            count, d = entry
            if len(self.received) >= count and self.refused >= refusals:
                self._waiting.remove(entry)
                d.callback(None)


def stop(reactor: Any, *ports: Any) -> None:
    for port in ports:
        d = port.stopListening()
        if d is not None:
            runUntil(reactor, d)


def settle(reactor: Any, seconds: float = 0.05) -> None:
    runUntil(reactor, deferLater(reactor, seconds, lambda: None))


@pytest.mark.parametrize(("host", "family"), [("127.0.0.1", IPv4Address), ("::1", IPv6Address)])
def test_echo(reactor: Any, host: str, family: type, caplog: pytest.LogCaptureFixture) -> None:
    """Datagrams go out and come back; addresses are (host, port) pairs and
    getHost a UDP address of the interface's family; Twisted's log lines."""
    caplog.set_level(logging.INFO, logger="plait")
    server = reactor.listenUDP(0, Echo(), interface=host)
    client = Collect()
    port = reactor.listenUDP(0, client, interface=host)
    serverAddress = server.getHost()
    assert isinstance(serverAddress, family) and serverAddress.type == "UDP"
    assert serverAddress.host == host and serverAddress.port > 0
    port.write(b"one", (host, serverAddress.port))
    port.writeSequence([b"t", b"wo"], (host, serverAddress.port))
    runUntil(reactor, client.waitFor(2))
    assert client.received == [(b"one", (host, serverAddress.port)),
                               (b"two", (host, serverAddress.port))]
    assert repr(server) == f"<{Echo} on {serverAddress.port}>"
    assert server.logPrefix() == "Echo (UDP)"
    number = port.getHost().port
    stop(reactor, server, port)
    assert client.events == ["start", "stop"]
    assert repr(port) == f"<{Collect} not connected>"
    messages = [r.getMessage() for r in caplog.records]
    assert f"Collect starting on {number}" in messages
    assert f"(UDP Port {number} Closed)" in messages
    assert any(m.startswith("Starting protocol <") for m in messages)
    assert messages.index(f"(UDP Port {number} Closed)") < max(
        i for i, m in enumerate(messages) if m.startswith("Stopping protocol"))


def test_interfaces(reactor: Any) -> None:
    """The port is an IListeningPort, IUDPTransport and ISystemHandle; the
    reactor an IReactorUDP and IReactorMulticast."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    for iface in (IListeningPort, IUDPTransport, ISystemHandle):
        assert verifyObject(iface, port)
    assert port.getHandle().type == socket.SOCK_DGRAM
    assert verifyObject(IReactorUDP, reactor)
    assert verifyObject(IReactorMulticast, reactor)
    stop(reactor, port)
    assert port.stopListening() is None  # not listening any more


def test_connectedMode(reactor: Any) -> None:
    """After connect(), write needs no address and only the peer's datagrams arrive."""
    server = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    client = Collect()
    port = reactor.listenUDP(0, client, interface="127.0.0.1")
    stranger = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    serverPort = server.getHost().port
    port.connect("127.0.0.1", serverPort)
    stranger.write(b"not from the peer", ("127.0.0.1", port.getHost().port))
    port.write(b"hello")
    port.write(b"again", ("127.0.0.1", serverPort))  # the connected address is allowed
    runUntil(reactor, client.waitFor(2))
    settle(reactor)
    assert [d for d, _ in client.received] == [b"hello", b"again"]
    with pytest.raises(RuntimeError, match="already connected"):
        port.connect("127.0.0.1", serverPort)
    with pytest.raises(ValueError, match="connected to"):
        port.write(b"x", ("127.0.0.1", stranger.getHost().port))
    stop(reactor, server, port, stranger)


@pytest.mark.parametrize(("interface", "peer", "spelled"), [
    ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
    ("::1", "0:0:0:0:0:0:0:1", "::1"),  # the kernel's spelling, as recvfrom gives it
])
def test_connectedModeDeliversThePeersAddress(
    reactor: Any, interface: str, peer: str, spelled: str,
) -> None:
    """A connected port says who sent each datagram as an unconnected one
    would: (host, port), the host spelled canonically, for every datagram."""
    server = reactor.listenUDP(0, Echo(), interface=interface)
    client = Collect()
    port = reactor.listenUDP(0, client, interface=interface)
    serverPort = server.getHost().port
    port.connect(peer, serverPort)
    for each in (b"one", b"two", b"three"):
        port.write(each)
    runUntil(reactor, client.waitFor(3))
    assert client.received == [(b"one", (spelled, serverPort)), (b"two", (spelled, serverPort)),
                               (b"three", (spelled, serverPort))]
    stop(reactor, server, port)


def test_connectionRefused(reactor: Any) -> None:
    """Connected to a port nobody listens on: connectionRefused (the ICMP reply)."""
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    number = closed.getsockname()[1]
    closed.close()
    client = Collect()
    port = reactor.listenUDP(0, client, interface="127.0.0.1")
    port.connect("127.0.0.1", number)
    port.write(b"anyone?")
    runUntil(reactor, client.waitFor(0, refusals=1))
    # The port is still fine: a second refusal is reported too.
    port.write(b"still?")
    runUntil(reactor, client.waitFor(0, refusals=2))
    stop(reactor, port)


def test_unconnectedRefusalIsSilent(reactor: Any) -> None:
    """Without connect(), an ICMP refusal is not reported (Twisted's rule)."""
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    number = closed.getsockname()[1]
    closed.close()
    client = Collect()
    port = reactor.listenUDP(0, client, interface="127.0.0.1")
    port.write(b"anyone?", ("127.0.0.1", number))
    settle(reactor)
    assert client.refused == 0
    stop(reactor, port)


# -- bad input -------------------------------------------------------------------------


def test_hostNamesAreRefusedWithAHint(reactor: Any) -> None:
    """write()/connect()/listenUDP with a host name: InvalidAddressError saying to resolve."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    with pytest.raises(error.InvalidAddressError) as caught:
        port.write(b"x", ("localhost", 53))
    assert caught.value.address == "localhost"
    assert caught.value.message.startswith("write() only accepts IP addresses, not hostnames")
    assert "Resolve the name first" in caught.value.message
    with pytest.raises(error.InvalidAddressError, match="not an IPv4 or IPv6 address"):
        port.connect("localhost", 53)
    with pytest.raises(error.InvalidAddressError, match="Resolve the name first"):
        reactor.listenUDP(0, Echo(), interface="localhost")
    stop(reactor, port)


def test_familyMismatch(reactor: Any) -> None:
    """An IPv6 address on an IPv4 port and the reverse: Twisted's errors."""
    v4 = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    v6 = reactor.listenUDP(0, Echo(), interface="::1")
    with pytest.raises(error.InvalidAddressError, match="IPv4 port write.. called with IPv6 address"):
        v4.write(b"x", ("::1", 5))
    with pytest.raises(error.InvalidAddressError, match="IPv6 port write.. called with IPv4"):
        v6.write(b"x", ("127.0.0.1", 5))
    with pytest.raises(error.InvalidAddressError, match="IPv6 port write.. called with IPv4 or broadcast"):
        v6.write(b"x", ("<broadcast>", 5))
    stop(reactor, v4, v6)


def test_otherMistakes(reactor: Any) -> None:
    """str data, no address, a bad address shape, a write after stopping: clear errors."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    target = ("127.0.0.1", port.getHost().port)
    with pytest.raises(TypeError, match="Data must be bytes, not str"):
        port.write("text", target)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs an .ip, port. address"):
        port.write(b"x")
    with pytest.raises(TypeError, match=r"\(ip, port\) tuple"):
        port.write(b"x", "127.0.0.1:53")  # type: ignore[arg-type]
    stop(reactor, port)
    with pytest.raises(RuntimeError, match="not listening"):
        port.write(b"x", target)
    with pytest.raises(ValueError, match="port must be an integer"):
        reactor.listenUDP(70000, Echo())
    with pytest.raises(ValueError, match="maxPacketSize"):
        reactor.listenUDP(0, Echo(), maxPacketSize=0)
    with pytest.raises(TypeError, match="not a datagram protocol"):
        reactor.listenUDP(0, Echo)


def test_messageTooLong(reactor: Any) -> None:
    """A datagram no UDP packet can carry: MessageLengthError naming its size."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    with pytest.raises(error.MessageLengthError, match="70000 bytes"):
        port.write(b"x" * 70000, ("127.0.0.1", port.getHost().port))
    stop(reactor, port)


def test_cannotListen(reactor: Any) -> None:
    """A port already bound by someone else: CannotListenError naming it."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    try:
        number = taken.getsockname()[1]
        with pytest.raises(error.CannotListenError, match=f"127.0.0.1:{number}"):
            reactor.listenUDP(number, Echo(), interface="127.0.0.1")
    finally:
        taken.close()


def test_oversizedDatagramIsDroppedAndLogged(
    reactor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Longer than maxPacketSize: dropped and logged with the size; others still arrive."""
    caplog.set_level(logging.INFO, logger="plait")
    small = Collect()
    port = reactor.listenUDP(0, small, interface="127.0.0.1", maxPacketSize=10)
    sender = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    target = ("127.0.0.1", port.getHost().port)
    sender.write(b"x" * 11, target)
    sender.write(b"y" * 10, target)
    runUntil(reactor, small.waitFor(1))
    assert small.received[0][0] == b"y" * 10
    assert any("dropped a datagram longer than maxPacketSize (10 bytes)" in r.getMessage()
               for r in caplog.records)
    stop(reactor, port, sender)


def test_protocolExceptionIsLoggedAndThePortGoesOn(reactor: Any, loggedErrors: Any) -> None:
    """datagramReceived raising: logged; the next datagram is delivered."""

    class Fragile(Collect):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            if datagram == b"boom":
                raise ValueError("boom")
            super().datagramReceived(datagram, addr)

    proto = Fragile()
    port = reactor.listenUDP(0, proto, interface="127.0.0.1")
    sender = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    target = ("127.0.0.1", port.getHost().port)
    sender.write(b"boom", target)
    sender.write(b"fine", target)
    runUntil(reactor, proto.waitFor(1))
    assert proto.received[0][0] == b"fine"
    assert len(loggedErrors.flush(ValueError)) == 1
    stop(reactor, port, sender)


def test_aBurstIsReadInGrowingBatches(reactor: Any) -> None:
    """Many datagrams at once all arrive, and the read batch grows to take them."""
    proto = Collect()
    port = reactor.listenUDP(0, proto, interface="127.0.0.1")
    target = ("127.0.0.1", port.getHost().port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(100):
            s.sendto(b"%d" % i, target)
    runUntil(reactor, proto.waitFor(100))
    assert [d for d, _ in proto.received] == [b"%d" % i for i in range(100)]
    assert port._batch > 1
    stop(reactor, port)


def test_protocolStopsThePortFromDatagramReceived(reactor: Any) -> None:
    """stopListening inside datagramReceived: no more datagrams, the Deferred fires."""
    stopped: Deferred[None] = Deferred()

    class Once(Collect):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            super().datagramReceived(datagram, addr)
            d = self.transport.stopListening()
            if d is not None:
                d.chainDeferred(stopped)

    proto = Once()
    port = reactor.listenUDP(0, proto, interface="127.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(5):
            s.sendto(b"x", ("127.0.0.1", port.getHost().port))
    runUntil(reactor, stopped)
    assert len(proto.received) == 1


def test_broadcastFlag(reactor: Any) -> None:
    """setBroadcastAllowed/getBroadcastAllowed toggle SO_BROADCAST."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    assert port.getBroadcastAllowed() is False
    port.setBroadcastAllowed(True)
    assert port.getBroadcastAllowed() is True
    stop(reactor, port)


def test_loseConnectionIsDeprecated(reactor: Any) -> None:
    """loseConnection() warns (Twisted's words) and stops the port."""
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    with pytest.warns(DeprecationWarning, match="Please use stopListening"):
        port.loseConnection()
    settle(reactor)
    assert not port.connected


# -- adoption --------------------------------------------------------------------------


def test_adoptDatagramPort(reactor: Any) -> None:
    """A bound UDP socket made elsewhere serves a protocol; the caller keeps its copy."""
    skt = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    skt.bind(("::1", 0))
    proto = Collect()
    port = reactor.adoptDatagramPort(skt.fileno(), socket.AF_INET6, proto, maxPacketSize=100)
    skt.close()
    assert isinstance(port, udp.Port)
    assert isinstance(port.getHost(), IPv6Address)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.sendto(b"adopted", ("::1", port.getHost().port))
    runUntil(reactor, proto.waitFor(1))
    assert proto.received[0][0] == b"adopted"
    stop(reactor, port)


def test_adoptDatagramPortRefusals(reactor: Any) -> None:
    """A family other than INET/INET6, or a stream socket: Twisted's exceptions."""
    with pytest.raises(error.UnsupportedAddressFamily):
        reactor.adoptDatagramPort(0, socket.AF_UNIX, Collect())
    with socket.socket() as stream:
        stream.bind(("127.0.0.1", 0))
        with pytest.raises(error.UnsupportedSocketType):
            reactor.adoptDatagramPort(stream.fileno(), socket.AF_INET, Collect())


# -- multicast -------------------------------------------------------------------------


def test_multicastOverLoopback(reactor: Any) -> None:
    """Two listenMultiple ports on one group port both get what a third sends."""
    receivers = [Collect(), Collect()]
    ports = [reactor.listenMulticast(0, receivers[0], listenMultiple=True)]
    number = ports[0].getHost().port
    ports.append(reactor.listenMulticast(number, receivers[1], listenMultiple=True))
    for port in ports:
        assert verifyObject(IMulticastTransport, port)
        runUntil(reactor, port.joinGroup(GROUP, "127.0.0.1"))
    sender = reactor.listenMulticast(0, Collect())
    sender.setTTL(0)
    assert sender.getTTL() == 0
    assert runUntil(reactor, sender.setOutgoingInterface("127.0.0.1")) == 1
    assert sender.getOutgoingInterface() == "127.0.0.1"
    sender.setLoopbackMode(True)
    assert sender.getLoopbackMode() is True
    sender.write(b"to the group", (GROUP, number))
    for proto in receivers:
        runUntil(reactor, proto.waitFor(1))
        assert proto.received[0][0] == b"to the group"
    for port in ports:
        runUntil(reactor, port.leaveGroup(GROUP, "127.0.0.1"))
    stop(reactor, sender, *ports)


def test_multicastJoinErrors(reactor: Any) -> None:
    """Not a group, or not an address: MulticastJoinError through the Deferred."""
    port = reactor.listenMulticast(0, Collect())
    with pytest.raises(error.MulticastJoinError):
        runUntil(reactor, port.joinGroup("127.0.0.1"))
    with pytest.raises(error.MulticastJoinError, match="invalid address literal for AF_INET"):
        runUntil(reactor, port.joinGroup(GROUP, "::1"))
    stop(reactor, port)


def test_multicastIPv6JoinAndLeave(reactor: Any) -> None:
    """An IPv6 port joins and leaves an interface-local group on the loopback interface."""
    port = reactor.listenMulticast(0, Collect(), interface="::")
    runUntil(reactor, port.joinGroup("ff01::1:4242", "lo"))
    runUntil(reactor, port.leaveGroup("ff01::1:4242", "lo"))
    port.setTTL(1)
    assert port.getTTL() == 1
    assert runUntil(reactor, port.setOutgoingInterface(socket.if_nametoindex("lo"))) == 1
    assert port.getOutgoingInterface() == socket.if_nametoindex("lo")
    with pytest.raises(error.MulticastJoinError, match="no network interface"):
        runUntil(reactor, port.joinGroup("ff01::1:4242", "no-such-interface"))
    stop(reactor, port)


def test_udpServerService(reactor: Any) -> None:
    """application.internet.UDPServer starts and stops a real port."""
    from plait.application.internet import UDPServer

    proto = Collect()
    service = UDPServer(0, proto, interface="127.0.0.1", reactor=reactor)
    service.startService()
    assert proto.events == ["start"]
    d = service.stopService()
    if d is not None:
        runUntil(reactor, d)
    assert proto.events == ["start", "stop"]


def test_aProtocolServesOnePort(reactor: Any) -> None:
    """A protocol already serving a port cannot start a second one: the error
    says so, and the second socket is not left open; the first port goes on."""
    proto = Collect()
    first = reactor.listenUDP(0, proto, interface="127.0.0.1")
    with pytest.raises(RuntimeError, match="serves one port at a time"):
        reactor.listenUDP(0, proto, interface="127.0.0.1")
    assert proto.transport is first
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"still here", ("127.0.0.1", first.getHost().port))
    runUntil(reactor, proto.waitFor(1))
    stop(reactor, first)


def test_echoOnEverySelector(anyReactor: Any) -> None:
    """The UDP echo works on the select, poll and epoll selectors alike."""
    server = anyReactor.listenUDP(0, Echo(), interface="127.0.0.1")
    client = Collect()
    port = anyReactor.listenUDP(0, client, interface="127.0.0.1")
    port.connect("127.0.0.1", server.getHost().port)
    port.write(b"any selector")
    runUntil(anyReactor, client.waitFor(1))
    assert client.received[0][0] == b"any selector"
    stop(anyReactor, server, port)
