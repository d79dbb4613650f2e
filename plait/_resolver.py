"""Hostname resolution for the reactor (``twisted.internet._resolver``).

Owns the default ``IHostnameResolver`` (``GAIResolver``: ``getaddrinfo`` in
the reactor's thread pool, IPv4 and IPv6), the two adapters that let a
reactor offer both resolver interfaces whichever one the user installed
(``SimpleResolverComplexifier``: IResolverSimple -> IHostnameResolver;
``ComplexResolverSimplifier``: IHostnameResolver -> IResolverSimple), and
``PluggableResolverMixin``, the reactor's ``resolve``/``install*Resolver``.

Rules:

* A receiver sees ``resolutionBegan`` once, then zero or more
  ``addressResolved``, then ``resolutionComplete`` once, all in the reactor
  thread.  After ``IHostResolution.cancel()`` it sees nothing more.
* IP literals are answered at once, inside ``resolveHostName``, without a
  thread.  ``socket.gaierror`` means "no addresses", never an error.
* The simple adapter fails with ``DNSLookupError(name)`` when no IPv4
  address comes back.
* ``getaddrinfo`` is a constructor argument, so tests never need real DNS.

Tests: tests/integration/test_resolver.py.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

from zope.interface import implementer

from plait import log
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred, fail, succeed
from plait.error import DNSLookupError
from plait.failure import Failure
from plait.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IReactorPluggableNameResolver,
    IReactorPluggableResolver,
    IResolutionReceiver,
    IResolverSimple,
)

__all__ = [
    "BlockingResolver",
    "ComplexResolverSimplifier",
    "GAIResolver",
    "HostResolution",
    "PluggableResolverMixin",
    "SimpleResolverComplexifier",
    "ThreadedResolver",
]

_ANY = frozenset([IPv4Address, IPv6Address])
_FAMILY_FOR_TYPES = {
    frozenset([IPv4Address]): socket.AF_INET,
    frozenset([IPv6Address]): socket.AF_INET6,
    _ANY: socket.AF_UNSPEC,
}
_SOCKTYPE_FOR_TRANSPORT = {"TCP": socket.SOCK_STREAM, "UDP": socket.SOCK_DGRAM}
_TRANSPORT_FOR_SOCKTYPE = {socket.SOCK_STREAM: "TCP", socket.SOCK_DGRAM: "UDP"}


@implementer(IHostResolution)
class HostResolution:
    """One resolution in progress; ``cancel()`` silences its receiver."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._delivering = True  # False once cancelled or complete

    def cancel(self) -> None:
        """Deliver nothing more to the receiver (no-op once complete)."""
        self._delivering = False

    def __repr__(self) -> str:
        return f"<HostResolution {self.name!r}>"


def _family(addressTypes: Sequence[type] | None) -> int:
    types = _ANY if addressTypes is None else frozenset(addressTypes)
    try:
        return _FAMILY_FOR_TYPES[types]
    except KeyError:
        raise ValueError(f"unsupported addressTypes {addressTypes!r}") from None


def _literalAddress(hostName: str, port: int, family: int, transport: str) -> list[Any] | None:
    """Return the address list for an IP literal, or None for a name."""
    if "%" in hostName:
        return None  # scoped IPv6: let getaddrinfo map the scope to an index
    import ipaddress  # here, not at the top: only resolution needs it (import time)

    try:
        ip = ipaddress.ip_address(hostName)
    except ValueError:
        return None
    if ip.version == 4:
        wanted = family in (socket.AF_UNSPEC, socket.AF_INET)
        return [IPv4Address(transport, hostName, port)] if wanted else []
    wanted = family in (socket.AF_UNSPEC, socket.AF_INET6)
    return [IPv6Address(transport, hostName, port, 0, 0)] if wanted else []


