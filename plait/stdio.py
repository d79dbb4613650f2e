"""A protocol over the program's own stdin and stdout (``twisted.internet.stdio``).

What it owns: ``StandardIO``, the transport that feeds what arrives on
stdin to a protocol's ``dataReceived`` and writes what it writes to stdout,
and ``PipeAddress``, the address it reports.  The reading and writing are
``plait._processpipes``' ``ProcessReader`` and ``ProcessWriter``, the very
pipes a parent uses to talk to a child: a child written with ``StandardIO``
and a parent written with ``spawnProcess``/``ProcessEndpoint`` are the two
ends of the same pair of pipes.

Lifecycle, for the protocol::

    makeConnection -> connectionMade          (inside StandardIO(...))
        -> dataReceived* [-> readConnectionLost] [-> writeConnectionLost]
        -> connectionLost                      (exactly once, from the loop)

Rules:

* End of stdin half-closes: an ``IHalfCloseableProtocol`` gets
  ``readConnectionLost()`` and may go on writing until it calls
  ``loseConnection()``; any other protocol gets ``connectionLost`` once
  everything it wrote has reached stdout.  (Deliberate difference: Twisted
  calls ``connectionLost`` at once and drops output still buffered.)
* ``loseConnection()`` stops reading, flushes stdout, then ends.  Neither
  descriptor is closed (they are the program's: a closed number would be
  reused by the next ``open()``); each is put back into blocking mode when
  its half ends, so ``print`` works again afterwards.  When the write half
  ends and stdout is a pipe or a socket, it is pointed at ``/dev/null``, so
  the reader sees end-of-file now rather than when the program exits
  (``_releaseOutput``; deliberate difference: Twisted leaves it open, so
  its ``loseWriteConnection`` never reaches the peer).  Stdin is left as
  it is, so the writer feeding it gets no ``SIGPIPE``.
* A stdin or stdout that the poller cannot watch (a regular file, or
  ``/dev/null``, which epoll refuses with ``EPERM``) is always ready: it is
  read or written from ``callLater(0)`` calls until the end of the file or
  the end of the buffer, never polled in a loop.
* With ``reactor=None`` the global reactor is imported at call time, as
  Twisted's signature defaults to it.

Tests: tests/integration/test_stdio.py, tests/contract/test_contract_pipes.py.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._processpipes import ProcessReader, ProcessWriter
from plait.failure import Failure
from plait.interfaces import (
    IAddress,
    IConsumer,
    IHalfCloseableDescriptor,
    IHalfCloseableProtocol,
    IPushProducer,
    ITransport,
)

__all__ = ["PipeAddress", "StandardIO"]


@implementer(IAddress)
class PipeAddress:
    """The address of either end of ``StandardIO`` (there is nothing to say)."""

    def __repr__(self) -> str:
        return "PipeAddress()"


def _releaseOutput(fd: int) -> None:
    """Let the reader of a pipe or socket ``fd`` see end-of-file, keeping ``fd`` valid.

    Closing the program's stdout would free its number for the next
    ``open()``, and ``print`` would then write into that file; pointing it
    at ``/dev/null`` (``dup2``) ends the pipe just the same.  A terminal or
    a regular file has nobody waiting for end-of-file and is left alone, so
    what the program prints afterwards still shows.
    """
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd, inheritable=os.get_inheritable(fd))
        finally:
            os.close(null)


class _AlwaysReady:
    """Drives ``method`` of a pipe from ``callLater(0)`` while ``active()``.

    For a descriptor the poller refuses (see the module docstring): a read
    from a regular file never blocks, so "readable" is always true until
    the file ends, and the same goes for writes.
    """

    def __init__(self, pipe: Any, method: Callable[[], Any], active: Callable[[], bool]) -> None:
        self._pipe = pipe
        self._method = method
        self._active = active
        self._call: Any = None

    def start(self) -> None:
        if self._call is None:
            self._call = self._pipe.reactor.callLater(0, self._run)

    def stop(self) -> None:
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()

    def _run(self) -> None:
        self._call = None
        self._pipe._runAsDispatch(self._method)
        if self._active() and not self._pipe.disconnected:
            self.start()


class _StdinReader(ProcessReader):
    _ready: _AlwaysReady | None = None

    def startReading(self) -> None:
        if self._ready is None:
            try:
                super().startReading()
                return
            except PermissionError:  # epoll_ctl(2): EPERM, the file does not support polling
                self._reading = False
                self._ready = _AlwaysReady(self, self.doRead, lambda: self._reading)
        self._reading = True
        self._ready.start()

    def stopReading(self) -> None:
        if self._ready is None:
            super().stopReading()
        else:
            self._reading = False
            self._ready.stop()


class _StdoutWriter(ProcessWriter):
    _ready: _AlwaysReady | None = None

    def startWriting(self) -> None:
        if self._ready is None:
            try:
                super().startWriting()
                return
            except PermissionError:
                self._writing = False
                self._ready = _AlwaysReady(self, self.doWrite, lambda: self._writing)
        self._writing = True
        self._ready.start()

    def stopWriting(self) -> None:
        if self._ready is None:
            super().stopWriting()
        else:
            self._writing = False
            self._ready.stop()


@implementer(ITransport, IConsumer, IPushProducer, IHalfCloseableDescriptor)
class StandardIO:
    """The transport of a protocol speaking over stdin (``stdin``) and stdout (``stdout``)."""

    disconnected: bool = False
    disconnecting: bool = False

    def __init__(self, proto: Any, stdin: int = 0, stdout: int = 1, reactor: Any = None) -> None:
        if reactor is None:
            from plait import reactor
        self.protocol = proto
        self._reactor = reactor
        self._writer: ProcessWriter | None = _StdoutWriter(reactor, self, "write", stdout)
        self._reader: ProcessReader | None = _StdinReader(reactor, self, "read", stdin)
        proto.makeConnection(self)

    def __repr__(self) -> str:
        return f"<StandardIO {type(self.protocol).__name__}>"

    # -- ITransport ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write to stdout (``TypeError`` unless bytes; dropped once it is closed)."""
        if not isinstance(data, bytes):
            raise TypeError("Data must be bytes")
        if self._writer is not None:
            self._writer.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Write each item of ``data`` to stdout."""
        if self._writer is not None:
            self._writer.writeSequence(data)

    def loseWriteConnection(self) -> None:
        """Finish stdout once what was written has gone out (a half-close)."""
        if self._writer is not None:
            self._writer.loseConnection()

    def loseConnection(self) -> None:
        """Stop reading, flush stdout, then ``connectionLost`` (from the loop)."""
        if self.disconnecting or self.disconnected:
            return
        self.disconnecting = True
        if self._reader is not None:
            # Not loseConnection: the reader must not close the program's stdin.
            self._reader.stopReading()
        if self._writer is not None:
            self._writer.loseConnection()
        else:  # stdout already gone: nothing to flush, end on the next turn
            self._reactor.callLater(0, self._end, Failure(error.ConnectionDone()))

    def getPeer(self) -> PipeAddress:
        return PipeAddress()

    def getHost(self) -> PipeAddress:
        return PipeAddress()

    # -- from the pipes ------------------------------------------------------------

    def childDataReceived(self, fd: str, data: bytes) -> None:
        self.protocol.dataReceived(data)

    def childConnectionLost(self, fd: str, reason: Failure) -> None:
        """One half ended: put its descriptor back to blocking, then decide."""
        pipe = self._reader if fd == "read" else self._writer
        if pipe is not None:
            try:
                os.set_blocking(pipe.fd, True)
                if fd == "write":
                    _releaseOutput(pipe.fd)
            except OSError:
                pass  # closed behind our back
            pipe.fd = -1
        if self.disconnected:
            return
        if fd == "read":
            self._readConnectionLost(reason)
        else:
            self._writeConnectionLost(reason)

    def _readConnectionLost(self, reason: Failure) -> None:
        self._reader = None
        if IHalfCloseableProtocol.providedBy(self.protocol):
            try:
                self.protocol.readConnectionLost()
            except Exception:  # noqa: BLE001 - logged, then the end
                failure = Failure()
                log.err(failure, "while calling stdio readConnectionLost:")
                self._end(failure)
        elif not self.disconnecting:
            # Half-close: what the protocol wrote still reaches stdout
            # first.  A producer cannot be waited for (nobody will ask it
            # for more): it is stopped, as a lost connection stops it.
            writer = self._writer
            if writer is not None and writer.producer is not None:
                producer = writer.producer
                writer.unregisterProducer()
                producer.stopProducing()
            self.loseConnection()

    def _writeConnectionLost(self, reason: Failure) -> None:
        self._writer = None
        if self.disconnecting:
            self._end(reason)
            return
        if IHalfCloseableProtocol.providedBy(self.protocol):
            try:
                self.protocol.writeConnectionLost()
            except Exception:  # noqa: BLE001 - logged, then the end
                failure = Failure()
                log.err(failure, "while calling stdio writeConnectionLost:")
                self._end(failure)

    def _end(self, reason: Failure) -> None:
        """``connectionLost``: both halves go, the protocol hears it once."""
        if self.disconnected:
            return
        self.disconnected = True
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        for pipe in (writer, reader):
            if pipe is not None and not pipe.disconnected:
                pipe.connectionLost(reason)
        protocol, self.protocol = self.protocol, None
        try:
            protocol.connectionLost(reason)
        except Exception:  # noqa: BLE001 - logged; nothing is left to close
            log.err(Failure(), "while calling stdio connectionLost:")

    def connectionLost(self, reason: Failure) -> None:
        """End now, with ``reason`` (Twisted's entry point for the same)."""
        self._end(reason)

    # -- IConsumer / IPushProducer ---------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let ``producer`` feed stdout (stopped at once if stdout is gone)."""
        if self._writer is None:
            producer.stopProducing()
        else:
            self._writer.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        if self._writer is not None:
            self._writer.unregisterProducer()

    def stopProducing(self) -> None:
        self.loseConnection()

    def pauseProducing(self) -> None:
        """Stop reading stdin until ``resumeProducing``."""
        if self._reader is not None:
            self._reader.pauseProducing()

    def resumeProducing(self) -> None:
        if self._reader is not None:
            self._reader.resumeProducing()

    def stopReading(self) -> None:
        """Compatibility name for ``pauseProducing``."""
        self.pauseProducing()

    def startReading(self) -> None:
        """Compatibility name for ``resumeProducing``."""
        self.resumeProducing()

    def readConnectionLost(self, reason: Failure) -> None:
        raise NotImplementedError("StandardIO reports read-side loss to its protocol itself")

    def writeConnectionLost(self, reason: Failure) -> None:
        raise NotImplementedError("StandardIO reports write-side loss to its protocol itself")
