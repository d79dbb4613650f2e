"""TLS over real sockets on loopback: connectSSL/listenSSL, startTLS, the TLS
endpoints and ClientService, and every way a handshake can fail.

The peers here are plait itself and the standard library's ``ssl`` module
(``PythonTLSServer``, a thread); the programs nobody here wrote are in
test_tls_peers.py.  Certificates are made per module (tests/tlshelpers.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plait import error, ssl
from plait.defer import Deferred
from plait.endpoints import (
    HostnameEndpoint,
    clientFromString,
    connectProtocol,
    wrapClientTLS,
)
from plait.failure import Failure
from plait.interfaces import ISSLTransport
from plait.protocol import (
    ClientCreator,
    ClientFactory,
    Factory,
    Protocol,
    ReconnectingClientFactory,
    connectionDone,
)
from plait.protocols.basic import LineReceiver
from plait.service import ClientService
from plait.tls import TLSMemoryBIOFactory
from tests.helpers import runUntil
from tests.integration.tlspeers import PythonTLSServer
from tests.tlshelpers import Certs, TLSRecorder, oddCertificate


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Greeter(Protocol):
    """Speaks first: what a client that fails verification must never see."""

    def connectionMade(self) -> None:
        self.transport.write(b"secret greeting\r\n")


class _Listening:
    """A listenSSL port whose connections are tracked, so that closing it waits
    for every server-side connection to end (the reactor must be left clean)."""

    def __init__(self, reactor: Any, options: Any, protocol: Any = None, portNumber: int = 0) -> None:
        self.reactor = reactor
        self.protocols: list[Any] = []
        protocolClass = protocol or Echo

        def build() -> Any:
            built = protocolClass()
            built.reasons = []
            lost = built.connectionLost
            built.connectionLost = lambda reason: (built.reasons.append(reason), lost(reason))
            self.protocols.append(built)
            return built

        self.port = reactor.listenSSL(portNumber, Factory.forProtocol(build), options, interface="127.0.0.1")

    def getHost(self) -> Any:
        return self.port.getHost()

    def close(self) -> None:
        try:
            _until(self.reactor, lambda: all(p.reasons for p in self.protocols), timeout=2)
        except AssertionError:
            for p in self.protocols:
                if not p.reasons:
                    p.transport.abortConnection()
            _until(self.reactor, lambda: all(p.reasons for p in self.protocols))
        _stop(self.reactor, self.port)


def _listen(reactor: Any, options: Any, protocol: Any = None) -> _Listening:
    return _Listening(reactor, options, protocol)


def _stop(reactor: Any, port: Any) -> None:
    if isinstance(port, _Listening):
        port.close()
        return
    d = port.stopListening()
    if d is not None:
        runUntil(reactor, d)


def _until(reactor: Any, condition: Any, timeout: float = 5.0) -> None:
    d: Deferred[None] = Deferred()

    def check() -> None:
        if condition():
            d.callback(None)
        else:
            pending.append(reactor.callLater(0.005, check))

    pending: list[Any] = []
    check()
    try:
        runUntil(reactor, d, timeout)
    finally:
        for call in pending:
            if call.active():
                call.cancel()


@pytest.fixture
def port(reactor: Any, certs: Certs) -> Iterator[Any]:
    listening = _listen(reactor, certs.serverOptions())
    yield listening
    _stop(reactor, listening)


# -- connectSSL / listenSSL -----------------------------------------------------------


def test_connectSSLEcho(reactor: Any, certs: Certs, port: Any) -> None:
    """connectSSL to listenSSL: verified handshake, echo, clean close on both sides."""
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(b"x" * 300000)
    client.onData = lambda p, data: len(p.data) >= 300000 and p.transport.loseConnection()
    reactor.connectSSL("127.0.0.1", port.getHost().port, ClientFactory.forProtocol(lambda: client),
                       certs.clientOptions())
    _until(reactor, lambda: client.lost)
    assert client.data == b"x" * 300000
    assert client.events[:2] == ["connectionMade", "handshakeCompleted"]
    assert client.reasons[0].check(error.ConnectionDone)


def test_connectSSLTransportHasTheTCPAttributes(reactor: Any, certs: Certs, port: Any) -> None:
    """What Twisted programs read on a connectSSL transport (Twisted's TLS wrapper hands
    it over from the TCP transport) is there on plait's: connector, socket, fileno()."""
    client = TLSRecorder()
    seen: dict[str, Any] = {}

    def handshake(p: Any) -> None:
        skt = p.transport.socket
        seen.update(connector=p.transport.connector, socket=skt, fileno=p.transport.fileno(), socketFileno=skt.fileno())
        p.transport.loseConnection()

    client.onHandshake = handshake
    connector = reactor.connectSSL("127.0.0.1", port.getHost().port, ClientFactory.forProtocol(lambda: client),
                                   certs.clientOptions())
    _until(reactor, lambda: client.lost)
    assert seen["connector"] is connector
    assert isinstance(seen["socket"], socket.socket)
    assert seen["fileno"] == seen["socketFileno"] != -1


