"""A client that starts in clear and upgrades its connection to TLS (STARTTLS).

Usage: python3 examples/starttls_client.py HOST PORT CA_FILE

Start examples/starttls_server.py first (docs/tls.md shows how); CA_FILE is
the ``ca.pem`` of ``python3 examples/tls_certificates.py DIRECTORY``.  The
client sends one line in clear, then ``STARTTLS``; on the server's
``READY`` it calls ``transport.startTLS`` with ``optionsForClientTLS``, so
the server's certificate is checked against CA_FILE and HOST before the
next line is readable by anyone.  It sends a line over TLS, prints each
answer, and hangs up.  A refused connection or a failed check is printed
and the program ends.
"""

import sys

from zope.interface import implementer

from plait import reactor, ssl
from plait.interfaces import IHandshakeListener
from plait.protocol import ClientFactory
from plait.protocols.basic import LineReceiver


@implementer(IHandshakeListener)
class StartTLSClient(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.sendLine(b"plain text")
        self.sendLine(b"STARTTLS")

    def lineReceived(self, line):
        print("server:", line.decode())
        if line == b"READY":
            self.transport.startTLS(self.factory.options)
            # Written after startTLS: held until the handshake is done, then encrypted.
            self.sendLine(b"secret text")
        elif b"over TLS" in line:
            self.transport.loseConnection()

    def handshakeCompleted(self):
        print("TLS is on, and the server's certificate checked out")

    def connectionLost(self, reason):
        # The protocol hears why TLS ended (a failed check, say); the
        # factory below only hears that the TCP connection under it closed.
        print("connection closed:", reason.getErrorMessage())


class StartTLSFactory(ClientFactory):
    protocol = StartTLSClient

    def __init__(self, options):
        self.options = options

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage())
        reactor.stop()

    def clientConnectionLost(self, connector, reason):
        reactor.stop()


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: python3 examples/starttls_client.py HOST PORT CA_FILE")
    host, port, caFile = argv[1], int(argv[2]), argv[3]
    with open(caFile, "rb") as f:
        authority = ssl.Certificate.loadPEM(f.read())
    reactor.connectTCP(host, port, StartTLSFactory(ssl.optionsForClientTLS(host, trustRoot=authority)))
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
