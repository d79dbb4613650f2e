"""trial test cases on the real global reactor, run in subprocesses.

``python -m plait.trial`` (and ``python -m unittest``) run a module whose
tests use ``from plait import reactor``: real loopback TCP, and the bad
cases of issue 14 (a test that never fires, one that stops the reactor,
one whose timed call raises, one that leaves a connection open), each of
which must fail only itself while the tests after it pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60

MODULE = '''
from plait import reactor
from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Factory, Protocol
from plait.protocols.basic import LineReceiver
from plait.task import deferLater
from plait.trial import unittest


class Upper(LineReceiver):
    def lineReceived(self, line):
        self.sendLine(line.upper())


class Client(LineReceiver):
    def connectionMade(self):
        self.lines = Deferred()

    def lineReceived(self, line):
        self.lines.callback(line)


class OverTCP(unittest.TestCase):
    def setUp(self):
        self.port = reactor.listenTCP(0, Factory.forProtocol(Upper), interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)

    async def test_1_roundTrip(self):
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port.getHost().port)
        client = await connectProtocol(endpoint, Client())
        client.sendLine(b"hello")
        self.assertEqual(await client.lines, b"HELLO")
        client.transport.loseConnection()

    async def test_2_neverFires(self):
        await Deferred()

    test_2_neverFires.timeout = 0.2

    def test_3_stopsTheReactor(self):
        reactor.callLater(0, reactor.stop)
        return Deferred()

    def test_4_timedCallRaises(self):
        reactor.callLater(0, lambda: 1 / 0)
        return deferLater(reactor, 0.01, lambda: None)

    async def test_5_leavesAConnectionOpen(self):
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port.getHost().port)
        client = await connectProtocol(endpoint, Client())
        client.sendLine(b"accepted?")
        await client.lines  # the server has accepted: two open connections

    async def test_6_stillWorks(self):
        self.assertEqual(reactor.getDelayedCalls(), [])
        self.assertEqual(reactor.getWriters(), [])
        await self.test_1_roundTrip()
'''


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "test_globalreactor.py").write_text(MODULE)
    return tmp_path


def runIn(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, *args], cwd=directory, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )


def statuses(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        if line.startswith("    test_") and line.endswith("]"):
            found[line.split()[0]] = line.rsplit("[", 1)[1].rstrip("]")
    return found


def test_eachBadTestFailsOnlyItself(module: Path) -> None:
    proc = runIn(module, "-m", "plait.trial", "test_globalreactor")
    assert proc.returncode == 1, proc.stderr
    assert statuses(proc.stdout) == {
        "test_1_roundTrip": "OK",
        "test_2_neverFires": "ERROR",
        "test_3_stopsTheReactor": "ERROR",
        "test_4_timedCallRaises": "ERROR",
        "test_5_leavesAConnectionOpen": "ERROR",
        "test_6_stillWorks": "OK",
    }
    out = proc.stdout
    assert (
        "plait.defer.TimeoutError: test_globalreactor.OverTCP.test_2_neverFires "
        "(test_2_neverFires) still running at 0.2 secs" in out
    )
    assert "test_2_neverFires is suspended at " in out and "test_globalreactor.py:37" in out
    assert "RuntimeError: reactor.stop() was called while the test ran" in out
    assert "ZeroDivisionError: division by zero" in out
    dirty = out.split("DirtyReactorAggregateError: Reactor was unclean.\nSelectables:\n")[1]
    assert dirty.startswith("<") and "plait.tcp.Client" in dirty and "<Upper #0 on " in dirty
    assert out.endswith("FAILED (errors=4, successes=2)\n")
    assert "ResourceWarning" not in proc.stderr


def test_reactorOption(tmp_path: Path) -> None:
    (tmp_path / "test_poll.py").write_text(textwrap.dedent(
        """
        from plait import reactor
        from plait.trial import unittest

        class Poll(unittest.TestCase):
            def test_selector(self):
                self.assertIn("PollSelector", repr(reactor))
        """
    ))
    proc = runIn(tmp_path, "-m", "plait.trial", "--reactor", "poll", "test_poll")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith("PASSED (successes=1)\n")


def test_pythonUnittestRunsTheSameModule(module: Path) -> None:
    proc = runIn(module, "-m", "unittest", "test_globalreactor")
    assert proc.returncode == 1
    assert proc.stderr.rstrip().endswith("FAILED (errors=4)"), proc.stderr
    assert "Ran 6 tests" in proc.stderr
