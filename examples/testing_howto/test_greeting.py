"""greeting.py's tests, trial style: ``python3 -m plait.trial test_greeting``.

Run from examples/testing_howto (docs/testing.md).  The first class needs
no network and no time: the protocol on a ``StringTransport``, the timeout
on a ``MemoryReactorClock``, which also records the ``connectTCP`` call,
and the protocol against a server protocol in memory.  The second runs on
the real reactor over 127.0.0.1: a test that returns a Deferred, an
``async def`` test, and an error the reactor logs.
"""

from greeting import GreetingFactory, GreetingProtocol, fetchGreeting

from plait import reactor
from plait.defer import Deferred
from plait.error import ConnectionDone, ConnectionRefusedError, TimeoutError
from plait.failure import Failure
from plait.protocol import Factory, Protocol
from plait.task import Clock
from plait.testing import MemoryReactorClock, StringTransport, connectedServerAndClient
from plait.trial import unittest


class Greeter(Protocol):
    """A server that says one line, then hangs up."""

    line = b"Hello from the test\r\n"

    def connectionMade(self):
        self.transport.write(self.line)
        self.transport.loseConnection()


class SansIOTests(unittest.SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        self.done = Deferred()
        self.protocol = GreetingProtocol(self.clock, 5, self.done)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)

    def test_greetingArrives(self):
        self.protocol.dataReceived(b"Hello\r\n")
        self.assertTrue(self.transport.disconnecting)  # it hung up...
        self.assertNoResult(self.done)  # ...and waits to be told the connection is closed
        self.protocol.connectionLost(Failure(ConnectionDone()))  # the network's part: we play it
        self.assertEqual(self.successResultOf(self.done), "Hello")

    def test_greetingInPieces(self):
        for piece in (b"Hel", b"lo", b"\r\n"):
            self.protocol.dataReceived(piece)
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.successResultOf(self.done), "Hello")

    def test_tooSlow(self):
        self.clock.advance(4.9)
        self.assertFalse(self.transport.disconnecting)
        self.clock.advance(0.1)  # five seconds, and not a moment of real time
        self.assertTrue(self.transport.disconnecting)  # aborted
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.failureResultOf(self.done, TimeoutError)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_serverHangsUpFirst(self):
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.failureResultOf(self.done, ConnectionDone)
        self.assertEqual(self.clock.getDelayedCalls(), [])  # the timer went with it

    def test_connectsWhereItIsTold(self):
        memoryReactor = MemoryReactorClock()
        d = fetchGreeting(memoryReactor, "127.0.0.1", 4321, timeout=3)
        [(host, port, factory, timeout, _bindAddress)] = memoryReactor.tcpClients
        self.assertEqual((host, port, timeout), ("127.0.0.1", 4321, 3))
        self.assertIsInstance(factory, GreetingFactory)
        factory.clientConnectionFailed(None, Failure(ConnectionRefusedError()))
        self.failureResultOf(d, ConnectionRefusedError)

    def test_againstAServerInMemory(self):
        done = Deferred()
        _client, _server, pump = connectedServerAndClient(Greeter, lambda: GreetingProtocol(self.clock, 5, done))
        pump.flush()  # move the bytes (and the closes) both ways until nothing moves
        self.assertEqual(self.successResultOf(done), "Hello from the test")


class OverTCPTests(unittest.TestCase):
    """The real reactor, over 127.0.0.1."""

    timeout = 10  # seconds a test may wait before it fails

    def listen(self, protocol):
        port = reactor.listenTCP(0, Factory.forProtocol(protocol), interface="127.0.0.1")
        self.addCleanup(port.stopListening)  # a Deferred: trial waits for it
        return port.getHost().port

    def test_returningADeferred(self):
        d = fetchGreeting(reactor, "127.0.0.1", self.listen(Greeter))
        d.addCallback(self.assertEqual, "Hello from the test")
        return d  # trial runs the reactor until it fires

    async def test_asyncDef(self):
        greeting = await fetchGreeting(reactor, "127.0.0.1", self.listen(Greeter))
        self.assertEqual(greeting, "Hello from the test")

    async def test_refused(self):
        port = reactor.listenTCP(0, Factory.forProtocol(Greeter), interface="127.0.0.1")
        number = port.getHost().port
        await port.stopListening()
        with self.assertRaises(ConnectionRefusedError):
            await fetchGreeting(reactor, "127.0.0.1", number)

    async def test_undecodableGreetingIsLogged(self):
        class Garbled(Greeter):
            line = b"\xff\xfe\r\n"

        with self.assertRaises(UnicodeDecodeError):
            await fetchGreeting(reactor, "127.0.0.1", self.listen(Garbled))
        # The reactor logged the exception that escaped lineReceived; a
        # logged error fails the test unless the test says it expected it.
        self.assertEqual(len(self.flushLoggedErrors(UnicodeDecodeError)), 1)
