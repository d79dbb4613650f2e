"""UNIX datagram sockets: an echo server (``listenUNIXDatagram``) and a
client (``connectUNIXDatagram``).

Usage::

    python3 examples/unix_datagram.py server PATH             # echo every datagram to its sender
    python3 examples/unix_datagram.py client PATH WORD...     # send each word, print the answers

Start the server first (it prints ``listening on PATH``), then the client in
another terminal.  Like UDP, every datagram arrives whole or not at all, with
the sender's address; unlike UDP, nothing is lost on the way, but a
datagram written while the receiver's queue is full is dropped (the socket
never blocks the reactor), as in Twisted.  To be answered, a sender needs a name of its own: the client binds
one in the abstract namespace (no file to clean up) with ``bindAddress``.
A client whose server is missing is told through ``connectionFailed``;
one that gets no answer within 2 s says so.  Either way the exit status is 1.
"""

import os
import sys

from plait import reactor
from plait.error import CannotListenError
from plait.protocol import ConnectedDatagramProtocol, DatagramProtocol


class Echo(DatagramProtocol):
    def datagramReceived(self, datagram, address):
        if address is None:
            print(f"cannot answer {datagram!r}: the sender's socket has no name", flush=True)
            return
        print(f"echoing {datagram!r} to {address!r}", flush=True)
        self.transport.write(datagram, address)


class Ask(ConnectedDatagramProtocol):
    failed = False

    def __init__(self, words):
        self.words = [word.encode() for word in words]
        self.answers = 0

    def startProtocol(self):
        # Bound and connected: send.
        for word in self.words:
            self.transport.write(word)
        self.giveUp = reactor.callLater(2, self.stop, "no answer within 2 s")

    def datagramReceived(self, datagram):
        # Connected: only the server's datagrams arrive, with no address.
        print("answer:", datagram.decode())
        self.answers += 1
        if self.answers == len(self.words):
            self.giveUp.cancel()
            self.stop()

    def connectionFailed(self, reason):
        self.stop(f"could not connect: {reason.getErrorMessage()}")

    def stop(self, problem=None):
        if problem is not None:
            print(problem)
            self.failed = True
        reactor.stop()


def main(argv):
    if len(argv) == 2 and argv[0] == "server":
        try:
            port = reactor.listenUNIXDatagram(argv[1], Echo(), mode=0o600)
        except CannotListenError as e:
            sys.exit(f"cannot listen: {e}")
        print("listening on", port.getHost().name.decode(), flush=True)
        reactor.run()
    elif len(argv) >= 3 and argv[0] == "client":
        protocol = Ask(argv[2:])
        ownName = f"\0plait-unix-datagram-client-{os.getpid()}"
        reactor.connectUNIXDatagram(argv[1], protocol, bindAddress=ownName)
        reactor.run()
        sys.exit(1 if protocol.failed else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
