"""twisted.application's services on real loopback sockets, in Twisted's start/stop order.

A MultiService holding a TCPServer and a TCPClient: starting it listens,
then connects (the client reaches the server); stopping it stops the
client first (reverse order), then the server's port, and the returned
Deferred fires once the port is closed.
"""

from __future__ import annotations

from typing import Any

from plait.application import internet, service
from plait.defer import Deferred
from plait.error import ConnectionDone
from plait.failure import Failure
from plait.protocol import ClientFactory, Factory, Protocol
from tests.helpers import runUntil

_DONE = Failure(ConnectionDone())


class Hello(Protocol):
    def connectionMade(self) -> None:
        self.transport.write(b"hello")

    def connectionLost(self, reason: Failure = _DONE) -> None:
        self.factory.gone.callback(None)  # type: ignore[attr-defined]


class Receiver(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.factory.received.callback(data)  # type: ignore[attr-defined]


def test_serverAndClientServicesOnLoopback(reactor: Any) -> None:
    serverFactory = Factory.forProtocol(Hello)
    serverFactory.noisy = False
    serverFactory.gone = Deferred()  # type: ignore[attr-defined]
    top = service.MultiService()
    server = internet.TCPServer(0, serverFactory, interface="127.0.0.1", reactor=reactor)
    server.setServiceParent(top)
    top.privilegedStartService()
    port = server._port.getHost().port

    clientFactory = ClientFactory.forProtocol(Receiver)
    clientFactory.noisy = False
    clientFactory.received = Deferred()  # type: ignore[attr-defined]
    lost: Deferred[None] = Deferred()
    clientFactory.clientConnectionLost = lambda connector, reason: lost.callback(None)  # type: ignore[method-assign]
    client = internet.TCPClient("127.0.0.1", port, clientFactory, reactor=reactor)
    client.setServiceParent(top)
    top.startService()
    assert runUntil(reactor, clientFactory.received) == b"hello"  # type: ignore[attr-defined]

    order: list[str] = []
    original = server._port.stopListening

    def stopListening() -> Any:
        order.append("server port")
        return original()

    server._port.stopListening = stopListening
    connection = client._connection
    disconnect = connection.disconnect

    def disconnecting() -> None:
        order.append("client")
        disconnect()

    connection.disconnect = disconnecting
    results = runUntil(reactor, top.stopService())
    assert order == ["client", "server port"]
    assert [ok for ok, _ in results] == [True, True]
    runUntil(reactor, lost)
    runUntil(reactor, serverFactory.gone)  # type: ignore[attr-defined]
    assert not reactor.getReaders()


def test_timerServiceOnTheReactor(reactor: Any) -> None:
    ticks: list[float] = []
    done: Deferred[None] = Deferred()

    def tick() -> None:
        ticks.append(reactor.seconds())
        if len(ticks) == 3:
            done.callback(None)

    timer = internet.TimerService(0.01, tick)
    timer.clock = reactor
    timer.startService()
    runUntil(reactor, done)
    result = timer.stopService()
    assert result is not None
    runUntil(reactor, result)
    assert len(ticks) == 3 and ticks == sorted(ticks)


def test_streamServerEndpointServiceOnLoopback(reactor: Any) -> None:
    from plait.endpoints import TCP4ServerEndpoint

    factory = Factory.forProtocol(Protocol)
    factory.noisy = False
    svc = internet.StreamServerEndpointService(TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"), factory)
    svc.startService()
    ports: list[Any] = []
    assert svc._waitingForPort is not None
    svc._waitingForPort.addCallback(lambda port: ports.append(port) or port)
    assert ports and ports[0].getHost().port > 0
    outcome = runUntil(reactor, svc.stopService())
    assert outcome is None and not svc.running
    assert not reactor.getReaders()

