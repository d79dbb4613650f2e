"""Fails on purpose: what trial's dirty-reactor check reports (docs/testing.md).

    python3 -m plait.trial test_forgetful       (from examples/testing_howto)

Each test leaves something behind on the reactor -- a timer, a listening
port, a connection -- and passes otherwise.  After every test the check
finds what was left, cleans it up (so the next test starts clean), and
fails the test with a ``DirtyReactorAggregateError`` naming each thing.
"""

from plait import reactor
from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Factory, Protocol
from plait.trial import unittest


class ForgetfulTests(unittest.TestCase):
    def test_leavesATimer(self):
        reactor.callLater(60, print, "a minute later")

    def test_leavesAPortListening(self):
        reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")

    async def test_leavesAConnectionOpen(self):
        accepted = Deferred()

        class Server(Protocol):
            def connectionMade(self):
                accepted.callback(None)

        port = reactor.listenTCP(0, Factory.forProtocol(Server), interface="127.0.0.1")
        self.addCleanup(port.stopListening)  # stops accepting; the connection lives on
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), Protocol())
        await accepted
