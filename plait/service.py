"""Keeping one client connection alive (``twisted.application.internet.ClientService``).

This module owns ``ClientService``, which keeps a single outgoing
connection to an endpoint open, reconnecting after a delay whenever an
attempt fails or the connection is lost; ``backoffPolicy``, the default
schedule for those delays.  Its base class, ``Service`` (with ``IService``),
is ``plait.application.service``'s, re-exported here.

Unlike ``ReconnectingClientFactory``, which only works with
``reactor.connectTCP`` (an endpoint never calls ``clientConnectionFailed``
or ``clientConnectionLost``, so a reconnecting factory handed to an
endpoint silently never reconnects), ``ClientService`` works with any
``IStreamClientEndpoint``: TCP, TLS, UNIX, ``HostnameEndpoint``, or an
endpoint parsed from a string.  Usage::

    from plait import reactor
    from plait.endpoints import TCP4ClientEndpoint
    from plait.service import ClientService, backoffPolicy

    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", 6667)
    service = ClientService(endpoint, MyFactory(), retryPolicy=backoffPolicy(maxDelay=30))
    service.startService()
    # The protocol MyFactory built (not a wrapper), once it is connected;
    # fails with the third consecutive connection failure:
    d = service.whenConnected(failAfterFailures=3)
    d.addCallback(lambda protocol: protocol.sendLine(b"hello"))
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()

Theory of operation: the service is an explicit state machine.  Every
change of state goes through ``_setState``, which checks ``_TRANSITIONS``::

    INIT --start--> CONNECTING --attempt succeeded--> CONNECTED
                     |      ^                            |
      attempt failed |      | retry timer fires          | connection lost
                     v      |                            |
                    WAITING <----------------------------+

    stop in CONNECTING / CONNECTED / WAITING / RESTARTING --> DISCONNECTING
    DISCONNECTING --nothing left open--> STOPPED --start--> CONNECTING
    DISCONNECTING --start--> RESTARTING --nothing left open--> CONNECTING
    INIT --stop--> STOPPED

An *attempt* (``_Attempt``) is one ``endpoint.connect`` followed, when a
``prepareConnection`` callable was given, by that callable.  The endpoint
is given a ``_DisconnectFactory`` that wraps each protocol the user's
factory builds in a ``_ReconnectingProtocolProxy``; the proxy forwards
everything to the user's protocol and reports ``makeConnection`` and
``connectionLost`` back to the service, so the service knows every
connection it has open.

Rules:

* At most one attempt is current (``_attempt``) and at most one connection
  is *the* connection (``_connection``, only in CONNECTED, or in
  DISCONNECTING while it closes).  Outcomes of an attempt that is no
  longer current are ignored; a connection such an attempt delivers late
  is closed.
* The failure counter passed to the retry policy counts consecutive
  failures from 1: the first retry waits ``retryPolicy(1)``.  A successful
  attempt resets it to 0, so the first reconnect after a lost connection
  also waits ``retryPolicy(1)``.
* The state is updated *before* user code is called (``whenConnected``
  waiters, ``prepareConnection``), so that code may call ``stopService``
  or ``whenConnected`` and find a consistent service.
* ``stopService``'s Deferred fires only when nothing is left: no attempt in
  flight, no retry timer, no open connection (including connections
  rejected by ``prepareConnection`` that are still closing).  Then every
  pending ``whenConnected`` Deferred fails with ``CancelledError``.

Deliberate differences from Twisted (each fixes a way Twisted's service
gets stuck or leaks a connection):

* A connection rejected by ``prepareConnection`` is closed with
  ``loseConnection()`` (Twisted leaves it open and forgets it).
* A connection lost while ``prepareConnection`` is still running fails the
  attempt with the loss reason and cancels the Deferred that
  ``prepareConnection`` returned; a connection lost before the endpoint
  delivered it (its ``connectionMade`` raised) fails the attempt too.
  Twisted's state machine has no transition for either and raises.
* ``endpoint.connect`` raising counts as a failed attempt instead of
  propagating out of ``startService``.
* ``stopService`` before ``startService`` also fails pending
  ``whenConnected`` Deferreds with ``CancelledError`` (Twisted leaves them
  waiting forever).

Tests: tests/unit/test_service.py, tests/integration/test_service_real.py
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Any

from zope.interface import (
    directlyProvides,
    implementer,
    providedBy,
)

from plait.application.service import IService, Service
from plait.defer import CancelledError, Deferred, fail, maybeDeferred, succeed
from plait.failure import Failure
from plait.interfaces import (
    IAddress,
    IDelayedCall,
    IProtocol,
    IProtocolFactory,
    IReactorTime,
    IStreamClientEndpoint,
    ITransport,
)
from plait.logger import Logger

__all__ = ["ClientService", "IService", "Service", "backoffPolicy"]


# --- the retry schedule -----------------------------------------------------


def backoffPolicy(
    initialDelay: float = 1.0,
    maxDelay: float = 60.0,
    factor: float = 1.5,
    jitter: Callable[[], float] = random.random,
) -> Callable[[int], float]:
    """Return an exponential back-off policy for ``ClientService``.

    The policy maps the number of consecutive failed attempts to a delay
    in seconds: ``min(initialDelay * factor ** attempt, maxDelay)`` plus
    ``jitter()``.  ``maxDelay`` caps the delay *before* jitter is added, so
    the longest wait is ``maxDelay`` plus the largest jitter.  With the
    defaults and no jitter, attempts 1, 2, 3... wait 1.5, 2.25, 3.375...
    seconds, reaching 60 at attempt 11.  ``jitter`` is called once per
    delay; pass ``lambda: 0.0`` for a deterministic schedule.
    """

    def policy(attempt: int) -> float:
        # The exponent stops growing at 100: past that the delay is pinned
        # at maxDelay for any sensible factor, and an unbounded integer
        # power would cost more the longer a server stays down.
        exponent = min(attempt, 100)
        try:
            delay = min(initialDelay * factor**exponent, maxDelay)
        except OverflowError:  # a float power too large to represent
            delay = maxDelay
        return delay + jitter()

    return policy


# --- wrapping the user's factory and protocols ------------------------------


@implementer(IProtocol)
class _ReconnectingProtocolProxy:
    """Stands in for one user protocol so the service hears about its connection.

    Everything it does not define is forwarded to the user's protocol, and
    it provides whatever interfaces that protocol provides (so a transport
    still sees ``IHalfCloseableProtocol`` and friends).  ``makeConnection``
    and ``connectionLost`` are reported to the service around the user's
    own calls.
    """

    _transport: Any = None

    def __init__(
        self,
        protocol: Any,
        madeNotification: Callable[[_ReconnectingProtocolProxy], None],
        lostNotification: Callable[[_ReconnectingProtocolProxy, Failure], None],
    ) -> None:
        self._protocol = protocol
        self._madeNotification = madeNotification
        self._lostNotification = lostNotification
        directlyProvides(self, providedBy(protocol))

    def makeConnection(self, transport: ITransport) -> None:
        # Reported first: if the user's connectionMade raises, the transport
        # delivers connectionLost next, and the service must already know
        # this connection to account for its end.
        self._transport = transport
        self._madeNotification(self)
        self._protocol.makeConnection(transport)

    def connectionMade(self) -> None:
        self._protocol.connectionMade()

    def dataReceived(self, data: bytes) -> None:
        self._protocol.dataReceived(data)

    def connectionLost(self, reason: Failure) -> None:
        try:
            self._protocol.connectionLost(reason)
        finally:
            self._lostNotification(self, reason)

    def __getattr__(self, name: str) -> Any:
        # Dunder lookups (zope's __providedBy__, copy's __deepcopy__...) must
        # see the proxy itself, and _protocol is absent only before __init__.
        if name.startswith("__") or name == "_protocol":
            raise AttributeError(name)
        return getattr(self._protocol, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} wrapping {self._protocol!r}>"


@implementer(IProtocolFactory)
class _DisconnectFactory:
    """Wraps the user's factory for one attempt: its protocols come out proxied.

    Everything else (``doStart``, ``doStop``, ``logPrefix``...) is forwarded,
    so the user's factory sees exactly what an endpoint would show it.
    """

    def __init__(
        self,
        protocolFactory: IProtocolFactory,
        madeNotification: Callable[[_ReconnectingProtocolProxy], None],
        lostNotification: Callable[[_ReconnectingProtocolProxy, Failure], None],
    ) -> None:
        self._protocolFactory = protocolFactory
        self._madeNotification = madeNotification
        self._lostNotification = lostNotification
        directlyProvides(self, providedBy(protocolFactory))

    def buildProtocol(self, addr: IAddress) -> _ReconnectingProtocolProxy | None:
        """The user's protocol in a proxy; ``None`` (a refusal) passes through."""
        built = self._protocolFactory.buildProtocol(addr)
        if built is None:
            return None
        return _ReconnectingProtocolProxy(built, self._madeNotification, self._lostNotification)

    def doStart(self) -> None:
        self._protocolFactory.doStart()

    def doStop(self) -> None:
        self._protocolFactory.doStop()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_protocolFactory":
            raise AttributeError(name)
        return getattr(self._protocolFactory, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} wrapping {self._protocolFactory!r}>"


