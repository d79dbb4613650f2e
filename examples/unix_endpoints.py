"""UNIX endpoints: the ``unix:`` strings, the abstract namespace, and what failures look like.

Usage: python3 examples/unix_endpoints.py DIRECTORY     (needs nothing else running)

Everything happens in this one process, with socket files in DIRECTORY
(which must exist; use a fresh one, e.g. ``mktemp -d``).  An echo server
listens on ``unix:DIRECTORY/echo.sock:mode=600`` (a ``serverFromString``
description; it takes the lock file ``echo.sock.lock`` too, the ``unix:``
server string's default) and clients reach it through three client
descriptions; a second server listens on a name in Linux's abstract
namespace.  Then the usual mistakes, each with the error plait reports: a
socket file nobody created, a stale one nobody listens on, listening where
a stale file is left, a lock file asked for that nobody holds, a lock file
asked for in the abstract namespace.
"""

import os
import socket
import sys

from plait import task
from plait.defer import Deferred
from plait.endpoints import clientFromString, connectProtocol, serverFromString
from plait.error import CannotListenError, ConnectError
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


class Echo(LineReceiver):
    delimiter = b"\n"

    def lineReceived(self, line):
        self.sendLine(b"echo: " + line)


class AskOnce(LineReceiver):
    delimiter = b"\n"

    def __init__(self, question):
        self.question = question
        self.answer = Deferred()

    def connectionMade(self):
        self.sendLine(self.question)

    def lineReceived(self, line):
        self.answer.callback(line.decode())
        self.transport.loseConnection()


async def ask(reactor, description):
    """Connect with DESCRIPTION, ask for an echo; print the answer or the failure."""
    try:
        endpoint = clientFromString(reactor, description)
        protocol = await connectProtocol(endpoint, AskOnce(b"hello"))
        print(f"{description!r}: {await protocol.answer}")
    except ConnectError as e:  # BadFileError, ConnectionRefusedError... are ConnectErrors
        print(f"{description!r}: {type(e).__name__}: {e}")


async def listen(reactor, description):
    """Listen with DESCRIPTION; print and return the port, or print the failure."""
    try:
        port = await serverFromString(reactor, description).listen(Factory.forProtocol(Echo))
    except (CannotListenError, ValueError) as e:
        print(f"listen on {description!r}: {type(e).__name__}: {e}")
        return None
    print(f"listening on {port.getHost()}")
    return port


async def main(reactor, directory):
    path = os.path.join(directory, "echo.sock")
    port = await listen(reactor, f"unix:{path}:mode=600")
    await ask(reactor, f"unix:{path}")
    await ask(reactor, f"unix:path={path}:timeout=5")
    await ask(reactor, f"unix:{path}:lockfile=1")  # only if a live process holds echo.sock.lock
    await port.stopListening()  # removes echo.sock and echo.sock.lock

    # The abstract namespace: a name that starts with a NUL byte, no file.
    # No file means no lock file either, so lockfile=0.
    name = f"\0plait-endpoints-{os.getpid()}"
    abstract = await listen(reactor, f"unix:{name}:lockfile=0")
    await ask(reactor, f"unix:{name}")
    await abstract.stopListening()

    print("-- mistakes")
    await ask(reactor, f"unix:{path}")  # the port removed its file
    stale = os.path.join(directory, "stale.sock")
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(stale)  # what a process that died leaves behind
    leftover.close()
    await ask(reactor, f"unix:{stale}")
    await listen(reactor, f"unix:{stale}:lockfile=0")
    port = await listen(reactor, f"unix:{path}:lockfile=0")
    await ask(reactor, f"unix:{path}:lockfile=1")
    await port.stopListening()
    await listen(reactor, f"unix:{name}")
    os.remove(stale)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    task.react(main, [sys.argv[1]])
