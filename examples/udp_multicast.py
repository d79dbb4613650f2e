"""Multicast: one datagram to a group, an answer from every member.

Usage::

    python3 examples/udp_multicast.py listen PORT    # join the group; answer each ping
    python3 examples/udp_multicast.py ping PORT      # ping the group; count the answers

Start one or more listeners first: the first with PORT 0 (it prints
``listening on group 225.0.0.250 port N``), the others with that N (they
all bind the same port: ``listenMultiple=True``).  Then ``ping N``: it sends
one datagram to the group, prints each answer for one second, and ends
(exit status 1 if nobody answered; a listener that cannot join the group
says so and ends, with exit status 1).  From Twisted's "UDP Networking" howto
(the multicast ping-pong), kept on this machine: the group is joined on the
loopback interface, and datagrams to it are sent there with a time-to-live
of 0 (they never leave the host).
"""

import sys

from plait import reactor
from plait.protocol import DatagramProtocol

GROUP = "225.0.0.250"
LOOPBACK = "127.0.0.1"


def stop():
    # startProtocol runs inside listenMulticast, before reactor.run(), and
    # these Deferreds fire at once: stop the reactor once it runs
    # (callWhenRunning calls at once if it already does).
    reactor.callWhenRunning(reactor.stop)


class Pong(DatagramProtocol):
    failed = False

    def __init__(self, port):
        self.port = port

    def startProtocol(self):
        # Join the group on the loopback interface: a Deferred, which fails
        # with MulticastJoinError if the kernel refuses.
        joined = self.transport.joinGroup(GROUP, LOOPBACK)
        joined.addCallbacks(self.joined, self.cannotJoin)

    def joined(self, _):
        print(f"listening on group {GROUP} port {self.transport.getHost().port}", flush=True)

    def cannotJoin(self, reason):
        print("cannot join the group:", reason.getErrorMessage(), flush=True)
        self.failed = True
        stop()

    def datagramReceived(self, datagram, address):
        print(f"{datagram!r} from {address}", flush=True)
        # The answer goes to the sender alone, as a plain UDP datagram.
        self.transport.write(b"pong", address)


class Ping(DatagramProtocol):
    def __init__(self, port):
        self.port = port
        self.answers = 0

    def startProtocol(self):
        self.transport.setTTL(0)  # never beyond this host
        self.transport.setLoopbackMode(True)  # deliver to members on this host (the default)
        sending = self.transport.setOutgoingInterface(LOOPBACK)
        sending.addCallbacks(self.send, self.cannotSend)

    def send(self, _):
        self.transport.write(b"ping", (GROUP, self.port))
        reactor.callLater(1, self.done)

    def cannotSend(self, reason):
        print("cannot send to the group:", reason.getErrorMessage())
        stop()

    def datagramReceived(self, datagram, address):
        self.answers += 1
        print(f"{datagram!r} from {address}")

    def done(self):
        print(f"{self.answers} answer(s)")
        reactor.stop()


def main(argv):
    if len(argv) != 2 or argv[0] not in ("listen", "ping"):
        sys.exit(__doc__)
    port = int(argv[1])
    if argv[0] == "listen":
        # Bound to the group's address, the port receives the group's
        # datagrams and nothing else; listenMultiple lets several
        # listeners (in this process or others) share the port.
        pong = Pong(port)
        reactor.listenMulticast(port, pong, interface=GROUP, listenMultiple=True)
        reactor.run()
        sys.exit(1 if pong.failed else 0)
    else:
        ping = Ping(port)
        reactor.listenMulticast(0, ping, interface=LOOPBACK)
        reactor.run()
        sys.exit(0 if ping.answers else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
