"""Reporting failures that no errback handled ("Unhandled error in Deferred").

This module owns the sentinel that logs a Deferred's unhandled Failure when
the Deferred is garbage-collected, and the debug text (creator and invoker
stacks) shared with ``AlreadyCalledError``.  ``plait._deferred`` arms and
disarms the sentinel; nothing else should touch it.

Rules:

* A Deferred carries a ``DebugInfo`` only while its result is a Failure
  that no errback has consumed; an armed sentinel's failure is always the
  Deferred's current result.
* The report is Twisted's two events on the ``plait.defer`` logger: a
  critical ``Unhandled error in Deferred:`` (``isError=True``, no failure),
  then the failure itself (``log_failure``; format ``(debug: {debugInfo})``
  in debug mode, else empty), so that Twisted tooling reading either sees
  the same thing.

Discussion: unhandled-failure tracking costs nothing on the success path.
Twisted gives a Deferred a ``DebugInfo`` object with a ``__del__``; here a
small ``DebugInfo`` sentinel (Twisted's name) is attached only when a callback run
*ends* with a Failure, and disarmed when a later run ends with anything else
(an errback handled it, a waiting Deferred took it, ``await`` raised it).
The sentinel is referenced by the Deferred alone, so it dies with it.

Tests: tests/unit/test_defer.py (the "unhandled failures" section)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plait.failure import Failure
from plait.logger import Logger

if TYPE_CHECKING:  # pragma: no cover - typing only
    from plait._deferred import Deferred


def debugText(creator: list[str] | None, invoker: list[str] | None) -> str:
    """Creator and first-invoker stacks, each line prefixed " C:" / " I:"."""
    parts = []
    if creator is not None:
        stack = "".join(creator).rstrip().replace("\n", "\n C:")
        parts.append(f" C: Deferred was created:\n C:{stack}\n")
    if invoker is not None:
        stack = "".join(invoker).rstrip().replace("\n", "\n I:")
        parts.append(f" I: First Invoker was:\n I:{stack}\n")
    return "".join(parts)


#: The logger of the reports (``plait.defer.log``, Twisted's ``defer.log``).
log = Logger(namespace="plait.defer")


class DebugInfo:
    """Logs a Failure that nobody handled, when its Deferred is collected.

    Only the Deferred refers to this object, so ``__del__`` runs exactly when
    the Deferred goes away.  Disarm it by setting ``failResult`` to ``None``.
    """

    __slots__ = ("creator", "failResult", "invoker")

    def __init__(
        self, failResult: Failure | None = None, creator: list[str] | None = None,
        invoker: list[str] | None = None,
    ) -> None:
        self.failResult = failResult
        self.creator = creator
        self.invoker = invoker

    def _getDebugTracebacks(self) -> str:
        return debugText(self.creator, self.invoker)

    def __del__(self) -> None:
        failure = self.failResult
        if failure is None:
            return
        self.failResult = None
        log.critical("Unhandled error in Deferred:", isError=True)
        debug = self._getDebugTracebacks()
        log.failure("(debug: {debugInfo})" if debug else "", failure, debugInfo=debug)


def disarmReport(d: Deferred[Any]) -> None:
    """Forget ``d``'s pending unhandled-failure report (its failure was taken)."""
    tracker = d._unhandled
    if tracker is not None:
        tracker.failResult = None
        d._unhandled = None


def armReport(d: Deferred[Any], failure: Failure) -> None:
    """Make ``d`` report ``failure`` if it is collected still holding it.

    Invariant: an armed sentinel's failure is ``d``'s current result, because
    every path that replaces a failed result disarms or re-arms.
    """
    tracker = d._unhandled
    if tracker is not None:
        if tracker.failResult is failure:
            return
        tracker.failResult = None
    d._unhandled = DebugInfo(failure, d._creator, d._invoker)
