"""plait.tls: TLS as a protocol over memory transports (no sockets, no real time).

Two harnesses from tests/tlshelpers.py: ``tlsPair`` (the in-memory connected
pair, pumped) and ``Shuttle`` (each side over a ``StringTransport``, bytes
moved by hand, so a test can look at the wire or hold one direction back).
"""

from __future__ import annotations

import ssl as stdssl
from pathlib import Path
from typing import Any

import pytest
import trustme
from zope.interface import implementer

from plait import error, ssl
from plait.failure import Failure
from plait.interfaces import (
    INegotiated,
    IProtocolNegotiationFactory,
    IPullProducer,
    IPushProducer,
    ISSLTransport,
)
from plait.protocol import Factory, Protocol, connectionDone
from plait.task import Clock
from plait.testing import StringTransport
from plait.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol
from tests.tlshelpers import (
    ADDRESS,
    Certs,
    Shuttle,
    TLSRecorder,
    oddCertificate,
    tlsFactory,
    tlsPair,
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


# -- handshake and data ------------------------------------------------------------


def test_handshakeThenDataBothWays(certs: Certs) -> None:
    """connectionMade comes first, then handshakeCompleted, then data, in both directions."""
    server = TLSRecorder()
    server.onData = lambda p, data: p.transport.write(data.upper())
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(b"hello")
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(), server, client)
    pump.flush()
    assert client.events == ["connectionMade", "handshakeCompleted", ("dataReceived", b"HELLO")]
    assert server.events[:2] == ["connectionMade", "handshakeCompleted"]
    assert server.data == b"hello"
    assert ISSLTransport.providedBy(client.transport) and INegotiated.providedBy(client.transport)


def test_writesBeforeTheHandshakeAreHeldAndNeverSentInClear(certs: Certs) -> None:
    """What connectionMade writes waits for the handshake and only leaves encrypted."""
    client = TLSRecorder()
    client.onConnectionMade = lambda p: p.transport.write(b"top secret")
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)
    hello = shuttle.clientWire.value()
    assert hello and b"top secret" not in hello
    wire = b""
    for _ in range(6):
        wire += shuttle.toServer()
        shuttle.toClient()
    assert shuttle.server.data == b"top secret"
    assert b"top secret" not in wire


def test_bigTransferArrivesWhole(certs: Certs) -> None:
    """Five megabytes in odd-sized writes arrive complete and in order."""
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    pieces = [bytes([i % 251]) * (1 + i * 7919 % 40000) for i in range(250)]
    for piece in pieces:
        client.transport.write(piece)
    client.transport.writeSequence([b"end", b"!"])
    pump.flush()
    assert server.data == b"".join(pieces) + b"end!"


def test_writeRejectsNonBytes(certs: Certs) -> None:
    """write/writeSequence take bytes only: TypeError("Data must be bytes")."""
    client, _, _pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    with pytest.raises(TypeError, match="^Data must be bytes$"):
        client.transport.write("text")
    with pytest.raises(TypeError, match="^Data must be bytes$"):
        client.transport.writeSequence([b"ok", "text"])


def test_getPeerCertificate(certs: Certs) -> None:
    """The client sees the server's certificate once the handshake is done, not before."""
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    peer = ssl.Certificate.peerFromTransport(client.transport)
    assert peer == ssl.Certificate(certs.serverCert)
    assert peer.digest("sha256") == certs.serverCert.digest("sha256")
    assert server.transport.getPeerCertificate() is None  # no client certificate
    with pytest.raises(error.CertificateError):
        ssl.Certificate.peerFromTransport(server.transport)
    assert ssl.Certificate.hostFromTransport(server.transport) == ssl.Certificate(certs.serverCert)


def test_peerCertificateStillReadableInConnectionLost(certs: Certs) -> None:
    """As on Twisted, connectionLost may still ask who the peer was (to log it, say);
    a peer whose certificate failed verification has none to show."""
    seen: list[Any] = []

    class Remembering(TLSRecorder):
        def connectionLost(self, reason: Failure = connectionDone) -> None:
            seen.append(self.transport.getPeerCertificate())
            super().connectionLost(reason)

    client = Remembering()
    client.onHandshake = lambda p: p.transport.loseConnection()
    tlsPair(certs.serverOptions(), certs.clientOptions(), client=client)[2].flush()
    refused = Remembering()
    tlsPair(certs.serverOptions(), certs.clientOptions("wrong.example"), client=refused)[2].flush()
    assert client.lost and refused.lost
    assert seen == [ssl.Certificate(certs.serverCert), None]


