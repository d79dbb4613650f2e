"""The pipes between plait and a child process, as ``abstract.FileDescriptor``\\ s.

What it owns: ``ProcessReader`` (a pipe plait reads: a child's stdout,
stderr, any ``"r"`` descriptor, or the program's own stdin for
``plait.stdio``), ``ProcessWriter`` (a pipe plait writes: the child's stdin,
any ``"w"`` descriptor, or the program's own stdout) and ``_PTYMaster`` (the
master side of a pseudo-terminal, both ways).  Buffering, producers and the
close sequence are ``FileDescriptor``'s; these classes add the system calls.

Each pipe reports to its owner (``proc``: a ``plait.process.Process``, a
``PTYProcess`` or a ``plait.stdio.StandardIO``) through two calls:
``proc.childDataReceived(name, data)`` and, exactly once,
``proc.childConnectionLost(name, reason)`` after the pipe stopped being
watched.  The owner decides whether to close the descriptor (a child's
pipe) or keep it (the program's own stdin and stdout).

Rules:

* A pipe is CONNECTED from construction: there is nothing to wait for.
* ``os.read``/``os.write`` errors are translated here, once: ``EAGAIN`` is
  "nothing now", end of file (or ``EIO`` on a PTY master, which Linux
  returns once the child side is closed) is ``ConnectionDone``, anything
  else is ``ConnectionLost``.
* A writer on a write-only pipe also watches for *reading*: such a
  descriptor never becomes readable, but ``poll(2)`` reports ``POLLERR`` on
  it once the reader closed its end (``pipe(7)``), which is how plait learns
  that the child closed its stdin (``inConnectionLost``) without writing.

Discussion: read sizes.  A reader asks for 64 KiB, a pipe's default
capacity.  A read that fills that buffer means the child writes faster than
plait reads: the reader then enlarges the pipe to 1 MiB (``F_SETPIPE_SZ``,
``fcntl(2)``) and reads 1 MiB at a time, so a streaming child costs one
wake-up per megabyte instead of one per 64 KiB; it goes back to 64 KiB
after a short read, because ``os.read`` allocates the whole buffer first
(see ``_tcpconnection._READ_SIZE`` for what that costs small messages).

Tests: tests/integration/test_process.py, tests/integration/test_stdio.py,
tests/contract/test_contract_pipes.py.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from plait import error
from plait.abstract import FileDescriptor, TransportState
from plait.failure import Failure

__all__ = ["ProcessReader", "ProcessWriter"]

_CONNECTED = TransportState.CONNECTED
_SMALL_READ = 65536
_BIG_READ = 1 << 20
try:
    import fcntl

    _F_SETPIPE_SZ: int | None = getattr(fcntl, "F_SETPIPE_SZ", 1031)
except ImportError:  # pragma: no cover - every POSIX system has fcntl
    _F_SETPIPE_SZ = None


def _readError(e: OSError) -> Exception | None:
    """The one translation of an ``os.read`` failure."""
    if e.errno == errno.EAGAIN:
        return None
    if e.errno == errno.EIO:  # a PTY master whose slave side is gone
        return error.ConnectionDone()
    return error.ConnectionLost()


class _Pipe(FileDescriptor):
    """A non-blocking descriptor reporting to ``proc`` under ``name``."""

    def __init__(self, reactor: Any, proc: Any, name: Any, fileno: int) -> None:
        super().__init__(reactor)
        os.set_blocking(fileno, False)
        self.proc = proc
        self.name = name
        self.fd = fileno
        self._setState(_CONNECTED)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} fd={self.fd} of {self.proc!r}>"

    def fileno(self) -> int:
        """The descriptor, or -1 once the pipe is gone."""
        return self.fd

    def logPrefix(self) -> str:
        return f"{type(self).__name__},{self.name}"

    def _closeWriteSide(self) -> Exception | None:
        # A pipe has one direction: shutting down the sending half is the end.
        return error.ConnectionDone()

    def connectionLost(self, reason: Failure) -> None:
        """Stop watching, then tell the owner (exactly once)."""
        if self.disconnected:
            return
        super().connectionLost(reason)
        self.proc.childConnectionLost(self.name, reason)


class ProcessReader(_Pipe):
    """A pipe plait reads; every chunk goes to ``proc.childDataReceived``."""

    _readSize: int = _SMALL_READ

    def __init__(self, reactor: Any, proc: Any, name: Any, fileno: int) -> None:
        super().__init__(reactor, proc, name, fileno)
        self.startReading()

    def doRead(self) -> Any:
        """Read once (the reactor says readable) and hand the bytes over."""
        size = self._readSize
        try:
            data = os.read(self.fd, size)
        except OSError as e:
            return _readError(e)
        if not data:
            return error.ConnectionDone()
        if len(data) == size:
            self._grow()
        elif size != _SMALL_READ and len(data) < _SMALL_READ:
            self._readSize = _SMALL_READ
        self.proc.childDataReceived(self.name, data)
        return None

    def _grow(self) -> None:
        """The child writes faster than we read: bigger pipe, bigger reads."""
        if self._readSize == _BIG_READ or _F_SETPIPE_SZ is None:
            return
        try:
            fcntl.fcntl(self.fd, _F_SETPIPE_SZ, _BIG_READ)
        except OSError:
            pass  # not a pipe, or above /proc/sys/fs/pipe-max-size: reads still grow
        self._readSize = _BIG_READ

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        """Nothing is ever written to a reading pipe."""
        return error.ConnectionLost("cannot write to a pipe plait reads")


class ProcessWriter(_Pipe):
    """A pipe plait writes; watched for reading only to see the reader go.

    ``enableReadHack`` (Twisted's name) says whether it is: true for a
    write-only pipe end (see the module docstring), false for anything that
    may really be readable (a terminal, a socket, a file).
    """

    enableReadHack: bool = False

    def __init__(
        self, reactor: Any, proc: Any, name: Any, fileno: int, forceReadHack: bool = False
    ) -> None:
        super().__init__(reactor, proc, name, fileno)
        if forceReadHack:
            self.enableReadHack = True
        else:
            from plait._processspawn import isWriteOnlyPipe

            self.enableReadHack = isWriteOnlyPipe(fileno)
        if self.enableReadHack:
            self.startReading()

    def doRead(self) -> Any:
        """The reader closed its end (``POLLERR``): the pipe is lost."""
        if self.enableReadHack:
            return error.ConnectionLost()
        self.stopReading()
        return None

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        """``write`` once: the count written, 0 if the pipe is full, or the loss."""
        try:
            return os.write(self.fd, data)
        except BlockingIOError:
            return 0
        except OSError:
            return error.ConnectionLost()  # EPIPE: the reader is gone


class _PTYMaster(_Pipe):
    """The master side of a child's terminal: what it prints, what it reads."""

    def __init__(self, reactor: Any, proc: Any, fileno: int) -> None:
        super().__init__(reactor, proc, 1, fileno)
        self.startReading()

    def doRead(self) -> Any:
        """Read what the child printed; it arrives as ``childDataReceived(1, ...)``."""
        try:
            data = os.read(self.fd, _SMALL_READ)
        except OSError as e:
            return _readError(e)
        if not data:
            return error.ConnectionDone()
        self.proc.childDataReceived(1, data)
        return None

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        try:
            return os.write(self.fd, data)
        except BlockingIOError:
            return 0
        except OSError:
            return error.ConnectionLost()
