"""Talk to a child process as you would to a server: ``ProcessEndpoint``.

Usage: python3 examples/process_endpoint.py

Needs nothing running: it starts examples/stdio_upper.py as its child
(with this same Python) and speaks a ``LineReceiver`` protocol over the
child's stdin and stdout, exactly as it would over TCP.  It sends two
lines, closes the child's stdin (the child's end of input), prints every
line the child answers, and ends when the child does; the reason is
printed, and the exit status is 1 unless the child exited cleanly.
"""

import os
import sys

from plait import task
from plait.defer import Deferred
from plait.endpoints import ProcessEndpoint, connectProtocol
from plait.error import ConnectionDone
from plait.protocols.basic import LineReceiver

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdio_upper.py")


class Client(LineReceiver):
    delimiter = b"\n"

    def __init__(self):
        self.ended = Deferred()

    def lineReceived(self, line):
        print("child says:", line.decode())

    def connectionLost(self, reason):
        # ConnectionDone for exit code 0, else the ProcessTerminated.
        print("child ended:", reason.getErrorMessage())
        self.ended.callback(reason.value)


async def main(reactor):
    # spawnProcess's arguments: the program, its argv (name included), its
    # environment (the default is an empty one; the child needs our PYTHONPATH).
    endpoint = ProcessEndpoint(reactor, sys.executable, [sys.executable, CHILD], env=os.environ)
    client = await connectProtocol(endpoint, Client())
    print("started child", client.transport.pid)
    client.sendLine(b"hello")
    client.sendLine(b"world")
    client.transport.closeStdin()  # the child sees the end of its input
    if not isinstance(await client.ended, ConnectionDone):
        raise SystemExit(1)


task.react(main)
