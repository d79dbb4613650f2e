"""A TLS client: connect, verify the server, say hello, print the answer.

    python3 examples/tls_client.py HOST PORT CA_FILE

``CA_FILE`` is the PEM certificate of the authority that signed the
server's certificate (``client.pem`` from ``python3 -m trustme``);
examples/README.md shows how to start a local TLS server.  The server's
certificate is checked against it, and its name against HOST, during the
handshake: on a mismatch the connection ends before a byte is exchanged,
and the reason is printed.

The protocol is written exactly as for plain TCP; only the connect call
changes: ``connectSSL`` with ``ssl.optionsForClientTLS`` instead of
``connectTCP``.
"""

from __future__ import annotations

import sys
from typing import Any

from zope.interface import implementer

from plait import reactor, ssl
from plait.interfaces import IHandshakeListener
from plait.protocol import ClientFactory
from plait.protocols.basic import LineReceiver


@implementer(IHandshakeListener)
class Hello(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self) -> None:
        print("TCP connected; TLS handshake under way")

    def handshakeCompleted(self) -> None:
        # Only now is the server known to be who HOST says.
        cert = self.transport.getPeerCertificate()
        print("verified; server certificate sha256", cert.digest("sha256").decode()[:23] + "...")
        print("negotiated", self.transport.getHandle().version())
        self.sendLine(b"hello over TLS")

    def lineReceived(self, line: bytes) -> None:
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        print("server said:", text)
        if not text.startswith("Hello from"):  # skip the howto server's greeting
            self.transport.loseConnection()


class HelloFactory(ClientFactory):
    protocol = Hello

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        print("connection failed:", reason.getErrorMessage())
        reactor.stop()

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        print("connection closed:", reason.getErrorMessage())
        reactor.stop()


def main(argv: list[str]) -> None:
    if len(argv) != 4:
        sys.exit("usage: python3 examples/tls_client.py HOST PORT CA_FILE")
    host, port, caFile = argv[1], int(argv[2]), argv[3]
    with open(caFile, "rb") as f:
        authority = ssl.Certificate.loadPEM(f.read())
    reactor.connectSSL(host, port, HelloFactory(), ssl.optionsForClientTLS(host, trustRoot=authority))
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
