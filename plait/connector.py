"""The connector state machine shared by every client transport family.

This module owns ``BaseConnector`` (``twisted.internet.base.BaseConnector``):
the object ``reactor.connectTCP`` returns, which drives one
``ClientFactory`` through repeated connection attempts.  A subclass
(``plait.tcp.Connector``) supplies only ``_makeTransport()`` and
``getDestination()``.

States and transitions (``connector.state`` is the value string)::

    DISCONNECTED --connect()--> CONNECTING --buildProtocol--> CONNECTED
         ^                          |                             |
         +---- connectionFailed ----+                             |
         +------------------ connectionLost ---------------------+

What the factory sees, in this order (Twisted's, verified on 26.10)::

    doStart (first attempt only) -> startedConnecting
        -> buildProtocol ... clientConnectionLost
         | clientConnectionFailed
        -> doStop (unless the callback called connector.connect())

Rules:

* ``doStart`` and ``doStop`` pair up: the factory is started once by the
  first ``connect()`` and stopped once when an attempt or connection ends
  without the factory asking to reconnect.  Reconnecting from
  ``clientConnectionLost``/``clientConnectionFailed`` keeps it started.
* The connect timeout covers everything from ``connect()`` to the
  connection being made (name resolution included).  ``timeout=0`` fails the
  attempt on the next reactor iteration; ``None`` means no timeout.  How
  it is armed is in "Discussion: the lazy timeout" below.
* ``stopConnecting()`` reports ``clientConnectionFailed(UserError)`` before
  it returns, as Twisted does: the caller asked for exactly that outcome,
  and the connector is ``"disconnected"`` (ready for ``connect()``) as soon
  as the call returns.  Every other outcome arrives from the reactor loop.
* The transport talks back through three calls only: ``buildProtocol``
  (connected), ``connectionFailed`` (never connected) and
  ``connectionLost`` (was connected).  The connector talks to the transport
  through ``failIfNotConnected(exc)`` and ``loseConnection()``.

Discussion: the lazy timeout.  Twisted arms the timeout (a ``callLater``)
in ``connect()`` and cancels it once connected.  On loopback, and on any
fast network, the connect has usually finished by the time the transport
first looks, so that timer is made and cancelled for nothing: measured
under callgrind in the churn benchmark's client, 7,000 CPU instructions
per connection (4% of its cost; up to 30,000 when the cancellation makes
the timer queue rebuild itself).  So a connector whose transport says so
(``_lazyTimeout``: ``plait.tcp`` and ``plait.unix`` clients, built on
``_tcpclient.BaseClient``) only notes the deadline in ``connect()``; the
transport calls ``_deadlinePassed()`` when its first step runs (a deadline
already gone fails the attempt there, as Twisted's due timer would) and
``_armTimeout()`` when the connect has to wait (name resolution, a
connect still in progress, a full UNIX backlog), which arms the timer for
what is left of the deadline.  The outcomes and their order are
Twisted's; what differs is that ``timeoutID`` stays ``None`` until the
connect has to wait (docs/differences.md).  ``timeout=0`` and connectors
whose transport does not know the protocol arm the timer in ``connect()``.

Tests: tests/unit/test_connector.py, tests/integration/test_tcp.py,
tests/integration/test_tcp_paths.py (the lazy timeout on real sockets).
"""

from __future__ import annotations

import enum
from typing import Any

from zope.interface import implementer

from plait import error
from plait.failure import Failure
from plait.interfaces import IConnector

__all__ = ["BaseConnector", "ConnectorState"]