def test_clientCreatorConnectSSL(reactor: Any, certs: Certs, port: Any) -> None:
    """ClientCreator.connectSSL fires with the protocol (after connectionMade)."""
    creator = ClientCreator(reactor, TLSRecorder)
    protocol = runUntil(reactor, creator.connectSSL("127.0.0.1", port.getHost().port, certs.clientOptions()))
    assert "connectionMade" in protocol.events
    protocol.transport.loseConnection()
    _until(reactor, lambda: protocol.lost)


def test_reconnectingClientFactoryOverTLS(reactor: Any, certs: Certs, port: Any) -> None:
    """connector.connect() from clientConnectionLost reconnects over TLS (the connector's
    factory is the TLS factory)."""
    connections: list[TLSRecorder] = []

    class Reconnecting(ReconnectingClientFactory[Any]):
        def buildProtocol(self, addr: Any) -> Any:
            protocol = TLSRecorder()
            protocol.onHandshake = lambda p: p.transport.loseConnection()
            connections.append(protocol)
            if len(connections) == 3:
                self.stopTrying()
            return protocol

    factory = Reconnecting()
    factory.clock = reactor
    factory.initialDelay = factory.maxDelay = 0.01
    factory.jitter = 0
    reactor.connectSSL("127.0.0.1", port.getHost().port, factory, certs.clientOptions())
    _until(reactor, lambda: len(connections) == 3 and connections[-1].lost)
    assert all("handshakeCompleted" in c.events for c in connections)


def test_listenSSLLogsWithTLS(reactor: Any, certs: Certs, caplog: pytest.LogCaptureFixture) -> None:
    """The port's log lines name the factory with (TLS)."""
    with caplog.at_level("INFO", logger="plait"):
        listening = _listen(reactor, certs.serverOptions())
        _stop(reactor, listening)
    assert any("Factory (TLS) starting on" in r.getMessage() for r in caplog.records)


# -- startTLS ------------------------------------------------------------------------


class StartTLSClient(LineReceiver):
    def __init__(self, options: Any) -> None:
        self.options = options
        self.lines: list[bytes] = []
        self.lost: Deferred[list[Failure]] = Deferred()

    def connectionMade(self) -> None:
        self.sendLine(b"hello in clear")
        self.sendLine(b"STARTTLS")
        self.transport.startTLS(self.options)
        self.sendLine(b"secret")

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.callback([reason])


