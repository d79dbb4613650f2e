"""Certificates and TLS test doubles shared by the TLS tests (not part of plait).

Every certificate is made by the test run itself, with ``trustme`` (a test
CA issuing leaf certificates with subjectAltNames) or with
``cryptography`` directly for the odd ones trustme will not make (no
subjectAltName, expired, self-signed leaf).  Nothing is checked in, so
nothing expires behind the tests' backs.

* ``Certs``: a CA, a server certificate for ``localhost``/``127.0.0.1``/
  ``::1``, a client certificate, the same as PEM files in a directory, and
  plait objects for each.
* ``oddCertificate``: a leaf with the given defects.
* ``tlsPair``: a TLS client and server over the in-memory connected pair.
* ``Shuttle``: a TLS client and server, each over its own ``StringTransport``,
  with bytes moved only when the test says so (to hold back one direction).

Tests: used by tests/unit/test_tls*.py, tests/contract/test_contract_tls.py,
tests/integration/test_tls*.py.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import trustme
from zope.interface import implementer

from plait import ssl
from plait.address import IPv4Address
from plait.failure import Failure
from plait.interfaces import IHandshakeListener
from plait.protocol import Factory, Protocol, connectionDone
from plait.task import Clock
from plait.testing import StringTransport, connectedServerAndClient
from plait.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol

ADDRESS = IPv4Address("TCP", "127.0.0.1", 4321)


class Certs:
    """A test CA, a server and a client certificate, as objects and as files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca = trustme.CA()
        self.serverLeaf = self.ca.issue_cert("localhost", "127.0.0.1", "::1")
        self.clientLeaf = self.ca.issue_cert("client@plait.test")
        self.caFile = directory / "ca.pem"
        self.serverFile = directory / "server.pem"  # key + certificate chain
        self.serverCertFile = directory / "server.crt"
        self.serverKeyFile = directory / "server.key"
        self.clientFile = directory / "client.pem"
        self.ca.cert_pem.write_to_path(str(self.caFile))
        self.serverLeaf.private_key_and_cert_chain_pem.write_to_path(str(self.serverFile))
        self.serverLeaf.cert_chain_pems[0].write_to_path(str(self.serverCertFile))
        self.serverLeaf.private_key_pem.write_to_path(str(self.serverKeyFile))
        self.clientLeaf.private_key_and_cert_chain_pem.write_to_path(str(self.clientFile))
        self.caCert = ssl.Certificate.loadPEM(self.ca.cert_pem.bytes())
        self.serverCert = ssl.PrivateCertificate.loadPEM(self.serverLeaf.private_key_and_cert_chain_pem.bytes())
        self.clientCert = ssl.PrivateCertificate.loadPEM(self.clientLeaf.private_key_and_cert_chain_pem.bytes())

    def serverOptions(self, **kw: Any) -> ssl.CertificateOptions:
        return ssl.CertificateOptions(privateKey=self.serverCert.privateKey, certificate=self.serverCert, **kw)

    def clientOptions(self, hostname: str = "localhost", **kw: Any) -> Any:
        return ssl.optionsForClientTLS(hostname, self.caCert, **kw)


def oddCertificate(ca: trustme.CA, *, commonName: str = "localhost", san: bool = True,
                   expired: bool = False, selfSigned: bool = False) -> ssl.PrivateCertificate:
    """A leaf for ``commonName`` signed by ``ca`` (or by itself), with the defects asked for."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, commonName)])
    now = datetime.datetime.now(datetime.UTC)
    if expired:
        notBefore, notAfter = now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)
    else:
        notBefore, notAfter = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    if selfSigned:
        issuer, signingKey = subject, key
    else:
        caCert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
        issuer = caCert.subject
        signingKey = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(notBefore).not_valid_after(notAfter)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(commonName)]), critical=False)
    cert = builder.sign(signingKey, hashes.SHA256())
    return ssl.PrivateCertificate.fromCertificateAndKeyPair(ssl.Certificate(cert), ssl.KeyPair(key))


@implementer(IHandshakeListener)
class TLSRecorder(Protocol):
    """Records its life: ``events``, ``data``, ``reasons``; optional hooks."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.data = b""
        self.reasons: list[Failure] = []
        self.onConnectionMade: Any = None
        self.onHandshake: Any = None
        self.onData: Any = None

    def connectionMade(self) -> None:
        self.events.append("connectionMade")
        if self.onConnectionMade is not None:
            self.onConnectionMade(self)

    def handshakeCompleted(self) -> None:
        self.events.append("handshakeCompleted")
        if self.onHandshake is not None:
            self.onHandshake(self)

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("dataReceived", data))
        self.data += data
        if self.onData is not None:
            self.onData(self, data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.events.append("connectionLost")
        self.reasons.append(reason)

    @property
    def lost(self) -> bool:
        return bool(self.reasons)


def tlsFactory(options: Any, isClient: bool, protocol: Any, clock: Any) -> TLSMemoryBIOFactory:
    return TLSMemoryBIOFactory(options, isClient, Factory.forProtocol(lambda: protocol), clock)


def tlsPair(serverOptions: Any, clientOptions: Any, server: Any = None, client: Any = None,
            clock: Clock | None = None) -> tuple[Any, Any, Any, Clock]:
    """``(clientProtocol, serverProtocol, pump, clock)``: TLS over the in-memory pair."""
    clock = clock or Clock()
    server = server or TLSRecorder()
    client = client or TLSRecorder()
    sf = tlsFactory(serverOptions, False, server, clock)
    cf = tlsFactory(clientOptions, True, client, clock)
    _, _, pump = connectedServerAndClient(lambda: sf.buildProtocol(ADDRESS), lambda: cf.buildProtocol(ADDRESS), clock=clock)
    return client, server, pump, clock


class Shuttle:
    """A TLS client and server over two ``StringTransport``s; ``move()`` carries bytes."""

    def __init__(self, serverOptions: Any, clientOptions: Any, server: Any = None, client: Any = None) -> None:
        self.clock = Clock()
        self.server = server or TLSRecorder()
        self.client = client or TLSRecorder()
        self.clientTLS: TLSMemoryBIOProtocol = tlsFactory(clientOptions, True, self.client, self.clock).buildProtocol(ADDRESS)  # type: ignore[assignment]
        self.serverTLS: TLSMemoryBIOProtocol = tlsFactory(serverOptions, False, self.server, self.clock).buildProtocol(ADDRESS)  # type: ignore[assignment]
        self.clientWire = StringTransport()
        self.serverWire = StringTransport()
        self.serverTLS.makeConnection(self.serverWire)
        self.clientTLS.makeConnection(self.clientWire)

    def toServer(self) -> bytes:
        self.clock.advance(0)
        data = self.clientWire.value()
        self.clientWire.clear()
        if data:
            self.serverTLS.dataReceived(data)
        return data

    def toClient(self) -> bytes:
        self.clock.advance(0)
        data = self.serverWire.value()
        self.serverWire.clear()
        if data:
            self.clientTLS.dataReceived(data)
        return data

    def move(self, rounds: int = 10) -> None:
        for _ in range(rounds):
            if not (self.toServer() or self.toClient()):
                self.clock.advance(0)
                if not (self.clientWire.value() or self.serverWire.value()):
                    return
