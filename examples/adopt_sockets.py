"""Adopting sockets somebody else opened: a listening socket, a connected
one, a datagram socket (``IReactorSocket``).

Usage: python3 examples/adopt_sockets.py     (needs nothing else running)

The sockets are made here with the standard library's ``socket`` module,
standing in for a supervisor or a parent process that hands them over:

1. ``adoptStreamPort``: a TCP socket already bound to 127.0.0.1 and
   listening becomes a plait port; a plait client connects to it.
2. ``adoptStreamConnection``: both ends of a ``socket.socketpair()`` (a
   connected pair of UNIX sockets) become plait connections, which talk.
3. ``adoptDatagramPort``: a bound UDP socket becomes a plait UDP port; a
   datagram is sent to it.

Each call duplicates the descriptor, so the caller closes its own copy
right after.  The program prints each step and ends (exit status 1, with
the reason, if a step fails).
"""

import socket

from plait import task
from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import DatagramProtocol, Factory
from plait.protocols.basic import LineReceiver


class Greeter(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.sendLine(b"hello from " + type(self.transport).__name__.encode())


class Listener(LineReceiver):
    delimiter = b"\n"

    def __init__(self):
        self.heard = Deferred()

    def lineReceived(self, line):
        self.heard.callback(line.decode())
        self.transport.loseConnection()


class OneDatagram(DatagramProtocol):
    def __init__(self):
        self.heard = Deferred()

    def datagramReceived(self, datagram, address):
        self.heard.callback(f"{datagram!r} from {address[0]}")


async def adoptAListeningSocket(reactor):
    listening = socket.create_server(("127.0.0.1", 0))  # bound and listening
    port = reactor.adoptStreamPort(listening.fileno(), socket.AF_INET, Factory.forProtocol(Greeter))
    listening.close()  # plait has its own duplicate
    print("1. adopted a listening socket:", port.getHost())
    client = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), Listener())
    print("   a client connected and heard:", await client.heard)
    await port.stopListening()


async def adoptAConnectedPair(reactor):
    left, right = socket.socketpair()  # AF_UNIX, connected to each other
    greeter = Factory.forProtocol(Greeter)
    reactor.adoptStreamConnection(left.fileno(), socket.AF_UNIX, greeter)  # connectionMade runs now
    listener = Listener()
    reactor.adoptStreamConnection(right.fileno(), socket.AF_UNIX, Factory.forProtocol(lambda: listener))
    left.close()
    right.close()
    print("2. adopted both ends of a socketpair; one heard:", await listener.heard)


async def adoptADatagramSocket(reactor):
    bound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bound.bind(("127.0.0.1", 0))
    receiver = OneDatagram()
    port = reactor.adoptDatagramPort(bound.fileno(), socket.AF_INET, receiver)
    bound.close()
    print("3. adopted a UDP socket:", port.getHost())
    sender = reactor.listenUDP(0, DatagramProtocol(), interface="127.0.0.1")
    sender.write(b"a datagram", ("127.0.0.1", port.getHost().port))
    print("   it received:", await receiver.heard)
    await sender.stopListening()
    await port.stopListening()


async def main(reactor):
    await adoptAListeningSocket(reactor)
    await adoptAConnectedPair(reactor)
    await adoptADatagramSocket(reactor)


if __name__ == "__main__":
    task.react(main)
