"""The one concrete reactor: ``SelectorReactor``, on epoll or ``selectors``.

Owns the choice of poller (the pollers themselves are in
``plait._pollers``), the descriptor bookkeeping (``IReactorFDSet``), the
waker that lets other threads and signal handlers interrupt a blocked
``select()``, the loop (``mainLoop``) and the dispatch of ``doRead``/``doWrite``, ``disconnectAll`` at shutdown, the
thin transport glue (``connectTCP``/``listenTCP``/``adopt*``, the UNIX, UDP
and multicast methods, delegating to ``plait.tcp``, ``plait.unix`` and
``plait.udp``) and ``install()``.  Time, lifecycle, threads and resolution
live in ``plait.base.ReactorBase``.

Rules:

* The poller is ``select.epoll`` itself when no ``selectorClass`` is given
  and the platform has it (``_EpollPoller``), else an instance of the
  ``selectors`` class (``_SelectorsPoller``; ``selectors.DefaultSelector``
  when none is given); both take fds and event masks only.
* ``self._fds`` maps each registered fd to its ``[reader, writer]``: a new fd
  is one ``register``, adding or removing a direction one ``modify``, and the
  fd is unregistered when both are gone.  Dispatch looks every ready fd up
  there, so a descriptor removed earlier in the same batch is skipped (and,
  as with Twisted's epoll reactor, one that took over a fd closed earlier
  in the batch may see a spurious event: ``EAGAIN`` must be harmless).
  ``self._reads``/``self._writes`` map each watched descriptor to the fd it
  was registered with (a closed socket's ``fileno()`` is -1).
* A descriptor added on a fd that another one holds (closed without
  ``removeReader``/``removeWriter``, its number reused) replaces it; the
  stale one is forgotten without ``connectionLost``.
* ``doRead()``/``doWrite()`` return None normally.  A returned exception or
  Failure, or a raised exception (logged first), finishes that descriptor
  only: it is removed from both directions and gets ``connectionLost``.
* The waker is registered like a reader but never appears in
  ``getReaders()``, ``removeAll()`` or ``disconnectAll()``.
* ``_close()`` releases the thread pool, the waker and the poller; it is
  idempotent, and ``run()`` never calls it (tests and ``install``ers do).

A tour of one pass (``ReactorBase.mainLoop``): ``runUntilCurrent()`` runs
thread calls and due timers; ``timeout()`` says how long to sleep;
``doIteration`` blocks in the poller (``epoll_wait``, or ``select()`` and
friends) - the only blocking call in plait - then dispatches what is ready.

Discussion: why epoll itself by default.  ``selectors`` adds work to every
register, modify and ready event (key objects, lookups, a list of
``(key, mask)`` pairs per pass), which connection churn pays several times
per connection.  Measured on a quiet 2-core machine, one-core runs of
``python -m bench``: with epoll itself, churn 1.63-1.66x Twisted and
pingpong 1.81-1.99x; through ``selectors.EpollSelector``, 1.46x and
1.43-1.48x.  Every ``selectors`` class stays available through
``selectorClass`` (the tests run the reactor on select, poll and epoll
selectors too), as does any platform without epoll.

Tests: tests/integration/test_reactor_real.py, tests/integration/test_threads.py,
tests/integration/test_signals.py.
"""

from __future__ import annotations

import errno
import os
import select
import selectors
import socket
import sys
import threading
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._pollers import _EpollPoller, _SelectorsPoller
from plait.abstract import _CLEAN_CLOSE
from plait.base import _STOPPING, MAX_TIMEOUT, ReactorBase
from plait.failure import Failure, _failureTypes
from plait.interfaces import (
    IReactorFDSet,
    IReactorMulticast,
    IReactorProcess,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorUDP,
    IReactorUNIX,
    IReactorUNIXDatagram,
)
from plait.logger import _dispatchContext
from plait.main import installReactor

_ConnectionDone = error.ConnectionDone

__all__ = ["SelectReactor", "SelectorReactor", "install"]


