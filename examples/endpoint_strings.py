"""Endpoints: the same client reached three ways, then ``ClientService``.

Usage: python3 examples/endpoint_strings.py [HOST] [PORT]

docs/endpoints.md walks through it.  A ``LineReceiver`` asks the howto
server to echo a line, once through a ``TCP4ClientEndpoint``, once through a
description string (``clientFromString``), once through a
``HostnameEndpoint`` (which resolves a name and races the addresses it
gets); each prints the reply and hangs up.
"""

import sys

from plait import reactor
from plait.defer import Deferred, ensureDeferred
from plait.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    clientFromString,
    connectProtocol,
)
from plait.protocols.basic import LineReceiver


class AskOnce(LineReceiver):
    delimiter = b"\n"

    def __init__(self, question):
        self.question = question
        self.answer = Deferred()

    def connectionMade(self):
        self.sendLine(self.question)

    def lineReceived(self, line):
        if line.startswith(b"echo: "):
            self.answer.callback(line)
            self.transport.loseConnection()

    def connectionLost(self, reason):
        # Closed before the echo came: fail the answer, or whoever awaits
        # it would wait for ever.
        if not self.answer.called:
            self.answer.errback(reason)


async def ask(endpoint, question):
    protocol = await connectProtocol(endpoint, AskOnce(question))
    return await protocol.answer


async def main(host, port):
    endpoints = {
        "TCP4ClientEndpoint": TCP4ClientEndpoint(reactor, host, port),
        "clientFromString": clientFromString(reactor, f"tcp:host={host}:port={port}"),
        "HostnameEndpoint": HostnameEndpoint(reactor, host, port),
    }
    for name, endpoint in endpoints.items():
        answer = await ask(endpoint, name.encode())
        print(f"{name}: {answer.decode()}")


def run(host, port):
    d = ensureDeferred(main(host, port))
    d.addErrback(lambda failure: print("failed:", failure.getErrorMessage()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "localhost", int(sys.argv[2]) if len(sys.argv) > 2 else 1234)
