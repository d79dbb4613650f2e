"""Endpoints (``twisted.internet.endpoints``): where to connect, as an object.

This module owns the TCP client and server endpoints, ``HostnameEndpoint``
(name resolution plus staggered connection attempts across address
families), ``connectProtocol``, and the string descriptions parsed by
``clientFromString`` / ``serverFromString``.

How a reactor-based client endpoint connects: it wraps the user's factory
in a private ``_WrappingFactory`` and hands that to ``reactor.connectTCP``.
The wrapper's protocol, on ``connectionMade``, connects the user's protocol
to the transport and only *then* fires the endpoint's Deferred::

    connect(f) -> reactor.connectTCP(..., _WrappingFactory(f))
        -> buildProtocol: f.buildProtocol(addr) wrapped in _WrappingProtocol
        -> connectionMade: userProto.makeConnection(transport); d.callback(userProto)
        (or clientConnectionFailed: d.errback(reason))

Rules:

* The Deferred fires at most once: with the user protocol after its
  ``connectionMade`` returned, or with the connection failure.  If
  ``connectionMade`` raises, it never fires (the transport drops the
  connection and logs the error).
* The user's factory sees ``doStart``/``doStop`` and ``buildProtocol`` but
  never ``clientConnectionFailed``/``clientConnectionLost``: endpoints report
  through their Deferred only, so a ``ReconnectingClientFactory`` handed to
  an endpoint never reconnects (use ``ClientService``).
* Cancelling before the connection is made fails the Deferred with
  ``ConnectingCancelledError(destination)`` and stops the connector.
* A synchronous error from the reactor becomes a failed Deferred.

String descriptions (``tcp:host:port:timeout=5``): segments split on ``:``,
the first ``=`` in a segment makes it a keyword argument, ``\\`` escapes the
next character.  Parsers are looked up by prefix in ``_clientParsers`` /
``_serverParsers``; the ``ssl:``, ``tls:`` and ``unix:`` parsers of later
issues register there with ``_registerClientParser``/``_registerServerParser``.

Deliberate differences from Twisted (clearer errors for malformed
descriptions, same exception types): a trailing lone backslash raises
``ValueError`` (Twisted leaks ``RuntimeError("generator raised
StopIteration")``); a repeated keyword raises ``ValueError`` (Twisted keeps
the last); too many positional arguments and out-of-range ports are named in
the error; a bytes description raises ``TypeError``.

Tests: tests/unit/test_endpoints.py, tests/unit/test_endpoint_strings.py,
tests/integration/test_endpoints_real.py.
"""

from __future__ import annotations

import enum
import socket
import warnings
from collections.abc import Callable
from typing import Any

from zope.interface import alsoProvides, implementer

from plait import error
from plait._adoptedendpoint import AdoptedStreamServerEndpoint
from plait._endpointgrammar import (
    _clientFromString,
    _registerClientParser,
    _registerServerParser,
    _requireArguments,
    _serverFromString,
    _takePositional,
    _toInt,
    quoteStringArgument,
)

# Process and standard-I/O endpoints live in their own module (it registers
# the "stdio:" server parser on import).
from plait._processendpoints import (
    ProcessEndpoint,
    StandardErrorBehavior,
    StandardIOEndpoint,
)
from plait._tlsendpoints import (
    SSL4ClientEndpoint,
    SSL4ServerEndpoint,
    wrapClientTLS,
    wrapServerTLS,
)
from plait._unixendpoints import (  # + unix:, systemd:
    UNIXClientEndpoint,
    UNIXServerEndpoint,
)
from plait.address import HostnameAddress, IPv4Address, IPv6Address
from plait.defer import Deferred, execute, fail
from plait.failure import Failure
from plait.interfaces import (
    IFileDescriptorReceiver,
    IHalfCloseableProtocol,
    IHandshakeListener,
    IHostResolution,
    ILoggingContext,
    IReactorPluggableNameResolver,
    IResolutionReceiver,
    IStreamClientEndpoint,
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)
from plait.protocol import ClientFactory, Factory, Protocol, connectionDone

# Twisted's endpoints module has these names too (imported there).
from plait.stdio import PipeAddress, StandardIO  # noqa: F401 - re-exported, as Twisted's module has them