def test_startTLSSendsEarlierDataInClearThenEncrypts(reactor: Any, certs: Certs) -> None:
    """Against Python's own ssl server: the lines written before startTLS arrive in clear,
    in order, then the rest is TLS (verified by the client)."""
    server = PythonTLSServer(certs.serverFile, clearLines=2)
    client = StartTLSClient(certs.clientOptions())
    reactor.connectTCP("127.0.0.1", server.port, ClientFactory.forProtocol(lambda: client))
    [reason] = runUntil(reactor, client.lost)
    server.join()
    assert server.error is None, server.error
    assert server.clear == [b"hello in clear\r\n", b"STARTTLS\r\n"]
    assert server.received == [b"secret\r\n"]
    assert client.lines == [b"echo: secret"]
    assert reason.check(error.ConnectionDone)


def test_startTLSServerSideAndInterfaces(reactor: Any, certs: Certs) -> None:
    """plait on both ends: the server switches on a command; the transport then provides
    ISSLTransport and reports the peer certificate; a second startTLS raises."""
    events: list[Any] = []

    class Server(LineReceiver):
        def lineReceived(self, line: bytes) -> None:
            events.append(("server", line, ISSLTransport.providedBy(self.transport)))
            if line == b"STARTTLS":
                self.sendLine(b"GO")
                self.transport.startTLS(certs.serverOptions())
                with pytest.raises(RuntimeError, match="already called"):
                    self.transport.startTLS(certs.serverOptions())
            else:
                self.sendLine(b"echo " + line)

    class Client(LineReceiver):
        def connectionMade(self) -> None:
            events.append(("plain connection routes nothing", "write" not in vars(self.transport)))
            self.sendLine(b"STARTTLS")

        def lineReceived(self, line: bytes) -> None:
            if line == b"GO":
                self.transport.startTLS(certs.clientOptions())
                self.sendLine(b"private")
            else:
                events.append(("client", line, self.transport.getPeerCertificate() == ssl.Certificate(certs.serverCert)))
                self.transport.loseConnection()

        def connectionLost(self, reason: Failure = connectionDone) -> None:
            done.callback([reason])

    done: Deferred[list[Failure]] = Deferred()
    listening = reactor.listenTCP(0, Factory.forProtocol(Server), interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", listening.getHost().port, ClientFactory.forProtocol(Client))
    [reason] = runUntil(reactor, done)
    _stop(reactor, listening)
    assert reason.check(error.ConnectionDone)
    assert events == [
        ("plain connection routes nothing", True),
        ("server", b"STARTTLS", False),
        ("server", b"private", True),
        ("client", b"echo private", True),
    ]


def test_startTLSTransportIsTheTLSConnection(reactor: Any, certs: Certs) -> None:
    """After startTLS, as on a connectSSL transport: getHandle() is the ssl.SSLObject
    (the socket before it), and Certificate.hostFromTransport/peerFromTransport read
    the certificates from the connection."""
    import ssl as stdssl

    from zope.interface import implementer

    from plait.interfaces import IHandshakeListener

    seen: dict[str, Any] = {}

    @implementer(IHandshakeListener)
    class Server(LineReceiver):
        def lineReceived(self, line: bytes) -> None:
            seen["before"] = self.transport.getHandle()
            self.sendLine(b"GO")
            self.transport.startTLS(certs.serverOptions())

        def handshakeCompleted(self) -> None:
            seen["server handle"] = self.transport.getHandle()
            seen["server version"] = self.transport.getHandle().version()
            seen["host certificate"] = ssl.Certificate.hostFromTransport(self.transport)

    @implementer(IHandshakeListener)
    class Client(LineReceiver):
        def connectionMade(self) -> None:
            self.sendLine(b"STARTTLS")

        def lineReceived(self, line: bytes) -> None:
            self.transport.startTLS(certs.clientOptions())

        def handshakeCompleted(self) -> None:
            seen["client handle"] = self.transport.getHandle()
            seen["peer certificate"] = ssl.Certificate.peerFromTransport(self.transport)
            self.transport.loseConnection()

        def connectionLost(self, reason: Failure = connectionDone) -> None:
            done.callback(None)

    done: Deferred[None] = Deferred()
    listening = reactor.listenTCP(0, Factory.forProtocol(Server), interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", listening.getHost().port, ClientFactory.forProtocol(Client))
    runUntil(reactor, done)
    _stop(reactor, listening)
    assert isinstance(seen["before"], socket.socket)
    assert isinstance(seen["server handle"], stdssl.SSLObject)
    assert isinstance(seen["client handle"], stdssl.SSLObject)
    assert seen["server version"] in ("TLSv1.2", "TLSv1.3")
    assert seen["host certificate"] == seen["peer certificate"] == ssl.Certificate(certs.serverCert)


def test_startTLSNeedsAnOpenConnection(reactor: Any, certs: Certs, port: Any) -> None:
    """startTLS on a closing transport raises RuntimeError; getPeerCertificate before it too,
    and Certificate.peerFromTransport/hostFromTransport raise Twisted's CertificateError."""
    protocol = runUntil(reactor, ClientCreator(reactor, Protocol).connectTCP("127.0.0.1", port.getHost().port))
    with pytest.raises(RuntimeError, match="not a TLS connection"):
        protocol.transport.getPeerCertificate()
    with pytest.raises(ssl.CertificateError, match="non-TLS transport .* did not have peer certificate"):
        ssl.Certificate.peerFromTransport(protocol.transport)
    with pytest.raises(ssl.CertificateError, match="non-TLS transport .* did not have host certificate"):
        ssl.Certificate.hostFromTransport(protocol.transport)
    assert protocol.transport.negotiatedProtocol is None
    protocol.transport.loseConnection()
    with pytest.raises(RuntimeError, match="needs an open connection"):
        protocol.transport.startTLS(certs.clientOptions())
    _until(reactor, lambda: protocol.transport.disconnected)


# -- endpoints: the Deferred fires after a verified handshake --------------------------


def test_tlsEndpointFiresAfterTheHandshake(reactor: Any, certs: Certs, port: Any) -> None:
    """tls:localhost:PORT fires with the user protocol once the handshake is complete."""
    description = f"tls:localhost:{port.getHost().port}:trustRoots={certs.directory}"
    protocol = runUntil(reactor, connectProtocol(clientFromString(reactor, description), TLSRecorder()))
    assert protocol.events == ["connectionMade", "handshakeCompleted"]
    protocol.transport.loseConnection()
    _until(reactor, lambda: protocol.lost)


def test_sslEndpointVerifiesTheConnectedHost(reactor: Any, certs: Certs, port: Any, tmp_path: Path) -> None:
    """ssl:127.0.0.1:PORT verifies against 127.0.0.1 (an IP subjectAltName) and works;
    hostname= another name fails the Deferred."""
    (tmp_path / "ca.pem").write_bytes(certs.ca.cert_pem.bytes())
    good = clientFromString(reactor, f"ssl:127.0.0.1:{port.getHost().port}:caCertsDir={tmp_path}")
    protocol = runUntil(reactor, connectProtocol(good, TLSRecorder()))
    assert "handshakeCompleted" in protocol.events
    protocol.transport.loseConnection()
    _until(reactor, lambda: protocol.lost)
    bad = clientFromString(reactor, f"ssl:127.0.0.1:{port.getHost().port}:caCertsDir={tmp_path}:hostname=wrong.example")
    with pytest.raises(ssl.VerificationError, match="wrong.example"):
        runUntil(reactor, connectProtocol(bad, TLSRecorder()))


def test_sslEndpointWithoutCAFailsAgainstAPrivateCA(reactor: Any, certs: Certs, port: Any) -> None:
    """ssl: without caCertsDir trusts the platform store: a test CA is not in it, so the
    connection is refused (never silently unverified)."""
    endpoint = clientFromString(reactor, f"ssl:127.0.0.1:{port.getHost().port}")
    with pytest.raises(ssl.VerificationError, match="unable to get local issuer certificate"):
        runUntil(reactor, connectProtocol(endpoint, TLSRecorder()))


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        ({"expired": True}, "certificate has expired"),
        ({"selfSigned": True}, "self-signed certificate"),
        ({"san": False}, "subjectAltName"),
        ({"commonName": "other.example"}, "Hostname mismatch"),
    ],
)
def test_badServerCertificateFailsTheEndpoint(
    reactor: Any, certs: Certs, defect: dict[str, Any], message: str
) -> None:
    """Each bad certificate fails the endpoint Deferred with a readable VerificationError,
    the protocol's connectionLost gets the same, and not a byte of data is delivered."""
    bad = oddCertificate(certs.ca, **defect)
    listening = _listen(reactor, bad.options(), Greeter)
    try:
        client = TLSRecorder()
        endpoint = wrapClientTLS(certs.clientOptions(), HostnameEndpoint(reactor, "127.0.0.1", listening.getHost().port))
        with pytest.raises(ssl.VerificationError, match=message):
            runUntil(reactor, connectProtocol(endpoint, client))
        _until(reactor, lambda: client.lost)
        assert client.events == ["connectionMade", "connectionLost"]
        assert client.reasons[0].check(ssl.VerificationError)
        assert message in client.reasons[0].getErrorMessage()
    finally:
        _stop(reactor, listening)


