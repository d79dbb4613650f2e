"""``MulticastPort``: a UDP port that joins multicast groups (``listenMulticast``).

Part of ``plait.udp``, which serves it as ``plait.udp.MulticastPort``
(Twisted keeps the same code in ``twisted.internet._multicast``).  What it
adds to ``udp.Port``: ``listenMultiple`` (``SO_REUSEADDR`` + ``SO_REUSEPORT``),
group membership, the outgoing interface, loopback and time-to-live, for
IPv4 (``IP_*`` options, ip(7)) and IPv6 (``IPV6_*``, ipv6(7)).

Rules: group and interface addresses may be names, resolved with the
reactor; every result comes back as a Deferred, and a failure to join or
leave is ``MulticastJoinError``.  An IPv6 interface is an interface index
(an int, digits, or a name such as ``"lo"``; ``""`` or ``"::"``: the
system's choice), where Twisted packs an address the kernel reads as an
index.

Tests: tests/integration/test_udp.py (multicast over the loopback interface).
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import Any

from zope.interface import implementer

from plait import error
from plait._ipaddress import isIPAddress, isIPv6Address
from plait.defer import Deferred, fail, succeed
from plait.interfaces import IMulticastTransport
from plait.udp import Port

__all__ = ["MulticastPort"]


def _maybeResolve(reactor: Any, host: str) -> Deferred[str]:
    """``host`` itself if it is an IP literal, else ``reactor.resolve(host)``."""
    if isIPAddress(host) or isIPv6Address(host):
        return succeed(host)
    return reactor.resolve(host)  # type: ignore[no-any-return]


@implementer(IMulticastTransport)
class MulticastPort(Port):
    """A UDP port that can join multicast groups (``listenMulticast``).

    ``listenMultiple`` sets ``SO_REUSEADDR`` and ``SO_REUSEPORT``, so several
    sockets (in this process or others) can bind the same group port.  Group
    and interface addresses may be names (resolved with the reactor);
    results come back as Deferreds, and a failure to join or leave is
    ``MulticastJoinError``.  IPv6: interfaces are interface indexes (an
    ``int``, a string of digits or an interface name such as ``"lo"``;
    ``""`` or ``"::"`` lets the system choose).
    """

    def __init__(
        self, port: int, proto: Any, interface: str = "", maxPacketSize: int = 8192,
        reactor: Any = None, listenMultiple: bool = False,
    ) -> None:
        super().__init__(port, proto, interface, maxPacketSize, reactor)
        self.listenMultiple = listenMultiple

    def createInternetSocket(self) -> socket.socket:
        """Port's socket, sharable when ``listenMultiple`` (socket(7) SO_REUSEPORT)."""
        skt = super().createInternetSocket()
        if self.listenMultiple:
            skt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                skt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            except OSError as e:
                if e.errno != errno.ENOPROTOOPT:  # defined but unsupported: REUSEADDR it is
                    raise
        return skt

    def _v6(self) -> bool:
        return self.addressFamily == socket.AF_INET6

    def _sock(self) -> socket.socket:
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening")
        return self.socket

    def getOutgoingInterface(self) -> str | int:
        """The interface multicast leaves from: an IPv4 address, or an IPv6 index."""
        if self._v6():
            return self._sock().getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF)
        packed = self._sock().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
        return socket.inet_ntoa(packed)

    def setOutgoingInterface(self, addr: str | int) -> Deferred[int]:
        """Send multicast from ``addr`` (IPv4: an address or name; IPv6: an index)."""
        if self._v6():
            try:
                self._sock().setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
                                        self._interfaceIndex(addr))
            except (OSError, ValueError) as e:
                return fail(e)
            return succeed(1)

        def apply(host: str) -> int:
            self._sock().setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, self._pack(host))
            return 1

        if not isinstance(addr, str):
            return fail(TypeError(f"IPv4 interfaces are given as addresses, not {addr!r}"))
        return _maybeResolve(self.reactor, addr).addCallback(apply)

    def getLoopbackMode(self) -> bool:
        """Whether this host receives the multicast it sends."""
        level, name = ((socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP) if self._v6()
                       else (socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))
        return bool(self._sock().getsockopt(level, name))

    def setLoopbackMode(self, mode: bool) -> None:
        """Receive (True) or not the multicast this host sends."""
        level, name = ((socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP) if self._v6()
                       else (socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))
        self._sock().setsockopt(level, name, int(bool(mode)))

    def getTTL(self) -> int:
        """The time-to-live (IPv6: hop limit) of multicast sent."""
        if self._v6():
            return self._sock().getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS)
        return self._sock().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL)

    def setTTL(self, ttl: int) -> None:
        """Set the time-to-live of multicast sent (0 keeps it on this host)."""
        if self._v6():
            self._sock().setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
        else:
            self._sock().setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL,
                                    struct.pack("B", ttl))

    def joinGroup(self, addr: str, interface: str = "") -> Deferred[None]:
        """Join group ``addr`` on ``interface`` (default: the system's choice)."""
        return self._joinOrLeave(addr, interface, True)

    def leaveGroup(self, addr: str, interface: str = "") -> Deferred[None]:
        """Leave group ``addr`` on ``interface``."""
        return self._joinOrLeave(addr, interface, False)

    def _joinOrLeave(self, addr: str, interface: Any, join: bool) -> Deferred[None]:
        if self._v6():
            option = socket.IPV6_JOIN_GROUP if join else socket.IPV6_LEAVE_GROUP

            def membership(group: str) -> None:
                try:
                    index = self._interfaceIndex(interface)
                except ValueError as e:
                    raise error.MulticastJoinError(addr, interface, str(e)) from e
                self._setMembership(socket.IPPROTO_IPV6, option, addr, interface,
                                    self._pack(group) + struct.pack("@I", index))

            return _maybeResolve(self.reactor, addr).addCallback(membership)
        option = socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
        groupD = _maybeResolve(self.reactor, addr)

        def withInterface(group: str) -> Deferred[None]:
            def membership(local: str) -> None:
                self._setMembership(socket.IPPROTO_IP, option, addr, interface,
                                    self._pack(group) + self._pack(local))

            return _maybeResolve(self.reactor, interface or "0.0.0.0").addCallback(membership)

        return groupD.addCallback(withInterface)

    def _setMembership(self, level: int, option: int, addr: str, interface: Any, value: bytes) -> None:
        try:
            self._sock().setsockopt(level, option, value)
        except OSError as e:
            raise error.MulticastJoinError(addr, interface, *e.args) from e

    def _pack(self, address: str) -> bytes:
        """An IP literal of this port's family, packed (Twisted's ``_addrpack``)."""
        family = self.addressFamily
        try:
            return socket.inet_pton(family, address)
        except OSError:
            name = "AF_INET6" if family == socket.AF_INET6 else "AF_INET"
            raise error.MulticastJoinError(
                f"invalid address literal for {name}: {address!r}") from None

    @staticmethod
    def _interfaceIndex(interface: Any) -> int:
        """An IPv6 interface as its index: an int, digits, a name; ``""``/``"::"`` is 0."""
        if isinstance(interface, int):
            return interface
        if interface in ("", "::"):
            return 0
        if interface.isdigit():
            return int(interface)
        try:
            return socket.if_nametoindex(interface)
        except OSError:
            raise ValueError(f"no network interface named {interface!r}") from None
