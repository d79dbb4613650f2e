"""A program that serves a line protocol on its own stdin and stdout (``stdio:``).

Usage: printf 'hello\\nworld\\n' | python3 examples/stdio_upper.py

Answers every line it reads with the line in capitals; when its input
ends, it writes how many lines it read and exits.  It needs nothing
running: type lines (Ctrl-D ends the input), pipe them in as above, or let
examples/process_endpoint.py start it and talk to it through pipes.

The protocol is an ordinary ``LineReceiver``; ``serverFromString(reactor,
"stdio:")`` (a ``StandardIOEndpoint``, built on ``plait.stdio.StandardIO``)
is its transport.  It provides ``IHalfCloseableProtocol``: the end of stdin
is ``readConnectionLost()`` and the protocol can still write.
"""

from zope.interface import implementer

from plait import reactor
from plait.endpoints import serverFromString
from plait.interfaces import IHalfCloseableProtocol
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


@implementer(IHalfCloseableProtocol)
class Upper(LineReceiver):
    delimiter = b"\n"
    lines = 0

    def lineReceived(self, line):
        self.lines += 1
        self.sendLine(line.upper())

    def readConnectionLost(self):
        # stdin reached its end; stdout is still ours.
        self.sendLine(b"%d lines" % self.lines)
        self.transport.loseConnection()

    def writeConnectionLost(self):
        pass  # stdout was closed by the reader: nothing left to do but end

    def connectionLost(self, reason):
        reactor.stop()


def report(failure):
    print("cannot serve on stdio:", failure.getErrorMessage())
    reactor.stop()


serverFromString(reactor, "stdio:").listen(Factory.forProtocol(Upper)).addErrback(report)
reactor.run()
