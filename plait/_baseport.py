"""``BasePort``: Twisted's base class for listening ports that are file descriptors.

Owns: one small class that ``plait.base`` hands out (lazily, so that
importing the reactor does not import the stream transport machinery).

plait's own ports (``tcp.Port``, ``unix.Port``, ``udp.Port``) do not use it:
a listening socket carries no data, so they are not stream transports (see
docs/differences.md, "twisted.internet.tcp.Port").  It exists for code
written against Twisted that subclasses ``twisted.internet.base.BasePort``
to make a port of its own: a ``FileDescriptor`` that knows its socket's
family and type, makes its socket non-blocking and close-on-exec, and
refuses ``doWrite`` (a listening socket is never watched for writing).

Tests: tests/unit/test_baseport.py.
"""

from __future__ import annotations

import socket

from plait.abstract import FileDescriptor

__all__ = ["BasePort"]


class BasePort(FileDescriptor):
    """A listening port's skeleton; subclasses set ``addressFamily`` and
    ``socketType`` and provide ``fileno()`` and ``doRead()`` (accept).

    Like Twisted's, it does not itself declare ``IListeningPort``.
    """

    addressFamily: socket.AddressFamily | None = None
    socketType: socket.SocketKind | None = None

    def createInternetSocket(self) -> socket.socket:
        """A new non-blocking socket of this port's family and type.

        (Python's sockets are close-on-exec from the start: PEP 446.)
        """
        if self.addressFamily is None or self.socketType is None:
            raise TypeError(
                f"{type(self).__qualname__} must set addressFamily and socketType "
                "before createInternetSocket() (e.g. socket.AF_INET, socket.SOCK_STREAM)"
            )
        skt = socket.socket(self.addressFamily, self.socketType)
        skt.setblocking(False)
        return skt

    def doWrite(self) -> None:
        """Always raises: a listening port is never watched for writing."""
        raise RuntimeError(f"doWrite called on a {type(self).__module__}.{type(self).__qualname__}")