__all__ = [
    "AdoptedStreamServerEndpoint",
    "HostnameEndpoint",
    "ProcessEndpoint",
    "SSL4ClientEndpoint",
    "SSL4ServerEndpoint",
    "StandardErrorBehavior",
    "StandardIOEndpoint",
    "TCP4ClientEndpoint",
    "TCP4ServerEndpoint",
    "TCP6ClientEndpoint",
    "TCP6ServerEndpoint",
    "UNIXClientEndpoint",
    "UNIXServerEndpoint",
    "clientFromString",
    "connectProtocol",
    "quoteStringArgument",
    "serverFromString",
    "wrapClientTLS",
    "wrapServerTLS",
]


def _isLiteral(family: socket.AddressFamily, host: str) -> bool:
    """True if ``host`` is an address literal of ``family`` (IPv6 may carry ``%scope``)."""
    try:
        socket.inet_pton(family, host.split("%", 1)[0] if family == socket.AF_INET6 else host)
    except (OSError, ValueError):
        return False
    return True


def _deferToReactorThread(reactor: Any, f: Callable[..., Any], *args: Any) -> Deferred[Any]:
    """Run ``f(*args)`` in ``reactor``'s thread pool (not the global reactor's)."""
    from plait.threads import deferToThreadPool

    return deferToThreadPool(reactor, reactor.getThreadPool(), f, *args)


# --- the wrapping factory and protocol ---------------------------------------------


class _WrappingProtocol(Protocol):
    """Stands between the transport and the user's protocol.

    It forwards every event and fires the endpoint's Deferred once the
    user's ``connectionMade`` has returned.  It also provides the optional
    interfaces the user's protocol provides, so the transport offers
    half-close, handshake and descriptor events to it.
    """

    def __init__(self, connectedDeferred: Deferred[Any], wrappedProtocol: Any) -> None:
        self._connectedDeferred = connectedDeferred
        self._wrappedProtocol = wrappedProtocol
        for iface in (IHalfCloseableProtocol, IFileDescriptorReceiver, IHandshakeListener):
            if iface.providedBy(wrappedProtocol):
                alsoProvides(self, iface)

    def logPrefix(self) -> str:
        """The user protocol's prefix, so transport logs read ``Echo,client``."""
        if ILoggingContext.providedBy(self._wrappedProtocol):
            return str(self._wrappedProtocol.logPrefix())
        return str(self._wrappedProtocol.__class__.__name__)

    def connectionMade(self) -> None:
        self._wrappedProtocol.makeConnection(self.transport)
        self._connectedDeferred.callback(self._wrappedProtocol)

    def dataReceived(self, data: bytes) -> None:
        self._wrappedProtocol.dataReceived(data)

    def fileDescriptorReceived(self, descriptor: int) -> None:
        self._wrappedProtocol.fileDescriptorReceived(descriptor)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._wrappedProtocol.connectionLost(reason)

    def readConnectionLost(self) -> None:
        self._wrappedProtocol.readConnectionLost()

    def writeConnectionLost(self) -> None:
        self._wrappedProtocol.writeConnectionLost()

    def handshakeCompleted(self) -> None:
        self._wrappedProtocol.handshakeCompleted()


class _WrappingFactory(ClientFactory[Any]):
    """Wraps the user's factory for one ``connect`` call; owns its Deferred."""

    protocol = _WrappingProtocol  # type: ignore[assignment]

    def __init__(self, wrappedFactory: Any) -> None:
        self._wrappedFactory = wrappedFactory
        self._connector: Any = None
        self._onConnection: Deferred[Any] = Deferred(self._cancel)

    def _cancel(self, deferred: Deferred[Any]) -> None:
        # Fail first, so the UserError that stopConnecting() reports through
        # clientConnectionFailed finds the Deferred already fired.
        deferred.errback(error.ConnectingCancelledError(self._connector.getDestination()))
        self._connector.stopConnecting()

    def startedConnecting(self, connector: Any) -> None:
        self._connector = connector

    def doStart(self) -> None:
        self._wrappedFactory.doStart()

    def doStop(self) -> None:
        self._wrappedFactory.doStop()

    def logPrefix(self) -> str:
        if ILoggingContext.providedBy(self._wrappedFactory):
            return str(self._wrappedFactory.logPrefix())
        return str(self._wrappedFactory.__class__.__name__)

    def buildProtocol(self, addr: Any) -> Any:
        """Wrap the user's protocol; a refusal or an exception fails the Deferred."""
        try:
            userProtocol = self._wrappedFactory.buildProtocol(addr)
            if userProtocol is None:
                raise error.NoProtocol()
        except Exception:  # noqa: BLE001 - whatever it was, the Deferred reports it
            self._onConnection.errback(Failure())
            return None
        return _WrappingProtocol(self._onConnection, userProtocol)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if not self._onConnection.called:
            self._onConnection.errback(reason)


