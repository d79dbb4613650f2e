"""Protocols and the factories that build them (``twisted.internet.protocol``).

This module owns the user-facing half of every connection: ``Protocol`` (the
object that receives bytes), the factories that build protocols
(``Factory``, ``ClientFactory``, ``ServerFactory``), the retrying
``ReconnectingClientFactory``, ``ClientCreator`` (connect without writing a
factory), ``ProcessProtocol`` (the protocol of a child process; its
transport lives in ``plait.process``) and the datagram protocol base classes.

A stream protocol's life, as a transport drives it::

    makeConnection(transport) -> connectionMade
        [-> dataReceived]* -> connectionLost(reason)  (exactly once)

A client factory's life, as a connector drives it::

    doStart -> startedConnecting -> (buildProtocol ... clientConnectionLost
                                     | clientConnectionFailed) -> doStop

Rules:

* ``Factory.doStart``/``doStop`` count users (``numPorts``); ``startFactory``
  runs on the 0 -> 1 transition and ``stopFactory`` on 1 -> 0, once each.
  An unbalanced ``doStop`` is ignored, as in Twisted.
* Nothing here owns a reactor.  ``ReconnectingClientFactory`` takes its
  ``clock`` (and its random source ``_random``) as attributes; only when no
  clock was given does it fall back to the global reactor, imported at call
  time.
* ``ClientCreator`` delivers its result one reactor turn after the connector
  reported success or failure (``reactor.callLater(0, ...)``), so the user's
  ``connectionMade`` has run by the time the Deferred fires.

Deliberate differences from Twisted:

* A jittered reconnect delay can come out negative in Twisted
  (``normalvariate`` is unbounded; Twisted issue #8714) and then trips
  ``callLater``'s check.  plait clamps the jittered delay at 0.
* Where Twisted ``assert``s (``buildProtocol`` with no ``protocol`` set, a
  datagram protocol attached twice or stopped more often than started),
  plait raises ``TypeError``/``RuntimeError`` with a message saying what to
  fix, so the check survives ``python -O``.
* ``ClientCreator.connectUNIX``/``connectSSL`` on a reactor without that
  method return a failed Deferred (``NotImplementedError``) instead of
  raising ``AttributeError``.

Tests: tests/unit/test_protocol.py, tests/unit/test_reconnecting.py,
tests/unit/test_clientcreator.py, tests/integration/test_clientcreator_real.py,
tests/unit/test_processendpoints.py (ProcessProtocol).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from typing import Protocol as TypingProtocol

from zope.interface import implementer
from zope.interface.interface import InterfaceClass, adapter_hooks

from plait import error, log
from plait.defer import Deferred, fail
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    ILoggingContext,
    IProcessProtocol,
    IProtocol,
    IProtocolFactory,
)
from plait.logger import _loggerFor, isEnabled

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "AbstractDatagramProtocol",
    "ClientCreator",
    "ClientFactory",
    "ConnectedDatagramProtocol",
    "DatagramProtocol",
    "Factory",
    "FileWrapper",
    "ProcessProtocol",
    "Protocol",
    "ReconnectingClientFactory",
    "ServerFactory",
    "connectionDone",
]


def _logInfo(text: Callable[[], str]) -> None:
    """Log the line ``text()`` through ``plait.log.msg``, built only if needed.

    Factory start/stop lines are emitted on every connection; formatting a
    ``repr`` nobody will read is measurable in the connection-churn
    benchmark.  ``plait.log.msg`` logs at INFO on the ``plait`` logger, so
    the same cheap check it makes comes first here.
    """
    if isEnabled(logging.INFO):
        log.msg(text())


# --- stream protocols -------------------------------------------------------


class BaseProtocol:
    """The part of a protocol that is common to streams and processes.

    ``connected`` and ``transport`` are Twisted's public attributes; note that
    nothing resets ``connected`` to 0, not even ``connectionLost``.
    """

    connected: int = 0
    transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        """Attach ``transport`` and call ``connectionMade``; once per connection."""
        self.connected = 1
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        """Called once the transport is attached; override to start talking."""


connectionDone: Failure = Failure(error.ConnectionDone())
connectionDone.cleanFailure()


@implementer(IProtocol, ILoggingContext)
class Protocol(BaseProtocol):
    """Base class for stream protocols: override ``dataReceived``.

    Lifecycle: ``makeConnection -> connectionMade -> dataReceived* ->
    connectionLost`` with ``connectionLost`` called exactly once.
    """

    factory: Any = None

    def logPrefix(self) -> str:
        """The class name: transports build their log prefix from it."""
        return self.__class__.__name__

    def dataReceived(self, data: bytes) -> None:
        """Called with each chunk of bytes; chunk boundaries carry no meaning."""

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """Called exactly once when the connection is gone, for any reason."""


# --- adapters between protocols and consumers --------------------------------

# ``IConsumer(someProtocol)`` and ``IProtocol(someConsumer)`` work as they do
# in Twisted, through zope's ``Interface(obj)`` adapter hooks, without pulling
# in a components framework.  There are just two adapters, so a short list
# (provided interface, required interface, factory) stands in for zope's
# AdapterRegistry, whose module would add to every program's import time.
_adapters: list[tuple[InterfaceClass, InterfaceClass, Callable[[Any], object]]] = []


def _adapterHook(iface: InterfaceClass, ob: object) -> object:
    # What zope's registry lookup would answer: an adapter whose product is
    # (or extends) the interface asked for, registered for what ``ob`` provides.
    for provided, required, factory in _adapters:
        if provided.isOrExtends(iface) and required.providedBy(ob):
            return factory(ob)
    return None


adapter_hooks.append(_adapterHook)


@implementer(IConsumer)
class ProtocolToConsumerAdapter:
    """``IConsumer(protocol)``: writes become the protocol's ``dataReceived``."""

    def __init__(self, original: Any) -> None:
        self.original = original

    def write(self, data: bytes) -> None:
        self.original.dataReceived(data)

    def registerProducer(self, producer: object, streaming: bool) -> None:
        """Producers are ignored: a protocol cannot push back."""

    def unregisterProducer(self) -> None:
        """Producers are ignored: a protocol cannot push back."""