def test_untrustedChainFailsTheEndpoint(reactor: Any, certs: Certs, port: Any) -> None:
    """A chain from a CA the client does not trust fails with a VerificationError."""
    import trustme

    other = ssl.Certificate.loadPEM(trustme.CA().cert_pem.bytes())
    endpoint = wrapClientTLS(ssl.optionsForClientTLS("localhost", other), HostnameEndpoint(reactor, "127.0.0.1", port.getHost().port))
    with pytest.raises(ssl.VerificationError, match="unable to get local issuer certificate"):
        runUntil(reactor, connectProtocol(endpoint, TLSRecorder()))


@pytest.fixture
def silentListener() -> Iterator[int]:
    """A port whose kernel accepts connections nobody ever reads (the handshake never ends)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_serverThatNeverFinishesTheHandshake(reactor: Any, certs: Certs, silentListener: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts but never answers: the handshake times out, the endpoint fails
    with TimeoutError and the protocol hears the same."""
    monkeypatch.setattr(TLSMemoryBIOFactory, "handshakeTimeout", 0.3)
    client = TLSRecorder()
    endpoint = wrapClientTLS(certs.clientOptions(), HostnameEndpoint(reactor, "127.0.0.1", silentListener))
    with pytest.raises(error.TimeoutError, match="the TLS handshake did not complete within 0.3 seconds"):
        runUntil(reactor, connectProtocol(endpoint, client))
    assert client.reasons[0].check(error.TimeoutError)


