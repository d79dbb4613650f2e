"""The pytest plugin (``plait.pytest_plugin``), run by inner pytest sessions.

Each case writes a small test file and runs pytest on it in a subprocess
(``pytester``), finding plait through PYTHONPATH and loading the plugin with
``-p plait.pytest_plugin`` explicitly, so the case passes whether or not
plait's entry point is installed.  The inner tests use the global reactor
of their own process, on real loopback sockets where they do I/O.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ("-p", "plait.pytest_plugin")


@pytest.fixture
def inner(pytester: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return pytester


def runInner(inner: Any, *args: str) -> Any:
    return inner.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", *args, timeout=120)


def test_asyncTestTalksOverRealTCP(inner: Any) -> None:
    """An async test awaits a real loopback connection on the global reactor."""
    inner.makepyfile(
        """
        from plait.defer import Deferred
        from plait.endpoints import TCP4ClientEndpoint, connectProtocol
        from plait.protocol import Factory, Protocol

        class Echo(Protocol):
            def dataReceived(self, data):
                self.transport.write(data)

        class Client(Protocol):
            def __init__(self):
                self.received = Deferred()
            def dataReceived(self, data):
                self.received.callback(data)

        async def test_echo(reactor):
            port = reactor.listenTCP(0, Factory.forProtocol(Echo), interface="127.0.0.1")
            try:
                endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
                client = await connectProtocol(endpoint, Client())
                client.transport.write(b"ping")
                assert await client.received == b"ping"
                client.transport.loseConnection()
            finally:
                await port.stopListening()

        def test_deferred(reactor):
            from plait.task import deferLater
            return deferLater(reactor, 0.001, lambda: None)
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=2)


def test_asyncTestWithoutTheFixtureStillRunsOnTheReactor(inner: Any) -> None:
    inner.makepyfile(
        """
        from plait.task import deferLater

        async def test_x():
            from plait import reactor
            assert await deferLater(reactor, 0.001, lambda: 5) == 5

        def test_plainDeferred():
            from plait import reactor
            return deferLater(reactor, 0.001, lambda: None)

        def test_plainDeferredFails():
            from plait import reactor
            return deferLater(reactor, 0.001, lambda: {}["missing"])
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*KeyError: 'missing'*"])


def test_timeoutMarkerNamesWhatTheTestAwaits(inner: Any) -> None:
    inner.makepyfile(
        """
        import pytest
        from plait.defer import Deferred
        from plait.task import deferLater

        @pytest.mark.plait_timeout(0.05)
        async def test_forever(reactor):
            await Deferred()

        def test_next(reactor):
            assert reactor.getDelayedCalls() == []
            return deferLater(reactor, 0.001, lambda: None)
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*test_timeoutMarkerNamesWhatTheTestAwaits.py::test_forever still running at 0.05 secs",
        "*test_forever is suspended at *test_timeoutMarkerNamesWhatTheTestAwaits.py:7",
        "*waiting for <Deferred at 0x*>",
    ])


def test_timeoutOptionAndIni(inner: Any) -> None:
    inner.makepyfile("from plait.defer import Deferred\nasync def test_forever():\n    await Deferred()\n")
    runInner(inner, "--plait-timeout", "0.05").stdout.fnmatch_lines(["*still running at 0.05 secs"])
    inner.makeini("[pytest]\nplait_timeout = 0.06\n")
    runInner(inner).stdout.fnmatch_lines(["*still running at 0.06 secs"])
    result = runInner(inner, "--plait-timeout", "-1")
    result.stdout.fnmatch_lines(["*--plait-timeout: the timeout must be >= 0 seconds, not -1.0"])


