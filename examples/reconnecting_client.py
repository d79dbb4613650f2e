"""Writing Clients, "Reconnection": ``connector.connect()`` from ``clientConnectionLost``.

Usage: python3 examples/reconnecting_client.py [HOST] [PORT] [CONNECTIONS]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1235 --drop 0.5``, then e.g.
``python3 examples/reconnecting_client.py localhost 1235``.

The howto's factory reconnects for ever; this one stops the reactor after
CONNECTIONS connections (default 3) so it can be run from a script.  Run it
against ``howto_server.py --drop 0.2`` to watch it reconnect.
"""

import sys

from plait import reactor
from plait.protocol import ClientFactory, Protocol


class Echo(Protocol):
    def dataReceived(self, data):
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()


class EchoClientFactory(ClientFactory):
    protocol = Echo

    def __init__(self, connections):
        self.remaining = connections

    def clientConnectionLost(self, connector, reason):
        self.remaining -= 1
        print(f"Lost connection, {self.remaining} to go.  Reason:", reason.getErrorMessage())
        if self.remaining > 0:
            connector.connect()
        else:
            reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        print("Connection failed. Reason:", reason.getErrorMessage())
        reactor.stop()


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    reactor.connectTCP(host, port, EchoClientFactory(connections))
    reactor.run()