@implementer(IProtocol)
class ConsumerToProtocolAdapter:
    """``IProtocol(consumer)``: received data is written to the consumer."""

    def __init__(self, original: Any) -> None:
        self.original = original

    def dataReceived(self, data: bytes) -> None:
        self.original.write(data)

    def connectionLost(self, reason: Failure) -> None:
        """Nothing to tell a consumer."""

    def makeConnection(self, transport: object) -> None:
        """Nothing to tell a consumer."""

    def connectionMade(self) -> None:
        """Nothing to tell a consumer."""


_adapters.append((IConsumer, IProtocol, ProtocolToConsumerAdapter))
_adapters.append((IProtocol, IConsumer, ConsumerToProtocolAdapter))


@implementer(IConsumer)
class FileWrapper:
    """A file-like object as a transport, for trying a protocol out.

    ``write`` writes to the file; ``loseConnection`` closes it; nothing is
    ever read.  A write or close that raises calls ``handleException``,
    which logs it (Twisted's default drops it silently).
    """

    closed = 0
    disconnecting = 0
    producer: Any = None
    streamingProducer = 0

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except Exception:  # noqa: BLE001 - see handleException
            self.handleException()

    def writeSequence(self, iovec: Any) -> None:
        self.write(b"".join(iovec))

    def loseConnection(self) -> None:
        self.closed = 1
        try:
            self.file.close()
        except OSError:
            self.handleException()

    def getPeer(self) -> tuple[str, str]:
        return ("file", "file")  # what Twisted returns (not an IAddress)

    def getHost(self) -> str:
        return "file"

    def handleException(self) -> None:
        """A write or close failed (called inside ``except``): log it."""
        log.err(None, "FileWrapper could not write to its file")

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.producer = producer
        self.streamingProducer = streaming
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        self.producer = None

    def stopConsuming(self) -> None:
        self.unregisterProducer()
        self.loseConnection()

    def resumeProducing(self) -> None:
        """Nothing to produce: a file wrapper never reads."""

    def pauseProducing(self) -> None:
        """Nothing to pause."""

    def stopProducing(self) -> None:
        self.loseConnection()


# --- factories ----------------------------------------------------------------

_P = TypeVar("_P", bound=Protocol)
#: Twisted's public names for the factory's type parameters.
P = _P  # type: ignore[misc]
R = TypeVar("R", bound="Factory[Any]")