def test_cancelDuringTheHandshake(reactor: Any, certs: Certs, silentListener: int) -> None:
    """Cancelling the endpoint Deferred during the handshake aborts the connection."""
    client = TLSRecorder()
    endpoint = wrapClientTLS(certs.clientOptions(), HostnameEndpoint(reactor, "127.0.0.1", silentListener))
    d = connectProtocol(endpoint, client)
    _until(reactor, lambda: "connectionMade" in client.events)
    d.cancel()
    with pytest.raises(error.ConnectingCancelledError):
        runUntil(reactor, d)
    _until(reactor, lambda: client.lost)
    assert client.reasons[0].check(error.ConnectionAborted)


def test_clientServiceOverTLS(reactor: Any, certs: Certs) -> None:
    """ClientService on tls: counts a failed verification as a failed attempt and
    hands out the protocol once a verified connection is up."""
    listening = _listen(reactor, oddCertificate(certs.ca, commonName="other.example").options())
    number = listening.getHost().port
    endpoint = clientFromString(reactor, f"tls:localhost:{number}:trustRoots={certs.directory}")
    service = ClientService(endpoint, Factory.forProtocol(TLSRecorder), retryPolicy=lambda n: 0.05, clock=reactor)
    service.startService()
    with pytest.raises(ssl.VerificationError):
        runUntil(reactor, service.whenConnected(failAfterFailures=1))
    runUntil(reactor, service.stopService())
    _stop(reactor, listening)

    listening = _Listening(reactor, certs.serverOptions(), portNumber=number)
    service = ClientService(endpoint, Factory.forProtocol(TLSRecorder), retryPolicy=lambda n: 0.05, clock=reactor)
    service.startService()
    protocol = runUntil(reactor, service.whenConnected())
    assert isinstance(protocol, TLSRecorder) and "handshakeCompleted" in protocol.events
    runUntil(reactor, service.stopService())
    _stop(reactor, listening)