def test_noPeerCertificateBeforeTheHandshake(certs: Certs) -> None:
    """Before the handshake completes getPeerCertificate is None and negotiatedProtocol too."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    assert shuttle.clientTLS.getPeerCertificate() is None
    assert shuttle.clientTLS.negotiatedProtocol is None


def test_clientCertificate(certs: Certs) -> None:
    """A server built with authorities requires and checks a client certificate."""
    options = certs.serverCert.options(certs.caCert)
    client, server, pump, _ = tlsPair(options, certs.clientOptions(clientCertificate=certs.clientCert))
    client.onHandshake = None
    pump.flush()
    assert "handshakeCompleted" in server.events
    assert server.transport.getPeerCertificate() == ssl.Certificate(certs.clientCert)


def test_clientWithoutRequiredCertificateIsRefused(certs: Certs) -> None:
    """Without the client certificate the server ends the handshake; nobody gets data."""
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(b"let me in")
    client, server, pump, _ = tlsPair(certs.serverCert.options(certs.caCert), certs.clientOptions(), client=client)
    pump.flush()
    assert server.lost and server.data == b""
    assert server.reasons[0].check(stdssl.SSLError)
    assert "certificate" in server.reasons[0].getErrorMessage().lower()
    assert client.lost and client.data == b""


# -- verification failures --------------------------------------------------------


def _refused(certs: Certs, serverCert: Any, clientOptions: Any) -> tuple[TLSRecorder, TLSRecorder]:
    server = TLSRecorder()
    server.onConnectionMade = lambda p: p.transport.write(b"data that must not arrive")
    client, server, pump, _ = tlsPair(serverCert.options(), clientOptions, server=server)
    pump.flush()
    assert client.lost and server.lost
    assert client.data == b""
    assert [e for e in client.events if isinstance(e, tuple)] == []
    assert "handshakeCompleted" not in client.events
    return client, server


def test_wrongHostnameRefused(certs: Certs) -> None:
    """A certificate for another name ends the connection with a VerificationError."""
    client, _ = _refused(certs, certs.serverCert, certs.clientOptions("wrong.example"))
    reason = client.reasons[0]
    assert reason.check(ssl.VerificationError)
    assert "Hostname mismatch" in reason.getErrorMessage()
    assert "wrong.example" in reason.getErrorMessage()


def test_untrustedChainRefused(certs: Certs) -> None:
    """A chain that leads to a CA the client does not trust is refused."""
    other = ssl.Certificate.loadPEM(trustme.CA().cert_pem.bytes())
    client, _ = _refused(certs, certs.serverCert, ssl.optionsForClientTLS("localhost", other))
    assert client.reasons[0].check(ssl.VerificationError)
    assert "unable to get local issuer certificate" in client.reasons[0].getErrorMessage()


def test_expiredCertificateRefused(certs: Certs) -> None:
    """An expired certificate is refused, and the reason says so."""
    client, _ = _refused(certs, oddCertificate(certs.ca, expired=True), certs.clientOptions())
    assert "expired" in client.reasons[0].getErrorMessage()


def test_selfSignedLeafRefused(certs: Certs) -> None:
    """A self-signed certificate the client does not trust is refused."""
    client, _ = _refused(certs, oddCertificate(certs.ca, selfSigned=True), certs.clientOptions())
    assert "self-signed certificate" in client.reasons[0].getErrorMessage()


def test_certificateWithoutSubjectAltNameRefused(certs: Certs) -> None:
    """A trusted certificate naming the host only in its commonName is refused
    (Twisted accepts it); the reason explains the subjectAltName rule."""
    client, _ = _refused(certs, oddCertificate(certs.ca, san=False), certs.clientOptions())
    message = client.reasons[0].getErrorMessage()
    assert client.reasons[0].check(ssl.VerificationError)
    assert "subjectAltName" in message


def test_ipAddressVerifiedAgainstIPSubjectAltName(certs: Certs) -> None:
    """An IP literal host name is checked against the certificate's IP addresses."""
    client, _server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions("127.0.0.1"))
    pump.flush()
    assert "handshakeCompleted" in client.events
    client2, _ = _refused(certs, certs.serverCert, certs.clientOptions("127.0.0.2"))
    assert client2.reasons[0].check(ssl.VerificationError)