class ConnectorState(enum.Enum):
    """Where a connector is; the values are Twisted's ``connector.state`` strings."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"

    # Identity hashing (C code) instead of Enum's Python-level __hash__:
    # the transition table is consulted on every connection.
    __hash__ = object.__hash__


_DISCONNECTED = ConnectorState.DISCONNECTED
_CONNECTING = ConnectorState.CONNECTING
_CONNECTED = ConnectorState.CONNECTED

# Each state may also "move" to itself (a second report of the same end is
# harmless), so one lookup answers every check.  The per-connection moves
# (connect, buildProtocol, the two ends) test what this table says inline:
# DISCONNECTED is allowed from everywhere, CONNECTED from all but it.
_ALLOWED: dict[ConnectorState, frozenset[ConnectorState]] = {
    _DISCONNECTED: frozenset({_DISCONNECTED, _CONNECTING}),
    _CONNECTING: frozenset({_CONNECTING, _CONNECTED, _DISCONNECTED}),
    _CONNECTED: frozenset({_CONNECTED, _DISCONNECTED}),
}


@implementer(IConnector)
class BaseConnector:
    """Connects a client factory, reconnecting when the factory asks.

    Public attributes (Twisted's): ``factory``, ``timeout``, ``reactor``,
    ``transport`` (the current attempt's transport, or ``None``),
    ``factoryStarted``, ``timeoutID`` and the read-only ``state`` string.
    """

    transport: Any = None
    timeoutID: Any = None
    factoryStarted: bool = False
    #: Whether the transport calls ``_deadlinePassed``/``_armTimeout`` (see
    #: "Discussion: the lazy timeout"); a subclass whose transport does sets it.
    _lazyTimeout: bool = False
    #: The timeout's due time (``reactor.seconds()``) while it is not armed yet.
    _deadline: float | None = None

    def __init__(self, factory: Any, timeout: float | None, reactor: Any) -> None:
        # One test for the usual float (programs that churn connections make
        # a connector per connection), the full checks for anything else.
        if timeout is not None and (timeout.__class__ is not float or not timeout >= 0):
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise TypeError(f"timeout must be a number of seconds or None, not {timeout!r}")
            if timeout < 0:
                raise ValueError(f"timeout must not be negative, got {timeout!r}")
        self.factory = factory
        self.timeout = timeout
        self.reactor = reactor
        self._state = _DISCONNECTED

    # -- state -----------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"disconnected"``, ``"connecting"`` or ``"connected"``."""
        return self._state.value

    def _setState(self, new: ConnectorState) -> None:
        """Move to ``new``; an illegal move is a bug in plait, so it raises."""
        if new not in _ALLOWED[self._state]:
            raise RuntimeError(
                f"connector cannot go from {self._state.value!r} to {new.value!r}"
            )
        self._state = new

    # -- IConnector --------------------------------------------------------------

    def connect(self) -> None:
        """Start a connection attempt; only allowed while disconnected.

        Calls ``factory.doStart()`` the first time, creates the transport,
        arms the timeout (or notes its deadline) and then calls
        ``factory.startedConnecting(self)``.
        Never reports an outcome before it returns.

        Raises ``RuntimeError("can't connect in this state (...)")`` when
        already connecting or connected.
        """
        if self._state is not _DISCONNECTED:
            raise RuntimeError(f"can't connect in this state ({self.state})")
        self._state = _CONNECTING  # DISCONNECTED -> CONNECTING, checked just above
        if not self.factoryStarted:
            self.factory.doStart()
            self.factoryStarted = True
        # The timeout is armed before the transport schedules its first
        # step, so that a zero timeout (same due time, earlier in the queue)
        # fails the attempt before it can complete.  A positive one, with a
        # transport that can, is only noted (see "the lazy timeout").
        timeout = self.timeout
        if timeout is not None:
            if timeout and self._lazyTimeout:
                self._deadline = self.reactor.seconds() + timeout
            else:
                self.timeoutID = self.reactor.callLater(timeout, self._timedOut)
        try:
            self.transport = self._makeTransport()
        except BaseException:
            self.cancelTimeout()
            self._setState(_DISCONNECTED)
            self._stopFactoryUnlessReconnecting()
            raise
        self.factory.startedConnecting(self)

    def _timedOut(self) -> None:
        self.timeoutID = None
        self._deadline = None
        self.transport.failIfNotConnected(error.TimeoutError())

    def _deadlinePassed(self) -> bool:
        """For the transport's first step: True, after failing the attempt
        with ``TimeoutError``, if the noted deadline has already passed.

        (A loop that was busy for longer than the timeout: Twisted's timer,
        due by then, would fail the attempt in that same pass.)
        """
        deadline = self._deadline
        if deadline is None or self.reactor.seconds() < deadline:
            return False
        self._timedOut()
        return True

    def _armTimeout(self) -> None:
        """The transport's connect has to wait: arm the timeout for what is
        left of the noted deadline (nothing if already armed, or none)."""
        deadline = self._deadline
        if deadline is not None:
            self._deadline = None
            left = max(0.0, deadline - self.reactor.seconds())
            self.timeoutID = self.reactor.callLater(left, self._timedOut)

    def stopConnecting(self) -> None:
        """Abandon the attempt in progress.

        ``clientConnectionFailed(self, Failure(UserError()))`` is called
        before this returns.  Raises ``NotConnectingError("we're not trying
        to connect")`` unless the connector is connecting.
        """
        if self._state is not _CONNECTING:
            raise error.NotConnectingError("we're not trying to connect")
        self.transport.failIfNotConnected(error.UserError())

    def disconnect(self) -> None:
        """Stop connecting, or close the connection; nothing if disconnected."""
        if self._state is _CONNECTING:
            self.stopConnecting()
        elif self._state is _CONNECTED:
            self.transport.loseConnection()

    def getDestination(self) -> Any:
        """The address being connected to, as given (names stay unresolved)."""
        raise NotImplementedError(f"{type(self).__name__} must implement getDestination()")

    # -- for subclasses ----------------------------------------------------------

    def _makeTransport(self) -> Any:
        """Create the client transport for one attempt (subclass hook).

        The transport must not report anything before ``connect()`` returns.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _makeTransport()")

    # -- called by the transport -------------------------------------------------

    def buildProtocol(self, addr: Any) -> Any:
        """The transport connected to ``addr``: build the protocol for it.

        The connector is ``"connected"`` (and its timeout cancelled) before
        the factory is asked.  A ``None`` result is the transport's problem
        (it closes the connection).
        """
        if self._state is _DISCONNECTED:
            self._setState(_CONNECTED)  # illegal: raises
        self._state = _CONNECTED
        # cancelTimeout(), with nothing to cancel (the usual lazy timeout)
        # settled without the call.
        self._deadline = None
        if self.timeoutID is not None:
            self.cancelTimeout()
        return self.factory.buildProtocol(addr)

    def connectionFailed(self, reason: Failure) -> None:
        """The attempt failed: tell the factory, then stop it unless it retried."""
        self.cancelTimeout()
        self.transport = None
        self._state = _DISCONNECTED  # allowed from every state
        self.factory.clientConnectionFailed(self, reason)
        self._stopFactoryUnlessReconnecting()

    def connectionLost(self, reason: Failure) -> None:
        """The connection ended: tell the factory, then stop it unless it retried."""
        self._state = _DISCONNECTED  # allowed from every state
        self.factory.clientConnectionLost(self, reason)
        self._stopFactoryUnlessReconnecting()

    def cancelTimeout(self) -> None:
        """Disarm the connect timeout, if it is still pending."""
        self._deadline = None
        timeoutID, self.timeoutID = self.timeoutID, None
        if timeoutID is not None and timeoutID.active():
            timeoutID.cancel()

    def _stopFactoryUnlessReconnecting(self) -> None:
        # A factory that called connect() from its callback is connecting
        # again and stays started.  The factoryStarted check keeps doStop
        # single even if the callback reconnected and then gave up again.
        if self._state is _DISCONNECTED and self.factoryStarted:
            self.factoryStarted = False
            self.factory.doStop()

    def __repr__(self) -> str:
        cls = type(self)
        return (
            f"<{cls.__module__}.{cls.__qualname__} instance at 0x{id(self):x} "
            f"{self.state} {self.getDestination()}>"
        )
