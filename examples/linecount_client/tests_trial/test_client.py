"""linecount's tests, trial style (``plait.trial.unittest``).

Run with ``python3 -m plait.trial tests_trial`` from the project directory
(or ``python3 -m unittest``, or pytest).  The first two classes are
sans-IO: the protocol on a ``StringTransport``, the reconnecting client on
a ``task.Clock`` and an in-memory endpoint.  The last one talks to the
real server over loopback TCP on the global reactor, returning Deferreds
and awaiting them in ``async def`` tests.
"""

from linecount.client import LineCounter, LineCountProtocol, ProtocolError
from linecount.server import CountingFactory
from linecount.testing import MemoryEndpoint

from plait import reactor
from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint
from plait.error import ConnectionDone, ConnectionLost
from plait.task import Clock, deferLater
from plait.testing import StringTransport
from plait.trial import unittest


class ProtocolTests(unittest.SynchronousTestCase):
    def setUp(self):
        self.transport = StringTransport()
        self.protocol = LineCountProtocol()
        self.protocol.makeConnection(self.transport)

    def test_sendsTheLineAndGetsTheCount(self):
        d = self.protocol.count(b"hello")
        self.assertEqual(self.transport.value(), b"hello\r\n")
        self.assertNoResult(d)
        self.protocol.dataReceived(b"7\r\n")
        self.assertEqual(self.successResultOf(d), 7)

    def test_repliesMatchRequestsInOrder(self):
        first, second = self.protocol.count(b"a"), self.protocol.count(b"b")
        self.protocol.dataReceived(b"1\r\n2\r\n")
        self.assertEqual((self.successResultOf(first), self.successResultOf(second)), (1, 2))

    def test_badReplyFailsAndDisconnects(self):
        d = self.protocol.count(b"a")
        later = self.protocol.count(b"b")
        self.protocol.dataReceived(b"seven\r\n")
        self.failureResultOf(d, ProtocolError)
        self.failureResultOf(later, ProtocolError)
        self.assertTrue(self.transport.disconnecting)

    def test_unaskedReplyDisconnects(self):
        self.protocol.dataReceived(b"1\r\n")
        self.assertTrue(self.transport.disconnecting)

    def test_connectionLostFailsWhatIsPending(self):
        d = self.protocol.count(b"a")
        self.protocol.connectionLost(ConnectionLost())
        self.failureResultOf(d, ConnectionLost)

    def test_countOnALostConnectionFailsAtOnce(self):
        self.protocol.connectionLost(ConnectionDone())
        self.successResultOf(self.protocol.whenLost())
        self.failureResultOf(self.protocol.count(b"late"), ConnectionDone)

    def test_lineBreaksAreRefused(self):
        with self.assertRaises(ValueError):
            self.protocol.count(b"two\nlines")
        self.assertEqual(self.transport.value(), b"")


class ReconnectionTests(unittest.SynchronousTestCase):
    """The client on a fake clock and an in-memory server."""

    def setUp(self):
        self.clock = Clock()
        self.server = CountingFactory()
        self.endpoint = MemoryEndpoint(self.server, self.clock)
        self.counter = LineCounter(self.endpoint, clock=self.clock, retryPolicy=lambda failures: 2.0)
        self.counter.start()

    def count(self, line):
        d = self.counter.count(line)
        self.endpoint.flush()
        return d

    def test_counts(self):
        self.assertEqual(self.successResultOf(self.count(b"a")), 1)
        self.assertEqual(self.successResultOf(self.count(b"b")), 2)

    def test_reconnectsAfterTheServerDropsIt(self):
        self.successResultOf(self.count(b"a"))
        self.server.connections[0].transport.loseConnection()
        self.endpoint.flush()
        d = self.count(b"waits for the next connection")
        self.assertNoResult(d)
        self.clock.advance(2.0)
        self.endpoint.flush()
        self.assertEqual(self.successResultOf(d), 2)
        self.assertEqual(self.endpoint.attempts, 2)

    def test_keepsRetryingWhileRefused(self):
        self.successResultOf(self.count(b"a"))
        self.endpoint.refuse = True
        self.server.connections[0].transport.loseConnection()
        self.endpoint.flush()
        d = self.counter.count(b"b")
        self.clock.pump([2.0, 2.0, 2.0])
        self.assertNoResult(d)
        self.endpoint.refuse = False
        self.clock.advance(2.0)
        self.endpoint.flush()
        self.assertEqual(self.successResultOf(d), 2)
        self.assertEqual(self.endpoint.attempts, 5)

    def test_requestInFlightFailsWhenTheConnectionDrops(self):
        d = self.counter.count(b"a")  # sent, not answered yet
        self.server.connections[0].transport.loseConnection()
        self.endpoint.flush()
        self.failureResultOf(d, ConnectionDone, ConnectionLost)

    def test_stop(self):
        stopped = self.counter.stop()
        self.endpoint.flush()
        self.successResultOf(stopped)
        self.assertEqual(self.server.connections, [])


class OverTCPTests(unittest.TestCase):
    """The client and the server on the real reactor, over 127.0.0.1."""

    timeout = 10

    def setUp(self):
        self.server = CountingFactory()
        self.port = reactor.listenTCP(0, self.server, interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port.getHost().port)
        self.counter = LineCounter(endpoint, clock=reactor, retryPolicy=lambda failures: 0.01)
        self.counter.start()
        self.addCleanup(self.counter.stop)

    def test_countsReturningADeferred(self):
        d = self.counter.count(b"first")
        d.addCallback(self.assertEqual, 1)
        return d

    async def test_reconnects(self):
        self.assertEqual(await self.counter.count(b"a"), 1)
        protocol = await self.counter.whenConnected()
        self.server.connections[0].transport.loseConnection()
        await protocol.whenLost()
        await deferLater(reactor, 0, lambda: None)  # the service hears of it
        # The next request waits for the reconnection, then goes on counting.
        self.assertEqual(await self.counter.count(b"b"), 2)
        self.assertEqual(await self.counter.count(b"c"), 3)

    async def test_manyRequestsAtOnce(self):
        from plait.defer import gatherResults

        results = await gatherResults([self.counter.count(b"%d" % i) for i in range(50)])
        self.assertEqual(results, list(range(1, 51)))

    def test_serverComesBackLater(self):
        """Stop listening; a request waits until a server is back on the same port."""
        portNumber = self.port.getHost().port

        async def scenario():
            self.assertEqual(await self.counter.count(b"a"), 1)
            protocol = await self.counter.whenConnected()
            await self.port.stopListening()
            self.server.connections[0].transport.loseConnection()
            await protocol.whenLost()
            await deferLater(reactor, 0, lambda: None)
            pending = self.counter.count(b"b")
            await deferLater(reactor, 0.05, lambda: None)  # a few refused attempts
            self.assertNoResult(pending)
            self.port = reactor.listenTCP(portNumber, self.server, interface="127.0.0.1")
            self.assertEqual(await pending, 2)

        self.addCleanup(lambda: self.port.stopListening())
        return Deferred.fromCoroutine(scenario())