def _connectWrapped(start: Callable[[_WrappingFactory], object], protocolFactory: Any) -> Deferred[Any]:
    """Run ``start(wrappingFactory)``; return its Deferred, or the exception failed."""
    try:
        wrappingFactory = _WrappingFactory(protocolFactory)
        start(wrappingFactory)
    except Exception:  # noqa: BLE001 - endpoints report errors through the Deferred
        return fail()
    return wrappingFactory._onConnection


# --- TCP client endpoints --------------------------------------------------------


@implementer(IStreamClientEndpoint)
class TCP4ClientEndpoint:
    """Connects over TCP with ``reactor.connectTCP`` (names resolve to IPv4)."""

    def __init__(
        self, reactor: Any, host: str, port: int, timeout: float = 30, bindAddress: Any = None
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._host}:{self._port}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect; fire with the user's protocol after its ``connectionMade``."""
        return _connectWrapped(
            lambda wf: self._reactor.connectTCP(
                self._host, self._port, wf, timeout=self._timeout, bindAddress=self._bindAddress
            ),
            protocolFactory,
        )


@implementer(IStreamClientEndpoint)
class TCP6ClientEndpoint:
    """Connects over TCP/IPv6; a hostname is resolved to its first AF_INET6 address.

    Name resolution runs ``_getaddrinfo`` through ``_deferToThread``; both are
    hooks a test may replace on the instance.
    """

    _getaddrinfo = staticmethod(socket.getaddrinfo)
    _GAI_ADDRESS = 4
    _GAI_ADDRESS_HOST = 0

    def __init__(
        self, reactor: Any, host: str, port: int, timeout: float = 30, bindAddress: Any = None
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self._host}]:{self._port}>"

    def _deferToThread(self, f: Callable[..., Any], *args: Any) -> Deferred[Any]:
        return _deferToReactorThread(self._reactor, f, *args)

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect (after resolving a name); fire with the user's protocol."""
        if _isLiteral(socket.AF_INET6, self._host):
            return self._resolvedHostConnect(self._host, protocolFactory)
        d = self._nameResolution(self._host)
        d.addCallback(lambda result: result[0][self._GAI_ADDRESS][self._GAI_ADDRESS_HOST])
        d.addCallback(self._resolvedHostConnect, protocolFactory)
        return d

    def _nameResolution(self, host: str) -> Deferred[Any]:
        return self._deferToThread(self._getaddrinfo, host, 0, socket.AF_INET6)

    def _resolvedHostConnect(self, resolvedHost: str, protocolFactory: Any) -> Deferred[Any]:
        return _connectWrapped(
            lambda wf: self._reactor.connectTCP(
                resolvedHost, self._port, wf, timeout=self._timeout, bindAddress=self._bindAddress
            ),
            protocolFactory,
        )


# --- TCP server endpoints --------------------------------------------------------


@implementer(IStreamServerEndpoint)
class TCP4ServerEndpoint:
    """Listens with ``reactor.listenTCP`` on an IPv4 interface (all by default)."""

    def __init__(self, reactor: Any, port: int, backlog: int = 50, interface: str = "") -> None:
        self._reactor = reactor
        self._port = port
        self._backlog = backlog
        self._interface = interface

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._interface or '*'}:{self._port}>"

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Fire with the listening port, or fail (typically ``CannotListenError``)."""
        return execute(
            self._reactor.listenTCP,
            self._port, protocolFactory, backlog=self._backlog, interface=self._interface,
        )


class TCP6ServerEndpoint(TCP4ServerEndpoint):
    """Listens with ``reactor.listenTCP`` on an IPv6 interface (``'::'`` by default)."""

    def __init__(self, reactor: Any, port: int, backlog: int = 50, interface: str = "::") -> None:
        super().__init__(reactor, port, backlog, interface)


# --- connectProtocol ----------------------------------------------------------------


def connectProtocol(endpoint: Any, protocol: Any) -> Deferred[Any]:
    """Connect ``protocol`` (an instance) through ``endpoint``.

    Returns ``endpoint.connect(...)`` with a one-shot factory that hands out
    ``protocol``; the protocol's ``factory`` attribute is left alone (None).
    """

    class OneShotFactory(Factory[Any]):
        def buildProtocol(self, addr: Any) -> Any:
            return protocol

    return endpoint.connect(OneShotFactory())  # type: ignore[no-any-return]


# --- HostnameEndpoint --------------------------------------------------------------


@implementer(IResolutionReceiver)
class _AddressCollector:
    """Receives a name resolution's addresses and fires ``done`` with them."""

    def __init__(self, done: Callable[[list[Any]], None]) -> None:
        self._done = done
        self._addresses: list[Any] = []

    def resolutionBegan(self, resolutionInProgress: IHostResolution) -> None:
        """Nothing to do until addresses arrive."""

    def addressResolved(self, address: Any) -> None:
        self._addresses.append(address)

    def resolutionComplete(self) -> None:
        self._done(self._addresses)


