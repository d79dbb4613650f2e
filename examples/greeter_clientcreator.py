"""Writing Clients, older edition: ``Greeter`` connected with ``ClientCreator``.

Usage: python3 examples/greeter_clientcreator.py [HOST] [PORT]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1234``, then e.g.
``python3 examples/greeter_clientcreator.py localhost 1234``.

Before endpoints, the howto used ``ClientCreator``: it builds the protocol
from a class and its arguments, and its Deferred fires with the connected
protocol one reactor turn after ``connectionMade``.
"""

import sys

from plait import reactor
from plait.protocol import ClientCreator, Protocol


class Greeter(Protocol):
    def sendMessage(self, msg):
        self.transport.write(b"MESSAGE %s\n" % msg)

    def dataReceived(self, data):
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()

    def connectionLost(self, reason):
        print("Greeter disconnected:", reason.getErrorMessage())
        reactor.stop()


def gotProtocol(p):
    p.sendMessage(b"Hello")
    reactor.callLater(1, p.sendMessage, b"This is sent in a second")
    reactor.callLater(2, p.transport.loseConnection)


def failed(reason):
    print("Could not connect:", reason.getErrorMessage())
    reactor.stop()


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    c = ClientCreator(reactor, Greeter)
    c.connectTCP(host, port).addCallbacks(gotProtocol, failed)
    reactor.run()