@implementer(IHostnameResolver)
class GAIResolver:
    """Resolve names with ``getaddrinfo`` in a thread pool.

    ``getThreadPool`` defaults to ``reactor.getThreadPool``; ``getaddrinfo``
    to ``socket.getaddrinfo``.  Results are delivered with
    ``reactor.callFromThread``'s guarantees (in the reactor thread).
    """

    def __init__(
        self,
        reactor: Any,
        getThreadPool: Callable[[], Any] | None = None,
        getaddrinfo: Callable[..., Sequence[Any]] = socket.getaddrinfo,
    ) -> None:
        self._reactor = reactor
        self._getThreadPool = reactor.getThreadPool if getThreadPool is None else getThreadPool
        self._getaddrinfo = getaddrinfo

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type] | None = None,
        transportSemantics: str = "TCP",
    ) -> HostResolution:
        """Start resolving ``hostName``; see ``IHostnameResolver``."""
        family = _family(addressTypes)
        try:
            socktype = _SOCKTYPE_FOR_TRANSPORT[transportSemantics]
        except KeyError:
            raise ValueError(f"unsupported transportSemantics {transportSemantics!r}") from None
        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        literal = _literalAddress(hostName, portNumber, family, transportSemantics)
        if literal is not None:
            _deliver(resolution, resolutionReceiver, literal)
            return resolution

        def lookup() -> list[Any]:
            try:
                infos = self._getaddrinfo(hostName, portNumber, family, socktype)
            except socket.gaierror:
                return []
            return [_toAddress(info) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]

        def onResult(success: bool, result: Any) -> None:
            # In a worker thread: hand the outcome to the reactor thread.
            self._reactor.callFromThread(finish, success, result)

        def finish(success: bool, result: Any) -> None:
            if not success:
                log.err(result, f"while resolving {hostName!r}")
                result = []
            _deliver(resolution, resolutionReceiver, result)

        self._getThreadPool().callInThreadWithCallback(onResult, lookup)
        return resolution


def _toAddress(info: tuple[Any, ...]) -> Any:
    family, socktype, _proto, _canonname, sockaddr = info
    transport = _TRANSPORT_FOR_SOCKTYPE.get(socktype, "TCP")
    if family == socket.AF_INET:
        return IPv4Address(transport, sockaddr[0], sockaddr[1])
    return IPv6Address(transport, *sockaddr)


def _deliver(resolution: HostResolution, receiver: Any, addresses: list[Any]) -> None:
    for address in addresses:
        if not resolution._delivering:
            return
        receiver.addressResolved(address)
    if resolution._delivering:
        resolution._delivering = False
        receiver.resolutionComplete()


@implementer(IHostnameResolver)
class SimpleResolverComplexifier:
    """Offer an ``IResolverSimple`` as an ``IHostnameResolver`` (IPv4 only)."""

    def __init__(self, simpleResolver: Any) -> None:
        self._simpleResolver = simpleResolver

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type] | None = None,
        transportSemantics: str = "TCP",
    ) -> HostResolution:
        """Resolve through ``getHostByName``; a DNSLookupError means no addresses."""
        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def found(host: str) -> None:
            _deliver(resolution, resolutionReceiver, [IPv4Address("TCP", host, portNumber)])

        def failed(reason: Failure) -> None:
            if not reason.check(DNSLookupError):
                log.err(reason, f"while looking up {hostName!r} with {self._simpleResolver!r}")
            _deliver(resolution, resolutionReceiver, [])

        self._simpleResolver.getHostByName(hostName).addCallbacks(found, failed)
        return resolution


@implementer(IResolutionReceiver)
class _FirstIPv4:
    """Fire a Deferred with the first address, or DNSLookupError if none."""

    def __init__(self, deferred: Deferred[str]) -> None:
        self._deferred = deferred
        self._name = ""

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        self._name = resolutionInProgress.name

    def addressResolved(self, address: Any) -> None:
        if not self._deferred.called and isinstance(address, IPv4Address):
            self._deferred.callback(address.host)

    def resolutionComplete(self) -> None:
        if not self._deferred.called:
            self._deferred.errback(DNSLookupError(self._name))


