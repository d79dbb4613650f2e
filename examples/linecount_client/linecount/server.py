"""The linecount server: answers every line with the number of lines so far.

Run it with ``python3 -m linecount.server PORT`` (it listens on 127.0.0.1
and prints the port, handy with PORT 0).  ``CountingFactory.total`` is
shared by every connection, so counting goes on across reconnections;
``CountingFactory.connections`` lists the protocols currently connected
(tests drop them to exercise the client's reconnection).
"""

from __future__ import annotations

import sys

from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


class Counting(LineReceiver):
    """Replies to each line with the factory's new total, in decimal."""

    factory: CountingFactory

    def connectionMade(self) -> None:
        self.factory.connections.append(self)

    def connectionLost(self, reason: object = None) -> None:
        self.factory.connections.remove(self)

    def lineReceived(self, line: bytes) -> None:
        self.factory.total += 1
        self.sendLine(b"%d" % self.factory.total)


class CountingFactory(Factory):
    protocol = Counting

    def __init__(self) -> None:
        self.total = 0
        self.connections: list[Counting] = []


def main(argv: list[str]) -> None:
    from plait import reactor

    port = reactor.listenTCP(int(argv[1]) if len(argv) > 1 else 0, CountingFactory(), interface="127.0.0.1")
    print(f"linecount server on 127.0.0.1:{port.getHost().port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
