"""Services that listen, connect or tick (``twisted.application.internet``).

What it owns:

* ``TCPServer``, ``TCPClient``, ``UNIXServer``, ``UNIXClient``,
  ``SSLServer``, ``SSLClient``, ``UDPServer``, ``UNIXDatagramServer``,
  ``UNIXDatagramClient``, ``MulticastServer``: each calls the reactor's
  ``listenXXX``/``connectXXX`` with exactly the arguments it was given
  (``TCPServer(8000, factory, interface="127.0.0.1")`` is
  ``reactor.listenTCP(8000, factory, interface="127.0.0.1")``) when it
  starts, and ``stopListening``/``disconnect`` when it stops.  A
  ``reactor=`` keyword picks the reactor (default: the global one, read at
  start).  The reactor must have the method: whether UNIX, SSL or UDP work
  is up to the reactor.
* ``StreamServerEndpointService``: listens on an endpoint.
* ``TimerService``: calls a function every ``step`` seconds.
* ``CooperatorService``: runs a ``task.Cooperator``.
* ``ClientService``/``backoffPolicy``: ``plait.service``'s, re-exported.

Ordering (Twisted's): a server listens in ``privilegedStartService`` (so
before privileges are dropped) if the collection calls it, else in
``startService``; a client connects in ``startService``.  Stopping a
server returns ``stopListening()``'s Deferred.

Tests: tests/unit/test_application.py, tests/integration/test_application_real.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plait import log
from plait.application.service import Service
from plait.defer import CancelledError, Deferred
from plait.failure import Failure
from plait.service import ClientService, backoffPolicy
from plait.task import Cooperator, LoopingCall

__all__ = [
    "ClientService", "CooperatorService", "MulticastServer", "SSLClient", "SSLServer",
    "StreamServerEndpointService", "TCPClient", "TCPServer", "TimerService", "UDPServer",
    "UNIXClient", "UNIXDatagramClient", "UNIXDatagramServer", "UNIXServer", "backoffPolicy",
]


def _reactorOf(service: Any) -> Any:
    """The service's reactor, or the global one (read when first needed)."""
    if service.reactor is not None:
        return service.reactor
    from plait import reactor

    return reactor


class _VolatileDataService(Service):
    """A service whose ``volatile`` attributes are left out when pickled."""

    volatile: ClassVar[list[str]] = []

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for name in self.volatile:
            state.pop(name, None)
        return state


class _AbstractServer(_VolatileDataService):
    """Calls ``reactor.listen<method>(*args, **kwargs)`` when started."""

    volatile: ClassVar[list[str]] = ["_port"]
    method: str = ""
    reactor: Any = None
    _port: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        if "reactor" in kwargs:
            self.reactor = kwargs.pop("reactor")
        self.kwargs = kwargs

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        self._port = self._getPort()

    def startService(self) -> None:
        super().startService()
        if self._port is None:
            self._port = self._getPort()

    def stopService(self) -> Deferred[None] | None:
        super().stopService()
        port, self._port = self._port, None
        if port is not None:
            return port.stopListening()  # type: ignore[no-any-return]
        return None

    def _getPort(self) -> Any:
        """Listen (Twisted's hook name); the reactor method's result."""
        return getattr(_reactorOf(self), f"listen{self.method}")(*self.args, **self.kwargs)


class _AbstractClient(_VolatileDataService):
    """Calls ``reactor.connect<method>(*args, **kwargs)`` when started."""

    volatile: ClassVar[list[str]] = ["_connection"]
    method: str = ""
    reactor: Any = None
    _connection: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        if "reactor" in kwargs:
            self.reactor = kwargs.pop("reactor")
        self.kwargs = kwargs

    def startService(self) -> None:
        super().startService()
        self._connection = self._getConnection()

    def stopService(self) -> None:
        super().stopService()
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.disconnect()

    def _getConnection(self) -> Any:
        """Connect (Twisted's hook name); the connector."""
        return getattr(_reactorOf(self), f"connect{self.method}")(*self.args, **self.kwargs)


