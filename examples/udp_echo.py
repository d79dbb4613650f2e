"""UDP: an echo server and a client, from Twisted's "UDP Networking" howto.

Usage::

    python3 examples/udp_echo.py server PORT              # echo every datagram back
    python3 examples/udp_echo.py client HOST PORT WORD... # send each word, print the answers

Start the server first (``PORT`` 0 lets the system choose; it prints the
port it got), then the client in another terminal, e.g.
``python3 examples/udp_echo.py client 127.0.0.1 9999 hello there``.

UDP has no connections: the server's ``DatagramProtocol`` gets each
datagram with the sender's address and writes the answer to that address.
The client uses *connected* UDP (``transport.connect``): its writes need no
address, only the server's datagrams reach it, and an ICMP "port
unreachable" (nobody listens there) comes back as ``connectionRefused()``.
A datagram can also simply be lost, so the client gives up after 2 s.
``HOST`` must be an IP address: a UDP transport never resolves names.
"""

import sys

from plait import error, reactor
from plait.protocol import DatagramProtocol


class Echo(DatagramProtocol):
    def datagramReceived(self, datagram, address):
        print(f"echoing {datagram!r} to {address}", flush=True)
        self.transport.write(datagram, address)


class EchoClient(DatagramProtocol):
    def __init__(self, host, port, words):
        self.host, self.port = host, port
        self.words = [word.encode("utf-8") for word in words]
        self.answers = 0

    def startProtocol(self):
        # Called once the port is bound: fix the peer, then send.
        self.transport.connect(self.host, self.port)
        for word in self.words:
            self.transport.write(word)
        self.giveUp = reactor.callLater(2, self.stop, "no answer (a datagram may be lost)")

    def datagramReceived(self, datagram, address):
        print(f"answer: {datagram.decode('utf-8')}")
        self.answers += 1
        if self.answers == len(self.words):
            self.giveUp.cancel()
            self.stop("all answered")

    def connectionRefused(self):
        self.giveUp.cancel()
        self.stop(f"refused: nobody listens on UDP port {self.port}")

    def stop(self, why):
        print(why)
        reactor.stop()


def main(argv):
    if len(argv) >= 2 and argv[0] == "server":
        port = reactor.listenUDP(int(argv[1]), Echo(), interface="127.0.0.1")
        print("listening on", port.getHost().port, flush=True)
    elif len(argv) >= 4 and argv[0] == "client":
        try:
            reactor.listenUDP(0, EchoClient(argv[1], int(argv[2]), argv[3:]))
        except error.InvalidAddressError as e:  # a host name: resolve it first
            sys.exit(f"udp_echo.py: {e.address}: {e.message}")
    else:
        sys.exit(__doc__)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