class _Waker:
    """A socketpair whose read end wakes the selector when a byte arrives.

    Invariant: while ``_pending`` is True a byte is in (or on its way into)
    the pair, so the loop will wake; a burst of wake-ups from many threads
    then costs one ``send``, not one each.  Two threads may both send: extra
    bytes only cost a spurious wake-up.
    """

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._pending = False

    def fileno(self) -> int:
        return self._reader.fileno()

    def wakeUp(self) -> None:
        """Make the selector see the read end as readable; any thread."""
        if self._pending:
            return
        self._pending = True
        try:
            self._writer.send(b"x")
        except OSError:
            # BlockingIOError: the pair is full, so the loop will wake anyway;
            # EBADF: the reactor was closed and nothing needs waking.
            pass

    def doRead(self) -> None:
        """Drain every pending wake-up byte (their number is meaningless)."""
        # Cleared before draining, so a wake-up racing with us sends its own
        # byte; the work it announces runs in the pass that follows anyway.
        self._pending = False
        try:
            while self._reader.recv(4096):
                pass
        except OSError:
            pass

    def connectionLost(self, reason: Failure) -> None:
        """Never disconnected through the FDSet API; nothing to do."""

    def logPrefix(self) -> str:
        return "-"

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


_getIdent = threading.get_ident
_INFINITY = float("inf")
#: Methods whose replacement on a reactor instance makes ``mainLoop`` the plain one.
_PLAIN_LOOP = frozenset({"runUntilCurrent", "timeout", "doIteration"})


def _logPrefix(selectable: Any) -> str:
    try:
        return str(selectable.logPrefix())
    except Exception:  # noqa: BLE001 - a broken logPrefix must not hide the real error
        return type(selectable).__name__


def _badReturn(why: object, method: str) -> Failure:
    """The reason for a descriptor whose ``method`` returned neither None nor
    an exception nor a Failure (logged: it is a bug in that descriptor)."""
    bad = TypeError(f"{method} returned {why!r}; expected None, an exception or a Failure")
    log.err(Failure(bad), f"Bad return value from {method}")
    return Failure(bad)