def test_sendServerNameFalseStillVerifies(certs: Certs) -> None:
    """sendServerName=False: no SNI, but the name is still checked (after the handshake)."""
    client, _, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(sendServerName=False))
    pump.flush()
    assert "handshakeCompleted" in client.events
    client2, _ = _refused(certs, certs.serverCert, certs.clientOptions("wrong.example", sendServerName=False))
    assert "wrong.example" in client2.reasons[0].getErrorMessage()


def test_handshakeTimeout(certs: Certs) -> None:
    """A server that never answers the ClientHello: after handshakeTimeout the
    connection is aborted and connectionLost says why."""
    clock = Clock()
    client = TLSRecorder()
    factory = tlsFactory(certs.clientOptions(), True, client, clock)
    factory.handshakeTimeout = 5.0
    protocol = factory.buildProtocol(ADDRESS)
    wire = StringTransport()
    protocol.makeConnection(wire)
    assert wire.value()  # the ClientHello went out
    clock.advance(4.9)
    assert not client.lost and not wire.disconnecting
    clock.advance(0.2)
    assert wire.disconnecting  # aborted
    protocol.connectionLost(Failure(error.ConnectionAborted()))
    assert client.reasons[0].check(error.TimeoutError)
    assert "did not complete within 5.0 seconds" in client.reasons[0].getErrorMessage()


def test_noHandshakeTimerOnceDone(certs: Certs) -> None:
    """The handshake timer is cancelled by a completed handshake; handshakeTimeout=None arms none."""
    _, _, pump, clock = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    assert clock.getDelayedCalls() == []
    factory = tlsFactory(certs.clientOptions(), True, TLSRecorder(), clock)
    factory.handshakeTimeout = None
    factory.buildProtocol(ADDRESS).makeConnection(StringTransport())
    assert clock.getDelayedCalls() == []


@pytest.mark.parametrize("when", ["handshake", "open"])
def test_garbageFromThePeerEndsTheConnection(certs: Certs, when: str) -> None:
    """Bytes that are not TLS, during or after the handshake, end the connection
    with an ssl.SSLError and deliver nothing."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    if when == "open":
        shuttle.move()
        assert "handshakeCompleted" in shuttle.client.events
    shuttle.clientTLS.dataReceived(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)
    assert shuttle.clientWire.disconnecting
    shuttle.clientTLS.connectionLost(Failure(error.ConnectionDone()))
    assert shuttle.client.reasons[0].check(stdssl.SSLError)
    assert shuttle.client.data == b""


def test_peerHangsUpDuringTheHandshake(certs: Certs) -> None:
    """EOF before the handshake completed: ConnectionLost that says so."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.clientTLS.readConnectionLost()
    assert shuttle.clientWire.disconnecting
    shuttle.clientTLS.connectionLost(Failure(error.ConnectionDone()))
    reason = shuttle.client.reasons[0]
    assert reason.check(error.ConnectionLost)
    assert "during the TLS handshake" in reason.getErrorMessage()


# -- closing -------------------------------------------------------------------


def test_loseConnectionSendsCloseNotifyBothSidesDone(certs: Certs) -> None:
    """loseConnection: data first, then close_notify; both sides end with ConnectionDone."""
    client, server, pump, clock = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.write(b"last words")
    client.transport.loseConnection()
    client.transport.write(b" and more")  # still sent, as on TCP
    assert client.transport.disconnecting
    pump.flush()
    assert server.data == b"last words and more"
    assert client.reasons[0].check(error.ConnectionDone)
    assert server.reasons[0].check(error.ConnectionDone)
    assert clock.getDelayedCalls() == []


def test_closeNotifyTimeout(certs: Certs) -> None:
    """A peer that never answers close_notify: the transport is closed after closeTimeout."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.clientTLS.loseConnection()
    shuttle.clock.advance(0)
    assert shuttle.clientWire.value()  # our close_notify
    assert not shuttle.clientWire.disconnecting  # waiting for theirs
    shuttle.clock.advance(shuttle.clientTLS.factory.closeTimeout)
    assert shuttle.clientWire.disconnecting


def test_peerCloseNotifyAnswered(certs: Certs) -> None:
    """The peer's close_notify is answered and the transport closed; ConnectionDone."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.serverTLS.loseConnection()
    shuttle.toClient()
    assert shuttle.clientWire.disconnecting
    assert shuttle.clientWire.value()  # our answering close_notify