# -- misbehaving peers ------------------------------------------------------------------


class Garbage(Protocol):
    def connectionMade(self) -> None:
        self.transport.write(b"SSH-2.0-OpenSSH_9.0 this is not TLS\r\n" * 3)


def test_garbageFromAPeerClosesOnlyThatConnection(reactor: Any, certs: Certs, port: Any) -> None:
    """A server answering with non-TLS bytes: that client gets an ssl.SSLError and no data;
    another TLS connection on the same reactor works meanwhile."""
    import ssl as stdssl

    garbage = reactor.listenTCP(0, Factory.forProtocol(Garbage), interface="127.0.0.1")
    try:
        victim, healthy = TLSRecorder(), TLSRecorder()
        healthy.onHandshake = lambda p: p.transport.write(b"still fine")
        healthy.onData = lambda p, data: p.transport.loseConnection()
        reactor.connectSSL("127.0.0.1", garbage.getHost().port, ClientFactory.forProtocol(lambda: victim), certs.clientOptions())
        reactor.connectSSL("127.0.0.1", port.getHost().port, ClientFactory.forProtocol(lambda: healthy), certs.clientOptions())
        _until(reactor, lambda: victim.lost and healthy.lost)
        assert victim.reasons[0].check(stdssl.SSLError) and victim.data == b""
        assert healthy.data == b"still fine" and healthy.reasons[0].check(error.ConnectionDone)
    finally:
        _stop(reactor, garbage)


class HangUpAfterHandshake(Protocol):
    """Closes the TCP connection without a close_notify (a truncation)."""

    def connectionMade(self) -> None:
        self.transport.write(b"partial")

    def dataReceived(self, data: bytes) -> None:
        self.transport.transport.loseConnection()  # the TCP transport under the TLS layer


def test_truncationIsReportedAsConnectionLost(reactor: Any, certs: Certs) -> None:
    """A peer that closes TCP without close_notify: ConnectionLost, not ConnectionDone."""
    listening = _listen(reactor, certs.serverOptions(), HangUpAfterHandshake)
    try:
        client = TLSRecorder()
        client.onHandshake = lambda p: p.transport.write(b"go")
        reactor.connectSSL("127.0.0.1", listening.getHost().port, ClientFactory.forProtocol(lambda: client), certs.clientOptions())
        _until(reactor, lambda: client.lost)
        assert client.data == b"partial"
        assert client.reasons[0].check(error.ConnectionLost)
        assert "close_notify" in client.reasons[0].getErrorMessage()
    finally:
        _stop(reactor, listening)


def test_pythonTLSServerWithClientCertificate(reactor: Any, certs: Certs) -> None:
    """Against Python's ssl server requiring a client certificate: ours is presented."""
    server = PythonTLSServer(certs.serverFile, requireClientCertFrom=certs.caFile)
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(b"ping\n")
    client.onData = lambda p, data: p.transport.loseConnection()
    options = certs.clientOptions(clientCertificate=certs.clientCert)
    reactor.connectSSL("127.0.0.1", server.port, ClientFactory.forProtocol(lambda: client), options)
    _until(reactor, lambda: client.lost)
    server.join()
    assert server.error is None, server.error
    assert client.data == b"echo: ping\n"
    assert server.peerCertificate is not None
    assert ("email", "client@plait.test") in server.peerCertificate["subjectAltName"]


