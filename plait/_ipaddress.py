"""Is this string an IP address?  ``isIPAddress`` and ``isIPv6Address``.

Twisted keeps these two in ``twisted.internet.abstract``; ``plait.abstract``
re-exports them from here, so that a module that only needs to classify a
host string (endpoints, the address classes) does not import the transport
machinery.

Tests: tests/unit/test_abstract.py ("IP address literals").
"""

from __future__ import annotations

import socket

__all__ = ["isIPAddress", "isIPv6Address"]


def isIPAddress(addr: str | bytes, family: int = socket.AF_INET) -> bool:
    """Whether ``addr`` is an IP address literal of ``family`` (default IPv4).

    IPv4 needs all four dotted parts; an IPv6 literal may carry a
    ``%scope`` suffix.  Bytes are decoded as ASCII.  ``ValueError`` for a
    family other than ``AF_INET``/``AF_INET6``.
    """
    if isinstance(addr, bytes):
        try:
            addr = addr.decode("ascii")
        except UnicodeDecodeError:
            return False
    if family == socket.AF_INET6:
        addr = addr.split("%", 1)[0]  # inet_pton rejects the scope id
    elif family == socket.AF_INET:
        if addr.count(".") != 3:
            return False  # "1" or "1.2" are numbers to inet_aton, not addresses
    else:
        raise ValueError(f"unknown address family {family!r}")
    try:
        socket.inet_pton(family, addr)
    except (OSError, ValueError):
        return False
    return True


def isIPv6Address(addr: str | bytes) -> bool:
    """Whether ``addr`` is an IPv6 address literal (``%scope`` allowed)."""
    return isIPAddress(addr, socket.AF_INET6)