def test_truncatedConnectionIsConnectionLost(certs: Certs) -> None:
    """The transport closing without a close_notify first is reported as ConnectionLost."""
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    server.transport.transport.loseConnection()  # the raw transport, bypassing TLS
    pump.flush()
    assert client.reasons[0].check(error.ConnectionLost)
    assert "close_notify" in client.reasons[0].getErrorMessage()


def test_abortConnection(certs: Certs) -> None:
    """abortConnection drops what is buffered: ConnectionAborted here, ConnectionLost there."""
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.write(b"never sent")
    client.transport.abortConnection()
    client.transport.abortConnection()
    pump.flush()
    assert server.data == b""
    assert client.reasons[0].check(error.ConnectionAborted)
    assert server.reasons[0].check(error.ConnectionLost)


def test_loseConnectionDuringTheHandshake(certs: Certs) -> None:
    """loseConnection before the handshake completed: the handshake finishes, then
    close_notify, so the peer sees a clean close (Twisted aborts instead)."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.clientTLS.loseConnection()
    shuttle.clock.advance(0)
    assert not shuttle.clientWire.disconnecting
    shuttle.move()
    assert "handshakeCompleted" in shuttle.server.events
    assert shuttle.clientWire.disconnecting and shuttle.serverWire.disconnecting


def test_loseConnectionDuringTheHandshakeWaitsForHeldWrites(certs: Certs) -> None:
    """loseConnection with writes held for the handshake: they are sent first."""
    client = TLSRecorder()
    client.onConnectionMade = lambda p: (p.transport.write(b"bye"), p.transport.loseConnection())
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)
    shuttle.move()
    assert shuttle.server.data == b"bye"
    assert shuttle.clientWire.disconnecting


def test_halfClose(certs: Certs) -> None:
    """loseWriteConnection sends close_notify and keeps reading; a half-closeable peer
    hears readConnectionLost and may still answer."""
    from tests.contract.transport_contract import HalfCloseableRecordingProtocol

    client, server = HalfCloseableRecordingProtocol(), HalfCloseableRecordingProtocol()
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(), server, client)
    pump.flush()
    client.transport.write(b"question")
    client.transport.loseWriteConnection()
    pump.flush()
    assert "writeConnectionLost" in client.events and "readConnectionLost" in server.events
    assert not client.lost and not server.lost
    server.transport.write(b"answer")
    server.transport.loseConnection()
    pump.flush()
    assert client.data == b"answer" and server.data == b"question"
    client.transport.loseConnection()
    pump.flush()
    assert client.reasons[0].check(error.ConnectionDone) and server.reasons[0].check(error.ConnectionDone)


# -- producers -------------------------------------------------------------------


@implementer(IPushProducer)
class _Streamer:
    def __init__(self, transport: Any, total: int, chunk: int = 65536) -> None:
        self.transport, self.left, self.chunk = transport, total, b"z" * chunk
        self.calls: list[str] = []
        self.paused = False

    def pauseProducing(self) -> None:
        self.calls.append("pause")
        self.paused = True

    def resumeProducing(self) -> None:
        self.calls.append("resume")
        self.paused = False
        while not self.paused and self.left > 0:
            self.left -= len(self.chunk)
            self.transport.write(self.chunk)
            if self.left <= 0:
                self.transport.unregisterProducer()
                self.transport.loseConnection()

    def stopProducing(self) -> None:
        self.calls.append("stop")


def test_streamingProducerPausedDuringTheHandshakeThenDrained(certs: Certs) -> None:
    """A push producer writing from connectionMade is paused while the handshake
    holds its data, resumed after, and its whole output arrives."""
    client = TLSRecorder()
    streamers: list[_Streamer] = []

    def start(p: Any) -> None:
        streamer = _Streamer(p.transport, 10 * 65536)
        streamers.append(streamer)
        p.transport.registerProducer(streamer, True)
        streamer.resumeProducing()

    client.onConnectionMade = start
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(), client=client)
    assert streamers[0].calls[:2] == ["resume", "pause"]
    pump.flush()
    assert len(server.data) == 10 * 65536
    assert server.reasons[0].check(error.ConnectionDone)


@implementer(IPullProducer)
class _Puller:
    def __init__(self, transport: Any, count: int) -> None:
        self.transport, self.count, self.sent = transport, count, 0

    def resumeProducing(self) -> None:
        if self.sent < self.count:
            self.sent += 1
            self.transport.write(b"%d;" % self.sent)
        if self.sent == self.count:
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def stopProducing(self) -> None:
        pass


def test_pullProducerAskedForMore(certs: Certs) -> None:
    """A pull producer is asked for more each time the transport drains."""
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.registerProducer(_Puller(p.transport, 5), False)
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(), client=client)
    pump.flush()
    assert server.data == b"1;2;3;4;5;"


def test_registerTwoProducersRaises(certs: Certs) -> None:
    """A second registerProducer raises RuntimeError."""
    client, _, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.registerProducer(_Streamer(client.transport, 0), True)
    with pytest.raises(RuntimeError, match="was never unregistered"):
        client.transport.registerProducer(_Streamer(client.transport, 0), True)


def test_producerStoppedWhenTheConnectionIsLost(certs: Certs) -> None:
    """A producer still registered when the connection ends gets stopProducing."""
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    streamer = _Streamer(client.transport, 0)
    client.transport.registerProducer(streamer, True)
    server.transport.loseConnection()
    pump.flush()
    assert streamer.calls[-1:] == ["stop"]


def test_pauseProducingHoldsDeliveryUntilResumed(certs: Certs) -> None:
    """pauseProducing on the TLS transport stops dataReceived until resumeProducing."""
    client, server, pump, _clock = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.pauseProducing()
    server.transport.write(b"held")
    pump.flush()
    assert client.data == b""
    client.transport.resumeProducing()
    pump.flush()
    assert client.data == b"held"


# -- ALPN --------------------------------------------------------------------------


def test_alpnNegotiated(certs: Certs) -> None:
    """The server's preference among the protocols both sides offer wins."""
    client, server, pump, _ = tlsPair(
        certs.serverOptions(acceptableProtocols=[b"h2", b"http/1.1"]),
        certs.clientOptions(acceptableProtocols=[b"http/1.1", b"h2"]),
    )
    pump.flush()
    assert client.transport.negotiatedProtocol == b"h2"
    assert server.transport.negotiatedProtocol == b"h2"


