"""UNIX datagram sockets on a real reactor: listenUNIXDatagram and
connectUNIXDatagram, their addresses, files, log lines and errors.

Sockets live under ``tmp_path`` (or in the abstract namespace); every wait
goes through ``runUntil``; the ``reactor`` fixture checks that nothing is
left registered.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error
from plait.address import UNIXAddress
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import (
    IListeningPort,
    IReactorUNIXDatagram,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)
from plait.protocol import ConnectedDatagramProtocol, DatagramProtocol
from tests.helpers import runUntil


class Echo(DatagramProtocol):
    def __init__(self) -> None:
        self.senders: list[Any] = []

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.senders.append(addr)
        if addr:
            self.transport.write(datagram.upper(), addr)


class Client(ConnectedDatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.events: list[str] = []
        self.got: Deferred[None] = Deferred()
        self.failed: Deferred[Failure] = Deferred()
        self.refusedD: Deferred[None] = Deferred()

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")

    def datagramReceived(self, datagram: bytes) -> None:  # type: ignore[override]
        self.received.append(datagram)
        if not self.got.called:
            self.got.callback(None)

    def connectionFailed(self, failure: Failure) -> None:
        self.events.append("failed")
        self.failed.callback(None)
        self.reason = failure

    def connectionRefused(self) -> None:
        if not self.refusedD.called:
            self.refusedD.callback(None)


def stop(reactor: Any, *ports: Any) -> None:
    for port in ports:
        d = port.stopListening()
        if d is not None:
            runUntil(reactor, d)


def test_echo(reactor: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A connected client's datagram reaches the server from the client's name;
    the reply comes back; Twisted's log lines; files get the mode and go away."""
    caplog.set_level(logging.INFO, logger="plait")
    serverPath, clientPath = str(tmp_path / "server.sock"), str(tmp_path / "client.sock")
    echo = Echo()
    server = reactor.listenUNIXDatagram(serverPath, echo, mode=0o600)
    assert stat.S_IMODE(os.stat(serverPath).st_mode) == 0o600
    client = Client()
    port = reactor.connectUNIXDatagram(serverPath, client, bindAddress=clientPath)
    assert client.events == ["start"]
    assert verifyObject(IUNIXDatagramTransport, server)
    assert verifyObject(IListeningPort, server)
    assert verifyObject(IUNIXDatagramConnectedTransport, port)
    assert verifyObject(IReactorUNIXDatagram, reactor)
    assert server.getHost() == UNIXAddress(serverPath)
    assert port.getHost() == UNIXAddress(clientPath)
    assert port.getPeer() == UNIXAddress(serverPath)
    port.write(b"hello")
    runUntil(reactor, client.got)
    assert client.received == [b"HELLO"]
    assert echo.senders == [clientPath]
    assert repr(server) == f"<{__name__}.Echo on {serverPath!r}>"
    assert server.logPrefix() == f"{__name__}.Echo (UDP)"
    stop(reactor, server, port)
    assert client.events == ["start", "stop"]
    assert not os.path.exists(serverPath) and not os.path.exists(clientPath)
    messages = [r.getMessage() for r in caplog.records]
    assert f"{Echo} starting on {serverPath!r}" in messages
    assert f"(Port {serverPath!r} Closed)" in messages


def test_unnamedSender(reactor: Any, tmp_path: Path) -> None:
    """A datagram from an unnamed socket comes with no address (None); nothing to answer."""
    serverPath = str(tmp_path / "server.sock")
    echo = Echo()
    server = reactor.listenUNIXDatagram(serverPath, echo)
    got: Deferred[None] = Deferred()
    original = echo.datagramReceived
    echo.datagramReceived = lambda d, a: (original(d, a), got.callback(None))  # type: ignore[method-assign, func-returns-value]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(b"anonymous", serverPath)
    runUntil(reactor, got)
    assert echo.senders[0] in (None, "")
    stop(reactor, server)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the abstract namespace is Linux's")
def test_abstractNamespace(reactor: Any, tmp_path: Path) -> None:
    """Datagram sockets in the abstract namespace: no files anywhere."""
    serverName = f"\0plait-dgram-{os.getpid()}-{tmp_path.name}"
    clientName = serverName + "-client"
    server = reactor.listenUNIXDatagram(serverName, Echo())
    client = Client()
    port = reactor.connectUNIXDatagram(serverName, client, bindAddress=clientName)
    port.write(b"abstract")
    runUntil(reactor, client.got)
    assert client.received == [b"ABSTRACT"]
    assert server.getHost() == UNIXAddress(serverName)
    stop(reactor, server, port)


def test_connectToNothingFailsFromTheLoop(reactor: Any, tmp_path: Path) -> None:
    """No socket at the address: connectionFailed on the next turn; never started."""
    client = Client()
    port = reactor.connectUNIXDatagram(str(tmp_path / "missing.sock"), client,
                                       bindAddress=str(tmp_path / "c.sock"))
    assert client.events == []  # not from inside the call
    runUntil(reactor, client.failed)
    assert client.events == ["failed"]
    assert client.reason.check(FileNotFoundError)
    assert not port.connected
    assert not os.path.exists(tmp_path / "c.sock")


def test_peerGoneIsRefused(reactor: Any, tmp_path: Path) -> None:
    """The server went away: the connected client's next write is refused."""
    serverPath = str(tmp_path / "server.sock")
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    peer.bind(serverPath)
    client = Client()
    port = reactor.connectUNIXDatagram(serverPath, client)
    peer.close()
    port.write(b"anyone?")
    runUntil(reactor, client.refusedD)
    stop(reactor, port)


def test_badInput(reactor: Any, tmp_path: Path) -> None:
    """Clear errors: a plain DatagramProtocol for connectUNIXDatagram, writing
    to no socket, a datagram too long, a busy path."""
    with pytest.raises(TypeError, match="ConnectedDatagramProtocol"):
        reactor.connectUNIXDatagram(str(tmp_path / "x.sock"), Echo())
    serverPath = str(tmp_path / "server.sock")
    server = reactor.listenUNIXDatagram(serverPath, Echo())
    with pytest.raises(FileNotFoundError):
        server.write(b"x", str(tmp_path / "nobody.sock"))
    with pytest.raises(error.MessageLengthError, match="bytes"):
        server.write(b"x" * (4 * 1024 * 1024), serverPath)
    with pytest.raises(error.CannotListenError, match="Address already in use"):
        reactor.listenUNIXDatagram(serverPath, Echo())
    with pytest.raises(error.CannotListenError, match="path too long"):
        reactor.listenUNIXDatagram(str(tmp_path / ("y" * 120)), Echo())
    stop(reactor, server)
