"""The program docs/tour.md follows, step by step: the howto's echo client.

Usage: python3 examples/tour_echo.py [HOST] [PORT]

Start the server first (python3 examples/howto_server.py 8000).  It says
hello, prints the first reply and hangs up; the reactor stops when the
connection is gone, or at once, with the reason, if it could not connect.
Watch every step of the tour happen with the trace:

    python3 -m plait.trace examples/tour_echo.py 127.0.0.1 8000
"""

import sys

from plait import reactor
from plait.protocol import ClientFactory, Protocol


class Echo(Protocol):
    def connectionMade(self):
        self.transport.write(b"hello\r\n")

    def dataReceived(self, data):
        print("received:", data)
        self.transport.loseConnection()


class EchoFactory(ClientFactory):
    protocol = Echo

    def clientConnectionLost(self, connector, reason):
        print("connection closed:", reason.getErrorMessage())
        reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage())
        reactor.stop()


host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
reactor.connectTCP(host, port, EchoFactory())
reactor.run()