@implementer(IProtocolFactory, ILoggingContext)
class Factory(Generic[_P]):
    """Builds protocols; set ``protocol`` to a zero-argument callable (a class).

    ``numPorts`` counts the ports and connectors currently using the factory;
    ``doStart``/``doStop`` maintain it and call ``startFactory``/``stopFactory``
    on the first start and the last stop.
    """

    protocol: Callable[[], _P] | None = None
    numPorts: int = 0
    noisy: bool = True

    @classmethod
    def forProtocol(cls, protocol: Callable[[], Any], *args: Any, **kwargs: Any) -> Self:
        """Create ``cls(*args, **kwargs)`` whose ``protocol`` is ``protocol``."""
        factory = cls(*args, **kwargs)
        factory.protocol = protocol
        return factory

    def logPrefix(self) -> str:
        """The class name, used as the log prefix of listening ports."""
        return self.__class__.__name__

    def doStart(self) -> None:
        """Register one more user; the first one starts the factory.

        Called by ports and connectors, not by applications.
        """
        if not self.numPorts:
            # Twisted's structured event (key ``factory``).  The gate is
            # checked first: this runs once per connection.
            if self.noisy and isEnabled(logging.INFO):
                _loggerFor(self).info("Starting factory {factory!r}", factory=self)
            self.startFactory()
        self.numPorts += 1

    def doStop(self) -> None:
        """Unregister one user; the last one stops the factory.

        A ``doStop`` without a matching ``doStart`` does nothing (Twisted
        tolerates it too).
        """
        if self.numPorts == 0:
            return
        self.numPorts -= 1
        if not self.numPorts:
            if self.noisy and isEnabled(logging.INFO):
                _loggerFor(self).info("Stopping factory {factory!r}", factory=self)
            self.stopFactory()

    def startFactory(self) -> None:
        """Hook: called once before the first connection or port uses us."""

    def stopFactory(self) -> None:
        """Hook: called once after the last connection or port let go of us."""

    def buildProtocol(self, addr: Any) -> _P | None:
        """Return a new protocol for the connection to/from ``addr``.

        Calls ``self.protocol()`` with no arguments and sets its ``factory``.
        Subclasses may return ``None`` to refuse the connection.
        """
        if self.protocol is None:
            raise TypeError(
                f"{self.__class__.__name__}.protocol is None: set it to a "
                "protocol class (or use Factory.forProtocol) before connecting"
            )
        p = self.protocol()
        p.factory = self
        return p


class ClientFactory(Factory[_P]):
    """A factory for client connections, told about the connector's progress.

    Hooks, called by the connector in this order::

        startedConnecting -> (buildProtocol ... clientConnectionLost
                              | clientConnectionFailed)

    A factory handed to an *endpoint* never sees ``clientConnectionFailed``
    or ``clientConnectionLost``: the endpoint reports through its Deferred.
    """

    def startedConnecting(self, connector: Any) -> None:
        """Called once per connection attempt, when it starts."""

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """Called when an attempt failed; ``connector.connect()`` retries."""

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        """Called after an established connection was lost."""


class ServerFactory(Factory[_P]):
    """A factory for server connections; a marker with no extra behaviour."""


class _RandomSource(TypingProtocol):
    def normalvariate(self, mu: float, sigma: float) -> float: ...