@implementer(IHostResolution)
class _GAIResolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        raise NotImplementedError("a threaded getaddrinfo cannot be cancelled")


class _ThreadedGAIResolver:
    """The fallback resolver for reactors without ``nameResolver``:
    ``getaddrinfo`` run through the endpoint's ``_deferToThread`` hook."""

    def __init__(self, endpoint: HostnameEndpoint) -> None:
        self._endpoint = endpoint

    def resolveHostName(
        self, receiver: Any, hostName: str, portNumber: int = 0, *args: Any, **kwargs: Any
    ) -> _GAIResolution:
        resolution = _GAIResolution(hostName)
        receiver.resolutionBegan(resolution)
        endpoint = self._endpoint
        d = endpoint._deferToThread(endpoint._getaddrinfo, hostName, portNumber, 0, socket.SOCK_STREAM)

        def report(results: list[Any]) -> None:
            for family, _, _, _, sockaddr in results:
                if family == socket.AF_INET:
                    receiver.addressResolved(IPv4Address("TCP", sockaddr[0], sockaddr[1]))
                elif family == socket.AF_INET6:
                    receiver.addressResolved(IPv6Address("TCP", *sockaddr))

        def done(result: object) -> None:
            receiver.resolutionComplete()

        # A failed lookup (socket.gaierror) means "no addresses", as Twisted's
        # GAIResolver reports it.
        d.addCallback(report).addErrback(lambda f: f.trap(socket.gaierror)).addBoth(done)
        return resolution


class _RacePhase(enum.Enum):
    RESOLVING = "resolving"
    CONNECTING = "connecting"
    DONE = "done"


class _ConnectionRace:
    """One ``HostnameEndpoint.connect`` call: resolve, then race the addresses.

    Attempts start one per ``attemptDelay`` tick (the first at once), in
    resolver order, each through a TCP4/TCP6 client endpoint.  The first to
    connect wins and the others are cancelled.  When every address has been
    tried, the tick after the last attempt (or the last pending failure,
    whichever comes later) reports the *last* failure.
    """

    def __init__(self, endpoint: HostnameEndpoint, protocolFactory: Any) -> None:
        self._endpoint = endpoint
        self._factory = protocolFactory
        self._phase = _RacePhase.RESOLVING
        self._pending: list[Deferred[Any]] = []
        self._remaining: list[Any] = []
        self._lastFailure: Failure | None = None
        self._exhausted = False
        self._timer: Any = None
        self.result: Deferred[Any] = Deferred(self._cancel)

    def start(self, resolver: Any) -> None:
        ep = self._endpoint
        resolver.resolveHostName(_AddressCollector(self._resolved), ep._hostText, portNumber=ep._port)

    def _resolved(self, addresses: list[Any]) -> None:
        if self._phase is not _RacePhase.RESOLVING:
            return  # cancelled while resolving
        ep = self._endpoint
        for address in addresses:
            if isinstance(address, IPv6Address):
                self._remaining.append(
                    TCP6ClientEndpoint(ep._reactor, address.host, address.port, ep._timeout, ep._bindAddress)
                )
            elif isinstance(address, IPv4Address):
                self._remaining.append(
                    TCP4ClientEndpoint(ep._reactor, address.host, address.port, ep._timeout, ep._bindAddress)
                )
        if not self._remaining:
            self._finish(Failure(error.DNSLookupError(f"no results for hostname lookup: {ep._hostText}")))
            return
        self._phase = _RacePhase.CONNECTING
        self._tick()

    def _tick(self) -> None:
        """Start the next attempt, or notice that none are left."""
        self._timer = None
        if not self._remaining:
            self._exhausted = True
            self._checkAllFailed()
            return
        attempt = self._remaining.pop(0).connect(self._factory)
        self._pending.append(attempt)
        attempt.addBoth(self._attemptDone, attempt)
        if self._phase is _RacePhase.CONNECTING:
            self._timer = self._endpoint._reactor.callLater(self._endpoint._attemptDelay, self._tick)

    def _attemptDone(self, result: Any, attempt: Deferred[Any]) -> None:
        self._pending.remove(attempt)
        if self._phase is not _RacePhase.CONNECTING:
            return  # a loser we cancelled ourselves
        if isinstance(result, Failure):
            self._lastFailure = result
            self._checkAllFailed()
        else:
            self._finish(result)
        return

    def _checkAllFailed(self) -> None:
        if self._exhausted and not self._pending and self._phase is _RacePhase.CONNECTING:
            assert self._lastFailure is not None
            self._finish(self._lastFailure)

    def _finish(self, result: Any) -> None:
        """Fire the result once, then stop the timer and cancel the losers."""
        self._phase = _RacePhase.DONE
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for loser in list(self._pending):
            loser.cancel()
        if isinstance(result, Failure):
            self.result.errback(result)
        else:
            self.result.callback(result)

    def _cancel(self, d: Deferred[Any]) -> None:
        ep = self._endpoint
        if self._phase is _RacePhase.RESOLVING:
            # Twisted reports a cancelled lookup as a failed lookup.
            self._finish(Failure(error.DNSLookupError(f"Couldn't find the hostname '{ep._hostText}'")))
        elif self._phase is _RacePhase.CONNECTING:
            self._finish(Failure(error.ConnectingCancelledError(HostnameAddress(ep._hostBytes, ep._port))))