def test_alpnNoOverlap(certs: Certs) -> None:
    """With no protocol in common, the connection goes on with none negotiated."""
    client, _server, pump, _ = tlsPair(
        certs.serverOptions(acceptableProtocols=[b"h2"]), certs.clientOptions(acceptableProtocols=[b"spdy/3"])
    )
    pump.flush()
    assert client.transport.negotiatedProtocol is None


def test_alpnFromTheProtocolFactory(certs: Certs) -> None:
    """A wrapped factory providing IProtocolNegotiationFactory adds its protocols."""

    @implementer(IProtocolNegotiationFactory)
    class NegotiatingFactory(Factory[Any]):
        def acceptableProtocols(self) -> list[bytes]:
            return [b"irc"]

    clock = Clock()
    server = TLSRecorder()
    serverFactory = NegotiatingFactory.forProtocol(lambda: server)
    sf = TLSMemoryBIOFactory(certs.serverOptions(), False, serverFactory, clock)
    cf = tlsFactory(certs.clientOptions(acceptableProtocols=[b"irc"]), True, TLSRecorder(), clock)
    from plait.testing import connectedServerAndClient

    client, _, pump = connectedServerAndClient(lambda: sf.buildProtocol(ADDRESS), lambda: cf.buildProtocol(ADDRESS), clock=clock)
    pump.flush()
    assert client.negotiatedProtocol == b"irc"
    assert server.transport.negotiatedProtocol == b"irc"


# -- the factory -------------------------------------------------------------------


