"""The one concrete reactor: ``SelectorReactor``, on the stdlib ``selectors``.

Owns the selector, the descriptor bookkeeping (``IReactorFDSet``), the waker
that lets other threads and signal handlers interrupt a blocked ``select()``,
the dispatch of ``doRead``/``doWrite``, ``disconnectAll`` at shutdown, the
thin TCP glue (``connectTCP``/``listenTCP``/``adopt*``, delegating to
``plait.tcp``) and ``install()``.  Time, lifecycle, threads and resolution
live in ``plait.base.ReactorBase``.

Rules:

* Each fd is registered once, with ``SelectorKey.data = (reader, writer)``;
  adding or removing a direction is a ``modify``; the fd is unregistered when
  both are gone.  ``self._reads``/``self._writes`` say who is registered *now*,
  so a descriptor removed earlier in the same batch of events is skipped.
* ``doRead()``/``doWrite()`` return None normally.  A returned exception or
  Failure, or a raised exception (logged first), finishes that descriptor
  only: it is removed from both directions and gets ``connectionLost``.
* The waker is registered like a reader but never appears in
  ``getReaders()``, ``removeAll()`` or ``disconnectAll()``.
* ``_close()`` releases the thread pool, the waker and the selector; it is
  idempotent, and ``run()`` never calls it (tests and ``install``ers do).

A tour of one pass (``ReactorBase.mainLoop``): ``runUntilCurrent()`` runs
thread calls and due timers; ``timeout()`` says how long to sleep;
``doIteration`` blocks in ``select()`` - the only blocking call in plait -
then dispatches what is ready.

Tests: tests/integration/test_reactor_real.py, tests/integration/test_threads.py,
tests/integration/test_signals.py.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import sys
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait.base import MAX_TIMEOUT, ReactorBase
from plait.failure import Failure
from plait.interfaces import IReactorFDSet, IReactorSocket, IReactorTCP
from plait.main import installReactor

__all__ = ["SelectorReactor", "install"]

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


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


def _logPrefix(selectable: Any) -> str:
    try:
        return str(selectable.logPrefix())
    except Exception:  # noqa: BLE001 - a broken logPrefix must not hide the real error
        return type(selectable).__name__


def _asFailure(why: object, method: str) -> Failure:
    if isinstance(why, Failure):
        return why
    if isinstance(why, BaseException):
        return Failure(why)
    bad = TypeError(f"{method} returned {why!r}; expected None, an exception or a Failure")
    log.err(Failure(bad), f"Bad return value from {method}")
    return Failure(bad)


@implementer(IReactorFDSet, IReactorTCP, IReactorSocket)
class SelectorReactor(ReactorBase):
    """A reactor over ``selectorClass`` (default: ``selectors.DefaultSelector``,
    which is epoll on Linux)."""

    def __init__(self, selectorClass: type[selectors.BaseSelector] | None = None) -> None:
        self._selector = (selectorClass or selectors.DefaultSelector)()
        self._reads: set[Any] = set()
        self._writes: set[Any] = set()
        self._closed = False
        self.waker = _Waker()
        self._wake = self.waker.wakeUp
        self._selector.register(self.waker.fileno(), _READ, (self.waker, None))
        self._reads.add(self.waker)
        super().__init__()
        self.addSystemEventTrigger("during", "shutdown", self.disconnectAll)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {type(self._selector).__name__} {self._state.value}>"

    # -- the blocking call and the dispatch ------------------------------------

    def wakeUp(self) -> None:
        self._wake()

    def doIteration(self, timeout: float | None) -> None:
        """Block in ``select()`` at most ``timeout`` seconds, then dispatch."""
        if timeout is not None and timeout > MAX_TIMEOUT:
            timeout = MAX_TIMEOUT  # iterate(delay) may pass anything
        try:
            events = self._selector.select(timeout)
        except (OSError, ValueError) as e:
            # select(2) fails as a whole with EBADF when any fd was closed
            # while registered; find the culprits and carry on.
            if isinstance(e, OSError) and e.errno != errno.EBADF:
                raise
            self._preenDescriptors()
            return
        reads, writes = self._reads, self._writes
        for key, mask in events:
            reader, writer = key.data
            if mask & _READ and reader in reads:
                try:
                    why = reader.doRead()
                except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                    why = Failure()
                    log.err(why, "Unhandled Error", system=_logPrefix(reader))
                if why is not None:
                    self._disconnectSelectable(reader, _asFailure(why, "doRead"))
                    if writer is reader:
                        continue
            if mask & _WRITE and writer in writes:
                try:
                    why = writer.doWrite()
                except Exception:  # noqa: BLE001 - logged, then disconnects this descriptor only
                    why = Failure()
                    log.err(why, "Unhandled Error", system=_logPrefix(writer))
                if why is not None:
                    self._disconnectSelectable(writer, _asFailure(why, "doWrite"))

    def _disconnectSelectable(self, selectable: Any, reason: Failure) -> None:
        self.removeReader(selectable)
        self.removeWriter(selectable)
        try:
            selectable.connectionLost(reason)
        except Exception:  # noqa: BLE001 - logged; the loop goes on
            log.err(Failure(), "Unhandled Error", system=_logPrefix(selectable))

    def _preenDescriptors(self) -> None:
        for selectable in list(self._reads | self._writes):
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
            self._add(reader, _READ)
            self._reads.add(reader)

    def addWriter(self, writer: Any) -> None:
        """Watch ``writer`` for writability (idempotent)."""
        if writer not in self._writes:
            self._add(writer, _WRITE)
            self._writes.add(writer)

    def removeReader(self, reader: Any) -> None:
        """Stop watching ``reader`` for readability (idempotent)."""
        if reader in self._reads:
            self._reads.discard(reader)
            self._remove(reader, _READ)

    def removeWriter(self, writer: Any) -> None:
        """Stop watching ``writer`` for writability (idempotent)."""
        if writer in self._writes:
            self._writes.discard(writer)
            self._remove(writer, _WRITE)

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

    def disconnectAll(self) -> None:
        """Remove every descriptor and tell it ``ConnectionLost("Connection lost")``."""
        for selectable in self.removeAll():
            try:
                selectable.connectionLost(Failure(error.ConnectionLost("Connection lost")))
            except Exception:  # noqa: BLE001 - logged; the other descriptors still get theirs
                log.err(Failure(), "Unhandled Error", system=_logPrefix(selectable))

    def _add(self, selectable: Any, event: int) -> None:
        fd = selectable.fileno()
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            data = (selectable, None) if event == _READ else (None, selectable)
            self._selector.register(fd, event, data)
            return
        reader, writer = key.data
        if event == _READ:
            if reader is not None and reader is not selectable:
                self._reads.discard(reader)  # its fd was closed and reused
            self._selector.modify(fd, key.events | _READ, (selectable, writer))
        else:
            if writer is not None and writer is not selectable:
                self._writes.discard(writer)
            self._selector.modify(fd, key.events | _WRITE, (reader, selectable))

    def _remove(self, selectable: Any, event: int) -> None:
        key = self._keyOf(selectable)
        if key is None:
            return
        reader, writer = key.data
        if event == _READ:
            reader = None
        else:
            writer = None
        remaining = key.events & ~event
        try:
            if remaining:
                self._selector.modify(key.fd, remaining, (reader, writer))
            else:
                self._selector.unregister(key.fd)
        except OSError:
            # The fd was closed under us: selectors already forgot it, and
            # the other direction can never fire again either.
            self._reads.discard(reader)
            self._writes.discard(writer)

    def _keyOf(self, selectable: Any) -> selectors.SelectorKey | None:
        try:
            fd = selectable.fileno()
        except (OSError, ValueError):
            fd = -1
        if fd >= 0:
            key = self._selector.get_map().get(fd)
            if key is not None and selectable in key.data:
                return key
        # Closed (fileno() == -1) or reused fd: find it by identity.
        for key in self._selector.get_map().values():
            if key.data[0] is selectable or key.data[1] is selectable:
                return key
        return None

    # -- resources ---------------------------------------------------------------

    def _close(self) -> None:
        """Release the thread pool, the waker and the selector (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stopThreadPool()
        self._selector.close()
        self.waker.close()

    # -- IReactorTCP / IReactorSocket: thin delegation to plait.tcp -------------

    def connectTCP(
        self, host: str, port: int, factory: Any, timeout: float = 30.0, bindAddress: Any = None
    ) -> Any:
        """Connect to ``host:port``; return the (already connecting) Connector."""
        from plait import tcp

        connector = tcp.Connector(host, port, factory, timeout, bindAddress, self)
        connector.connect()
        return connector

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        """Listen on ``interface:port``; return the (already listening) Port."""
        from plait import tcp

        listeningPort = tcp.Port(port, factory, backlog, interface, self)
        listeningPort.startListening()
        return listeningPort

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        """Wrap a connected stream socket fd in a transport for ``factory``."""
        from plait import tcp

        return tcp.adoptStreamConnection(self, fileDescriptor, addressFamily, factory)

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        """Listen on an already-listening stream socket fd."""
        from plait import tcp

        return tcp.adoptStreamPort(self, fileDescriptor, addressFamily, factory)

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
    ) -> Any:
        """Not supported: plait has no UDP transport yet."""
        raise NotImplementedError("plait does not support datagram ports yet")


def install(selectorClass: type[selectors.BaseSelector] | None = None) -> SelectorReactor:
    """Create a ``SelectorReactor`` and make it the global ``plait.reactor``.

    Raises ``ReactorAlreadyInstalledError`` if a reactor is already installed.
    """
    if "plait.reactor" in sys.modules:
        raise error.ReactorAlreadyInstalledError("reactor already installed")
    reactor = SelectorReactor(selectorClass)
    installReactor(reactor)
    return reactor