@implementer(IResolverSimple)
class ComplexResolverSimplifier:
    """Offer an ``IHostnameResolver`` as an ``IResolverSimple``."""

    def __init__(self, nameResolver: Any) -> None:
        self._nameResolver = nameResolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Return a Deferred firing with the first IPv4 address of ``name``."""
        result: Deferred[str] = Deferred()
        self._nameResolver.resolveHostName(_FirstIPv4(result), name, 0, [IPv4Address])
        return result


@implementer(IResolverSimple)
class ThreadedResolver:
    """Twisted's older ``IResolverSimple``: ``gethostbyname`` in the reactor's pool.

    The lookup is given ``sum(timeout)`` seconds (60 if ``timeout`` is
    empty); after that the Deferred fails with
    ``DNSLookupError("address 'name' not found: timeout error")``, and a
    failed lookup with ``... not found: <error>``.
    """

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self._pending: dict[int, tuple[Deferred[str], Any]] = {}

    @staticmethod
    def _fail(name: str, reason: str) -> Failure:
        return Failure(DNSLookupError(f"address {name!r} not found: {reason}"))

    def getHostByName(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Resolve ``name`` to one IPv4 address, in a thread."""
        result: Deferred[str] = Deferred()
        key = id(result)

        def timedOut() -> None:
            self._pending.pop(key, None)
            result.errback(self._fail(name, "timeout error"))

        def finish(success: bool, outcome: Any) -> None:
            entry = self._pending.pop(key, None)
            if entry is None:
                return  # timed out already
            entry[1].cancel()
            if success:
                result.callback(outcome)
            else:
                result.errback(self._fail(name, outcome.getErrorMessage()))

        def onResult(success: bool, outcome: Any) -> None:
            self.reactor.callFromThread(finish, success, outcome)

        timer = self.reactor.callLater(sum(timeout) if timeout else 60, timedOut)
        self._pending[key] = (result, timer)
        self.reactor.getThreadPool().callInThreadWithCallback(onResult, socket.gethostbyname, name)
        return result


@implementer(IResolverSimple)
class BlockingResolver:
    """An ``IResolverSimple`` that calls ``gethostbyname`` right away, blocking."""

    def getHostByName(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """An already-fired Deferred: the address, or ``DNSLookupError``."""
        try:
            address = socket.gethostbyname(name)
        except OSError:
            return fail(DNSLookupError(f"address {name!r} not found"))
        return succeed(address)


def _isIPv4Literal(name: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET, name)
    except (OSError, ValueError):
        return False
    return True


@implementer(IReactorPluggableResolver, IReactorPluggableNameResolver)
class PluggableResolverMixin:
    """The resolution part of a reactor: ``resolve`` and the pluggable resolvers.

    Self-contained: ``_initResolvers`` is handed the default
    ``IHostnameResolver``; nothing else of the reactor is used.  Installing
    either kind of resolver also installs an adapter as the other kind.
    """

    resolver: Any
    _nameResolver: Any

    def _initResolvers(self, nameResolver: Any) -> None:
        self._nameResolver = nameResolver
        self.resolver = ComplexResolverSimplifier(nameResolver)

    def resolve(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Return a Deferred firing with an IPv4 address for ``name``.

        ``""`` gives ``0.0.0.0`` and an IPv4 literal itself, without a lookup.
        """
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        if not name:
            return succeed("0.0.0.0")
        if _isIPv4Literal(name):
            return succeed(name)
        d: Deferred[str] = self.resolver.getHostByName(name, timeout)
        return d

    @property
    def nameResolver(self) -> Any:
        """The installed ``IHostnameResolver``."""
        return self._nameResolver

    def installResolver(self, resolver: Any) -> Any:
        """Install an ``IResolverSimple``; return the previous one."""
        if not IResolverSimple.providedBy(resolver):
            raise TypeError(f"{resolver!r} does not provide IResolverSimple")
        previous = self.resolver
        self.resolver = resolver
        self._nameResolver = SimpleResolverComplexifier(resolver)
        return previous

    def installNameResolver(self, resolver: Any) -> Any:
        """Install an ``IHostnameResolver``; return the previous one."""
        if not IHostnameResolver.providedBy(resolver):
            raise TypeError(f"{resolver!r} does not provide IHostnameResolver")
        previous = self._nameResolver
        self._nameResolver = resolver
        self.resolver = ComplexResolverSimplifier(resolver)
        return previous
