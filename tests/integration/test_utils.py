"""plait.utils against real programs: getProcessOutput & co., warnings suppression."""

from __future__ import annotations

import signal
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from plait import error, utils
from plait.defer import Deferred
from tests.helpers import runUntil

SH = "/bin/sh"


def test_getProcessOutput(reactor: Any) -> None:
    """stdout as bytes; args exclude the program's name; env is empty by default."""
    out = runUntil(reactor, utils.getProcessOutput(SH, ["-c", 'echo "$0"; echo "[$HOME]"'], reactor=reactor))
    assert out == SH.encode() + b"\n[]\n"


def test_getProcessOutputEnvAndPath(reactor: Any, tmp_path: Path) -> None:
    """env and path are passed on."""
    d = utils.getProcessOutput(SH, ["-c", "echo $X; pwd"], env={"X": "y"}, path=str(tmp_path), reactor=reactor)
    assert runUntil(reactor, d) == b"y\n" + str(tmp_path.resolve()).encode() + b"\n"


def test_getProcessOutputErrortoo(reactor: Any) -> None:
    """errortoo=True mixes stderr into the result."""
    d = utils.getProcessOutput(SH, ["-c", "echo a; sleep 0.05; echo b >&2"], reactor=reactor, errortoo=True)
    assert runUntil(reactor, d) == b"a\nb\n"


def test_getProcessOutputFailsOnStderr(reactor: Any) -> None:
    """Without errortoo, stderr output fails the Deferred with an IOError whose
    processEnded Deferred fails with the end reason once the process ended."""
    d = utils.getProcessOutput(SH, ["-c", "echo oops >&2; sleep 0.05"], reactor=reactor)
    with pytest.raises(IOError, match="got stderr: b'oops\\\\n'") as info:
        runUntil(reactor, d)
    ended: Deferred[Any] = info.value.processEnded  # type: ignore[attr-defined]
    failures: list[Any] = []
    ended.addErrback(failures.append)
    runUntil(reactor, ended)
    assert failures[0].check(error.ProcessDone)  # Twisted errbacks with the end reason, even success


def test_getProcessValue(reactor: Any) -> None:
    """The exit code, and None when a signal killed the child."""
    assert runUntil(reactor, utils.getProcessValue(SH, ["-c", "exit 42"], reactor=reactor)) == 42
    assert runUntil(reactor, utils.getProcessValue(SH, ["-c", "kill -9 $$"], reactor=reactor)) is None


def test_getProcessOutputAndValue(reactor: Any) -> None:
    """(out, err, code); stdinBytes is written to the child, then stdin closed."""
    d = utils.getProcessOutputAndValue(
        SH, ["-c", "cat; echo e >&2; exit 3"], reactor=reactor, stdinBytes=b"fed in\n"
    )
    assert runUntil(reactor, d) == (b"fed in\n", b"e\n", 3)


def test_getProcessOutputAndValueSignal(reactor: Any) -> None:
    """A child killed by a signal fails the Deferred with (out, err, signal)."""
    d = utils.getProcessOutputAndValue(SH, ["-c", "echo x; kill -15 $$"], reactor=reactor)
    results: list[Any] = []
    d.addErrback(results.append)
    runUntil(reactor, d)
    assert results[0].value == (b"x\n", b"", signal.SIGTERM)


def test_missingProgramRaises(reactor: Any) -> None:
    """A program that cannot start raises from the call itself, as in Twisted."""
    with pytest.raises(FileNotFoundError, match="/nonexistent/prog"):
        utils.getProcessOutput("/nonexistent/prog", reactor=reactor)
    with pytest.raises(TypeError, match="stdinBytes must be bytes"):
        utils.getProcessOutputAndValue("/bin/cat", reactor=reactor, stdinBytes="text")  # type: ignore[arg-type]


def test_pythonChild(reactor: Any) -> None:
    """A Python child's output and code, through the same calls."""
    d = utils.getProcessOutputAndValue(
        sys.executable, ["-c", "import sys; print('py'); sys.exit(2)"], reactor=reactor
    )
    assert runUntil(reactor, d) == (b"py\n", b"", 2)


# --- warnings -------------------------------------------------------------------------


def _warn() -> str:
    warnings.warn("noisy", DeprecationWarning, stacklevel=1)
    return "result"


def test_runWithWarningsSuppressed() -> None:
    """The filters apply during the call and are removed afterwards."""
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = utils.runWithWarningsSuppressed([(("ignore",), {"category": DeprecationWarning})], _warn)
        assert result == "result" and caught == []
        _warn()
        assert len(caught) == 1
    assert warnings.filters == before


def test_runWithWarningsSuppressedUntilDeferredFires() -> None:
    """With a Deferred result the filters stay until it fires; on an exception they go at once."""
    d: Deferred[str] = Deferred()
    with warnings.catch_warnings():
        count = len(warnings.filters)
        got = utils.runWithWarningsSuppressed([(("ignore",), {"message": "held"})], lambda: d)
        assert got is d and len(warnings.filters) == count + 1
        d.callback("done")
        assert len(warnings.filters) == count

        def boom() -> None:
            raise ValueError("x")

        with pytest.raises(ValueError):
            utils.runWithWarningsSuppressed([(("ignore",), {})], boom)
        assert len(warnings.filters) == count


def test_suppressWarnings() -> None:
    """suppressWarnings wraps a function (keeping its name) to run suppressed."""
    wrapped = utils.suppressWarnings(_warn, (("ignore",), {"category": DeprecationWarning}))
    assert wrapped.__name__ == "_warn"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert wrapped() == "result" and caught == []
