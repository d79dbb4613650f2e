"""``ClientService``: stay connected, reconnecting with a back-off.

Usage: python3 examples/client_service.py [HOST] [PORT] [COUNT]

Run it against ``howto_server.py --drop SECONDS``: the server hangs up on
each client after a while, and the service connects again (after the delay
its ``retryPolicy`` gives) until it has been connected COUNT times; then
``stopService`` disconnects for good.  docs/endpoints.md walks through it.
"""

import sys

from plait import reactor
from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver
from plait.service import ClientService, backoffPolicy


class Greeted(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.lost = Deferred()

    def lineReceived(self, line):
        print("server says:", line.decode())

    def connectionLost(self, reason):
        self.lost.callback(None)


def main(host, port, count):
    endpoint = TCP4ClientEndpoint(reactor, host, port)
    service = ClientService(
        endpoint, Factory.forProtocol(Greeted), retryPolicy=backoffPolicy(initialDelay=0.1)
    )
    service.startService()
    connections = []

    def connected(protocol):
        connections.append(protocol)
        print(f"connection {len(connections)} of {count}")
        if len(connections) == count:
            service.stopService().addCallback(lambda _: reactor.stop())
        else:
            # The server hangs up on us; then wait for the service's next connection.
            protocol.lost.addCallback(lambda _: service.whenConnected().addCallback(connected))

    service.whenConnected().addCallback(connected)
    reactor.run()


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1235
    main(host, port, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
