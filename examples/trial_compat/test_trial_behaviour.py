"""A Twisted test module, unchanged: trial's documented behaviour, checked.

Every import is Twisted's.  Run it on plait through the compatibility
mode, or on Twisted itself; both runs must report the same::

    python3 -m plait.compat -m plait.trial test_trial_behaviour
    python3 -m twisted.trial test_trial_behaviour

Expected: ``PASSED (skips=1, expectedFailures=2, successes=21)``.

Written from trial's documentation (the "Test-driven development with
Twisted" howto and the docstrings of ``twisted.trial.unittest``), not from
its source: what a Deferred-returning test does, how ``skip``, ``todo``,
``timeout`` and ``suppress`` are looked up, what ``flushLoggedErrors``,
``flushWarnings``, ``addCleanup`` and ``patch`` promise, and the
synchronous Deferred assertions used with ``task.Clock``.
"""

import os
import warnings

from twisted.internet import defer, reactor, task
from twisted.internet.defer import inlineCallbacks
from twisted.internet.protocol import Protocol
from twisted.internet.testing import StringTransport
from twisted.protocols.basic import LineReceiver
from twisted.python import log
from twisted.python.failure import Failure
from twisted.trial import unittest, util


class Greeter(LineReceiver):
    """Says hello on connect; answers "ping" with "pong"; remembers other lines."""

    def __init__(self):
        self.heard = []

    def connectionMade(self):
        self.sendLine(b"hello")

    def lineReceived(self, line):
        if line == b"ping":
            self.sendLine(b"pong")
        else:
            self.heard.append(line)


def slowDouble(clock, value, delay=5.0):
    """A Deferred that fires with ``value * 2`` after ``delay`` seconds of ``clock``."""
    return task.deferLater(clock, delay, lambda: value * 2)


class SynchronousAssertions(unittest.SynchronousTestCase):
    """Results of Deferreds, checked without a reactor: a task.Clock moves time."""

    def setUp(self):
        self.clock = task.Clock()

    def test_successResultOfAfterTimePasses(self):
        d = slowDouble(self.clock, 21)
        self.assertNoResult(d)
        self.clock.advance(5)
        self.assertEqual(self.successResultOf(d), 42)

    def test_failureResultOf(self):
        d = task.deferLater(self.clock, 1, lambda: 1 // 0)
        self.clock.advance(1)
        failure = self.failureResultOf(d, ZeroDivisionError)
        self.assertIsInstance(failure, Failure)

    def test_failureResultOfWrongTypeFails(self):
        d = defer.fail(KeyError("k"))
        self.assertRaises(self.failureException, self.failureResultOf, d, ValueError)

    def test_assertionsReturnTheirArgument(self):
        self.assertEqual(self.assertEqual(3, 3), 3)
        self.assertIdentical(self.assertIn(1, [1, 2]), 1)

    def test_assertRaisesReturnsTheException(self):
        exception = self.assertRaises(ValueError, int, "not a number")
        self.assertIn("not a number", str(exception))
        with self.assertRaises(KeyError) as context:
            {}["missing"]
        self.assertEqual(context.exception.args, ("missing",))

    def test_protocolOnAStringTransport(self):
        transport = StringTransport()
        protocol = Greeter()
        protocol.makeConnection(transport)
        self.assertEqual(transport.value(), b"hello\r\n")
        transport.clear()
        protocol.dataReceived(b"ping\r\nother\r\n")
        self.assertEqual(transport.value(), b"pong\r\n")
        self.assertEqual(protocol.heard, [b"other"])

    def test_cleanupsRunLastAddedFirst(self):
        order = []
        self.addCleanup(lambda: self.assertEqual(order, [2, 1]))  # added first: runs last
        self.addCleanup(order.append, 1)
        self.addCleanup(order.append, 2)

    def test_patchIsUndone(self):
        self.patch(os, "sep", "!")
        self.assertEqual(os.sep, "!")

    def test_patchWasUndone(self):
        self.assertNotEqual(os.sep, "!")

    def test_mktempGivesAFreshPath(self):
        path = self.mktemp()
        self.assertFalse(os.path.exists(path))
        self.assertTrue(os.path.isdir(os.path.dirname(path)))
        self.assertNotEqual(path, self.mktemp())

    def test_flushLoggedErrors(self):
        log.err(RuntimeError("logged on purpose"), "while testing")
        errors = self.flushLoggedErrors(RuntimeError)
        self.assertEqual([e.getErrorMessage() for e in errors], ["logged on purpose"])

    def test_flushWarnings(self):
        warnings.warn("this API is old", DeprecationWarning)
        [warning] = self.flushWarnings()
        self.assertEqual(warning["message"], "this API is old")
        self.assertIdentical(warning["category"], DeprecationWarning)

    def test_suppress(self):
        warnings.warn("silenced", DeprecationWarning)
        self.assertEqual(self.flushWarnings(), [])

    test_suppress.suppress = [util.suppress(message="silenced")]  # noqa: RUF012 - trial's spelling

    def test_skipped(self):
        self.fail("a skipped test must not run")

    test_skipped.skip = "shows how a test is skipped"

    def test_expectedFailure(self):
        self.assertEqual(1, 2)

    test_expectedFailure.todo = "shows how a known failure is reported"


class AsynchronousTests(unittest.TestCase):
    """Tests that return Deferreds: trial runs the reactor until they fire."""

    timeout = 5

    def setUp(self):
        # setUp may return a Deferred too; the test starts when it fires.
        self.ready = []
        return task.deferLater(reactor, 0.01, self.ready.append, True)

    def test_setUpWaitedFor(self):
        self.assertEqual(self.ready, [True])

    def test_returnsADeferred(self):
        d = task.deferLater(reactor, 0.01, lambda: "done")
        d.addCallback(self.assertEqual, "done")
        return d

    @inlineCallbacks
    def test_inlineCallbacks(self):
        value = yield task.deferLater(reactor, 0.01, lambda: 6)
        self.assertEqual(value * 7, 42)

    async def test_coroutine(self):
        value = await task.deferLater(reactor, 0.01, lambda: 6)
        self.assertEqual(value, 6)

    def test_assertFailure(self):
        d = task.deferLater(reactor, 0, lambda: 1 // 0)
        return self.assertFailure(d, ZeroDivisionError)

    def test_cleanupMayReturnADeferred(self):
        finished = []

        def later():
            return task.deferLater(reactor, 0.01, finished.append, "cleaned")

        self.addCleanup(lambda: self.assertEqual(finished, ["cleaned"]))
        self.addCleanup(later)

    def test_errorInATimedCallIsLogged(self):
        reactor.callLater(0, lambda: 1 // 0)

        def check(ignored):
            self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

        return task.deferLater(reactor, 0.05, lambda: None).addCallback(check)

    def test_connectionInMemory(self):
        class Client(Protocol):
            def dataReceived(self, data):
                self.factory_received.callback(data)

        client = Client()
        client.factory_received = defer.Deferred()
        transport = StringTransport()
        client.makeConnection(transport)
        reactor.callLater(0, client.dataReceived, b"hi")
        return client.factory_received.addCallback(self.assertEqual, b"hi")

    def test_todoWithExpectedError(self):
        return task.deferLater(reactor, 0, lambda: {}["key"])

    test_todoWithExpectedError.todo = (KeyError, "fails with the expected error")
