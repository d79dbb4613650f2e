"""Writing Clients: ``WelcomeMessage``, a protocol that greets and hangs up.

Usage: python3 examples/welcome_message.py [HOST] [PORT]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1234``, then e.g.
``python3 examples/welcome_message.py localhost 1234``.

The howto shows only the protocol; here a ``ClientFactory`` connects it and
stops the reactor when the connection is gone.  The howto writes a ``str``;
on Python 3 (and on Twisted today) a transport takes ``bytes``.
"""

import sys

from plait import reactor
from plait.protocol import ClientFactory, Protocol


class WelcomeMessage(Protocol):
    def connectionMade(self):
        self.transport.write(b"Hello server, I am the client!\r\n")
        self.transport.loseConnection()


class WelcomeFactory(ClientFactory):
    protocol = WelcomeMessage

    def clientConnectionLost(self, connector, reason):
        print("Sent the welcome message; connection closed:", reason.getErrorMessage())
        reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        print("Connection failed:", reason.getErrorMessage())
        reactor.stop()


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    reactor.connectTCP(host, port, WelcomeFactory())
    reactor.run()
