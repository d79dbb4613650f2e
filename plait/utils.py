"""Run a program and get a Deferred of what it did (``twisted.internet.utils``).

What it owns: ``getProcessOutput`` (stdout, as bytes), ``getProcessValue``
(the exit code), ``getProcessOutputAndValue`` (``(out, err, code)``), all
three on top of ``reactor.spawnProcess``, and ``runWithWarningsSuppressed``
/ ``suppressWarnings``, which keep warning filters in place until a
Deferred fires.

Rules (Twisted's, kept):

* ``args`` excludes the program's name: the child's argv is
  ``(executable, *args)``.  ``env`` defaults to an *empty* environment.
* A program that cannot be started raises from the call itself (what
  ``spawnProcess`` raises), rather than failing the Deferred.
* ``getProcessOutput`` without ``errortoo`` fails its Deferred on the first
  byte of stderr with an ``IOError`` whose ``processEnded`` attribute is a
  Deferred that fails with the process's end reason (``ProcessDone`` too)
  once the process has ended; the pipes are closed at once.
* ``getProcessOutputAndValue`` fails with ``(out, err, signal)`` when the
  child was killed by a signal; it writes ``stdinBytes`` (if given) to the
  child and then closes its stdin.
* With ``reactor=None`` the global reactor is imported at call time, as
  Twisted's signatures default to it.

Tests: tests/integration/test_utils.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from plait.defer import Deferred
from plait.failure import Failure
from plait.protocol import ProcessProtocol

__all__ = [
    "getProcessOutput",
    "getProcessOutputAndValue",
    "getProcessValue",
    "runWithWarningsSuppressed",
    "suppressWarnings",
]


def _spawnWithDeferred(
    makeProtocol: Callable[[Deferred[Any]], ProcessProtocol], executable: Any, args: Sequence[Any],
    env: Any, path: Any, reactor: Any,
) -> Deferred[Any]:
    if reactor is None:
        from plait import reactor
    d: Deferred[Any] = Deferred()
    reactor.spawnProcess(makeProtocol(d), executable, (executable, *args), env, path)
    return d


class _UnexpectedErrorOutput(IOError):
    """The child wrote to stderr where ``getProcessOutput`` expected nothing.

    ``processEnded`` fires (with a failure: the end reason) once the process
    has ended, so a caller can wait for it.
    """

    def __init__(self, text: bytes, processEnded: Deferred[Any]) -> None:
        super().__init__(f"got stderr: {text!r}")
        self.processEnded = processEnded


class _BackRelay(ProcessProtocol):
    """Collects stdout (and stderr too, with ``errortoo``) for ``getProcessOutput``."""

    onProcessEnded: Deferred[Any] | None = None

    def __init__(self, deferred: Deferred[bytes], errortoo: bool = False) -> None:
        self.deferred: Deferred[bytes] | None = deferred
        self._chunks: list[bytes] = []
        self._errortoo = errortoo

    def outReceived(self, data: bytes) -> None:
        self._chunks.append(data)

    def errReceived(self, data: bytes) -> None:
        if self._errortoo:
            self._chunks.append(data)
            return
        if self.deferred is not None:
            self.onProcessEnded = Deferred()
            d, self.deferred = self.deferred, None
            d.errback(Failure(_UnexpectedErrorOutput(data, self.onProcessEnded)))
            self.transport.loseConnection()

    def processEnded(self, reason: Failure) -> None:
        if self.deferred is not None:
            self.deferred.callback(b"".join(self._chunks))
        elif self.onProcessEnded is not None:
            self.onProcessEnded.errback(reason)


def getProcessOutput(
    executable: Any, args: Sequence[Any] = (), env: Any = {}, path: Any = None,  # noqa: B006 - Twisted's default, never mutated
    reactor: Any = None, errortoo: bool = False,
) -> Deferred[bytes]:
    """Run ``executable`` with ``args``; a Deferred of everything it printed on stdout.

    With ``errortoo``, stderr is included (interleaved as it arrived).
    Without, the first stderr bytes fail the Deferred with an ``IOError``
    (see the module docstring).
    """
    return _spawnWithDeferred(
        lambda d: _BackRelay(d, errortoo=errortoo), executable, args, env, path, reactor
    )


class _ValueGetter(ProcessProtocol):
    def __init__(self, deferred: Deferred[Any]) -> None:
        self.deferred = deferred

    def processEnded(self, reason: Failure) -> None:
        self.deferred.callback(reason.value.exitCode)


def getProcessValue(
    executable: Any, args: Sequence[Any] = (), env: Any = {}, path: Any = None,  # noqa: B006 - Twisted's default, never mutated
    reactor: Any = None,
) -> Deferred[int | None]:
    """Run ``executable``; a Deferred of its exit code (None if a signal killed it)."""
    return _spawnWithDeferred(_ValueGetter, executable, args, env, path, reactor)


class _EverythingGetter(ProcessProtocol):
    def __init__(self, deferred: Deferred[Any], stdinBytes: bytes | None = None) -> None:
        self.deferred = deferred
        self.outBuf: list[bytes] = []
        self.errBuf: list[bytes] = []
        self.stdinBytes = stdinBytes

    def connectionMade(self) -> None:
        if self.stdinBytes is not None:
            self.transport.writeToChild(0, self.stdinBytes)
            self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.outBuf.append(data)

    def errReceived(self, data: bytes) -> None:
        self.errBuf.append(data)

    def processEnded(self, reason: Failure) -> None:
        out, err = b"".join(self.outBuf), b"".join(self.errBuf)
        ended = reason.value
        if ended.signal:
            self.deferred.errback(Failure((out, err, ended.signal)))
        else:
            self.deferred.callback((out, err, ended.exitCode))


def getProcessOutputAndValue(
    executable: Any, args: Sequence[Any] = (), env: Any = {}, path: Any = None,  # noqa: B006 - Twisted's default, never mutated
    reactor: Any = None, stdinBytes: bytes | None = None,
) -> Deferred[tuple[bytes, bytes, int]]:
    """Run ``executable``; a Deferred of ``(stdout, stderr, exitCode)``.

    If a signal killed the child, the Deferred fails with
    ``(stdout, stderr, signalNumber)`` as the failure's value, as in Twisted.
    """
    if stdinBytes is not None and not isinstance(stdinBytes, bytes):
        raise TypeError(f"stdinBytes must be bytes, not {type(stdinBytes).__name__}")
    return _spawnWithDeferred(
        lambda d: _EverythingGetter(d, stdinBytes), executable, args, env, path, reactor
    )


# --- warnings ---------------------------------------------------------------------


def _removeFilters(passthrough: Any, added: list[Any]) -> Any:
    for entry in added:
        try:
            warnings.filters.remove(entry)  # type: ignore[attr-defined]
        except ValueError:
            pass  # removed by somebody else already
    return passthrough


def runWithWarningsSuppressed(
    suppressedWarnings: Sequence[tuple[Sequence[Any], dict[str, Any]]],
    f: Callable[..., Any], *a: Any, **kw: Any,
) -> Any:
    """Call ``f(*a, **kw)`` with ``warnings.filterwarnings(*args, **kwargs)``
    added for each ``(args, kwargs)`` of ``suppressedWarnings``.

    The filters are removed when ``f`` returns or raises, or, if it returns
    a Deferred, when that Deferred fires.  (Warning filters are
    process-wide: other threads see them meanwhile.)
    """
    for args, kwargs in suppressedWarnings:
        warnings.filterwarnings(*args, **kwargs)
    added: list[Any] = list(warnings.filters[: len(suppressedWarnings)])
    try:
        result = f(*a, **kw)
    except BaseException:
        _removeFilters(None, added)
        raise
    if isinstance(result, Deferred):
        result.addBoth(_removeFilters, added)
    else:
        _removeFilters(None, added)
    return result


def suppressWarnings(
    f: Callable[..., Any], *suppressedWarnings: tuple[Sequence[Any], dict[str, Any]]
) -> Callable[..., Any]:
    """Wrap ``f`` so that each call runs under ``runWithWarningsSuppressed``."""

    @wraps(f)
    def warningSuppressingWrapper(*a: Any, **kw: Any) -> Any:
        return runWithWarningsSuppressed(suppressedWarnings, f, *a, **kw)

    return warningSuppressingWrapper