# --- the state machine -------------------------------------------------------


class _State(enum.Enum):
    INIT = "init"  # created, never started
    CONNECTING = "connecting"  # an attempt is in flight
    CONNECTED = "connected"  # _connection is up and was handed out
    WAITING = "waiting"  # the retry timer is pending
    DISCONNECTING = "disconnecting"  # stopped; waiting for everything to close
    RESTARTING = "restarting"  # started again while still disconnecting
    STOPPED = "stopped"


_TRANSITIONS: dict[_State, frozenset[_State]] = {
    _State.INIT: frozenset({_State.CONNECTING, _State.STOPPED}),
    _State.CONNECTING: frozenset({_State.CONNECTED, _State.WAITING, _State.DISCONNECTING}),
    _State.CONNECTED: frozenset({_State.WAITING, _State.DISCONNECTING}),
    _State.WAITING: frozenset({_State.CONNECTING, _State.DISCONNECTING}),
    _State.DISCONNECTING: frozenset({_State.STOPPED, _State.RESTARTING}),
    _State.RESTARTING: frozenset({_State.CONNECTING, _State.DISCONNECTING}),
    _State.STOPPED: frozenset({_State.CONNECTING}),
}


class _Attempt:
    """One try at a connection: ``endpoint.connect``, then ``prepareConnection``."""

    def __init__(self) -> None:
        #: The whole chain (connect, then prepare); None while connect() runs.
        self.deferred: Deferred[Any] | None = None
        #: The proxy the endpoint delivered, once it did.
        self.proxy: _ReconnectingProtocolProxy | None = None
        #: What prepareConnection returned, while it has not fired.
        self.preparing: Deferred[Any] | None = None
        self.cancelled = False

    def cancel(self) -> None:
        # stopService may run inside endpoint.connect() itself (a synchronous
        # endpoint calling the user's connectionMade); the flag lets
        # _connect cancel the chain as soon as it exists.
        self.cancelled = True
        if self.deferred is not None:
            self.deferred.cancel()


