"""Non-blocking reads and writes on raw file descriptors (``twisted.internet.fdesc``).

Owns four helpers for code that drives a POSIX file descriptor itself (a
pipe, a tty, a descriptor handed over by another process) from a
``FileDescriptor``'s ``doRead``/``writeSomeData``:

* ``setNonBlocking(fd)``/``setBlocking(fd)`` set or clear ``O_NONBLOCK``;
* ``readFromFD(fd, callback)`` reads at most 8192 bytes and hands them to
  ``callback``;
* ``writeToFD(fd, data)`` writes what the descriptor takes now.

Rules (Twisted's return conventions, which the reactor understands):

* ``readFromFD`` returns None after data (callback called), or when the
  read would block or was interrupted (``EAGAIN``/``EWOULDBLOCK``/``EINTR``;
  callback not called); ``CONNECTION_DONE`` at end of file; and
  ``CONNECTION_LOST`` for any other ``OSError``.  An exception raised by
  ``callback`` propagates to the caller.
* ``writeToFD`` returns the number of bytes written (possibly fewer than
  given), 0 when the write would block or was interrupted, and
  ``CONNECTION_LOST`` for any other ``OSError`` (``EPIPE`` included).
* The flags are changed on the open file *description*, so every
  descriptor duplicated from ``fd`` (``dup``, ``fork``) sees the change.

Tests: tests/unit/test_fdesc.py (real pipes).
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable

from plait.error import ConnectionDone, ConnectionLost
from plait.main import CONNECTION_DONE, CONNECTION_LOST

__all__ = ["readFromFD", "setBlocking", "setNonBlocking", "writeToFD"]

# The errors that mean "not now", not "gone".  EWOULDBLOCK equals EAGAIN on
# Linux but not everywhere.
_TRY_AGAIN = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR})


def setNonBlocking(fd: int) -> None:
    """Set ``O_NONBLOCK`` on the file description of ``fd``."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


def setBlocking(fd: int) -> None:
    """Clear ``O_NONBLOCK`` on the file description of ``fd``."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def readFromFD(fd: int, callback: Callable[[bytes], object]) -> ConnectionLost | ConnectionDone | None:
    """Read up to 8192 bytes from non-blocking ``fd`` into ``callback``.

    Returns what ``FileDescriptor.doRead`` would: None (data delivered, or
    nothing to read yet), ``CONNECTION_DONE`` at end of file,
    ``CONNECTION_LOST`` on an error.
    """
    try:
        data = os.read(fd, 8192)
    except OSError as e:
        if e.errno in _TRY_AGAIN:
            return None
        return CONNECTION_LOST
    if not data:
        return CONNECTION_DONE
    callback(data)
    return None


def writeToFD(fd: int, data: bytes) -> int | ConnectionLost:
    """Write what non-blocking ``fd`` takes of ``data`` now.

    Returns what ``FileDescriptor.writeSomeData`` would: the number of bytes
    written (0 if the write would block), or ``CONNECTION_LOST`` on an error.
    """
    try:
        return os.write(fd, data)
    except OSError as e:
        if e.errno in _TRY_AGAIN:
            return 0
        return CONNECTION_LOST
