"""UNIX stream sockets: an echo server (``listenUNIX``) and a client (``connectUNIX``).

Usage::

    python3 examples/unix_echo.py server ADDRESS              # echo every line back
    python3 examples/unix_echo.py client ADDRESS WORD...      # send each word, print the answers

Start the server first (it prints ``listening on ADDRESS`` once ready), then
the client in another terminal.  ADDRESS is a file name, such as
``/tmp/echo.sock``, or ``@NAME`` for the name NAME in Linux's abstract
namespace (this program's spelling, as ``ss -x`` shows such names: to
plait, as to Twisted, an abstract name is a path that starts with a NUL
byte, ``"\\0NAME"``).

The server takes the lock file ``ADDRESS.lock`` (``wantPID``), so a second
server on the same file is refused while the first one lives, and a server
started after one that died (``kill -9``) removes the dead one's socket file
and takes over.  The client reports a failed connection (no such file,
nobody listening) and ends; its exit status is 1 then.
"""

import sys

from plait import reactor
from plait.error import CannotListenError
from plait.protocol import ClientFactory, Factory
from plait.protocols.basic import LineReceiver


def unixAddress(argument):
    """ADDRESS as plait wants it: ``@NAME`` is NAME in the abstract namespace."""
    if argument.startswith("@"):
        return "\0" + argument[1:]
    return argument


class Echo(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        # A client socket usually has no name: its address is UNIXAddress(None).
        print(f"connection from {self.transport.getPeer()} on {self.transport.getHost()}", flush=True)

    def lineReceived(self, line):
        self.sendLine(b"echo: " + line)


class EchoFactory(Factory):
    protocol = Echo
    noisy = False


class Ask(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        for word in self.factory.words:
            self.sendLine(word)

    def lineReceived(self, line):
        print("server:", line.decode())
        self.factory.answers += 1
        if self.factory.answers == len(self.factory.words):
            self.transport.loseConnection()


class AskFactory(ClientFactory):
    protocol = Ask
    failed = False

    def __init__(self, words):
        self.words = [word.encode() for word in words]
        self.answers = 0

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage())
        self.failed = True
        reactor.stop()

    def clientConnectionLost(self, connector, reason):
        print("connection closed:", reason.getErrorMessage())
        reactor.stop()


def main(argv):
    if len(argv) == 2 and argv[0] == "server":
        address = unixAddress(argv[1])
        abstract = address.startswith("\0")
        try:
            # mode: who may connect (the socket file's permissions; an
            # abstract name has no file).  wantPID: take ADDRESS.lock.
            port = reactor.listenUNIX(address, EchoFactory(), mode=0o600, wantPID=not abstract)
        except CannotListenError as e:
            sys.exit(f"cannot listen: {e}")
        print("listening on", port.getHost(), flush=True)
        reactor.run()
    elif len(argv) >= 3 and argv[0] == "client":
        factory = AskFactory(argv[2:])
        reactor.connectUNIX(unixAddress(argv[1]), factory, timeout=5)
        reactor.run()
        sys.exit(1 if factory.failed else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