class RaisingListener(TLSRecorder):
    def handshakeCompleted(self) -> None:
        super().handshakeCompleted()
        raise ZeroDivisionError("bug in handshakeCompleted")


def test_handshakeCompletedRaisingFailsTheEndpoint(reactor: Any, certs: Certs, port: Any, loggedErrors: Any) -> None:
    """Through each TLS client endpoint: the Deferred fails with the exception, which is
    not also logged; the protocol's connectionLost gets it; the server sees the
    connection end during the handshake."""
    p = port.getHost().port
    endpoints = [
        clientFromString(reactor, f"tls:localhost:{p}:trustRoots={certs.directory}"),
        clientFromString(reactor, f"ssl:127.0.0.1:{p}:caCertsDir={certs.directory}"),
        wrapClientTLS(certs.clientOptions(), HostnameEndpoint(reactor, "localhost", p)),
    ]
    for endpoint in endpoints:
        protocol = RaisingListener()
        results: list[Any] = []
        connectProtocol(endpoint, protocol).addBoth(results.append)
        _until(reactor, lambda: results and protocol.lost)  # noqa: B023 - awaited in this iteration
        assert results[0].check(ZeroDivisionError), (endpoint, results)
        assert protocol.reasons[0].value is results[0].value
    assert loggedErrors.flush() == []


def test_handshakeCompletedRaisingIsLoggedOnceByConnectSSL(reactor: Any, certs: Certs, port: Any,
                                                           loggedErrors: Any) -> None:
    """With connectSSL (no endpoint waiting), as on Twisted: one "Unhandled Error",
    and the connection ends with the exception as its reason."""
    protocol = RaisingListener()
    reactor.connectSSL("127.0.0.1", port.getHost().port, ClientFactory.forProtocol(lambda: protocol),
                       certs.clientOptions())
    _until(reactor, lambda: protocol.lost)
    [logged] = loggedErrors.flush(ZeroDivisionError)
    assert protocol.reasons[0].value is logged.value
    assert loggedErrors.flush() == []


def test_handshakeCompletedRaisingUnhandledDeferredReportsOnce(reactor: Any, certs: Certs, port: Any,
                                                               loggedErrors: Any) -> None:
    """An endpoint Deferred nobody adds an errback to reports the exception once, when
    collected: "Unhandled error in Deferred", not also "Unhandled Error"."""
    import gc

    protocol = RaisingListener()
    endpoint = clientFromString(reactor, f"tls:localhost:{port.getHost().port}:trustRoots={certs.directory}")
    connectProtocol(endpoint, protocol)
    _until(reactor, lambda: protocol.lost)
    gc.collect()
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1
    assert loggedErrors.flush() == []


def test_factoryHearsTheTLSReason(reactor: Any, certs: Certs, port: Any) -> None:
    """connectSSL: a factory's clientConnectionLost gets the TLS reason (the failed
    verification), not the TCP close that followed it."""
    reasons: list[Failure] = []

    class Factory_(ClientFactory[Any]):
        protocol = TLSRecorder

        def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
            reasons.append(reason)

    reactor.connectSSL("127.0.0.1", port.getHost().port, Factory_(), certs.clientOptions("wrong.example"))
    _until(reactor, lambda: bool(reasons))
    assert reasons[0].check(ssl.VerificationError)
    assert "wrong.example" in reasons[0].getErrorMessage()


