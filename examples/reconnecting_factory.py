"""Writing Clients: the same client with ``ReconnectingClientFactory``.

Usage: python3 examples/reconnecting_factory.py [HOST] [PORT] [CONNECTIONS]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1235 --drop 0.5``, then e.g.
``python3 examples/reconnecting_factory.py localhost 1235``.

The factory retries with exponential back-off (first retry after
``initialDelay``) and must be told, with ``resetDelay()``, when a connection
succeeded.  The howto's version runs for ever; this one stops after
CONNECTIONS lost connections (default 3), and gives up after
``maxRetries`` failed attempts in a row when nothing listens.  A short
``initialDelay`` keeps the demonstration quick.
"""

import sys

from plait import reactor
from plait.protocol import Protocol, ReconnectingClientFactory


class Echo(Protocol):
    def dataReceived(self, data):
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()


class EchoClientFactory(ReconnectingClientFactory):
    initialDelay = 0.1
    delay = 0.1
    maxRetries = 3

    def __init__(self, connections):
        self.remaining = connections

    def startedConnecting(self, connector):
        print("Started to connect.")

    def buildProtocol(self, addr):
        print("Connected.")
        print("Resetting reconnection delay")
        self.resetDelay()
        return Echo()

    def clientConnectionLost(self, connector, reason):
        print("Lost connection.  Reason:", reason.getErrorMessage())
        self.remaining -= 1
        if self.remaining <= 0:
            self.stopTrying()
            reactor.stop()
            return
        ReconnectingClientFactory.clientConnectionLost(self, connector, reason)

    def clientConnectionFailed(self, connector, reason):
        print("Connection failed. Reason:", reason.getErrorMessage())
        if self.retries >= self.maxRetries:
            print(f"Giving up after {self.retries + 1} failed attempts.")
            self.stopTrying()
            reactor.stop()
            return
        ReconnectingClientFactory.clientConnectionFailed(self, connector, reason)


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    reactor.connectTCP(host, port, EchoClientFactory(connections))
    reactor.run()