def test_dirtyReactorIsAClearTeardownError(inner: Any) -> None:
    inner.makepyfile(
        """
        def test_leaky(reactor):
            reactor.callLater(60, print, "left")

        def test_clean(reactor):
            assert reactor.getDelayedCalls() == []
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_leaky*",
        "Reactor was unclean.",
        "DelayedCalls: *",
        "<DelayedCall 0x* called=0 cancelled=0 print('left')>",
    ])


def test_stoppingTheReactorFailsOnlyThatTest(inner: Any) -> None:
    inner.makepyfile(
        """
        from plait.defer import Deferred
        from plait.task import deferLater

        def test_stops(reactor):
            reactor.callLater(0, reactor.stop)
            return Deferred()

        async def test_after(reactor):
            await deferLater(reactor, 0.001, lambda: None)
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*reactor.stop() was called while the test ran*"])


def test_errorInADelayedCallFailsOnlyThatTest(inner: Any) -> None:
    inner.makepyfile(
        """
        from plait.task import deferLater

        async def test_raises(reactor):
            reactor.callLater(0, lambda: 1 / 0)
            await deferLater(reactor, 0.01, lambda: None)

        async def test_flushes(reactor, logged_errors):
            reactor.callLater(0, lambda: 1 / 0)
            await deferLater(reactor, 0.01, lambda: None)
            assert len(logged_errors.flush(ZeroDivisionError)) == 1

        async def test_after(reactor):
            await deferLater(reactor, 0.001, lambda: None)
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_raises*",
        "errors were logged and not flushed*",
        "*ZeroDivisionError: division by zero",
    ])


def test_sansIOFixtures(inner: Any) -> None:
    inner.makepyfile(
        """
        from plait.protocols.basic import LineReceiver
        from plait.protocol import ClientFactory

        class Echo(LineReceiver):
            def lineReceived(self, line):
                self.sendLine(line.upper())

        class Greeter(LineReceiver):
            def connectionMade(self):
                self.lines = []
                self.sendLine(b"hi")
            def lineReceived(self, line):
                self.lines.append(line)

        def test_stringTransport(string_transport):
            proto = Echo()
            proto.makeConnection(string_transport)
            proto.dataReceived(b"x\\r\\n")
            assert string_transport.value() == b"X\\r\\n"

        def test_clock(clock):
            calls = []
            clock.callLater(5, calls.append, 1)
            clock.advance(5)
            assert calls == [1]

        def test_memoryReactor(memory_reactor):
            memory_reactor.connectTCP("127.0.0.1", 1234, ClientFactory())
            assert memory_reactor.tcpClients[0][:2] == ("127.0.0.1", 1234)
            memory_reactor.advance(1)
            assert memory_reactor.seconds() == 1

        def test_connectedPair(connected_pair, clock):
            client, server, pump = connected_pair(Echo, Greeter)
            assert client.lines == [b"HI"]
            client.sendLine(b"more")
            pump.flush()
            assert client.lines == [b"HI", b"MORE"]
        """
    )
    runInner(inner).assert_outcomes(passed=4)


def test_selectorOption(inner: Any) -> None:
    inner.makepyfile(
        """
        from plait import reactor as installedAtImport

        def test_poll(reactor):
            assert reactor is installedAtImport
            assert "PollSelector" in repr(reactor)
        """
    )
    runInner(inner, "--plait-selector", "poll").assert_outcomes(passed=1)
    result = runInner(inner, "--plait-selector", "nonsense")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--plait-selector: unknown selector 'nonsense'*"])


def test_conftestReactorFixtureWins(inner: Any) -> None:
    """An async test runs on the reactor a conftest's ``reactor`` fixture gives."""
    inner.makeconftest(
        """
        import pytest
        from plait.selectreactor import SelectorReactor

        @pytest.fixture
        def reactor():
            r = SelectorReactor()
            r.mine = True
            yield r
            r._close()
        """
    )
    inner.makepyfile(
        """
        import sys
        from plait.task import deferLater

        async def test_x(reactor):
            await deferLater(reactor, 0.001, lambda: None)
            assert reactor.mine and reactor.running  # resumed by this reactor's loop

        async def test_notRequested():
            assert "plait.reactor" not in sys.modules
        """
    )
    runInner(inner).assert_outcomes(passed=2)


def test_plainTestsAreUntouched(inner: Any) -> None:
    """A sync test returning something else still gets pytest's own warning."""
    inner.makepyfile(
        """
        import sys

        def test_returns():
            return 3

        def test_noReactor():
            assert "plait.reactor" not in sys.modules
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*PytestReturnNotNoneWarning*"])


def test_pluginCanBeSwitchedOff(inner: Any) -> None:
    inner.makepyfile("async def test_x():\n    pass\n")
    result = inner.runpytest_subprocess("-p", "no:plait.pytest_plugin", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
    assert "passed" not in result.stdout.str()


def test_trialTestCasesUnderPytest(inner: Any) -> None:
    """pytest runs trial test cases through unittest; async methods wait on the reactor."""
    inner.makepyfile(
        """
        from plait import reactor
        from plait.task import deferLater
        from plait.trial import unittest

        class Cases(unittest.TestCase):
            async def test_async(self):
                self.assertEqual(await deferLater(reactor, 0.001, lambda: 2), 2)

            def test_deferred(self):
                return deferLater(reactor, 0.001, lambda: None)

            def test_fails(self):
                self.assertEqual(1, 2)

            def test_dirty(self):
                reactor.callLater(30, print)

            def test_skipped(self):
                pass
            test_skipped.skip = "not today"

            def test_todo(self):
                self.fail("known")
            test_todo.todo = "bug 7"
        """
    )
    result = runInner(inner)
    result.assert_outcomes(passed=2, failed=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*DirtyReactorAggregateError: Reactor was unclean.*", "*FailTest: 1 != 2*"])


def test_asyncFixtures(inner: Any) -> None:
    """Async fixtures (plain and yield) run on the reactor, setup and teardown."""
    inner.makepyfile(
        """
        import pytest
        from plait.task import deferLater

        events = []

        @pytest.fixture
        async def value(reactor):
            return await deferLater(reactor, 0.001, lambda: 41)

        @pytest.fixture
        async def resource(reactor):
            events.append("setup")
            yield await deferLater(reactor, 0.001, lambda: "open")
            await deferLater(reactor, 0.001, events.append, "teardown waited")

        async def test_value(value):
            assert value + 1 == 42

        def test_resource(resource):
            assert resource == "open"

        def test_teardownRan():
            assert events == ["setup", "teardown waited"]

        class TestInAClass:
            @pytest.fixture
            async def mine(self, reactor):
                return self

            def test_boundToTheInstance(self, mine):
                assert mine is self
        """
    )
    runInner(inner).assert_outcomes(passed=4)


def test_entryPointIsNamedAfterTheModule() -> None:
    """setup.cfg registers the plugin under its module's name.

    So ``-p plait.pytest_plugin`` (what these tests pass) and the installed
    entry point are one plugin, never registered twice, and
    ``-p no:plait.pytest_plugin`` turns the installed one off.
    """
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    entries = [line.split("=") for line in config["options.entry_points"]["pytest11"].strip().splitlines()]
    assert [(name.strip(), target.strip()) for name, target in entries] == [
        ("plait.pytest_plugin", "plait.pytest_plugin")
    ]