def test_sslConnectorAndPortClasses(reactor: Any, certs: Certs) -> None:
    """plait.ssl.Port and plait.ssl.Connector (Twisted's classes) speak TLS."""
    server = ssl.Port(0, Factory.forProtocol(Echo), certs.serverOptions(), interface="127.0.0.1", reactor=reactor)
    server.startListening()
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(b"classes")
    client.onData = lambda p, data: p.transport.loseConnection()
    connector = ssl.Connector("127.0.0.1", server.getHost().port, ClientFactory.forProtocol(lambda: client),
                              certs.clientOptions(), 30, None, reactor)
    connector.connect()
    _until(reactor, lambda: client.lost)
    _stop(reactor, server)
    assert client.data == b"classes" and client.reasons[0].check(error.ConnectionDone)


COMPAT_PROGRAM = r"""
import sys
from OpenSSL import SSL
from twisted.internet import protocol, reactor, ssl
from twisted.protocols.tls import TLSMemoryBIOFactory

class OldStyleFactory(ssl.ClientContextFactory):
    def getContext(self):
        return SSL.Context(SSL.TLS_METHOD)   # a pyOpenSSL context, as old Twisted code makes

print(ssl.__name__, TLSMemoryBIOFactory.__module__, ssl.supported)
reactor.connectSSL("127.0.0.1", int(sys.argv[1]), protocol.ClientFactory(), OldStyleFactory())
"""


def test_compatibilityModeAndAPyOpenSSLContextFactory(tmp_path: Path) -> None:
    """Under plait.compat, twisted.internet.ssl and twisted.protocols.tls are plait's, and a
    pyOpenSSL context factory stops the program with one clear error at the call."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    program = tmp_path / "old_tls_client.py"
    program.write_text(COMPAT_PROGRAM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "plait.compat", str(program), "1"], capture_output=True,
                            text=True, timeout=60, env=env, check=False)
    assert result.stdout.splitlines() == ["plait.ssl plait.tls True"]
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("TypeError: plait runs TLS on the standard library's ssl module and cannot use a pyOpenSSL context")
    assert "optionsForClientTLS" in last and "CertificateOptions" in last
    assert 'old_tls_client.py", line 12' in result.stderr  # reported where the program called connectSSL


def test_startTLSCarriesARegisteredProducerAcross(reactor: Any, certs: Certs) -> None:
    """A producer registered before startTLS writes through TLS afterwards, and its
    unregisterProducer lets the close proceed."""
    server = PythonTLSServer(certs.serverFile, clearLines=1)
    done: Deferred[None] = Deferred()

    class Producer:
        def __init__(self, transport: Any) -> None:
            self.transport = transport

        def pauseProducing(self) -> None:
            pass

        def resumeProducing(self) -> None:
            for line in (b"a\n", b"b\n", b"c\n"):
                self.transport.write(line)
            self.transport.unregisterProducer()

        def stopProducing(self) -> None:
            pass

    class Client(Protocol):
        def connectionMade(self) -> None:
            self.producer = Producer(self.transport)
            self.transport.registerProducer(self.producer, True)
            self.transport.write(b"STARTTLS\n")
            self.transport.startTLS(certs.clientOptions())
            self.received = b""

        def handshakeCompleted(self) -> None:
            self.producer.resumeProducing()

        def dataReceived(self, data: bytes) -> None:
            self.received += data
            if self.received.count(b"\n") == 3:
                self.transport.loseConnection()

        def connectionLost(self, reason: Failure = connectionDone) -> None:
            done.callback(None)

    from zope.interface import implementer

    from plait.interfaces import IHandshakeListener

    client = implementer(IHandshakeListener)(Client)()
    reactor.connectTCP("127.0.0.1", server.port, ClientFactory.forProtocol(lambda: client))
    runUntil(reactor, done)
    server.join()
    assert server.error is None, server.error
    assert server.clear == [b"STARTTLS\n"] and server.received == [b"a\n", b"b\n", b"c\n"]
    assert client.received == b"echo: a\necho: b\necho: c\n"