class ClientService(Service):
    """Maintains one connection to ``endpoint``, reconnecting when it fails or drops.

    ``retryPolicy(failures)`` returns the seconds to wait before the next
    attempt after ``failures`` consecutive failures (default
    ``backoffPolicy()``).  ``clock`` schedules those waits (default: the
    global reactor).  ``prepareConnection(protocol)``, if given, is called
    with each new connection's protocol (the proxy, which forwards every
    attribute to the user's protocol) and may return a Deferred; the
    connection is handed out only once that succeeds.  If it raises or
    fails, the connection is closed and the attempt counts as failed.
    """

    _log = Logger()

    def __init__(
        self,
        endpoint: IStreamClientEndpoint,
        factory: IProtocolFactory,
        retryPolicy: Callable[[int], float] | None = None,
        clock: IReactorTime | None = None,
        prepareConnection: Callable[[Any], object] | None = None,
    ) -> None:
        if clock is None:
            # Twisted's signature defaults to the global reactor; import it
            # only now so that importing this module installs nothing.
            from plait import reactor as globalReactor

            clock = globalReactor  # type: ignore[assignment]
        self._endpoint = endpoint
        self._factory = factory
        self._timeoutForAttempt = backoffPolicy() if retryPolicy is None else retryPolicy
        self._clock: IReactorTime = clock  # type: ignore[assignment]
        self._prepareConnection = prepareConnection
        self._state = _State.INIT
        self._failedAttempts = 0
        self._attempt: _Attempt | None = None
        self._connection: _ReconnectingProtocolProxy | None = None
        self._retryCall: IDelayedCall | None = None
        # Every proxy between makeConnection and connectionLost: the
        # connection, one being prepared, and rejected ones still closing.
        self._live: set[_ReconnectingProtocolProxy] = set()
        self._awaitingConnected: list[tuple[Deferred[IProtocol], int | None]] = []
        self._stopWaiters: list[Deferred[None]] = []

    def _setState(self, new: _State) -> None:
        """Move to ``new``; raise ``RuntimeError`` naming both states if not allowed."""
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(
                f"ClientService cannot go from {self._state.name} to {new.name}"
            )
        self._state = new

    # --- public API ---------------------------------------------------------

    def startService(self) -> None:
        """Start connecting now; a second start while running only logs a warning."""
        if self.running:
            self._log.warn("Duplicate ClientService.startService {log_source}")
            return
        super().startService()
        if self._state is _State.DISCONNECTING:
            self._setState(_State.RESTARTING)
        else:
            self._connect()

    def stopService(self) -> Deferred[None]:
        """Stop reconnecting and close the connection.

        Cancels an attempt in flight, cancels the retry timer, or calls
        ``loseConnection()`` on the connection.  Returns a Deferred that
        fires with ``None`` once everything is closed; at that point every
        pending ``whenConnected`` Deferred has failed with ``CancelledError``.
        May be called any number of times, also before ``startService``.
        """
        super().stopService()
        state = self._state
        if state is _State.INIT:
            self._setState(_State.STOPPED)
            self._failConnectWaiters()
        if state in (_State.INIT, _State.STOPPED):
            return succeed(None)
        stopped: Deferred[None] = Deferred()
        self._stopWaiters.append(stopped)
        if state is not _State.DISCONNECTING:
            self._setState(_State.DISCONNECTING)
        if state is _State.CONNECTING:
            assert self._attempt is not None
            self._attempt.cancel()
        elif state is _State.CONNECTED:
            assert self._connection is not None
            self._connection._transport.loseConnection()
        elif state is _State.WAITING:
            assert self._retryCall is not None
            self._retryCall.cancel()
            self._retryCall = None
        self._maybeFinishStopping()
        return stopped

    def whenConnected(self, failAfterFailures: int | None = None) -> Deferred[IProtocol]:
        """Return a Deferred for the user's protocol of the current or next connection.

        It fires at once if connected; otherwise with the next connection
        (after ``prepareConnection`` succeeded).  With ``failAfterFailures=N``
        it fails with the failure of the N-th consecutive failed attempt
        counted from this call.  It fails with ``CancelledError`` when the
        service stops, and immediately once it has stopped.
        """
        if self._state is _State.CONNECTED:
            assert self._connection is not None
            return succeed(self._connection._protocol)
        if self._state is _State.STOPPED:
            return fail(CancelledError())
        waiter: Deferred[IProtocol] = Deferred()
        self._awaitingConnected.append((waiter, failAfterFailures))
        return waiter

    # --- one attempt ----------------------------------------------------------

    def _connect(self) -> None:
        self._setState(_State.CONNECTING)
        attempt = self._attempt = _Attempt()
        factory = _DisconnectFactory(
            self._factory, self._live.add, lambda p, r: self._proxyLost(attempt, p, r)
        )
        connecting: Deferred[Any] = maybeDeferred(self._endpoint.connect, factory)
        attempt.deferred = connecting
        connecting.addCallback(self._prepare, attempt)
        connecting.addCallbacks(
            self._attemptSucceeded, self._attemptFailed,
            callbackArgs=(attempt,), errbackArgs=(attempt,),
        )
        if attempt.cancelled:
            connecting.cancel()

    def _prepare(self, proxy: _ReconnectingProtocolProxy, attempt: _Attempt) -> object:
        attempt.proxy = proxy
        wanted = attempt is self._attempt and self._state is _State.CONNECTING
        if self._prepareConnection is None or not wanted:
            return proxy
        preparing = attempt.preparing = maybeDeferred(self._prepareConnection, proxy)
        return preparing.addCallback(lambda _: proxy)

    def _attemptSucceeded(self, proxy: _ReconnectingProtocolProxy, attempt: _Attempt) -> None:
        wanted = attempt is self._attempt and self._state is _State.CONNECTING
        if attempt is self._attempt:
            self._attempt = None
        if not wanted:
            # Stopped meanwhile, or the attempt already failed: nobody
            # wants this connection.
            self._drop(proxy)
            self._maybeFinishStopping()
            return
        self._connection = proxy
        self._failedAttempts = 0
        self._setState(_State.CONNECTED)
        waiting, self._awaitingConnected = self._awaitingConnected, []
        for waiter, _ in waiting:
            waiter.callback(proxy._protocol)

    def _attemptFailed(self, failure: Failure, attempt: _Attempt) -> None:
        # Returns None in every case: the failure is handled here (or was
        # already, for a stale attempt), so the chain must not report it.
        if attempt is not self._attempt:
            return
        self._attempt = None
        if attempt.proxy is not None:
            self._drop(attempt.proxy)  # prepareConnection rejected it
        if self._state is not _State.CONNECTING:
            self._maybeFinishStopping()
            return
        self._waitForRetry()
        ready: list[Deferred[IProtocol]] = []
        notReady: list[tuple[Deferred[IProtocol], int | None]] = []
        for waiter, remaining in self._awaitingConnected:
            if remaining is None:
                notReady.append((waiter, remaining))
            elif remaining <= 1:
                ready.append(waiter)
            else:
                notReady.append((waiter, remaining - 1))
        self._awaitingConnected = notReady
        for waiter in ready:
            waiter.errback(failure)

    def _waitForRetry(self) -> None:
        self._setState(_State.WAITING)
        self._failedAttempts += 1
        delay = self._timeoutForAttempt(self._failedAttempts)
        self._log.info(
            "Scheduling retry {attempt} to connect {endpoint} in {delay} seconds.",
            attempt=self._failedAttempts, endpoint=self._endpoint, delay=delay,
        )
        self._retryCall = self._clock.callLater(delay, self._retry)

    def _retry(self) -> None:
        self._retryCall = None
        self._connect()

    # --- connections ----------------------------------------------------------

    def _drop(self, proxy: _ReconnectingProtocolProxy) -> None:
        """Close a connection nobody will be given; stop waits for its end."""
        if proxy in self._live:
            proxy._transport.loseConnection()

    def _proxyLost(self, attempt: _Attempt, proxy: _ReconnectingProtocolProxy, reason: Failure) -> None:
        self._live.discard(proxy)
        if proxy is self._connection:
            self._connection = None
            if self._state is _State.CONNECTED:
                self._waitForRetry()
                return
        elif attempt is self._attempt and (attempt.proxy is None or attempt.proxy is proxy):
            # Lost before the attempt finished: the user's connectionMade
            # raised (the endpoint will never deliver it), or the connection
            # dropped while prepareConnection was running.  Either way the
            # attempt failed, for this reason.
            preparing = attempt.preparing
            self._attemptFailed(reason, attempt)
            if preparing is not None:
                preparing.cancel()  # its outcome now belongs to a stale attempt
            return
        self._maybeFinishStopping()

    # --- stopping -------------------------------------------------------------

    def _maybeFinishStopping(self) -> None:
        """Finish a stop (or a restart) once no attempt or connection is left."""
        if self._state not in (_State.DISCONNECTING, _State.RESTARTING):
            return
        if self._attempt is not None or self._live:
            return
        stopWaiters, self._stopWaiters = self._stopWaiters, []
        if self._state is _State.DISCONNECTING:
            self._setState(_State.STOPPED)
            self._failConnectWaiters()
        else:
            # Connect before firing the stop waiters: one of them may call
            # stopService again, which must then find the new attempt.
            self._connect()
        for stopped in stopWaiters:
            stopped.callback(None)

    def _failConnectWaiters(self) -> None:
        waiting, self._awaitingConnected = self._awaitingConnected, []
        for waiter, _ in waiting:
            waiter.errback(CancelledError())