def test_factoryForwardsAndPrefixes(certs: Certs) -> None:
    """The factory forwards connector events and doStart/doStop; prefixes say TLS."""
    calls: list[str] = []

    class UserFactory(Factory[Any]):
        protocol = Protocol

        def startedConnecting(self, connector: Any) -> None:
            calls.append("started")

        def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
            calls.append("failed")

        def clientConnectionLost(self, connector: Any, reason: Any) -> None:
            calls.append("lost")

        def startFactory(self) -> None:
            calls.append("startFactory")

    user = UserFactory()
    factory = TLSMemoryBIOFactory(certs.clientOptions(), True, user, Clock())
    factory.doStart()
    factory.startedConnecting(None)
    factory.clientConnectionFailed(None, None)  # type: ignore[arg-type]
    factory.clientConnectionLost(None, None)  # type: ignore[arg-type]
    factory.doStop()
    assert calls == ["startFactory", "started", "failed", "lost"]
    assert factory.logPrefix() == "UserFactory (TLS)"
    protocol = factory.buildProtocol(ADDRESS)
    assert isinstance(protocol, TLSMemoryBIOProtocol)
    assert protocol.logPrefix() == "Protocol (TLSMemoryBIOProtocol)"


def test_factoryRefusalPassesThrough(certs: Certs) -> None:
    """A wrapped factory returning None refuses the connection (None, not a TLS protocol)."""
    user = Factory[Any]()
    user.buildProtocol = lambda addr: None  # type: ignore[method-assign]
    assert TLSMemoryBIOFactory(certs.clientOptions(), True, user, Clock()).buildProtocol(ADDRESS) is None


def test_notTLSOptionsRaises() -> None:
    """Something that is not TLS settings is refused at once, with advice."""
    with pytest.raises(TypeError, match="optionsForClientTLS"):
        TLSMemoryBIOFactory(object(), True, Factory(), Clock())
    with pytest.raises(TypeError, match="CertificateOptions"):
        TLSMemoryBIOFactory("server.pem", False, Factory(), Clock())


def test_pyOpenSSLContextFactoryGivesOneClearError() -> None:
    """A pyOpenSSL context factory: one TypeError naming what to use instead."""
    from OpenSSL import SSL

    class OldStyle:
        def getContext(self) -> Any:
            return SSL.Context(SSL.TLS_METHOD)

    with pytest.raises(TypeError) as info:
        TLSMemoryBIOFactory(OldStyle(), True, Factory(), Clock())
    message = str(info.value)
    assert "pyOpenSSL" in message and "OpenSSL.SSL.Context" in message
    assert "optionsForClientTLS" in message and "CertificateOptions" in message


def test_duckTypedPyOpenSSLContextRecognised() -> None:
    """The pyOpenSSL check goes by the context's module, so it needs no pyOpenSSL to test."""
    Context = type("Context", (), {"__module__": "OpenSSL.SSL"})

    class OldStyle:
        def getContext(self) -> Any:
            return Context()

    with pytest.raises(TypeError, match="cannot use a pyOpenSSL context"):
        TLSMemoryBIOFactory(OldStyle(), False, Factory(), Clock())


def test_oldStyleContextFactoryRuns(certs: Certs, loggedErrors: Any, caplog: pytest.LogCaptureFixture) -> None:
    """ClientContextFactory and DefaultOpenSSLContextFactory work; the unverified client is logged."""
    server = ssl.DefaultOpenSSLContextFactory(str(certs.serverKeyFile), str(certs.serverCertFile))
    with caplog.at_level("WARNING", logger="plait"):
        client, srv, pump, _ = tlsPair(server, ssl.ClientContextFactory())
    assert any("NOT verified" in r.getMessage() for r in caplog.records)
    pump.flush()
    assert "handshakeCompleted" in client.events and "handshakeCompleted" in srv.events


