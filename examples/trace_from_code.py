"""Tracing from code: ``plait.trace.enable`` around the part you want to see.

Usage: python3 examples/trace_from_code.py [HOST] [PORT] [TRACE-FILE]

Connects to the howto server, traces only the connection's protocol and
Deferred events into TRACE-FILE (default: trace.txt), and prints how many
events of each kind were written.  docs/trace.md walks through it.
"""

import sys

from plait import reactor, trace
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Protocol


class Hello(Protocol):
    def connectionMade(self):
        self.transport.write(b"hello\n")

    def dataReceived(self, data):
        if b"echo: hello" in data:
            self.transport.loseConnection()

    def connectionLost(self, reason):
        reactor.stop()


def main(host, port, path):
    tracer = trace.enable(file=path, kinds="protocol,deferred")
    connectProtocol(TCP4ClientEndpoint(reactor, host, port), Hello())
    reactor.run()
    trace.disable()
    print({kind: count for kind, count in tracer.counts.items() if count})


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
    main(host, port, sys.argv[3] if len(sys.argv) > 3 else "trace.txt")
