"""Client certificates and ALPN: a server that asks "who are you?", and two clients.

Usage: python3 examples/tls_client_auth.py DIRECTORY

DIRECTORY holds what ``python3 examples/tls_certificates.py DIRECTORY``
writes (a CA, a server certificate, a client certificate for ``alice``);
nothing else needs to run first.  All on 127.0.0.1, in one process:

* a server listens with ``listenSSL``.  Its ``CertificateOptions`` present
  the server's certificate, require every client to present one signed by
  the CA (``trustRoot``), and offer two application protocols with ALPN;
* alice connects with ``optionsForClientTLS(..., clientCertificate=...)``.
  Each side prints who the other is and the protocol they agreed on;
* mallory, who trusts the server just as well but has no certificate,
  connects: the server refuses her, and she prints the reason.

Then it stops (exit status 0; 1 if anything went otherwise).  Reading a
certificate's fields (``getSubject()``) needs the ``cryptography`` package
(``pip install 'plait[tls]'``).
"""

import os
import sys

from zope.interface import implementer

from plait import ssl, task
from plait.defer import Deferred
from plait.endpoints import SSL4ClientEndpoint, connectProtocol
from plait.error import ConnectionDone
from plait.interfaces import IHandshakeListener
from plait.protocol import Factory, Protocol


def load(directory, name):
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


@implementer(IHandshakeListener)
class WhoAreYou(Protocol):
    """The server's protocol: greets each client by the name in its certificate."""

    verified = False

    def handshakeCompleted(self):
        self.verified = True
        # Only now is the client's certificate known to be signed by the CA.
        client = self.transport.getPeerCertificate().getSubject().commonName.decode()
        protocol = self.transport.negotiatedProtocol
        print(f"server: client {client!r} verified, speaking {protocol.decode()}")
        self.transport.write(f"hello {client}\n".encode())
        self.transport.loseConnection()

    def connectionLost(self, reason):
        if not self.verified:
            print("server: refused a client:", reason.getErrorMessage())


@implementer(IHandshakeListener)
class Client(Protocol):
    def __init__(self, name):
        self.name = name
        self.closed = Deferred()

    def handshakeCompleted(self):
        protocol = self.transport.negotiatedProtocol
        print(f"{self.name}: server verified as localhost, ALPN chose {protocol!r}")

    def dataReceived(self, data):
        print(f"{self.name}: server says {data.decode().strip()!r}")

    def connectionLost(self, reason):
        print(f"{self.name}: connection closed: {reason.getErrorMessage()}")
        self.closed.callback(reason.value)  # the exception: a Failure would errback


async def visit(reactor, port, name, options):
    """Connect as ``name``; the exception that ended the connection (None if it never began)."""
    endpoint = SSL4ClientEndpoint(reactor, "127.0.0.1", port, options)
    try:
        client = await connectProtocol(endpoint, Client(name))
    except Exception as e:  # noqa: BLE001 - any reason is reported
        print(f"{name}: could not connect: {e}")
        return None
    return await client.closed


async def main(reactor, directory):
    authority = ssl.Certificate.loadPEM(load(directory, "ca.pem"))
    server = ssl.PrivateCertificate.loadPEM(load(directory, "server.crt") + load(directory, "server.key"))
    alice = ssl.PrivateCertificate.loadPEM(load(directory, "alice.crt") + load(directory, "alice.key"))

    serverOptions = ssl.CertificateOptions(
        privateKey=server.privateKey,
        certificate=server,
        trustRoot=authority,  # on a server: clients must present a certificate it signed
        acceptableProtocols=[b"h2", b"http/1.1"],
    )
    port = reactor.listenSSL(0, Factory.forProtocol(WhoAreYou), serverOptions, interface="127.0.0.1")
    number = port.getHost().port

    aliceOptions = ssl.optionsForClientTLS(
        "localhost", trustRoot=authority, clientCertificate=alice, acceptableProtocols=[b"http/1.1"]
    )
    aliceEnd = await visit(reactor, number, "alice", aliceOptions)
    malloryEnd = await visit(reactor, number, "mallory", ssl.optionsForClientTLS("localhost", trustRoot=authority))
    await port.stopListening()

    if not isinstance(aliceEnd, ConnectionDone) or isinstance(malloryEnd, ConnectionDone):
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 examples/tls_client_auth.py DIRECTORY")
    task.react(main, sys.argv[1:])