def test_startTLSOnlyOnce(certs: Certs) -> None:
    """A TLS layer is built once per connection; repr and states are readable."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    assert "handshaking" in repr(shuttle.clientTLS)
    shuttle.move()
    assert "open" in repr(shuttle.clientTLS)


def test_connectionLostOnce(certs: Certs) -> None:
    """connectionLost reaches the application exactly once, whatever calls it."""
    client, _server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.loseConnection()
    pump.flush()
    client.transport.connectionLost(Failure(error.ConnectionDone()))
    assert client.events.count("connectionLost") == 1


def test_pathArgumentsAreFiles(tmp_path: Path) -> None:
    """A DefaultOpenSSLContextFactory with a missing key file raises at once."""
    with pytest.raises(FileNotFoundError):
        ssl.DefaultOpenSSLContextFactory(str(tmp_path / "nope.key"), str(tmp_path / "nope.crt"))


# -- edges ---------------------------------------------------------------------------


def test_dataAfterOurCloseIsDiscardedButTheirCloseNotifyHeard(certs: Certs) -> None:
    """After loseConnection, data still arriving is not delivered (as on TCP), but the
    peer's close_notify behind it is read and ends the connection."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.clientTLS.loseConnection()
    shuttle.clock.advance(0)
    shuttle.server.transport.write(b"late")  # crosses our close_notify
    shuttle.clock.advance(0)
    shuttle.toServer()  # the server hears our close_notify and answers
    shuttle.toClient()
    assert shuttle.client.data == b""
    assert shuttle.clientWire.disconnecting


def test_resumeProducingDeliversWhatWasAlreadyDecrypted(certs: Certs) -> None:
    """Data that reached the TLS layer while paused is delivered after resumeProducing."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.clientTLS.pauseProducing()
    assert shuttle.clientWire.producerState == "paused"
    shuttle.server.transport.write(b"waiting")
    shuttle.toClient()
    assert shuttle.client.data == b""
    shuttle.clientTLS.resumeProducing()
    assert shuttle.client.data == b""  # not from inside resumeProducing
    shuttle.clock.advance(0)
    assert shuttle.client.data == b"waiting"


def test_stopProducingLosesTheConnection(certs: Certs) -> None:
    """stopProducing (a consumer wants no more) is loseConnection."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.clientTLS.stopProducing()
    assert shuttle.clientTLS.disconnecting


def test_registerProducerAfterTheEnd(certs: Certs) -> None:
    """A producer registered on a finished connection is stopped at once."""
    client, _, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    client.transport.abortConnection()
    pump.flush()
    streamer = _Streamer(client.transport, 0)
    client.transport.registerProducer(streamer, True)
    assert streamer.calls == ["stop"]


def test_loseConnectionAfterLoseWriteConnectionWaitsForThePeer(certs: Certs) -> None:
    """Half-closed, then loseConnection: the close waits for the peer's close_notify
    (bounded by closeTimeout)."""
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions())
    shuttle.move()
    shuttle.clientTLS.loseWriteConnection()
    shuttle.clock.advance(0)
    shuttle.clientTLS.loseConnection()
    assert not shuttle.clientWire.disconnecting
    shuttle.clock.advance(shuttle.clientTLS.factory.closeTimeout)
    assert shuttle.clientWire.disconnecting


def test_peerEOFAfterItsCloseNotifyKeepsAHalfCloseableProtocolWriting(certs: Certs) -> None:
    """close_notify then TCP EOF from the peer: a half-closeable protocol stays connected
    and may still write; anything else is closed."""
    from tests.contract.transport_contract import HalfCloseableRecordingProtocol

    client = HalfCloseableRecordingProtocol()
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)  # type: ignore[arg-type]
    shuttle.move()
    shuttle.serverTLS.loseWriteConnection()
    shuttle.toClient()
    shuttle.clientTLS.readConnectionLost()  # the TCP FIN behind it
    assert "readConnectionLost" in client.events and not shuttle.clientWire.disconnecting
    client.transport.write(b"still talking")
    shuttle.toServer()
    assert shuttle.server.data == b"still talking"


def test_exceptionInAScheduledFlushAbortsThatConnection(certs: Certs, loggedErrors: Any) -> None:
    """Application code raising inside the TLS layer's own flush (here writeConnectionLost,
    after a loseWriteConnection from a timer) is logged and aborts that connection."""
    from tests.contract.transport_contract import HalfCloseableRecordingProtocol

    class Broken(HalfCloseableRecordingProtocol):
        def writeConnectionLost(self) -> None:
            raise ZeroDivisionError("application bug")

    client = Broken()
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)  # type: ignore[arg-type]
    shuttle.move()
    client.transport.loseWriteConnection()
    shuttle.clock.advance(0)
    assert shuttle.clientWire.disconnecting  # StringTransport.abortConnection
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_whenHandshakeDoneAfterTheFact(certs: Certs) -> None:
    """_whenHandshakeDone on a finished handshake fires at once; on a lost connection fails."""
    from tests.helpers import failureResultOf, successResultOf

    client, _, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions())
    pump.flush()
    assert successResultOf(client.transport._whenHandshakeDone()) is None
    client.transport.abortConnection()
    pump.flush()
    failureResultOf(client.transport._whenHandshakeDone(), error.ConnectionAborted)


