"""Passing an open file from one process to another over a UNIX socket.

Usage::

    python3 examples/unix_fds.py server ADDRESS FILE    # hand FILE, opened, to every client
    python3 examples/unix_fds.py client ADDRESS         # receive it and read from it

Start the server first (it prints ``listening on ADDRESS``), then the
client in another terminal.  On each connection the server opens FILE and
sends the open descriptor (``transport.sendFileDescriptor``), then one line,
the file's name, which the descriptor travels with.  The client's protocol
provides ``IFileDescriptorReceiver``: it gets the descriptor
(``fileDescriptorReceived``) before that line, reads the file's first line
through it, checks that it is the very file the server opened, and hangs
up.  A failed connection, or a line that came without a descriptor, is
reported and the exit status is 1.
"""

import os
import sys

from zope.interface import implementer

from plait import reactor
from plait.error import CannotListenError
from plait.interfaces import IFileDescriptorReceiver
from plait.protocol import ClientFactory, Factory
from plait.protocols.basic import LineReceiver


class SendFile(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.descriptor = os.open(self.factory.path, os.O_RDONLY)
        self.transport.sendFileDescriptor(self.descriptor)
        # A descriptor needs at least one byte to travel with: the name.
        self.sendLine(os.fsencode(self.factory.path))
        print("sent", self.factory.path, flush=True)

    def connectionLost(self, reason):
        # plait sends a copy made by sendFileDescriptor, so closing at once
        # would be safe; Twisted sends this descriptor itself, later, so a
        # portable program keeps it open until the connection ends.
        os.close(self.descriptor)


class SendFileFactory(Factory):
    protocol = SendFile
    noisy = False

    def __init__(self, path):
        self.path = path


@implementer(IFileDescriptorReceiver)
class ReceiveFile(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.descriptors = []
        self.giveUp = reactor.callLater(5, self.tooLate)

    def tooLate(self):
        print("nothing arrived within 5 s")
        self.factory.failed = True
        self.transport.loseConnection()

    def fileDescriptorReceived(self, descriptor):
        # Called before dataReceived for the bytes the descriptor came with.
        self.descriptors.append(descriptor)

    def lineReceived(self, line):
        self.giveUp.cancel()
        name = os.fsdecode(line)
        if not self.descriptors:
            print(f"{name!r} arrived without a descriptor")
            self.factory.failed = True
        else:
            descriptor = self.descriptors.pop(0)
            with os.fdopen(descriptor, "rb") as received:  # closes the descriptor
                first = received.readline().decode(errors="replace").rstrip("\n")
                same = os.path.samestat(os.fstat(received.fileno()), os.stat(name))
            print("received an open file:", name)
            print("  its first line:", first)
            print("  the same file the server opened:", same)
        self.transport.loseConnection()


class ReceiveFileFactory(ClientFactory):
    protocol = ReceiveFile
    failed = False

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage())
        self.failed = True
        reactor.stop()

    def clientConnectionLost(self, connector, reason):
        reactor.stop()


def main(argv):
    if len(argv) == 3 and argv[0] == "server":
        if not os.path.isfile(argv[2]):
            sys.exit(f"{argv[2]}: not a file")
        try:
            port = reactor.listenUNIX(argv[1], SendFileFactory(os.path.abspath(argv[2])), mode=0o600)
        except CannotListenError as e:
            sys.exit(f"cannot listen: {e}")
        print("listening on", port.getHost().name.decode(), flush=True)
        reactor.run()
    elif len(argv) == 2 and argv[0] == "client":
        factory = ReceiveFileFactory()
        reactor.connectUNIX(argv[1], factory, timeout=5)
        reactor.run()
        sys.exit(1 if factory.failed else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