def _serviceClass(transport: str, side: str) -> type:
    base = _AbstractServer if side == "Server" else _AbstractClient
    verb = "listen" if side == "Server" else "connect"
    doc = (f"Calls ``reactor.{verb}{transport}(*args, **kwargs)`` when started "
           f"(see ``{verb}{transport}`` for the arguments).")
    return type(f"{transport}{side}", (base,), {"method": transport, "__doc__": doc,
                                                "__module__": __name__})


TCPServer = _serviceClass("TCP", "Server")
TCPClient = _serviceClass("TCP", "Client")
UNIXServer = _serviceClass("UNIX", "Server")
UNIXClient = _serviceClass("UNIX", "Client")
SSLServer = _serviceClass("SSL", "Server")
SSLClient = _serviceClass("SSL", "Client")
UDPServer = _serviceClass("UDP", "Server")
UNIXDatagramServer = _serviceClass("UNIXDatagram", "Server")
UNIXDatagramClient = _serviceClass("UNIXDatagram", "Client")
MulticastServer = _serviceClass("Multicast", "Server")


class TimerService(_VolatileDataService):
    """Calls ``callable(*args, **kwargs)`` every ``step`` seconds while running.

    The first call is at start.  If the call fails, the failure is logged
    and the timer stops.  ``clock`` (default: the global reactor) drives it.
    """

    volatile: ClassVar[list[str]] = ["_loop", "_loopFinished"]
    clock: Any = None
    _loop: LoopingCall | None = None
    _loopFinished: Deferred[Any] | None = None

    def __init__(self, step: float, callable: Any, *args: Any, **kwargs: Any) -> None:
        self.step = step
        self.call = (callable, args, kwargs)

    def startService(self) -> None:
        super().startService()
        callable, args, kwargs = self.call
        # Not the global reactor here: LoopingCall reads it itself if needed.
        loop = self._loop = LoopingCall(callable, *args, **kwargs)
        if self.clock is not None:
            loop.clock = self.clock
        self._loopFinished = loop.start(self.step, now=True)
        self._loopFinished.addErrback(self._failed)

    def _failed(self, why: Failure) -> None:
        # The loop stopped itself; stopService must not stop it again.
        assert self._loop is not None
        self._loop.running = False
        log.err(why)

    def stopService(self) -> Deferred[Any] | None:
        """Stop the timer; the Deferred fires once a call in progress finished."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        finished = self._loopFinished
        if finished is None:
            return super().stopService()
        finished.addCallback(lambda _: Service.stopService(self))
        return finished


class CooperatorService(Service):
    """Runs a ``task.Cooperator`` while the service runs (``coiterate`` on it)."""

    def __init__(self) -> None:
        self.coop = Cooperator(started=False)

    def coiterate(self, iterator: Any) -> Deferred[Any]:
        return self.coop.coiterate(iterator)

    def startService(self) -> None:
        self.coop.start()

    def stopService(self) -> None:
        self.coop.stop()


class StreamServerEndpointService(Service):
    """Listens with ``endpoint.listen(factory)`` while running.

    A listen failure is logged (or, with ``_raiseSynchronously`` set, raised
    from ``privilegedStartService``/``startService``).  Stopping cancels a
    listen still in progress, stops the port, and fires once it is closed.
    """

    _raiseSynchronously = False
    _waitingForPort: Deferred[Any] | None = None

    def __init__(self, endpoint: Any, factory: Any) -> None:
        self.endpoint = endpoint
        self.factory = factory

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        self._waitingForPort = self.endpoint.listen(self.factory)
        raisedNow: list[Failure] = []

        def handleIt(err: Failure) -> None:
            if self._raiseSynchronously:
                raisedNow.append(err)
            elif not err.check(CancelledError):
                log.err(err)

        self._waitingForPort.addErrback(handleIt)
        if raisedNow:
            raisedNow[0].raiseException()
        self._raiseSynchronously = False

    def startService(self) -> None:
        super().startService()
        if self._waitingForPort is None:
            self.privilegedStartService()

    def stopService(self) -> Deferred[Any]:
        assert self._waitingForPort is not None, "stopService() before startService()"
        self._waitingForPort.cancel()

        def stopIt(port: Any) -> Any:
            if port is not None:
                return port.stopListening()
            return None

        def stopped(passthrough: Any) -> Any:
            self.running = False
            return passthrough

        return self._waitingForPort.addCallback(stopIt).addBoth(stopped)