def test_unverifiedCertificateOptionsClientIsLogged(certs: Certs, caplog: pytest.LogCaptureFixture) -> None:
    """CertificateOptions without trustRoot, used by a client, verifies nothing (Twisted's
    default) and says so; with trustRoot, or optionsForClientTLS, nothing is logged."""
    with caplog.at_level("WARNING", logger="plait"):
        TLSMemoryBIOFactory(ssl.CertificateOptions(), True, Factory(), Clock())
    expected = (
        "TLS with CertificateOptions: the server's certificate and name are NOT verified "
        "(use plait.ssl.optionsForClientTLS(hostname) to verify them)"
    )
    assert [r.getMessage() for r in caplog.records if "NOT verified" in r.getMessage()] == [expected]
    caplog.clear()
    with caplog.at_level("WARNING", logger="plait"):
        TLSMemoryBIOFactory(ssl.CertificateOptions(trustRoot=certs.caCert), True, Factory(), Clock())
        TLSMemoryBIOFactory(certs.clientOptions(), True, Factory(), Clock())
        TLSMemoryBIOFactory(certs.serverOptions(), False, Factory(), Clock())
    assert not [r for r in caplog.records if "NOT verified" in r.getMessage()]



class RaisingListener(TLSRecorder):
    """An IHandshakeListener whose handshakeCompleted has a bug."""

    def handshakeCompleted(self) -> None:
        super().handshakeCompleted()
        raise ZeroDivisionError("bug in handshakeCompleted")


def test_handshakeCompletedRaisingIsLoggedOnceAndEndsTheConnection(certs: Certs, loggedErrors: Any) -> None:
    """As on Twisted (the exception leaves dataReceived; the reactor logs it and drops the
    connection): one "Unhandled Error", nothing more sent or delivered, the transport
    closed, and connectionLost gets the exception."""
    client = RaisingListener()
    client.onConnectionMade = lambda p: p.transport.write(b"never sent")
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)
    shuttle.toServer()
    shuttle.toClient()  # the server's flight: the client's handshake completes, and it raises
    [failure] = loggedErrors.flush(ZeroDivisionError)
    assert shuttle.clientWire.disconnecting
    assert shuttle.clientWire.value() == b""  # not even the client's Finished
    client.transport.write(b"after the bug")
    shuttle.clock.advance(0)
    assert shuttle.clientWire.value() == b""
    shuttle.clientTLS.connectionLost(Failure(error.ConnectionDone()))
    assert client.reasons[0].value is failure.value
    assert client.events == ["connectionMade", "handshakeCompleted", "connectionLost"]
    assert "handshakeCompleted" not in shuttle.server.events


def test_handshakeCompletedRaisingFailsTheWaitingEndpoint(certs: Certs, loggedErrors: Any) -> None:
    """A TLS endpoint waiting for the handshake gets the exception as its failure,
    instead of a log line (the Deferred reports it if nobody handles it)."""
    from tests.helpers import failureResultOf

    client = RaisingListener()
    shuttle = Shuttle(certs.serverOptions(), certs.clientOptions(), client=client)
    waiting = shuttle.clientTLS._whenHandshakeDone()
    shuttle.toServer()
    shuttle.toClient()
    assert loggedErrors.flush() == []
    shuttle.clientTLS.connectionLost(Failure(error.ConnectionDone()))
    failure = failureResultOf(waiting, ZeroDivisionError)
    assert client.reasons[0].value is failure.value


def test_serverHandshakeCompletedRaisingIsLoggedOnce(certs: Certs, loggedErrors: Any) -> None:
    """The server side too: logged once, its connection ends with the exception, the
    client sees a connection lost without close_notify."""
    server = RaisingListener()
    client, server, pump, _ = tlsPair(certs.serverOptions(), certs.clientOptions(), server=server)
    pump.flush()
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1
    assert server.reasons[0].check(ZeroDivisionError)
    assert client.reasons[0].check(error.ConnectionLost)