@implementer(IStreamClientEndpoint)
class HostnameEndpoint:
    """Connects to a hostname: resolve it, then race its addresses.

    Resolution uses ``reactor.nameResolver`` (all address families, in the
    resolver's order).  Connection attempts start ``attemptDelay`` seconds
    apart (default 0.3), the first at once; the first to connect wins and the
    rest are cancelled; if all fail, the last failure is reported.
    ``timeout`` applies to each attempt.  Cancelling during resolution fails
    with ``DNSLookupError``, afterwards with ``ConnectingCancelledError``.
    """

    _getaddrinfo = staticmethod(socket.getaddrinfo)
    _DEFAULT_ATTEMPT_DELAY = 0.3

    def __init__(
        self,
        reactor: Any,
        host: str | bytes,
        port: int,
        timeout: float = 30,
        bindAddress: Any = None,
        attemptDelay: float | None = None,
    ) -> None:
        self._reactor = reactor
        self._nameResolver(reactor)  # warn now, where the caller can see it
        self._badHostname, self._hostBytes, self._hostText = self._hostAsBytesAndText(host)
        self._port = port
        self._timeout = timeout
        if isinstance(bindAddress, (bytes, str)):
            bindAddress = (bindAddress, 0)
        if bindAddress is not None and isinstance(bindAddress[0], bytes):
            bindAddress = (bindAddress[0].decode(), bindAddress[1])
        self._bindAddress = bindAddress
        self._attemptDelay = self._DEFAULT_ATTEMPT_DELAY if attemptDelay is None else attemptDelay

    def __repr__(self) -> str:
        if self._badHostname:
            host = self._hostText
        elif _isLiteral(socket.AF_INET6, self._hostText):
            host = f"[{self._hostText}]"
        else:
            host = self._hostBytes.decode("ascii")
        return f"<HostnameEndpoint {host}:{self._port}>"

    def _deferToThread(self, f: Callable[..., Any], *args: Any) -> Deferred[Any]:
        return _deferToReactorThread(self._reactor, f, *args)

    def _nameResolver(self, reactor: Any) -> Any:
        if IReactorPluggableNameResolver.providedBy(reactor):
            return reactor.nameResolver
        warnings.warn(
            "Passing HostnameEndpoint a reactor that does not provide "
            f"IReactorPluggableNameResolver ({type(reactor).__module__}."
            f"{type(reactor).__qualname__}) was deprecated in Twisted 17.5.0; "
            "please use a reactor that provides IReactorPluggableNameResolver instead",
            DeprecationWarning,
            stacklevel=3,
        )
        return _ThreadedGAIResolver(self)

    @staticmethod
    def _hostAsBytesAndText(host: str | bytes) -> tuple[bool, bytes, str]:
        """Return ``(bad, idnaBytes, text)`` for a hostname given as text or bytes."""
        # A bad hostname is kept backslash-escaped (bytes and text alike), so
        # that the "invalid hostname" error never carries raw control or
        # non-ASCII characters, as Twisted's.
        if isinstance(host, bytes):
            text = host.decode("ascii", "backslashreplace")
            if _isLiteral(socket.AF_INET, text) or _isLiteral(socket.AF_INET6, text):
                return False, host, text
            try:
                return False, host, host.decode("idna")
            except UnicodeError:
                return True, text.encode("ascii"), text
        if _isLiteral(socket.AF_INET, host) or _isLiteral(socket.AF_INET6, host):
            return False, host.encode("ascii"), host
        # Imported here, as the idna codec below does anyway: only a textual
        # hostname needs it, and not every program that imports endpoints.
        import unicodedata

        text = unicodedata.normalize("NFC", host)
        try:
            return False, text.encode("idna"), text
        except UnicodeError:
            escaped = text.encode("ascii", "backslashreplace")
            return True, escaped, escaped.decode("ascii")

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Resolve and race; fire with the winning connection's user protocol."""
        if self._badHostname:
            return fail(ValueError(f"invalid hostname: {self._hostText}"))
        race = _ConnectionRace(self, protocolFactory)
        try:
            race.start(self._nameResolver(self._reactor))
        except Exception:  # noqa: BLE001 - a broken resolver fails the Deferred
            return fail()
        return race.result


