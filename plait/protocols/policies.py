"""Resource-limiting wrappers around protocols (``twisted.protocols.policies``).

This module owns the protocol wrappers that sit between a transport and the
protocol a factory built, and the factories that make them:

* ``ProtocolWrapper``/``WrappingFactory``: the wrapper is the wrapped
  protocol's transport and the transport's protocol; it relays both ways
  and registers itself in its factory's ``protocols`` dict while connected;
* ``ThrottlingProtocol``/``ThrottlingFactory``: a connection cap and
  per-second read/write byte budgets (reads pause the transport, writes
  pause the registered producer);
* ``SpewingProtocol``/``SpewingFactory``: log every chunk in and out;
* ``LimitConnectionsByPeer`` and ``LimitTotalConnectionsFactory``:
  connection caps per peer host and in total (with an overflow protocol);
* ``TimeoutProtocol``/``TimeoutFactory``: drop a connection idle for a
  period;
* ``TrafficLoggingProtocol``/``TrafficLoggingFactory``: one log file per
  connection, named ``<prefix>-<n>``;
* ``TimeoutMixin``: a single idle timeout for any protocol.

Rules:

* A connected ``ProtocolWrapper`` provides every interface its transport
  provides (``directlyProvides(wrapper, providedBy(transport))``), and any
  attribute it does not define is looked up on the transport, so the
  wrapped protocol sees the same transport API it would see unwrapped.
* Timers go through a ``callLater(period, func)`` method on the object that
  owns them (the factory, or the ``TimeoutMixin`` protocol), which uses the
  global reactor *at call time*; tests replace it (``obj.callLater =
  clock.callLater``), as Twisted's own tests do.  Nothing here imports the
  reactor at module level.
* Idle timers are moved with ``DelayedCall.reset``, never cancelled and
  re-created: a reset to a later time is two attribute writes in plait
  (``plait.base.DelayedCall``), so resetting on every packet is cheap.

Differences from Twisted (docs/differences.md, "Resource policies..."), each
a fix for code that raises or misbehaves in Twisted 26.10:

* ``LimitConnectionsByPeer`` reads the peer host from ``addr.host`` (a
  ``(host, port)`` tuple still works), counts by the same key in
  ``buildProtocol`` and ``unregisterProtocol``, and also forgets the
  protocol in ``protocols``.
* ``TrafficLoggingProtocol`` elides over-long chunks with bytes
  (``b"<... elided>"``), so a ``lengthLimit`` works on byte streams.
* ``ThrottlingProtocol.throttleWrites`` looks for a producer registered
  through the wrapper only (Twisted's ``hasattr`` also finds the transport's
  ``producer = None`` through ``__getattr__`` and then calls None).
* ``TimeoutProtocol.resetTimeout`` after the timeout ran does nothing
  (Twisted's ``reset`` raises ``AlreadyCalled``); ``writeSequence`` of the
  throttling and logging wrappers accepts a one-shot iterator.

Tests: tests/unit/test_policies.py, tests/integration/test_policies_real.py,
tests/integration/test_compat_policies.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar

from zope.interface import directlyProvides, providedBy

from plait import error, log
from plait.failure import Failure
from plait.interfaces import IDelayedCall, ILoggingContext
from plait.protocol import ClientFactory, Protocol, ServerFactory, connectionDone

__all__ = [
    "LimitConnectionsByPeer",
    "LimitTotalConnectionsFactory",
    "ProtocolWrapper",
    "SpewingFactory",
    "SpewingProtocol",
    "ThrottlingFactory",
    "ThrottlingProtocol",
    "TimeoutFactory",
    "TimeoutMixin",
    "TimeoutProtocol",
    "TrafficLoggingFactory",
    "TrafficLoggingProtocol",
    "WrappingFactory",
]


def _globalCallLater(period: float, func: Callable[[], object]) -> IDelayedCall:
    """``reactor.callLater`` on the global reactor, imported only now."""
    from plait import reactor  # at call time: importing installs it

    return reactor.callLater(period, func)  # type: ignore[attr-defined,no-any-return]


def _wrappedLogPrefix(wrapper: object, wrapped: object) -> str:
    """``"<wrapped's prefix> (<wrapper's class>)"``."""
    if ILoggingContext.providedBy(wrapped):
        inner = wrapped.logPrefix()
    else:
        inner = wrapped.__class__.__name__
    return f"{inner} ({wrapper.__class__.__name__})"


# --- the wrapper and its factory -------------------------------------------


class ProtocolWrapper(Protocol):
    """The wrapped protocol's transport, and the real transport's protocol.

    Transport calls from ``wrappedProtocol`` go to ``self.transport``;
    protocol calls from the transport go to ``wrappedProtocol``.  The wrapper
    registers with ``factory`` when connected and unregisters when the
    connection is lost.
    """

    disconnecting: int = 0

    def __init__(self, factory: Any, wrappedProtocol: Any) -> None:
        self.wrappedProtocol = wrappedProtocol
        self.factory = factory

    def logPrefix(self) -> str:
        """The wrapped protocol's prefix with this class's name after it."""
        return _wrappedLogPrefix(self, self.wrappedProtocol)

    def makeConnection(self, transport: Any) -> None:
        """Take on the transport's interfaces, register, connect the wrapped protocol."""
        # Before connectionMade: the wrapped protocol may ask for, say,
        # ITLSTransport(self.transport) as soon as it is connected.
        directlyProvides(self, providedBy(transport))
        Protocol.makeConnection(self, transport)
        self.factory.registerProtocol(self)
        self.wrappedProtocol.makeConnection(self)

    # -- the transport side, for wrappedProtocol ----------------------------

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.transport.writeSequence(data)

    def loseConnection(self) -> None:
        self.disconnecting = 1
        self.transport.loseConnection()

    def getPeer(self) -> Any:
        return self.transport.getPeer()

    def getHost(self) -> Any:
        return self.transport.getHost()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.transport.unregisterProducer()

    def stopConsuming(self) -> None:
        self.transport.stopConsuming()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the wrapper lacks (abortConnection, TLS
        # methods, socket options...): the transport answers them.  A
        # missing ``transport`` cannot recurse: BaseProtocol defines it.
        return getattr(self.transport, name)

    # -- the protocol side, for the transport --------------------------------

    def dataReceived(self, data: bytes) -> None:
        self.wrappedProtocol.dataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.factory.unregisterProtocol(self)
        self.wrappedProtocol.connectionLost(reason)
        # The wrapped protocol holds us as its transport: break the cycle.
        self.wrappedProtocol = None


#: The type parameter of ``WrappingFactory``: the wrapper class it builds
#: (Twisted's ``WP``; PEP 696's default of ``ProtocolWrapper`` needs
#: typing_extensions, which plait does not depend on).
WP = TypeVar("WP", bound=ProtocolWrapper)


class WrappingFactory(ClientFactory[WP]):
    """Builds ``protocol(self, wrappedFactory.buildProtocol(addr))`` wrappers.

    ``protocols`` holds the connected wrappers (as keys); the factory's
    lifecycle and client hooks are passed on to ``wrappedFactory``.
    """

    protocol: Callable[..., WP] = ProtocolWrapper  # type: ignore[assignment]

    def __init__(self, wrappedFactory: Any) -> None:
        self.wrappedFactory = wrappedFactory
        self.protocols: dict[Any, int] = {}

    def logPrefix(self) -> str:
        """The wrapped factory's prefix with this class's name after it."""
        return _wrappedLogPrefix(self, self.wrappedFactory)

    def doStart(self) -> None:
        self.wrappedFactory.doStart()
        ClientFactory.doStart(self)

    def doStop(self) -> None:
        self.wrappedFactory.doStop()
        ClientFactory.doStop(self)

    def startedConnecting(self, connector: Any) -> None:
        self.wrappedFactory.startedConnecting(connector)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.wrappedFactory.clientConnectionFailed(connector, reason)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.wrappedFactory.clientConnectionLost(connector, reason)

    def buildProtocol(self, addr: Any) -> WP | None:
        # As in Twisted, a wrapped factory that refuses (returns None) still
        # gets a wrapper around None: subclasses that refuse return None
        # themselves, before wrapping.
        return self.protocol(self, self.wrappedFactory.buildProtocol(addr))

    def registerProtocol(self, p: Any) -> None:
        """Called by a wrapper once it is connected."""
        self.protocols[p] = 1

    def unregisterProtocol(self, p: Any) -> None:
        """Called by a wrapper when its connection is lost."""
        del self.protocols[p]


# --- bandwidth and connection throttling ---------------------------------------


class ThrottlingProtocol(ProtocolWrapper):
    """A wrapper that reports its traffic to its ``ThrottlingFactory``."""

    def write(self, data: bytes) -> None:
        self.factory.registerWritten(len(data))
        ProtocolWrapper.write(self, data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        chunks = list(seq)  # counted and written: a generator runs once
        self.factory.registerWritten(sum(len(chunk) for chunk in chunks))
        ProtocolWrapper.writeSequence(self, chunks)

    def dataReceived(self, data: bytes) -> None:
        self.factory.registerRead(len(data))
        ProtocolWrapper.dataReceived(self, data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.producer = producer
        ProtocolWrapper.registerProducer(self, producer, streaming)

    def unregisterProducer(self) -> None:
        del self.producer
        ProtocolWrapper.unregisterProducer(self)

    def throttleReads(self) -> None:
        self.transport.pauseProducing()

    def unthrottleReads(self) -> None:
        self.transport.resumeProducing()

    def throttleWrites(self) -> None:
        # Writes are only throttled through a producer; without one the
        # wrapped protocol is not pushing data in a loop.
        if "producer" in self.__dict__:
            self.producer.pauseProducing()

    def unthrottleWrites(self) -> None:
        if "producer" in self.__dict__:
            self.producer.resumeProducing()


class ThrottlingFactory(WrappingFactory[ThrottlingProtocol]):
    """At most ``maxConnectionCount`` connections, and byte budgets per second.

    Every second (from the first connection to the last) the bytes read and
    written in that second are compared with ``readLimit``/``writeLimit``.
    Over budget by a factor ``k``, every connection is throttled for
    ``k - 1`` seconds, so the average rate comes back to the limit.  A limit
    of None is no limit (and no timer).
    """

    protocol = ThrottlingProtocol

    def __init__(
        self,
        wrappedFactory: Any,
        maxConnectionCount: int = sys.maxsize,
        readLimit: float | None = None,
        writeLimit: float | None = None,
    ) -> None:
        WrappingFactory.__init__(self, wrappedFactory)
        self.connectionCount = 0
        self.maxConnectionCount = maxConnectionCount
        self.readLimit = readLimit
        self.writeLimit = writeLimit
        self.readThisSecond = 0
        self.writtenThisSecond = 0
        self.unthrottleReadsID: IDelayedCall | None = None
        self.checkReadBandwidthID: IDelayedCall | None = None
        self.unthrottleWritesID: IDelayedCall | None = None
        self.checkWriteBandwidthID: IDelayedCall | None = None

    def callLater(self, period: float, func: Callable[[], object]) -> IDelayedCall:
        """The global reactor's ``callLater``; replace it to drive a ``task.Clock``."""
        return _globalCallLater(period, func)

    def registerWritten(self, length: int) -> None:
        """Called by a protocol: ``length`` more bytes were written."""
        self.writtenThisSecond += length

    def registerRead(self, length: int) -> None:
        """Called by a protocol: ``length`` more bytes were read."""
        self.readThisSecond += length

    def checkReadBandwidth(self) -> None:
        """End of a second: throttle reads if over budget, start the next second."""
        limit = self.readLimit
        assert limit is not None
        if self.readThisSecond > limit:
            self.throttleReads()
            self.unthrottleReadsID = self.callLater(self.readThisSecond / limit - 1.0, self.unthrottleReads)
        self.readThisSecond = 0
        self.checkReadBandwidthID = self.callLater(1, self.checkReadBandwidth)

    def checkWriteBandwidth(self) -> None:
        """End of a second: throttle writes if over budget, start the next second."""
        limit = self.writeLimit
        assert limit is not None
        if self.writtenThisSecond > limit:
            self.throttleWrites()
            self.unthrottleWritesID = self.callLater(
                self.writtenThisSecond / limit - 1.0, self.unthrottleWrites
            )
        self.writtenThisSecond = 0
        self.checkWriteBandwidthID = self.callLater(1, self.checkWriteBandwidth)

    def throttleReads(self) -> None:
        """Pause reading on every connection."""
        log.msg(f"Throttling reads on {self}")
        for p in list(self.protocols):
            p.throttleReads()

    def unthrottleReads(self) -> None:
        """Resume reading on every connection."""
        self.unthrottleReadsID = None
        log.msg(f"Stopped throttling reads on {self}")
        for p in list(self.protocols):
            p.unthrottleReads()

    def throttleWrites(self) -> None:
        """Pause the producer of every connection that has one."""
        log.msg(f"Throttling writes on {self}")
        for p in list(self.protocols):
            p.throttleWrites()

    def unthrottleWrites(self) -> None:
        """Resume the producer of every connection that has one."""
        self.unthrottleWritesID = None
        log.msg(f"Stopped throttling writes on {self}")
        for p in list(self.protocols):
            p.unthrottleWrites()

    def buildProtocol(self, addr: Any) -> ThrottlingProtocol | None:
        # The first connection starts the per-second accounting.
        if self.connectionCount == 0:
            if self.readLimit is not None:
                self.checkReadBandwidth()
            if self.writeLimit is not None:
                self.checkWriteBandwidth()
        if self.connectionCount < self.maxConnectionCount:
            self.connectionCount += 1
            return WrappingFactory.buildProtocol(self, addr)
        log.msg("Max connection count reached!")
        return None

    def unregisterProtocol(self, p: Any) -> None:
        WrappingFactory.unregisterProtocol(self, p)
        self.connectionCount -= 1
        if self.connectionCount == 0:
            # The last connection is gone: no timer outlives the traffic.
            for name in ("unthrottleReadsID", "checkReadBandwidthID", "unthrottleWritesID", "checkWriteBandwidthID"):
                call = getattr(self, name)
                if call is not None and call.active():
                    call.cancel()
                setattr(self, name, None)


# --- logging wrappers ---------------------------------------------------------------


class SpewingProtocol(ProtocolWrapper):
    """A wrapper that logs (``log.msg``) every chunk received and written."""

    def dataReceived(self, data: bytes) -> None:
        log.msg(f"Received: {data!r}")
        ProtocolWrapper.dataReceived(self, data)

    def write(self, data: bytes) -> None:
        log.msg(f"Sending: {data!r}")
        ProtocolWrapper.write(self, data)


class SpewingFactory(WrappingFactory[SpewingProtocol]):
    """Wraps every protocol in a ``SpewingProtocol``."""

    protocol = SpewingProtocol


class TrafficLoggingProtocol(ProtocolWrapper):
    """A wrapper that writes every event of its connection to ``logfile``.

    Lines: ``*`` when connected, ``C <n>: <data>`` for data from the peer,
    ``S <n>: <data>`` (``SV`` for ``writeSequence``) for data to it,
    ``S <n>: *`` for ``loseConnection`` and ``C <n>: <reason>`` when lost.
    """

    def __init__(
        self,
        factory: Any,
        wrappedProtocol: Any,
        logfile: IO[str],
        lengthLimit: int | None = None,
        number: int = 0,
    ) -> None:
        ProtocolWrapper.__init__(self, factory, wrappedProtocol)
        self.logfile = logfile
        self.lengthLimit = lengthLimit
        self._number = number

    def _log(self, line: str) -> None:
        # Flushed per line: the file is read to debug a live connection.
        self.logfile.write(line + "\n")
        self.logfile.flush()

    def _mungeData(self, data: bytes) -> bytes:
        limit = self.lengthLimit
        if limit and len(data) > limit:
            data = data[: limit - 12] + b"<... elided>"
        return data

    def connectionMade(self) -> None:
        self._log("*")
        ProtocolWrapper.connectionMade(self)

    def dataReceived(self, data: bytes) -> None:
        self._log(f"C {self._number}: {self._mungeData(data)!r}")
        ProtocolWrapper.dataReceived(self, data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._log(f"C {self._number}: {reason!r}")
        ProtocolWrapper.connectionLost(self, reason)

    def write(self, data: bytes) -> None:
        self._log(f"S {self._number}: {self._mungeData(data)!r}")
        ProtocolWrapper.write(self, data)

    def writeSequence(self, iovec: Iterable[bytes]) -> None:
        chunks = list(iovec)
        self._log(f"SV {self._number}: {[self._mungeData(d) for d in chunks]!r}")
        ProtocolWrapper.writeSequence(self, chunks)

    def loseConnection(self) -> None:
        self._log(f"S {self._number}: *")
        ProtocolWrapper.loseConnection(self)


class TrafficLoggingFactory(WrappingFactory[TrafficLoggingProtocol]):
    """Logs connection ``n`` to the file ``"<logfilePrefix>-<n>"``, n from 1."""

    protocol = TrafficLoggingProtocol

    _counter = 0

    def __init__(self, wrappedFactory: Any, logfilePrefix: str, lengthLimit: int | None = None) -> None:
        self.logfilePrefix = logfilePrefix
        self.lengthLimit = lengthLimit
        WrappingFactory.__init__(self, wrappedFactory)

    def open(self, name: str) -> IO[str]:
        """Open one connection's log file; override to log elsewhere."""
        return open(name, "w")  # the protocol keeps it for its connection, as in Twisted

    def buildProtocol(self, addr: Any) -> TrafficLoggingProtocol | None:
        self._counter += 1
        logfile = self.open(f"{self.logfilePrefix}-{self._counter}")
        return self.protocol(
            self, self.wrappedFactory.buildProtocol(addr), logfile, self.lengthLimit, self._counter
        )

    def resetCounter(self) -> None:
        """Number the next connection 1 again."""
        self._counter = 0


# --- connection limits ------------------------------------------------------------


def _peerHost(addr: Any) -> Any:
    """The host of an address object, or of a ``(host, port)`` tuple."""
    host = getattr(addr, "host", None)
    return addr[0] if host is None else host


class LimitConnectionsByPeer(WrappingFactory[ProtocolWrapper]):
    """Refuses a connection from a host that has ``maxConnectionsPerPeer`` already."""

    maxConnectionsPerPeer = 5

    def startFactory(self) -> None:
        self.peerConnections: dict[Any, int] = {}

    def buildProtocol(self, addr: Any) -> ProtocolWrapper | None:
        host = _peerHost(addr)
        count = self.peerConnections.get(host, 0)
        if count >= self.maxConnectionsPerPeer:
            return None
        self.peerConnections[host] = count + 1
        return WrappingFactory.buildProtocol(self, addr)

    def unregisterProtocol(self, p: Any) -> None:
        WrappingFactory.unregisterProtocol(self, p)
        host = _peerHost(p.getPeer())
        self.peerConnections[host] -= 1
        if self.peerConnections[host] == 0:
            del self.peerConnections[host]


class LimitTotalConnectionsFactory(ServerFactory[Any]):
    """At most ``connectionLimit`` connections (None: no limit).

    Over the limit, a connection gets ``overflowProtocol()`` (say, one that
    writes "busy" and hangs up) or, when that is None, is closed at once.
    ``connectionCount`` counts the current connections, overflow ones too.
    Every protocol is wrapped in a ``ProtocolWrapper``, which counts down.
    """

    connectionCount = 0
    connectionLimit: int | None = None
    overflowProtocol: Callable[[], Protocol] | None = None

    def buildProtocol(self, addr: Any) -> Any:
        if self.connectionLimit is None or self.connectionCount < self.connectionLimit:
            if self.protocol is None:
                raise TypeError(
                    f"{self.__class__.__name__}.protocol is None: set it to a protocol class "
                    "before listening"
                )
            wrapped = self.protocol()
        elif self.overflowProtocol is None:
            return None
        else:
            wrapped = self.overflowProtocol()
        wrapped.factory = self
        self.connectionCount += 1
        return ProtocolWrapper(self, wrapped)

    def registerProtocol(self, p: Any) -> None:
        """Counted already in ``buildProtocol``."""

    def unregisterProtocol(self, p: Any) -> None:
        self.connectionCount -= 1


# --- idle timeouts ------------------------------------------------------------------


class TimeoutProtocol(ProtocolWrapper):
    """A wrapper that calls ``timeoutFunc`` (default: hang up) after
    ``timeoutPeriod`` seconds without data in either direction."""

    def __init__(self, factory: Any, wrappedProtocol: Any, timeoutPeriod: float | None) -> None:
        ProtocolWrapper.__init__(self, factory, wrappedProtocol)
        self.timeoutCall: IDelayedCall | None = None
        self.timeoutPeriod: float | None = None
        self.setTimeout(timeoutPeriod)

    def setTimeout(self, timeoutPeriod: float | None = None) -> None:
        """Cancel the running timeout and start one of ``timeoutPeriod`` (None: none)."""
        self.cancelTimeout()
        self.timeoutPeriod = timeoutPeriod
        if timeoutPeriod is not None:
            self.timeoutCall = self.factory.callLater(timeoutPeriod, self.timeoutFunc)

    def cancelTimeout(self) -> None:
        """Stop the timeout, if any; harmless when it already ran or was cancelled."""
        self.timeoutPeriod = None
        call, self.timeoutCall = self.timeoutCall, None
        if call is not None:
            try:
                call.cancel()
            except (error.AlreadyCalled, error.AlreadyCancelled):
                pass

    def resetTimeout(self) -> None:
        """Some activity: the idle period starts again now."""
        call = self.timeoutCall
        if call is not None and call.active():
            assert self.timeoutPeriod is not None
            call.reset(self.timeoutPeriod)

    def write(self, data: bytes) -> None:
        self.resetTimeout()
        ProtocolWrapper.write(self, data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        self.resetTimeout()
        ProtocolWrapper.writeSequence(self, seq)

    def dataReceived(self, data: bytes) -> None:
        self.resetTimeout()
        ProtocolWrapper.dataReceived(self, data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.cancelTimeout()
        ProtocolWrapper.connectionLost(self, reason)

    def timeoutFunc(self) -> None:
        """The connection was idle too long: override for something else than hanging up."""
        self.loseConnection()


class TimeoutFactory(WrappingFactory[TimeoutProtocol]):
    """Wraps every protocol in a ``TimeoutProtocol`` of ``timeoutPeriod`` seconds."""

    protocol = TimeoutProtocol

    def __init__(self, wrappedFactory: Any, timeoutPeriod: float = 30 * 60) -> None:
        self.timeoutPeriod = timeoutPeriod
        WrappingFactory.__init__(self, wrappedFactory)

    def buildProtocol(self, addr: Any) -> TimeoutProtocol | None:
        return self.protocol(self, self.wrappedFactory.buildProtocol(addr), timeoutPeriod=self.timeoutPeriod)

    def callLater(self, period: float, func: Callable[[], object]) -> IDelayedCall:
        """The global reactor's ``callLater``; replace it to drive a ``task.Clock``."""
        return _globalCallLater(period, func)


class TimeoutMixin:
    """One idle timeout for a protocol: ``timeoutConnection`` after ``timeOut`` seconds.

    Call ``setTimeout(seconds)`` to start (or change, or with None stop) it
    and ``resetTimeout()`` on meaningful activity.  The default
    ``timeoutConnection`` hangs up.  The timer comes from ``self.callLater``
    (the global reactor's), which tests replace with ``clock.callLater``.
    """

    #: The current period in seconds, None when no timeout is set.
    timeOut: float | None = None

    # Name-mangled to _TimeoutMixin__timeoutCall, exactly as in Twisted, so
    # code that peeks at it keeps working.
    __timeoutCall: IDelayedCall | None = None

    def callLater(self, period: float, func: Callable[[], object]) -> IDelayedCall:
        """The global reactor's ``callLater``; replace it to drive a ``task.Clock``."""
        return _globalCallLater(period, func)

    def resetTimeout(self) -> None:
        """Start the period again from now; nothing if no timeout is running."""
        call = self.__timeoutCall
        if call is not None and self.timeOut is not None:
            call.reset(self.timeOut)

    def setTimeout(self, period: float | None) -> float | None:
        """Set the period (None: no timeout) and return the previous one.

        A running timer is moved (``reset``) or, for None, cancelled; with no
        timer running, a period starts one.
        """
        previous = self.timeOut
        self.timeOut = period
        call = self.__timeoutCall
        if call is None:
            if period is not None:
                self.__timeoutCall = self.callLater(period, self.__timedOut)
        elif period is None:
            self.__timeoutCall = None
            try:
                call.cancel()
            except (error.AlreadyCalled, error.AlreadyCancelled):
                pass
        else:
            call.reset(period)
        return previous

    def __timedOut(self) -> None:
        self.__timeoutCall = None
        self.timeoutConnection()

    def timeoutConnection(self) -> None:
        """The timeout ran out; the default hangs up.  Override for anything else."""
        self.transport.loseConnection()  # type: ignore[attr-defined]
