"""The linecount client: ``LineCounter.count(line)`` -> Deferred of the server's total.

``LineCountProtocol`` speaks the protocol: every line it sends gets one
decimal line back, in order, so the pending Deferreds form a FIFO.
``LineCounter`` keeps one connection alive with ``ClientService``: a
request made while disconnected waits for the next connection; requests
already sent when a connection drops fail with the connection's reason
(they are not resent, since the server may have counted them).

Everything that varies is injected: the endpoint, the clock the retries
are scheduled on, the retry policy.  That is what lets the test suites
run the same code on ``task.Clock`` + an in-memory connection and on the
real reactor + loopback TCP.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from plait.defer import Deferred
from plait.error import ConnectionDone
from plait.failure import Failure
from plait.protocol import Factory, connectionDone
from plait.protocols.basic import LineReceiver
from plait.service import ClientService, backoffPolicy


class ProtocolError(Exception):
    """The server sent something that is not a count."""


class LineCountProtocol(LineReceiver):
    """Sends lines, matches each decimal reply to the oldest pending request."""

    def __init__(self) -> None:
        self._pending: deque[Deferred[int]] = deque()
        self._lostWaiters: list[Deferred[None]] = []
        self._lost = False

    def whenLost(self) -> Deferred[None]:
        """A Deferred that fires (with None) once this connection is lost.

        It fires from inside ``connectionLost``, before ``ClientService``
        has heard of the loss: wait a turn of the reactor before asking it
        for the next connection.
        """
        d: Deferred[None] = Deferred()
        if self._lost:
            d.callback(None)
        else:
            self._lostWaiters.append(d)
        return d

    def count(self, line: bytes) -> Deferred[int]:
        """Send ``line``; the Deferred fires with the server's total after it."""
        if b"\n" in line or b"\r" in line:
            raise ValueError(f"a line cannot contain a line break: {line!r}")
        d: Deferred[int] = Deferred()
        if self._lost:
            d.errback(ConnectionDone("this connection is already closed"))
            return d
        self._pending.append(d)
        self.sendLine(line)
        return d

    def lineReceived(self, line: bytes) -> None:
        if not self._pending:
            self._abort(ProtocolError(f"unexpected reply {line!r}: nothing was asked"))
            return
        d = self._pending.popleft()
        if not line.isdigit():
            d.errback(ProtocolError(f"not a count: {line!r}"))
            self._abort(ProtocolError("connection dropped after a bad reply"))
            return
        d.callback(int(line))

    def _abort(self, reason: Exception) -> None:
        self._failPending(Failure(reason))
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._lost = True
        self._failPending(reason)
        waiters, self._lostWaiters = self._lostWaiters, []
        for d in waiters:
            d.callback(None)

    def _failPending(self, reason: Failure) -> None:
        while self._pending:
            self._pending.popleft().errback(reason)


class LineCounter:
    """Counts lines on a linecount server, reconnecting when the connection drops.

    ``endpoint`` is any client endpoint; ``clock`` schedules reconnection
    attempts (default: the global reactor); ``retryPolicy(failures)`` gives
    the delay before the next attempt.  Call ``start()`` first and
    ``stop()`` when done (it returns a Deferred that fires once closed).
    """

    def __init__(
        self,
        endpoint: Any,
        clock: Any = None,
        retryPolicy: Callable[[int], float] | None = None,
    ) -> None:
        self._service = ClientService(
            endpoint,
            Factory.forProtocol(LineCountProtocol),
            retryPolicy=retryPolicy or backoffPolicy(initialDelay=0.1, maxDelay=5.0),
            clock=clock,
        )

    def start(self) -> None:
        """Start connecting (and keep reconnecting)."""
        self._service.startService()

    def stop(self) -> Deferred[None]:
        """Disconnect and stop reconnecting; fires when the connection is closed."""
        return self._service.stopService()

    def whenConnected(self) -> Deferred[LineCountProtocol]:
        """The protocol of the current connection, or of the next one."""
        return self._service.whenConnected()  # type: ignore[return-value]

    def count(self, line: bytes) -> Deferred[int]:
        """Send ``line`` on the current or next connection; fires with the server's total."""
        if b"\n" in line or b"\r" in line:
            raise ValueError(f"a line cannot contain a line break: {line!r}")
        return self._service.whenConnected().addCallback(lambda protocol: protocol.count(line))