@implementer(
    IReactorFDSet, IReactorTCP, IReactorSSL, IReactorSocket, IReactorProcess,
    IReactorUNIX, IReactorUNIXDatagram, IReactorUDP, IReactorMulticast,
)
class SelectorReactor(ReactorBase):
    """A reactor over ``selectorClass`` (default: epoll itself where the
    platform has it, else ``selectors.DefaultSelector``)."""

    def __init__(self, selectorClass: type[selectors.BaseSelector] | None = None) -> None:
        self._poller: _SelectorsPoller | _EpollPoller
        if selectorClass is None and hasattr(select, "epoll"):
            self._poller = _EpollPoller()
        else:
            self._poller = _SelectorsPoller((selectorClass or selectors.DefaultSelector)())
        self._events = self._poller.EVENTS
        # fd -> [reader, writer]: who watches each registered fd, *now*
        # (dispatch looks here for every ready fd).
        self._fds: dict[int, list[Any]] = {}
        # Who is watched in each direction, and on which fd (the fd it had
        # when added: a closed socket's fileno() is -1).
        self._reads: dict[Any, int] = {}
        self._writes: dict[Any, int] = {}
        self._closed = False
        self.waker = _Waker()
        self._wake = self.waker.wakeUp
        self._reads[self.waker] = self._watch(self.waker, 0)
        super().__init__()
        self.addSystemEventTrigger("during", "shutdown", self.disconnectAll)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._poller.name} {self._state.value}>"

    # -- the blocking call and the dispatch ------------------------------------

    def wakeUp(self) -> None:
        self._wake()

    def mainLoop(self) -> None:
        """``ReactorBase.mainLoop``'s passes, with the timer work skipped when
        nothing can be due and ``doIteration`` inline.

        Discussion: a pass of the plain loop is five Python calls
        (``runUntilCurrent``, the queue's ``runDue``, ``timeout``, the
        queue's ``nextTime``, ``doIteration``) and two clock reads before
        the first ``doRead``, even when the only timer is due in a minute:
        a third of the Python work of a ping-pong round trip.  Here the
        earliest due time is remembered from the last full pass, and a pass
        only reads the clock while no thread call, shutdown or new timer
        (``callLater``, and moves to an earlier time, both file an entry in
        the queue's ``_newTimes``) is waiting and that time has not come.  A
        cancelled call or one moved later can only make the remembered time
        too early: one full pass more, no timer late.  A subclass that
        overrides ``runUntilCurrent``, ``timeout`` or ``doIteration`` (or a
        program that replaced one on the instance) gets the plain loop.  The
        dispatch is ``doIteration``'s, repeated here.
        """
        cls = type(self)
        if not (
            cls.runUntilCurrent is ReactorBase.runUntilCurrent
            and cls.timeout is ReactorBase.timeout
            and cls.doIteration is SelectorReactor.doIteration
        ) or not _PLAIN_LOOP.isdisjoint(self.__dict__):
            ReactorBase.mainLoop(self)
            return
        timers = self._timers
        newTimes = timers._newTimes
        nextTime = timers.nextTime
        threadCalls = self.threadCallQueue
        runUntilCurrent = self.runUntilCurrent
        poller = self._poller
        readable, writable = poller.READY
        fds = self._fds
        context = _dispatchContext
        context[1] = _getIdent()
        # The earliest live timer at the last full pass (infinity: none).
        due = _INFINITY
        full: object = True  # run the timers: something may be due
        while self._looping:
            timeout: float | None
            if full:
                runUntilCurrent()
                if not self._looping:
                    return
                nextDue = nextTime()
                due = _INFINITY if nextDue is None else nextDue
                if threadCalls or self._state is _STOPPING:
                    timeout = 0.0
                elif nextDue is None:
                    timeout = None
                else:
                    timeout = due - self._secondsFn()
                    timeout = 0.0 if timeout <= 0.0 else min(timeout, MAX_TIMEOUT)
            else:
                # Nothing new: the plain loop's timeout(), without its calls.
                timeout = due - self._secondsFn()
                if timeout <= 0.0:
                    full = True
                    continue
                if timeout > MAX_TIMEOUT:
                    timeout = None if due == _INFINITY else MAX_TIMEOUT
            try:
                events = poller.poll(timeout)
            except (OSError, ValueError) as e:
                if isinstance(e, OSError) and e.errno != errno.EBADF:
                    raise
                self._preenDescriptors()
                events = []
            try:
                for fd, mask in events:
                    entry = fds.get(fd)
                    if entry is None:
                        continue
                    if mask & readable and entry[0] is not None:
                        reader = context[0] = entry[0]
                        try:
                            why = reader.doRead()
                        except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                            why = Failure()
                            log.err(why, "Unhandled Error", system=_logPrefix(reader))
                        if why is not None:
                            self._disconnectSelectable(reader, why, "doRead")
                    if mask & writable and entry[1] is not None:
                        writer = context[0] = entry[1]
                        try:
                            why = writer.doWrite()
                        except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                            why = Failure()
                            log.err(why, "Unhandled Error", system=_logPrefix(writer))
                        if why is not None:
                            self._disconnectSelectable(writer, why, "doWrite")
            finally:
                context[0] = None
            full = newTimes or threadCalls or self._state is _STOPPING

    def doIteration(self, timeout: float | None) -> None:
        """Block in the selector at most ``timeout`` seconds, then dispatch."""
        if timeout is not None and not 0.0 <= timeout <= MAX_TIMEOUT:
            # iterate(delay) may pass anything: select(2) rejects a negative
            # timeout, epoll reads one as "forever", and epoll's
            # milliseconds must fit a C int.
            timeout = min(max(timeout, 0.0), MAX_TIMEOUT)
        try:
            events = self._poller.poll(timeout)
        except (OSError, ValueError) as e:
            # select(2) fails as a whole with EBADF when any fd was closed
            # while registered; find the culprits and carry on.
            if isinstance(e, OSError) and e.errno != errno.EBADF:
                raise
            self._preenDescriptors()
            return
        if not events:
            return
        readable, writable = self._poller.READY
        fds = self._fds
        # The log context (plait.logger): what a callback logs carries the
        # descriptor's logPrefix() as its system, as under Twisted's
        # callWithLogger; the prefix is only computed if something is logged.
        context = _dispatchContext
        context[1] = _getIdent()
        try:
            for fd, mask in events:
                # Looked up per event: a descriptor removed by an earlier
                # callback of this batch must not be called.
                entry = fds.get(fd)
                if entry is None:
                    continue
                if mask & readable and entry[0] is not None:
                    reader = context[0] = entry[0]
                    try:
                        why = reader.doRead()
                    except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                        why = Failure()
                        log.err(why, "Unhandled Error", system=_logPrefix(reader))
                    if why is not None:
                        self._disconnectSelectable(reader, why, "doRead")
                if mask & writable and entry[1] is not None:
                    writer = context[0] = entry[1]
                    try:
                        why = writer.doWrite()
                    except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                        why = Failure()
                        log.err(why, "Unhandled Error", system=_logPrefix(writer))
                    if why is not None:
                        self._disconnectSelectable(writer, why, "doWrite")
        finally:
            context[0] = None

    def _disconnectSelectable(self, selectable: Any, why: object, method: str = "") -> None:
        """Stop watching ``selectable`` and give it ``connectionLost``.

        ``why`` is the exception or Failure its ``method`` returned (or
        raised); anything else is a bug, reported as a ``TypeError``.
        """
        # The common cases inline: every connection that ends comes here.
        # A plain ConnectionDone (every clean close) gets the one shared
        # Failure, as in Twisted (plait.abstract._CLEAN_CLOSE).
        cls = why.__class__
        if cls in _failureTypes:
            reason = why
        elif cls is _ConnectionDone and not why.args:  # type: ignore[attr-defined]
            reason = _CLEAN_CLOSE
        elif isinstance(why, BaseException):
            reason = Failure(why)
        else:
            reason = _badReturn(why, method)
        # removeReader/removeWriter, inlined: usually the descriptor has
        # already stopped writing (a close it asked for), or reading too.
        fd = self._reads.pop(selectable, None)
        if fd is not None:
            self._unwatch(selectable, 0, fd)
        fd = self._writes.pop(selectable, None)
        if fd is not None:
            self._unwatch(selectable, 1, fd)
        try:
            selectable.connectionLost(reason)
        except Exception:  # noqa: BLE001 - logged; the loop goes on
            log.err(Failure(), "Unhandled Error", system=_logPrefix(selectable))

    def _preenDescriptors(self) -> None:
        for selectable in list({**self._reads, **self._writes}):
            if selectable is self.waker:
                continue
            try:
                fd = selectable.fileno()
                os.fstat(fd)
            except (OSError, ValueError) as e:
                self._disconnectSelectable(selectable, Failure(error.ConnectionFdescWentAway(str(e))))

    # -- IReactorFDSet -----------------------------------------------------------

    def addReader(self, reader: Any) -> None:
        """Watch ``reader`` for readability (idempotent)."""
        if reader not in self._reads:
            self._reads[reader] = self._watch(reader, 0)

    def addWriter(self, writer: Any) -> None:
        """Watch ``writer`` for writability (idempotent)."""
        if writer not in self._writes:
            self._writes[writer] = self._watch(writer, 1)

    def removeReader(self, reader: Any) -> None:
        """Stop watching ``reader`` for readability (idempotent)."""
        fd = self._reads.pop(reader, None)
        if fd is not None:
            self._unwatch(reader, 0, fd)

    def removeWriter(self, writer: Any) -> None:
        """Stop watching ``writer`` for writability (idempotent)."""
        fd = self._writes.pop(writer, None)
        if fd is not None:
            self._unwatch(writer, 1, fd)

    def removeAll(self) -> list[Any]:
        """Remove every reader and writer but the waker; return them."""
        removed = [r for r in self._reads if r is not self.waker]
        removed += [w for w in self._writes if w not in self._reads]
        for selectable in removed:
            self.removeReader(selectable)
            self.removeWriter(selectable)
        return removed

    def getReaders(self) -> list[Any]:
        """Return the registered readers (never the waker)."""
        return [r for r in self._reads if r is not self.waker]

    def getWriters(self) -> list[Any]:
        """Return the registered writers."""
        return list(self._writes)

    def _watch(self, selectable: Any, slot: int) -> int:
        """Put ``selectable`` in ``slot`` (0 read, 1 write) of its fd; return the fd."""
        fd: int = selectable.fileno()
        entry = self._fds.get(fd)
        if entry is None:  # a new fd (registered first: a bad fd raises here)
            self._poller.register(fd, self._events[slot])
            entry = self._fds[fd] = [None, None]
            entry[slot] = selectable
            return fd
        if entry[slot] is None:  # the other direction is watched: add this one
            entry[slot] = selectable
            try:
                self._poller.modify(fd, self._events[0] | self._events[1])
                return fd
            except OSError:  # ENOENT: the other holder's file was closed
                pass
        # Another object holds this fd: its file was closed without
        # removeReader/removeWriter and the fd number reused.  Drop every
        # stale holder and register afresh (the kernel dropped the old file).
        for i, holder in enumerate(entry):
            if holder is not None and holder is not selectable:
                self._forget(holder)
                entry[i] = None
        entry[slot] = selectable
        self._poller.unregister(fd)
        self._poller.register(fd, self._eventsOf(entry))
        return fd

    def _unwatch(self, selectable: Any, slot: int, fd: int) -> None:
        """Take ``selectable`` out of ``slot`` of ``fd`` (where it was registered)."""
        entry = self._fds.get(fd)
        if entry is None or entry[slot] is not selectable:
            return  # evicted by a descriptor that reused its fd
        entry[slot] = None
        other = entry[1 - slot]
        if other is None:
            del self._fds[fd]
            try:
                self._poller.discard(fd)
            except OSError:
                pass  # closed (EBADF) or reused (ENOENT): the kernel dropped it
            return
        try:
            self._poller.modify(fd, self._events[1 - slot])
        except OSError:
            # The fd was closed under us: the kernel forgot it, and the
            # other direction can never fire again either.
            del self._fds[fd]
            self._poller.unregister(fd)
            self._forget(other)

    def _eventsOf(self, entry: list[Any]) -> int:
        read, write = self._events
        return (read if entry[0] is not None else 0) | (write if entry[1] is not None else 0)

    def _forget(self, selectable: Any) -> None:
        """Drop ``selectable`` from both directions' books (no selector call)."""
        self._reads.pop(selectable, None)
        self._writes.pop(selectable, None)

    # -- resources ---------------------------------------------------------------

    def _close(self) -> None:
        """Release the thread pool, the waker and the poller (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stopThreadPool()
        self._poller.close()
        self.waker.close()

    # -- IReactorTCP / IReactorSocket: thin delegation to plait.tcp -------------

    def connectTCP(
        self, host: str, port: int, factory: Any, timeout: float = 30.0, bindAddress: Any = None
    ) -> Any:
        """Connect to ``host:port``; return the (already connecting) Connector."""
        # Imported here, not at the top, to keep ``import plait.reactor``
        # light; spelt ``import plait.tcp`` because ``from plait import tcp``
        # runs importlib's Python-level _handle_fromlist on every call, and
        # programs that churn connections call this once per connection.
        import plait.tcp

        connector = plait.tcp.Connector(host, port, factory, timeout, bindAddress, self)
        connector.connect()
        return connector

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        """Listen on ``interface:port``; return the (already listening) Port."""
        from plait import tcp

        listeningPort = tcp.Port(port, factory, backlog, interface, self)
        listeningPort.startListening()
        return listeningPort

    # -- IReactorSSL: TCP with a TLS layer (plait.tls) ------------------------------

    def connectSSL(
        self, host: str, port: int, factory: Any, contextFactory: Any,
        timeout: float = 30.0, bindAddress: Any = None,
    ) -> Any:
        """``connectTCP`` with ``factory`` wrapped in a ``TLSMemoryBIOFactory``."""
        from plait.tls import TLSMemoryBIOFactory

        tlsFactory = TLSMemoryBIOFactory(contextFactory, True, factory, self)
        return self.connectTCP(host, port, tlsFactory, timeout, bindAddress)

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        """``listenTCP`` with ``factory`` wrapped in a ``TLSMemoryBIOFactory``."""
        from plait.tls import TLSMemoryBIOFactory

        return self.listenTCP(port, TLSMemoryBIOFactory(contextFactory, False, factory, self), backlog, interface)

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        """Wrap a connected stream socket fd (TCP or UNIX) in a transport for ``factory``."""
        if addressFamily == socket.AF_UNIX:
            from plait import unix

            return unix.adoptStreamConnection(self, fileDescriptor, factory)
        from plait import tcp

        return tcp.adoptStreamConnection(self, fileDescriptor, addressFamily, factory)

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        """Listen on an already-listening stream socket fd (TCP or UNIX)."""
        if addressFamily == socket.AF_UNIX:
            from plait import unix

            return unix.adoptStreamPort(self, fileDescriptor, factory)
        from plait import tcp

        return tcp.adoptStreamPort(self, fileDescriptor, addressFamily, factory)

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
    ) -> Any:
        """Serve ``protocol`` on an already-bound UDP socket fd; return the Port."""
        from plait import udp

        return udp.adoptDatagramPort(self, fileDescriptor, addressFamily, protocol, maxPacketSize)

    # -- IReactorUNIX / IReactorUNIXDatagram: thin delegation to plait.unix ------

    def connectUNIX(self, address: Any, factory: Any, timeout: float = 30, checkPID: Any = 0) -> Any:
        """Connect to the UNIX socket ``address``; return the (already connecting) Connector."""
        from plait import unix

        connector = unix.Connector(address, factory, timeout, self, checkPID)
        connector.connect()
        return connector

    def listenUNIX(
        self, address: Any, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: Any = 0
    ) -> Any:
        """Listen on the UNIX socket ``address``; return the (already listening) Port."""
        from plait import unix

        listeningPort = unix.Port(address, factory, backlog, mode, self, wantPID)
        listeningPort.startListening()
        return listeningPort

    def listenUNIXDatagram(
        self, address: Any, protocol: Any, maxPacketSize: int = 8192, mode: int = 0o666
    ) -> Any:
        """Bind ``protocol`` to the UNIX datagram socket ``address``; return the port."""
        from plait import unix

        port = unix.DatagramPort(address, protocol, maxPacketSize, mode, self)
        port.startListening()
        return port

    def connectUNIXDatagram(
        self, address: Any, protocol: Any, maxPacketSize: int = 8192, mode: int = 0o666,
        bindAddress: Any = None,
    ) -> Any:
        """Connect a ``ConnectedDatagramProtocol`` to the UNIX datagram socket ``address``."""
        from plait import unix

        port = unix.ConnectedDatagramPort(address, protocol, maxPacketSize, mode, bindAddress, self)
        port.startListening()
        return port

    # -- IReactorUDP / IReactorMulticast: thin delegation to plait.udp -----------

    def listenUDP(self, port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192) -> Any:
        """Bind ``protocol`` to UDP ``interface:port``; return the (listening) Port."""
        from plait import udp

        listeningPort = udp.Port(port, protocol, interface, maxPacketSize, self)
        listeningPort.startListening()
        return listeningPort

    def listenMulticast(
        self, port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> Any:
        """``listenUDP`` with a ``MulticastPort`` (``joinGroup``, ``setTTL``...)."""
        from plait._multicast import MulticastPort

        listeningPort = MulticastPort(port, protocol, interface, maxPacketSize, self, listenMultiple)
        listeningPort.startListening()
        return listeningPort

    # -- IReactorProcess: thin delegation to plait.process -----------------------

    def spawnProcess(
        self, processProtocol: Any, executable: Any, args: Any = (), env: Any = {},  # noqa: B006 - Twisted's default; never mutated
        path: Any = None, uid: int | None = None, gid: int | None = None,
        usePTY: Any = 0, childFDs: Any = None,
    ) -> Any:
        """Start ``executable`` as a child talking to ``processProtocol``; return its transport."""
        from plait import process

        return process.spawnProcess(
            self, processProtocol, executable, args, env, path, uid, gid, usePTY, childFDs
        )


class SelectReactor(SelectorReactor):
    """Twisted's ``select()`` reactor by its name: a ``SelectorReactor``
    polling with ``selectors.SelectSelector`` (limited to descriptors below
    ``FD_SETSIZE``, 1024, as ``select(2)`` is; use it only where a program
    asks for it by name)."""

    def __init__(self) -> None:
        super().__init__(selectors.SelectSelector)


def install(selectorClass: type[selectors.BaseSelector] | None = None) -> SelectorReactor:
    """Create a ``SelectorReactor`` and make it the global ``plait.reactor``.

    Raises ``ReactorAlreadyInstalledError`` if a reactor is already installed.
    """
    if "plait.reactor" in sys.modules:
        raise error.ReactorAlreadyInstalledError("reactor already installed")
    reactor = SelectorReactor(selectorClass)
    installReactor(reactor)
    return reactor
