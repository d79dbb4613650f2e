"""Writing Clients: ``Greeter`` with an endpoint and ``connectProtocol``.

Usage: python3 examples/greeter.py [HOST] [PORT]

Start the server first, in another terminal:
``python3 examples/howto_server.py 1234``, then e.g.
``python3 examples/greeter.py localhost 1234``.

"Simple, single-use clients": connect one protocol instance, send a message
now, another a second later, hang up after two seconds.  The reply lines from
the howto server are printed; the reactor stops when the connection closes.
"""

import sys

from plait import reactor
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Protocol


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
    point = TCP4ClientEndpoint(reactor, host, port)
    d = connectProtocol(point, Greeter())
    d.addCallbacks(gotProtocol, failed)
    reactor.run()
