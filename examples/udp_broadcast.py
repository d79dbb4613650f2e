"""Broadcast: a datagram to every socket listening on a port, and the flag it needs.

Usage: python3 examples/udp_broadcast.py     (needs nothing else running)

A receiver listens on the broadcast address of the loopback network,
127.255.255.255, so the demonstration stays on this machine (on a real
network the receivers would listen on ``''`` and the sender write to the
network's broadcast address, or to ``"<broadcast>"``: 255.255.255.255).  A
sender on 127.0.0.1 writes to that address twice: without
``setBroadcastAllowed(True)`` the kernel refuses (``PermissionError``,
raised by ``write``), with it the datagram arrives.  The program ends when
it has, or after 2 s, saying what happened.
"""

import sys

from plait import reactor
from plait.protocol import DatagramProtocol

BROADCAST = "127.255.255.255"  # the loopback network's broadcast address


class Receiver(DatagramProtocol):
    received = False

    def datagramReceived(self, datagram, address):
        print(f"received {datagram!r} from {address[0]}")
        self.received = True
        reactor.stop()


class Sender(DatagramProtocol):
    def broadcast(self, port):
        destination = (BROADCAST, port)
        print("broadcast allowed:", self.transport.getBroadcastAllowed())
        try:
            self.transport.write(b"first try", destination)
        except PermissionError as e:
            print("write refused:", e)
        self.transport.setBroadcastAllowed(True)
        print("broadcast allowed:", self.transport.getBroadcastAllowed())
        self.transport.write(b"to everyone on the port", destination)


def main():
    receiver = Receiver()
    port = reactor.listenUDP(0, receiver, interface=BROADCAST).getHost().port
    sender = Sender()
    reactor.listenUDP(0, sender, interface="127.0.0.1")
    reactor.callWhenRunning(sender.broadcast, port)
    giveUp = reactor.callLater(2, reactor.stop)
    reactor.run()
    if not receiver.received:
        sys.exit("nothing arrived within 2 s")
    giveUp.cancel()


if __name__ == "__main__":
    main()