class ReconnectingClientFactory(ClientFactory[_P]):
    """A client factory that reconnects after failures, with back-off.

    Each failure or lost connection calls ``retry``.  The scheduled delays
    are ``initialDelay``, then multiplied by ``factor`` after each retry and
    capped at ``maxDelay``; with ``jitter`` set, each delay is first drawn
    from ``normalvariate(delay, delay * jitter)`` (the jittered value is
    kept, so jitter compounds).  Call ``resetDelay()`` after a successful
    connection, or the delay keeps growing and ``maxRetries`` keeps counting
    across connections.

    ``clock`` (an ``IReactorTime``) defaults to the global reactor on the first
    retry; ``_random`` (anything with ``normalvariate``) defaults to the
    ``random`` module.  Set either per instance to make retries
    deterministic.
    """

    maxDelay: float = 3600
    initialDelay: float = 1.0
    factor: float = 2.7182818284590451
    jitter: float | None = 0.119626565582
    delay: float = initialDelay
    retries: int = 0
    maxRetries: int | None = None
    _callID: Any = None
    connector: Any = None
    clock: Any = None
    continueTrying: int = 1
    _random: _RandomSource = random

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """Schedule a retry unless ``stopTrying`` was called."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def clientConnectionLost(self, connector: Any, unused_reason: Failure) -> None:
        """Schedule a retry unless ``stopTrying`` was called."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def retry(self, connector: Any = None) -> None:
        """Schedule ``connector.connect()`` after the current delay.

        ``connector`` defaults to the last connector seen; with neither,
        raises ``ValueError("no connector to retry")``.  Does nothing (but
        log) once ``stopTrying`` was called or ``maxRetries`` is exceeded.
        """
        if not self.continueTrying:
            if self.noisy:
                _logInfo(lambda: f"Abandoning {connector} on explicit request")
            return
        if connector is None:
            if self.connector is None:
                raise ValueError("no connector to retry")
            connector = self.connector

        self.retries += 1
        if self.maxRetries is not None and self.retries > self.maxRetries:
            if self.noisy:
                _logInfo(lambda: f"Abandoning {connector} after {self.retries} retries.")
            return

        if self.jitter:
            jittered = self._random.normalvariate(self.delay, self.delay * self.jitter)
            # Twisted #8714: an unbounded normal draw can go negative, and a
            # negative delay is an error for callLater.  Retry at once instead.
            self.delay = max(0.0, jittered)

        if self.noisy:
            # Twisted formats with %d: the delay is truncated, 0.9 s prints as 0.
            _logInfo(lambda: f"{connector} will retry in {int(self.delay)} seconds")

        def reconnector() -> None:
            self._callID = None
            connector.connect()

        if self.clock is None:
            from plait import reactor  # the global reactor, only when none was given

            self.clock = reactor
        self._callID = self.clock.callLater(self.delay, reconnector)
        # The multiplication comes after scheduling, so the first delay is
        # initialDelay itself (Twisted #12478, fixed in 26.10).
        self.delay = min(self.delay * self.factor, self.maxDelay)

    def stopTrying(self) -> None:
        """Cancel any pending retry and stop the current attempt, for good."""
        if self._callID is not None:
            self._callID.cancel()
            self._callID = None
        self.continueTrying = 0
        if self.connector is not None:
            try:
                self.connector.stopConnecting()
            except error.NotConnectingError:
                pass

    def resetDelay(self) -> None:
        """Start the back-off over: call after a successful connection."""
        self.delay = self.initialDelay
        self.retries = 0
        self._callID = None
        self.continueTrying = 1

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the transient retry state (as Twisted does)."""
        state = self.__dict__.copy()
        for key in ("connector", "retries", "delay", "continueTrying", "_callID", "clock"):
            state.pop(key, None)
        return state


# --- ClientCreator ------------------------------------------------------------


class _InstanceFactory(ClientFactory[Any]):
    """ClientCreator's one-shot factory: hands out one pre-built instance.

    The outcome is delivered with ``callLater(0, ...)``; ``pending`` holds
    that call until it runs, so cancellation can withdraw it.
    """

    noisy = False

    def __init__(self, reactor: Any, instance: Any, deferred: Deferred[Any]) -> None:
        self.reactor = reactor
        self.instance = instance
        self.deferred = deferred
        self.pending: Any = None

    def __repr__(self) -> str:
        return f"<ClientCreator factory: {self.instance!r}>"

    def buildProtocol(self, addr: Any) -> Any:
        self.pending = self.reactor.callLater(0, self._deliver, self.instance)
        return self.instance

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.pending = self.reactor.callLater(0, self._deliver, reason)

    def _deliver(self, result: Any) -> None:
        self.pending = None
        if isinstance(result, Failure):
            self.deferred.errback(result)
        else:
            self.deferred.callback(result)

    def withdraw(self) -> None:
        """Cancel a pending delivery (the Deferred was cancelled)."""
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None


class ClientCreator:
    """Connect a single protocol instance without writing a factory.

    Each ``connect*`` call builds ``protocolClass(*args, **kwargs)`` and returns
    a Deferred that fires with it once connected (after its
    ``connectionMade``), or fails with the connection error.  The protocol's
    ``factory`` stays ``None``.  Cancelling the Deferred disconnects the
    connector and fails it with ``CancelledError``.
    """

    def __init__(self, reactor: Any, protocolClass: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.reactor = reactor
        self.protocolClass = protocolClass
        self.args = args
        self.kwargs = kwargs

    def _connect(self, methodName: str, *args: Any, **kwargs: Any) -> Deferred[Any]:
        method = getattr(self.reactor, methodName, None)
        if method is None:
            return fail(
                NotImplementedError(
                    f"{self.reactor!r} has no {methodName}(): this reactor does "
                    "not support that kind of connection"
                )
            )
        connectors: list[Any] = []

        def cancel(d: Deferred[Any]) -> None:
            for connector in connectors:
                connector.disconnect()
            factory.withdraw()

        d: Deferred[Any] = Deferred(cancel)
        factory = _InstanceFactory(self.reactor, self.protocolClass(*self.args, **self.kwargs), d)
        connectors.append(method(*args, factory=factory, **kwargs))
        return d

    def connectTCP(
        self, host: str, port: int, timeout: float = 30, bindAddress: Any = None
    ) -> Deferred[Any]:
        """Connect over TCP, like ``reactor.connectTCP`` without the factory."""
        return self._connect("connectTCP", host, port, timeout=timeout, bindAddress=bindAddress)

    def connectUNIX(self, address: str, timeout: float = 30, checkPID: bool = False) -> Deferred[Any]:
        """Connect to a UNIX socket, like ``reactor.connectUNIX``."""
        return self._connect("connectUNIX", address, timeout=timeout, checkPID=checkPID)

    def connectSSL(
        self,
        host: str,
        port: int,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: Any = None,
    ) -> Deferred[Any]:
        """Connect over TLS, like ``reactor.connectSSL``."""
        return self._connect(
            "connectSSL",
            host,
            port,
            contextFactory=contextFactory,
            timeout=timeout,
            bindAddress=bindAddress,
        )


# --- process protocols ------------------------------------------------------------


@implementer(IProcessProtocol)
class ProcessProtocol(BaseProtocol):
    """Base class for protocols talking to a child process (``spawnProcess``).

    It routes by descriptor: data on fd 1 to ``outReceived``, on fd 2 to
    ``errReceived``; a closed fd 0/1/2 to ``inConnectionLost``/
    ``outConnectionLost``/``errConnectionLost``.  Lifecycle (see
    ``plait.process``): ``makeConnection -> connectionMade ->
    (childDataReceived | childConnectionLost)* -> processExited ->
    processEnded``, with ``processEnded`` last and exactly once.
    """

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        """Bytes from the child's ``childFD``; routes fds 1 and 2."""
        if childFD == 1:
            self.outReceived(data)
        elif childFD == 2:
            self.errReceived(data)

    def outReceived(self, data: bytes) -> None:
        """Some data was received from stdout."""

    def errReceived(self, data: bytes) -> None:
        """Some data was received from stderr."""

    def childConnectionLost(self, childFD: int) -> None:
        """The pipe to the child's ``childFD`` closed; routes fds 0, 1 and 2."""
        if childFD == 0:
            self.inConnectionLost()
        elif childFD == 1:
            self.outConnectionLost()
        elif childFD == 2:
            self.errConnectionLost()

    def inConnectionLost(self) -> None:
        """The child's stdin was closed."""

    def outConnectionLost(self) -> None:
        """The child's stdout was closed."""

    def errConnectionLost(self) -> None:
        """The child's stderr was closed."""

    def processExited(self, reason: Failure) -> None:
        """The child exited (``ProcessDone`` or ``ProcessTerminated``)."""

    def processEnded(self, reason: Failure) -> None:
        """The child exited and every pipe to it is closed; called last."""