# --- string descriptions (the grammar is in plait._endpointgrammar) ----------------


@implementer(IStreamClientEndpointStringParserWithReactor)
class _TCPClientParser:
    """``tcp:host:port[:timeout=30][:bindAddress=ADDR]`` -> TCP4ClientEndpoint."""

    prefix = "tcp"

    def parseStreamClient(self, reactor: Any, *args: str, **kwargs: str) -> Any:
        params: dict[str, Any] = _takePositional(("host", "port"), args, kwargs)
        _requireArguments(params, ("host", "port"), "a TCP client is tcp:HOST:PORT, e.g. tcp:localhost:8000")
        if "port" in params:
            params["port"] = _toInt("port", params["port"], isPort=True)
        if "timeout" in params:
            params["timeout"] = _toInt("timeout", params["timeout"])
        if "bindAddress" in params:
            params["bindAddress"] = (params["bindAddress"], 0)
        return TCP4ClientEndpoint(reactor, **params)


@implementer(IStreamServerEndpointStringParser)
class _TCPServerParser:
    """``tcp:port[:interface=][:backlog=50]`` (or ``tcp6:``) -> a TCP server endpoint."""

    def __init__(self, prefix: str, endpointClass: Callable[..., Any]) -> None:
        self.prefix = prefix
        self._endpointClass = endpointClass

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> Any:
        params: dict[str, Any] = _takePositional(("port", "interface", "backlog"), args, kwargs)
        _requireArguments(
            params, ("port",), f"a TCP server is {self.prefix}:PORT, e.g. {self.prefix}:8000:interface=127.0.0.1"
        )
        if "port" in params:
            params["port"] = _toInt("port", params["port"], isPort=True)
        if "backlog" in params:
            params["backlog"] = _toInt("backlog", params["backlog"])
        return self._endpointClass(reactor, **params)


_registerClientParser(_TCPClientParser())
_registerServerParser(_TCPServerParser("tcp", TCP4ServerEndpoint))
_registerServerParser(_TCPServerParser("tcp6", TCP6ServerEndpoint))


def clientFromString(reactor: Any, description: str) -> Any:
    """Build a client endpoint from a description such as ``"tcp:127.0.0.1:80"``.

    Raises ``ValueError("Unknown endpoint type: 'xyz'")`` for an unknown
    prefix, ``TypeError`` for missing or unexpected arguments, ``ValueError``
    for non-numeric or out-of-range numbers; messages end with ``in endpoint
    description '...'``.
    """
    return _clientFromString(reactor, description)


def serverFromString(reactor: Any, description: str) -> Any:
    """Build a server endpoint from a description such as ``"tcp:8080:interface=127.0.0.1"``."""
    return _serverFromString(reactor, description)


def __getattr__(name: str) -> Any:
    """``TLSMemoryBIOFactory``, which Twisted re-exports here, imported on
    first use: ``plait.tls`` loads the ``ssl`` module, which most programs
    that import endpoints never need."""
    if name == "TLSMemoryBIOFactory":
        from plait.tls import TLSMemoryBIOFactory

        return TLSMemoryBIOFactory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
