"""Socket activation, the server's half: serve on a listening socket inherited from a supervisor.

Usage::

    python3 examples/socket_activate.py 127.0.0.1:8123 python3 examples/socket_activated.py
    systemd-socket-activate -l 127.0.0.1:8123 python3 examples/socket_activated.py
    python3 examples/socket_activate.py PATH python3 examples/socket_activated.py systemd:domain=UNIX:index=0

Started by a supervisor (systemd, ``systemd-socket-activate``, or
examples/socket_activate.py, which shows what they do), this server does
not open a socket: it adopts the one it inherited, with a ``serverFromString``
description, ``systemd:domain=INET:index=0`` by default (the first socket
passed, a TCP one; ``domain=UNIX`` for a UNIX socket, ``name=NAME`` for a
named one), or ``fd:fileno=3:domain=INET``, which names the descriptor
itself.  It prints ``serving on ADDRESS``, then echoes each line as
``echo: LINE`` until it is stopped.  Without an inherited socket it says
why and ends with exit status 1.
"""

import sys

from plait import reactor
from plait.endpoints import serverFromString
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


class Echo(LineReceiver):
    delimiter = b"\n"

    def lineReceived(self, line):
        self.sendLine(b"echo: " + line)


failures = []


def serving(port):
    print("serving on", port.getHost(), flush=True)


def failed(reason):
    print("cannot serve:", reason.getErrorMessage(), flush=True)
    failures.append(reason)
    reactor.stop()


def listen(endpoint):
    endpoint.listen(Factory.forProtocol(Echo)).addCallbacks(serving, failed)


def main(argv):
    description = argv[0] if argv else "systemd:domain=INET:index=0"
    try:
        endpoint = serverFromString(reactor, description)
    except (IndexError, KeyError, ValueError, TypeError) as e:
        sys.exit(f"cannot serve: {e}")
    # Listen once the reactor runs: an adopted socket's listen() fails at
    # once, and failed() can stop only a running reactor.
    reactor.callWhenRunning(listen, endpoint)
    reactor.run()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