# --- datagram protocols ---------------------------------------------------------


class AbstractDatagramProtocol:
    """Base for datagram protocols: one protocol instance serves one port.

    ``doStart``/``doStop`` count ports like ``Factory`` does and call
    ``startProtocol``/``stopProtocol`` on the first start and last stop.
    """

    transport: Any = None
    numPorts: int = 0
    noisy: bool = True

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["transport"] = None
        return state

    def doStart(self) -> None:
        """Called by the port when it starts listening."""
        if not self.numPorts:
            if self.noisy:
                _logInfo(lambda: f"Starting protocol {self}")
            self.startProtocol()
        self.numPorts += 1

    def doStop(self) -> None:
        """Called by the port when it stops listening; clears ``transport``."""
        if self.numPorts <= 0:
            raise RuntimeError(f"{self!r}.doStop() called more often than doStart()")
        self.numPorts -= 1
        self.transport = None
        if not self.numPorts:
            if self.noisy:
                _logInfo(lambda: f"Stopping protocol {self}")
            self.stopProtocol()

    def startProtocol(self) -> None:
        """Hook: called when the protocol starts listening."""

    def stopProtocol(self) -> None:
        """Hook: called when the protocol stops listening."""

    def makeConnection(self, transport: Any) -> None:
        """Attach the port's transport (only once) and start."""
        if self.transport is not None:
            raise RuntimeError(
                f"{self!r} is already attached to {self.transport!r}; "
                "a datagram protocol serves one port at a time"
            )
        self.transport = transport
        self.doStart()

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        """Called with each datagram and the address it came from."""


@implementer(ILoggingContext)
class DatagramProtocol(AbstractDatagramProtocol):
    """Datagram protocol for UDP."""

    def logPrefix(self) -> str:
        """The class name, used in the port's log prefix."""
        return self.__class__.__name__

    def connectionRefused(self) -> None:
        """In connected mode, an ICMP error answered an earlier write."""


class ConnectedDatagramProtocol(DatagramProtocol):
    """Legacy protocol for a connected datagram transport."""

    def datagramReceived(self, datagram: bytes) -> None:  # type: ignore[override]
        """Called with each datagram (the peer is fixed, so no address)."""

    def connectionFailed(self, failure: Failure) -> None:
        """Called if connecting the transport failed."""
