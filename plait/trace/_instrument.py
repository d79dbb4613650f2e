"""The probes: what ``plait.trace`` wraps, and how it unwraps it all again.

Nothing in the library knows about tracing.  ``Instrumentation.install``
replaces methods and attributes with *probes* (thin wrappers that tell the
``Tracer`` what happened, then call the original), and ``remove`` puts every
original back, so a program that is not traced runs the same code as if this
module did not exist.  That is what "zero cost when off" means here.

What is wrapped, and where:

=====================================  =====================================
the reactor *instance*                 ``callLater`` (timers), ``callFromThread``,
                                       ``fireSystemEvent`` (triggers), and its
                                       poller's ``poll`` (the time axis)
``plait.base._callTrigger``            each system-event trigger
descriptor classes, when first ready   ``doRead``/``doWrite`` (found through the
                                       reactor's fd map when ``poll`` returns
                                       them, so new transports need nothing)
``BaseProtocol.makeConnection``        discovers each protocol class, then
(and the datagram one)                 wraps its callbacks (``PROTOCOL_CALLBACKS``)
``FileDescriptor``                     ``write``, ``loseConnection``,
                                       ``abortConnection``, ``connectionLost``
                                       (bytes written, and bytes dropped)
``Deferred.add*``                      the callables added while tracing
``ThreadPool.callInThreadWithCallback`` the function run in a worker
``plait.main.installReactor``          attach to a reactor installed later
=====================================  =====================================

Rules:

* A probe added to a class is recorded in ``_Patches`` and removed by
  ``remove``; probes handed out as values (timer and Deferred callables, a
  thread-pool function) outlive tracing, so they check ``active`` and call
  straight through once it is off.
* Bytes moved by a dispatch are counted, not guessed: for a transport built
  on ``FileDescriptor``, bytes sent = (buffered before - buffered after) +
  bytes written meanwhile - bytes dropped meanwhile (abort, loss); bytes
  received = what its protocol's ``dataReceived`` got.
* A probe never swallows or changes what it wraps: the original's return
  value and exceptions pass through unchanged.

Tests: tests/unit/test_trace.py, tests/integration/test_trace_real.py.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from plait.failure import Failure
from plait.trace._probes import (
    _MISSING,
    _address,
    _CallbackProbe,
    _callerSite,
    _Conn,
    _FromThreadProbe,
    _isProbe,
    _markProbe,
    _Patches,
    _Probe,
    _ThreadProbe,
    _TimerProbe,
    describe,
    typeName,
)
from plait.trace._tracer import Tracer

__all__ = ["FACTORY_CALLBACKS", "PROTOCOL_CALLBACKS", "Instrumentation"]

#: Protocol methods traced as events of kind "protocol" (those a class has).
PROTOCOL_CALLBACKS = (
    "connectionMade", "dataReceived", "connectionLost", "readConnectionLost",
    "writeConnectionLost", "datagramReceived", "connectionRefused",
    "outReceived", "errReceived", "processExited", "processEnded",
)

#: Factory methods traced as events of kind "factory" (found by ``doStart``).
FACTORY_CALLBACKS = (
    "startFactory", "stopFactory", "startedConnecting", "buildProtocol",
    "clientConnectionFailed", "clientConnectionLost",
)


class Instrumentation:
    """One tracing session's probes: ``install``, ``attach``, ``remove``."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.active = False
        self.reactor: Any = None
        self._patches = _Patches()
        self._conns: dict[int, _Conn] = {}
        self._counters = {"conn": 0, "listen": 0}
        self._classes: set[tuple[type, str]] = set()  # (class, method) wrapped
        self._open = threading.local()  # (id(obj), method) being traced
        self._phases: dict[int, tuple[object, str, str]] = {}  # trigger -> event, phase
        self._made = 0  # makeConnection calls so far
        self._closedConns: list[int] = []  # forgotten at the next poll

    # -- lifecycle -----------------------------------------------------------------

    def install(self, reactor: Any = None) -> None:
        """Wrap the shared classes, then the reactor (now, or once installed)."""
        from plait import _threadpool, abstract, base, main, protocol, selectreactor
        from plait._deferred import Deferred

        self.active = True
        patch = self._patches.set
        for cls in (protocol.BaseProtocol, protocol.AbstractDatagramProtocol):
            patch(cls, "makeConnection", self._makeConnectionProbe(cls.makeConnection))
        patch(protocol.Factory, "doStart", self._factoryStartProbe(protocol.Factory.doStart))
        fd = abstract.FileDescriptor
        patch(fd, "write", self._writeProbe(fd.write))
        for name in ("loseConnection", "abortConnection"):
            patch(fd, name, self._closeProbe(name, getattr(fd, name)))
        patch(fd, "connectionLost", self._lossProbe(fd.connectionLost))
        for name in ("addCallbacks", "addCallback", "addErrback", "addBoth"):
            patch(Deferred, name, self._addCallbackProbe(name, getattr(Deferred, name)))
        pool = _threadpool.ThreadPool
        patch(pool, "callInThreadWithCallback", self._poolProbe(pool.callInThreadWithCallback))
        patch(base, "_callTrigger", self._triggerProbe(base._callTrigger))
        if reactor is None:
            installed = sys.modules.get("plait.reactor")
            if installed is not None and not isinstance(installed, types.ModuleType):
                reactor = installed
        if reactor is not None:
            self.attach(reactor)
        else:
            probe = self._installProbe(main.installReactor)
            patch(main, "installReactor", probe)
            patch(selectreactor, "installReactor", probe)

    def remove(self) -> None:
        """Put every original back; probes still held by others go quiet."""
        self.active = False
        self._patches.undoAll()
        self._classes.clear()
        self._conns.clear()

    def attach(self, reactor: Any) -> None:
        """Wrap one reactor instance (what a reactor without them lacks is skipped)."""
        if self.reactor is not None:
            return
        self.reactor = reactor
        patch = self._patches.set
        patch(reactor, "callLater", self._callLaterProbe(reactor.callLater))
        if hasattr(reactor, "callFromThread"):
            patch(reactor, "callFromThread", self._callFromThreadProbe(reactor.callFromThread))
        if hasattr(reactor, "fireSystemEvent"):
            patch(reactor, "fireSystemEvent", self._systemEventProbe(reactor.fireSystemEvent))
        poller = getattr(reactor, "_poller", None)
        if poller is not None:
            patch(poller, "poll", self._pollProbe(poller, poller.poll))

    def reactorSeconds(self) -> float:
        return float(self.reactor.seconds()) if self.reactor is not None else 0.0

    # -- lanes -----------------------------------------------------------------------

    def _isDescriptor(self, obj: object) -> bool:
        from plait.abstract import FileDescriptor

        reactor = self.reactor
        if isinstance(obj, FileDescriptor):
            return True
        return reactor is not None and (
            obj in getattr(reactor, "_reads", ()) or obj in getattr(reactor, "_writes", ())
        )

    def laneOf(self, obj: Any, protocol: Any = None) -> str:
        """The lane of a transport or port (made on first sight).

        A listening port (a descriptor with a factory and no protocol) gets a
        ``listen N`` lane, any other descriptor a ``conn N`` lane.  A transport
        that is not a descriptor (TLS over TCP, a test transport) shares the
        lane of the connection being dispatched, if any.
        """
        known = self._conns.get(id(obj))
        if known is not None:
            return known.lane
        if obj is getattr(self.reactor, "waker", _MISSING):
            return "reactor"
        descriptor = self._isDescriptor(obj)
        if descriptor and hasattr(obj, "factory") and not hasattr(obj, "protocol"):
            self._counters["listen"] += 1
            lane = f"listen {self._counters['listen']}"
            self._conns[id(obj)] = _Conn(obj, lane)
            self._labelPort(obj, lane)
            return lane
        current = self.tracer.currentLane("")
        if not descriptor and current.startswith("conn "):
            lane = current  # a transport layered on the one being dispatched
        else:
            self._counters["conn"] += 1
            lane = f"conn {self._counters['conn']}"
        self._conns[id(obj)] = _Conn(obj, lane)
        self._labelConnection(obj, lane, protocol)
        return lane

    def _fileno(self, obj: Any) -> int:
        try:
            return int(obj.fileno())
        except Exception:  # noqa: BLE001 - a closed or odd descriptor
            return -1

    def _labelConnection(self, transport: Any, lane: str, protocol: Any = None) -> None:
        if protocol is None:
            protocol = getattr(transport, "protocol", None)
        who = type(protocol).__name__ if protocol is not None else type(transport).__name__
        try:
            peer = _address(transport.getPeer())
        except Exception:  # noqa: BLE001 - not connected yet, or no addresses at all
            peer = None
        self.tracer.label(lane, f"{who}, peer {peer}" if peer else who)

    def _labelPort(self, port: Any, lane: str) -> None:
        factory = getattr(port, "factory", None)
        try:
            where = _address(port.getHost())
        except Exception:  # noqa: BLE001 - not listening yet
            where = "?"
        self.tracer.label(lane, f"{type(factory).__name__} listening on {where}")

    def ownerOf(self, func: object) -> Any:
        """The transport a timer function belongs to (a bound method of it or
        of its protocol), or None."""
        owner = getattr(func, "__self__", None)
        if owner is None or isinstance(owner, types.ModuleType):
            return None
        if id(owner) in self._conns or self._isDescriptor(owner):
            return owner
        transport = getattr(owner, "transport", None)
        return transport if transport is not None else None

    def _protocolLane(self, protocol: Any) -> tuple[str, Any]:
        transport = getattr(protocol, "transport", None)
        if transport is None:
            return self.tracer.currentLane("reactor"), None
        return self.laneOf(transport), transport

    def _sweep(self) -> None:
        """Forget closed connections (nothing is open between two polls)."""
        while self._closedConns:
            key = self._closedConns.pop()
            conn = self._conns.get(key)
            if conn is not None and conn.closed:
                del self._conns[key]

    # -- byte accounting ---------------------------------------------------------------

    def snapshot(self, obj: Any) -> tuple[int, int, int, int] | None:
        if obj is None:
            return None
        conn = self._conns.get(id(obj))
        buffered = getattr(obj, "_bufferedBytes", None)
        if conn is None or buffered is None:
            return None
        return (buffered, conn.written, conn.discarded, conn.received)

    def moved(self, obj: Any, before: tuple[int, int, int, int] | None) -> dict[str, int]:
        if before is None:
            return {}
        conn = self._conns.get(id(obj))
        if conn is None:
            return {}
        buffered = getattr(obj, "_bufferedBytes", 0)
        sent = (before[0] - buffered) + (conn.written - before[1]) - (conn.discarded - before[2])
        received = conn.received - before[3]
        fields = {}
        if received:
            fields["bytesIn"] = received
        if sent:
            fields["bytesOut"] = sent
        return fields

    # -- reentrancy guard: a method calling its traced super() is one event ----------

    def _enter(self, key: tuple[int, str]) -> bool:
        active = getattr(self._open, "keys", None)
        if active is None:
            active = self._open.keys = set()
        if key in active:
            return False
        active.add(key)
        return True

    def _leave(self, key: tuple[int, str]) -> None:
        self._open.keys.discard(key)

    # -- class probes --------------------------------------------------------------------

    def _wrapClassMethod(self, cls: type, name: str, make: Callable[[Any], Any]) -> None:
        if (cls, name) in self._classes:
            return
        self._classes.add((cls, name))
        original = getattr(cls, name, None)
        if not isinstance(original, types.FunctionType) or _isProbe(original):
            return
        self._patches.set(cls, name, make(original))

    def instrumentDescriptor(self, cls: type) -> None:
        """Trace ``doRead``/``doWrite`` of a descriptor class."""
        for name in ("doRead", "doWrite"):
            self._wrapClassMethod(cls, name, functools.partial(self._dispatchProbe, name))

    def instrumentProtocol(self, cls: type) -> None:
        """Trace the callbacks (``PROTOCOL_CALLBACKS``) of a protocol class."""
        for name in PROTOCOL_CALLBACKS:
            if hasattr(cls, name):
                self._wrapClassMethod(cls, name, functools.partial(self._callbackProbe, name))

    def instrumentFactory(self, cls: type) -> None:
        """Trace the callbacks (``FACTORY_CALLBACKS``) of a factory class."""
        for name in FACTORY_CALLBACKS:
            if hasattr(cls, name):
                self._wrapClassMethod(cls, name, functools.partial(self._factoryProbe, name))

    def _factoryStartProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def doStart(self: Any) -> Any:
            if inst.active:
                inst.instrumentFactory(type(self))
            return original(self)

        return _markProbe(doStart, original)

    def _factoryProbe(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def probe(self: Any, *args: Any, **kw: Any) -> Any:
            key = (id(self), name)
            if not inst.active or not inst._enter(key):
                return original(self, *args, **kw)
            fields: dict[str, Any] = {"factory": type(self).__name__}
            reasons = [a for a in args if isinstance(a, Failure)]
            if reasons:
                fields["reason"] = typeName(reasons[0])
            # A connector's events belong to its connection's lane.
            transport = getattr(args[0], "transport", None) if args else None
            lane = inst.laneOf(transport) if transport is not None else tracer.currentLane("reactor")
            record = tracer.begin("factory", name, lane, **fields)
            try:
                result = original(self, *args, **kw)
            except BaseException as e:
                tracer.end(record, raised=type(e).__name__)
                raise
            finally:
                inst._leave(key)
            if name == "buildProtocol":
                tracer.end(record, result=typeName(result))
            else:
                tracer.end(record)
            return result

        return _markProbe(probe, original)

    def _dispatchProbe(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def probe(self: Any, *args: Any, **kw: Any) -> Any:
            key = (id(self), name)
            if not inst.active or not inst._enter(key):
                return original(self, *args, **kw)
            lane = inst.laneOf(self)
            before = inst.snapshot(self)
            made = inst._made
            record = tracer.begin("io", name, lane, fd=inst._fileno(self))
            try:
                why = original(self, *args, **kw)
            except BaseException as e:
                tracer.end(record, raised=type(e).__name__, **inst.moved(self, before))
                raise
            finally:
                inst._leave(key)
            fields: dict[str, Any] = inst.moved(self, before)
            if inst._made > made and lane.startswith("listen"):
                fields["accepted"] = inst._made - made
            if why is not None:
                fields["returned"] = typeName(why)
            tracer.end(record, **fields)
            return why

        return _markProbe(probe, original)

    def _callbackProbe(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def probe(self: Any, *args: Any, **kw: Any) -> Any:
            key = (id(self), name)
            if not inst.active or not inst._enter(key):
                return original(self, *args, **kw)
            lane, transport = inst._protocolLane(self)
            fields: dict[str, Any] = {"protocol": type(self).__name__}
            if args and name in ("dataReceived", "datagramReceived", "outReceived", "errReceived"):
                data = args[0]
                if isinstance(data, (bytes, bytearray, memoryview)):
                    fields["bytes"] = len(data)
                    outer = tracer.current()
                    conn = inst._conns.get(id(transport))
                    # Counted once: a wrapping protocol hands the same bytes on.
                    if conn is not None and not (
                        outer is not None and outer["name"] == name and outer["lane"] == lane
                    ):
                        conn.received += len(data)
            elif args and isinstance(args[0], Failure):
                fields["reason"] = typeName(args[0])
            record = tracer.begin("protocol", name, lane, **fields)
            try:
                return original(self, *args, **kw)
            except BaseException as e:
                record["raised"] = type(e).__name__
                raise
            finally:
                inst._leave(key)
                tracer.end(record)
                if name == "connectionLost" and transport is not None:
                    conn = inst._conns.get(id(transport))
                    if conn is not None and not conn.closed:
                        conn.closed = True
                        inst._closedConns.append(id(transport))

        return _markProbe(probe, original)

    def _makeConnectionProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def makeConnection(self: Any, transport: Any) -> Any:
            if inst.active:
                inst.instrumentProtocol(type(self))
                inst._made += 1
                if transport is not None:
                    lane = inst.laneOf(transport, self)
                    if lane.startswith("conn "):
                        inst._labelConnection(transport, lane, self)
            return original(self, transport)

        return _markProbe(makeConnection, original)

    def _writeProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def write(self: Any, data: Any) -> Any:
            if not inst.active:
                return original(self, data)
            accepted = isinstance(data, bytes) and bool(self._acceptingWrites)
            result = original(self, data)  # raises first for str, as untraced
            if accepted and data:
                lane = inst.laneOf(self)
                conn = inst._conns.get(id(self))
                if conn is not None:
                    conn.written += len(data)
                tracer.instant("io", "write", lane, bytes=len(data), buffered=self._bufferedBytes)
            return result

        return _markProbe(write, original)

    def _closeProbe(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def close(self: Any) -> Any:
            if not inst.active:
                return original(self)
            dropped = self._bufferedBytes if name == "abortConnection" else 0
            result = original(self)
            conn = inst._conns.get(id(self))
            if conn is not None and dropped:
                conn.discarded += dropped
            tracer.instant("io", name, inst.laneOf(self), buffered=self._bufferedBytes)
            return result

        return _markProbe(close, original)

    def _lossProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def connectionLost(self: Any, reason: Any) -> Any:
            if inst.active:
                conn = inst._conns.get(id(self))
                if conn is not None:
                    conn.discarded += self._bufferedBytes
            return original(self, reason)

        return _markProbe(connectionLost, original)

    def _addCallbackProbe(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def wrap(func: Any) -> Any:
            from plait._deferred import passthru

            if not callable(func) or func is passthru or isinstance(func, _Probe):
                return func
            return _CallbackProbe(inst, func)

        if name == "addCallbacks":

            def addCallbacks(self: Any, callback: Any, errback: Any = None, *args: Any, **kw: Any) -> Any:
                if inst.active:
                    callback, errback = wrap(callback), wrap(errback)
                return original(self, callback, errback, *args, **kw)

            probe = addCallbacks
        else:

            def addOne(self: Any, callback: Any, *args: Any, **kw: Any) -> Any:
                if inst.active:
                    callback = wrap(callback)
                return original(self, callback, *args, **kw)

            probe = addOne
        probe.__name__ = probe.__qualname__ = name
        return _markProbe(probe, original)

    def _poolProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def callInThreadWithCallback(self: Any, onResult: Any, func: Any, *args: Any, **kw: Any) -> Any:
            if inst.active and callable(func):
                tracer.instant("thread", "queue", tracer.currentLane("reactor"), func=describe(func))
                func = _ThreadProbe(inst, func)
            return original(self, onResult, func, *args, **kw)

        return _markProbe(callInThreadWithCallback, original)

    def _triggerProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def _callTrigger(trigger: Any) -> Any:
            if not inst.active:
                return original(trigger)
            _, event, phase = inst._phases.pop(id(trigger), (None, "?", "?"))
            record = tracer.begin(
                "trigger", "call", "reactor", event=event, phase=phase, func=describe(trigger[0])
            )
            try:
                return original(trigger)
            finally:
                tracer.end(record)

        return _callTrigger

    def _installProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def installReactor(reactor: object) -> None:
            original(reactor)
            if inst.active:
                inst.attach(reactor)

        return installReactor

    # -- reactor instance probes ----------------------------------------------------------

    def _callLaterProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def callLater(delay: float, callable: Any, *args: Any, **kw: Any) -> Any:
            if not inst.active or not builtinCallable(callable):
                return original(delay, callable, *args, **kw)
            probe = _TimerProbe(inst, callable, _callerSite(), delay)
            call = original(delay, probe, *args, **kw)
            probe.call = call
            return call

        return callLater

    def _callFromThreadProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def callFromThread(callable: Any, *args: Any, **kw: Any) -> Any:
            if inst.active and builtinCallable(callable):
                tracer.instant(
                    "thread", "callFromThread", "threads", func=describe(callable),
                    thread=threading.current_thread().name,
                )
                callable = _FromThreadProbe(inst, callable)
            return original(callable, *args, **kw)

        return callFromThread

    def _systemEventProbe(self, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer

        def fireSystemEvent(eventType: str) -> Any:
            if not inst.active:
                return original(eventType)
            event = getattr(inst.reactor, "_eventTriggers", {}).get(eventType)
            for phase, triggers in getattr(event, "phases", {}).items():
                for trigger in triggers:
                    inst._phases[id(trigger)] = (trigger, eventType, phase)
            record = tracer.begin("trigger", "fire", "reactor", event=eventType)
            try:
                return original(eventType)
            finally:
                tracer.end(record)

        return fireSystemEvent

    def _pollProbe(self, poller: Any, original: Callable[..., Any]) -> Callable[..., Any]:
        inst, tracer = self, self.tracer
        readable, writable = poller.READY
        pollerName = str(getattr(poller, "name", "poll"))

        def poll(timeout: float | None) -> Any:
            if not inst.active:
                return original(timeout)
            inst._sweep()
            tracer.flush()  # everything so far is on screen before we block
            record = tracer.begin(
                "poll", pollerName, "poll",
                timeout=None if timeout is None else round(timeout, 6),
            )
            try:
                events = original(timeout)
            except BaseException as e:
                tracer.end(record, raised=type(e).__name__)
                raise
            ready = []
            fds = inst.reactor._fds
            for fd, mask in events:
                entry = fds.get(fd)
                if entry is None:
                    continue
                reader, writer = entry
                if mask & readable and reader is not None:
                    inst.instrumentDescriptor(type(reader))
                    ready.append(f"{inst.laneOf(reader)} r")
                if mask & writable and writer is not None:
                    inst.instrumentDescriptor(type(writer))
                    ready.append(f"{inst.laneOf(writer)} w")
            tracer.end(record, ready=len(ready), fds=ready)
            return events

        return poll


builtinCallable = callable
