"""The suite's own hygiene checks really fail a test that breaks them.

A reactor left with a pending delayed call or a registered descriptor, or an
error logged and not flushed, must fail the test that caused it.  Each case
runs a tiny test file under ``pytester`` (in a subprocess, so its logged
errors stay its own) with this suite's conftest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(pytester: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    # The inner run is a subprocess: it finds plait through PYTHONPATH, not
    # through whatever happens to be installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return pytester


def test_pendingDelayedCallFailsTheTest(suite: Any) -> None:
    """A test that leaves a callLater pending fails with 'reactor left dirty'."""
    suite.makepyfile("def test_leaky(reactor):\n    reactor.callLater(60, print)\n")
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*reactor left dirty*"])


def test_registeredReaderFailsTheTest(suite: Any) -> None:
    """A test that leaves a descriptor registered fails, and the fixture still cleans up."""
    suite.makepyfile(
        "import socket\n"
        "class R:\n"
        "    def __init__(self): self.a, self.b = socket.socketpair()\n"
        "    def fileno(self): return self.a.fileno()\n"
        "    def doRead(self): pass\n"
        "    def connectionLost(self, reason): pass\n"
        "    def logPrefix(self): return 'R'\n"
        "keep = []\n"
        "def test_leaky(reactor):\n"
        "    r = R(); keep.append(r); reactor.addReader(r)\n"
        "def test_closeSockets():\n"
        "    for r in keep: r.a.close(); r.b.close()\n"
    )
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*reactor left dirty*readers*"])


def test_unflushedLoggedErrorFailsTheTest(suite: Any) -> None:
    """An error logged with log.err and not flushed fails the test; flushing it passes."""
    suite.makepyfile(
        "from plait import log\n"
        "def test_unflushed():\n"
        "    log.err(ValueError('boom'), 'oops')\n"
        "def test_flushed(loggedErrors):\n"
        "    log.err(ValueError('boom'), 'oops')\n"
        "    assert len(loggedErrors.flush(ValueError)) == 1\n"
    )
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*errors were logged and not flushed*"])


def test_cleanReactorPasses(suite: Any) -> None:
    """A test that cancels what it scheduled passes."""
    suite.makepyfile("def test_tidy(reactor):\n    reactor.callLater(60, print).cancel()\n")
    suite.runpytest_subprocess().assert_outcomes(passed=1)
