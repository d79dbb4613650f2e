"""Writing Clients: an ``Echo`` protocol and an ``EchoClientFactory``.

Usage: python3 examples/echo_client.py [HOST] [PORT]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1234``, then e.g.
``python3 examples/echo_client.py localhost 1234``.

From the howto's "ClientFactory" section: the factory prints each state it
goes through, and the protocol copies whatever arrives to stdout.  Two lines
differ from the howto: after the connection is lost or fails we stop the
reactor, so the program ends (the howto's version runs until interrupted),
and we print ``reason.getErrorMessage()`` rather than the ``Failure``
itself, whose ``str()`` is a two-line ``[Failure instance: ...]``.
"""

import sys

from plait import reactor
from plait.protocol import ClientFactory, Protocol


class Echo(Protocol):
    def connectionMade(self):
        # Ask the howto server to say something, then hang up.
        self.transport.write(b"hello\r\n")
        reactor.callLater(0.2, self.transport.loseConnection)

    def dataReceived(self, data):
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()


class EchoClientFactory(ClientFactory):
    def startedConnecting(self, connector):
        print("Started to connect.")

    def buildProtocol(self, addr):
        print("Connected.")
        return Echo()

    def clientConnectionLost(self, connector, reason):
        print("Lost connection.  Reason:", reason.getErrorMessage())
        reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        print("Connection failed. Reason:", reason.getErrorMessage())
        reactor.stop()


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    reactor.connectTCP(host, port, EchoClientFactory())
    reactor.run()
