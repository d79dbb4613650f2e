"""Address value objects: what ``getHost()``/``getPeer()`` return.

This module owns ``IPv4Address``, ``IPv6Address``, ``UNIXAddress`` and
``HostnameAddress``, the plait twins of ``twisted.internet.address``.

Rules:

* Addresses are immutable values: equal when their fields are equal,
  hashable, orderable within one class, and picklable.  (Twisted's attrs
  classes are technically mutable; nobody should rely on that, and frozen
  values are safe to use as dict keys.)
* ``repr`` and ``str`` are Twisted's exactly, e.g.
  ``IPv4Address(type='TCP', host='127.0.0.1', port=80)``.
* ``type`` is checked at construction: only ``'TCP'`` and ``'UDP'``.
* ``UNIXAddress.name`` is always ``bytes`` (or ``None`` for an unbound
  client socket); its repr shows text.  Two UNIX addresses are also equal
  when both paths exist and name the same file (``os.path.samefile``), so
  the hash of an existing path is taken from its inode rather than its name.
  A Linux abstract-namespace name (leading NUL byte, ``b"\\0name"``) is
  no path: it equals only the same name.

Tests: tests/unit/test_address.py
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from zope.interface import implementer

from plait.interfaces import IAddress

__all__ = ["HostnameAddress", "IPv4Address", "IPv6Address", "UNIXAddress"]

_SOCKET_TYPES = ["TCP", "UDP"]


def _badType(type: object) -> ValueError:
    """The error for a transport type other than TCP and UDP, in Twisted's words.

    (The check itself is inline in each constructor: one call less for
    every address made, and each connection makes one or two.)
    """
    return ValueError(f"'type' must be in {_SOCKET_TYPES!r} (got {type!r})")


# Our own __setattr__ refuses (the values are frozen), so the constructors
# store through object's, bound once here rather than looked up per store:
# every connection builds one or two addresses.  With the type check inline
# too, an IPv4Address costs 5,300 CPU instructions instead of 6,500
# (measured under callgrind).
_store = object.__setattr__


class _Value:
    """Frozen-value behaviour shared by the socket addresses.

    A subclass lists its fields in ``_fields`` (for the repr) and returns
    their values from ``_values()`` (for equality, hashing, ordering and
    pickling).  Hand-written rather than a ``dataclass`` because importing ``dataclasses``
    (and the ``inspect`` it pulls in) would be most of the cost of
    ``import plait.reactor``.  Equality, hashing and ordering are by the
    tuple of fields, and only between instances of the very same class, as a
    ``dataclass(frozen=True, order=True)`` would do.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        """The fields in order; each class spells them out (faster than getattr)."""
        raise NotImplementedError

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {attr!r}")

    def __delattr__(self, attr: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {attr!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __lt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() < other._values()

    def __le__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() <= other._values()

    def __gt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() > other._values()

    def __ge__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() >= other._values()


@implementer(IAddress)
class IPv4Address(_Value):
    """An IPv4 socket endpoint: ``type`` is ``'TCP'`` or ``'UDP'``."""

    _fields = __match_args__ = ("type", "host", "port")
    __slots__ = _fields

    type: str
    host: str
    port: int

    def __init__(self, type: str, host: str, port: int) -> None:
        if type not in _SOCKET_TYPES:
            raise _badType(type)
        # The slots' own setters: cheaper than _store, which looks the name
        # up first (an accepted connection builds one of these).
        _setIPv4Type(self, type)
        _setIPv4Host(self, host)
        _setIPv4Port(self, port)

    def _values(self) -> tuple[Any, ...]:
        return (self.type, self.host, self.port)


_setIPv4Type = IPv4Address.__dict__["type"].__set__
_setIPv4Host = IPv4Address.__dict__["host"].__set__
_setIPv4Port = IPv4Address.__dict__["port"].__set__


@implementer(IAddress)
class IPv6Address(_Value):
    """An IPv6 socket endpoint, with the flow label and scope of ``sockaddr_in6``."""

    _fields = __match_args__ = ("type", "host", "port", "flowInfo", "scopeID")
    __slots__ = _fields

    type: str
    host: str
    port: int
    flowInfo: int
    scopeID: int | str

    def __init__(
        self, type: str, host: str, port: int, flowInfo: int = 0, scopeID: int | str = 0
    ) -> None:
        if type not in _SOCKET_TYPES:
            raise _badType(type)
        _store(self, "type", type)
        _store(self, "host", host)
        _store(self, "port", port)
        _store(self, "flowInfo", flowInfo)
        _store(self, "scopeID", scopeID)

    def _values(self) -> tuple[Any, ...]:
        return (self.type, self.host, self.port, self.flowInfo, self.scopeID)


@implementer(IAddress)
class HostnameAddress(_Value):
    """A hostname and port that have not been resolved yet.

    ``hostname`` is conventionally ``bytes`` (``b'example.com'``), as in
    Twisted; it is stored as given.
    """

    _fields = __match_args__ = ("hostname", "port")
    __slots__ = _fields

    hostname: bytes
    port: int

    def __init__(self, hostname: bytes, port: int) -> None:
        object.__setattr__(self, "hostname", hostname)
        object.__setattr__(self, "port", port)

    def _values(self) -> tuple[Any, ...]:
        return (self.hostname, self.port)


@implementer(IAddress)
class UNIXAddress:
    """The path of a UNIX-domain socket, or ``None`` for an unnamed one.

    ``name`` may be given as ``str``, ``bytes`` or a path-like object and is
    stored as ``bytes`` (filesystem encoding, so undecodable names survive).
    """

    __slots__ = ("name",)

    name: bytes | None

    def __init__(self, name: str | bytes | os.PathLike[str] | os.PathLike[bytes] | None) -> None:
        if name is None:
            encoded = None
        elif isinstance(name, (str, bytes, os.PathLike)):
            encoded = os.fsencode(name)
        else:
            raise TypeError(
                f"UNIXAddress name must be str, bytes, a path or None, not {name!r}"
            )
        object.__setattr__(self, "name", encoded)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"UNIXAddress is immutable; cannot set {attr!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (UNIXAddress, (self.name,))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UNIXAddress):
            return NotImplemented
        if self.name == other.name:
            return True
        if self.name is None or other.name is None:
            return False
        try:
            return os.path.samefile(self.name, other.name)
        except (OSError, ValueError):
            # One of them does not exist (or cannot be stat'ed), or is a
            # Linux abstract-namespace name (a leading NUL byte, which no
            # path may contain: ValueError): names decide.
            return False

    def __hash__(self) -> int:
        # Equal-by-samefile addresses must hash alike, so an existing path
        # hashes by its (device, inode) pair rather than by its spelling.
        if self.name is None:
            return hash((UNIXAddress, None))
        try:
            status = os.stat(self.name)
        except (OSError, ValueError):  # missing, or in the abstract namespace
            return hash((UNIXAddress, self.name))
        return hash((UNIXAddress, status.st_dev, status.st_ino))

    def __repr__(self) -> str:
        shown = None if self.name is None else os.fsdecode(self.name)
        return f"UNIXAddress({shown!r})"


@implementer(IAddress)
class _ProcessAddress:
    """The address of a process transport (it has none; Twisted's private class)."""

    def __repr__(self) -> str:
        return "_ProcessAddress()"
