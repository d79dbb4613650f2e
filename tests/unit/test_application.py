"""plait.application: services, collections, the Application, and the internet services.

Sans-IO: the internet services run on a MemoryReactorClock (which records
listenTCP/connectTCP calls and their arguments) and a task.Clock.  The
same services on real sockets: tests/integration/test_application_real.py.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.application import internet, service
from plait.defer import Deferred, fail, succeed
from plait.endpoints import TCP4ServerEndpoint
from plait.protocol import ClientFactory, Factory, Protocol
from plait.task import Clock
from plait.testing import MemoryReactorClock
from tests.helpers import successResultOf


class Recording(service.Service):
    """A service that records its lifecycle calls in a shared list."""

    def __init__(self, name: str, calls: list[str], stop: Any = None) -> None:
        self.setName(name)
        self.calls = calls
        self.stopResult = stop

    def privilegedStartService(self) -> None:
        self.calls.append(f"privileged {self.name}")

    def startService(self) -> None:
        super().startService()
        self.calls.append(f"start {self.name}")

    def stopService(self) -> Any:
        super().stopService()
        self.calls.append(f"stop {self.name}")
        return self.stopResult


# -- Service and MultiService ---------------------------------------------------


def test_serviceBookkeeping() -> None:
    s = service.Service()
    assert verifyObject(service.IService, s)
    assert (s.running, s.name, s.parent) == (False, None, None)
    s.setName("one")
    s.startService()
    assert s.running
    assert s.stopService() is None and not s.running
    parent = service.MultiService()
    s.setServiceParent(parent)
    assert s.parent is parent and parent.getServiceNamed("one") is s
    with pytest.raises(RuntimeError, match="cannot change name when parent exists"):
        s.setName("two")
    assert s.disownServiceParent() is None
    assert s.parent is None and list(parent) == []
    with pytest.raises(RuntimeError):
        s.disownServiceParent()


def test_multiServiceOrdering() -> None:
    """Children start in the order added and stop in reverse; stop is a DeferredList."""
    calls: list[str] = []
    parent = service.MultiService()
    for name in ["a", "b", "c"]:
        Recording(name, calls).setServiceParent(parent)
    parent.privilegedStartService()
    parent.startService()
    results = successResultOf(parent.stopService())
    assert calls == ["privileged a", "privileged b", "privileged c",
                     "start a", "start b", "start c", "stop c", "stop b", "stop a"]
    assert results == [(True, None)] * 3
    assert not parent.running


def test_multiServiceStopWaitsForDeferredStops() -> None:
    calls: list[str] = []
    slow: Deferred[None] = Deferred()
    failing: Deferred[None] = fail(KeyError("k"))
    parent = service.MultiService()
    Recording("slow", calls, stop=slow).setServiceParent(parent)
    Recording("failing", calls, stop=failing).setServiceParent(parent)
    parent.startService()
    d = parent.stopService()
    assert not d.called
    slow.callback(None)
    [(okFailing, failure), (okSlow, _)] = successResultOf(d)
    assert (okFailing, okSlow) == (False, True) and failure.check(KeyError)
    # DeferredList leaves the failure in the child's Deferred (Twisted's
    # consumeErrors=False): handled here, else it is logged when collected.
    failing.addErrback(lambda f: None)


def test_addingToARunningCollectionStartsIt() -> None:
    calls: list[str] = []
    parent = service.MultiService()
    parent.startService()
    child = Recording("late", calls, stop=succeed("stopped"))
    child.setServiceParent(parent)
    assert calls == ["privileged late", "start late"]
    assert parent.removeService(child) is child.stopResult
    assert calls[-1] == "stop late"


def test_duplicateNames() -> None:
    parent = service.MultiService()
    parent.addService(Recording("x", []))
    with pytest.raises(RuntimeError, match="cannot have two services with same name 'x'"):
        parent.addService(Recording("x", []))


def test_pickledServiceIsNotRunning() -> None:
    s = service.Service()
    s.startService()
    assert not pickle.loads(pickle.dumps(s)).running


# -- Application ---------------------------------------------------------------------


def test_applicationParts() -> None:
    app = service.Application("myapp", uid=1000, gid=1000)
    top = service.IService(app)
    assert isinstance(top, service.MultiService) and top.name == "myapp"
    assert service.IServiceCollection(app) is top
    process = service.IProcess(app)
    assert (process.uid, process.gid, process.processName) == (1000, 1000, None)
    child = service.Service()
    child.setServiceParent(app)  # adapted to its collection, as in Twisted
    assert child.parent is top and list(top) == [child]
    assert repr(app) == "<Application 'myapp'>"


def test_loadApplication(tmp_path: Path) -> None:
    tac = tmp_path / "app.tac"
    tac.write_text("from plait.application import service\napplication = service.Application('fromfile')\n")
    app = service.loadApplication(str(tac), "python")
    assert service.IService(app).name == "fromfile"
    pickled = tmp_path / "app.pickle"
    pickled.write_bytes(pickle.dumps(service.MultiService()))
    assert isinstance(service.loadApplication(str(pickled), "pickle"), service.MultiService)
    with pytest.raises(ValueError, match="unsupported application file kind 'xml'"):
        service.loadApplication(str(tac), "xml")
    with pytest.raises(ValueError, match="encrypted"):
        service.loadApplication(str(tac), "python", passphrase="x")


def test_serviceMaker() -> None:
    maker = service.ServiceMaker("Plait app", "tests.unit.test_application", "desc", "plaitapp")
    assert maker.options is Options and maker.makeService is makeService
    assert verifyObject(service.IServiceMaker, maker)


class Options(dict[str, Any]):
    pass


def makeService(options: Any) -> service.Service:
    return service.Service()


# -- the internet services --------------------------------------------------------------


def test_tcpServerListensWithItsArguments() -> None:
    reactor = MemoryReactorClock()
    factory = Factory.forProtocol(Protocol)
    server = internet.TCPServer(8000, factory, interface="127.0.0.1", reactor=reactor)
    assert (server.method, server.args, server.kwargs) == ("TCP", (8000, factory), {"interface": "127.0.0.1"})
    server.privilegedStartService()  # listens before privileges are dropped
    assert len(reactor.tcpServers) == 1
    server.startService()  # does not listen twice
    assert reactor.tcpServers == [(8000, factory, 50, "127.0.0.1")]
    port = server._port
    stopped: list[Any] = []
    port.stopListening = lambda: stopped.append(port)  # type: ignore[method-assign]
    server.stopService()
    assert stopped == [port] and server._port is None


def test_tcpClientConnectsAndDisconnects() -> None:
    reactor = MemoryReactorClock()
    factory = ClientFactory.forProtocol(Protocol)
    client = internet.TCPClient("127.0.0.1", 6667, factory, timeout=5, reactor=reactor)
    client.startService()
    [(host, port, given, timeout, bind)] = reactor.tcpClients
    assert (host, port, given, timeout, bind) == ("127.0.0.1", 6667, factory, 5, None)
    connector = client._connection
    client.stopService()
    assert connector._disconnected and client._connection is None


def test_everyTransportHasItsServiceClass() -> None:
    for name, method in [("UNIXServer", "UNIX"), ("UNIXClient", "UNIX"), ("SSLServer", "SSL"),
                         ("SSLClient", "SSL"), ("UDPServer", "UDP"), ("UNIXDatagramServer", "UNIXDatagram"),
                         ("UNIXDatagramClient", "UNIXDatagram"), ("MulticastServer", "Multicast")]:
        klass = getattr(internet, name)
        assert klass.method == method and klass.__module__ == "plait.application.internet"
    reactor = MemoryReactorClock()
    factory = Factory.forProtocol(Protocol)
    internet.UNIXServer("/tmp/never-bound", factory, reactor=reactor).startService()
    assert reactor.unixServers[0][:2] == ("/tmp/never-bound", factory)


def test_internetServicesPickleWithoutTheirVolatileParts() -> None:
    server = internet.TCPServer(0, Factory(), reactor=None)
    server._port = object()
    state = server.__getstate__()
    assert "_port" not in state and state["args"][0] == 0


def test_timerService() -> None:
    clock = Clock()
    calls: list[int] = []
    timer = internet.TimerService(2, calls.append, 7)
    timer.clock = clock
    timer.startService()
    assert calls == [7]  # at once
    clock.advance(2)
    clock.advance(2)
    assert calls == [7, 7, 7]
    d = timer.stopService()
    assert successResultOf(d) is None and not timer.running
    clock.advance(10)
    assert calls == [7, 7, 7] and clock.getDelayedCalls() == []


def test_timerServiceLogsAFailureAndStops(loggedErrors: Any) -> None:
    clock = Clock()

    def boom() -> None:
        raise ValueError("tick failed")

    timer = internet.TimerService(1, boom)
    timer.clock = clock
    timer.startService()
    assert len(loggedErrors.flush(ValueError)) == 1
    successResultOf(timer.stopService())
    assert not timer.running


def test_streamServerEndpointService() -> None:
    reactor = MemoryReactorClock()
    factory = Factory.forProtocol(Protocol)
    svc = internet.StreamServerEndpointService(TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"), factory)
    svc.startService()
    assert svc.running and len(reactor.tcpServers) == 1
    d = svc.stopService()
    successResultOf(d)
    assert not svc.running


def test_streamServerEndpointServiceListenFailure(loggedErrors: Any) -> None:
    class Refusing:
        def listen(self, factory: Any) -> Deferred[Any]:
            return fail(OSError("no port"))

    svc = internet.StreamServerEndpointService(Refusing(), Factory())
    svc.startService()
    assert len(loggedErrors.flush(OSError)) == 1
    loud = internet.StreamServerEndpointService(Refusing(), Factory())
    loud._raiseSynchronously = True
    with pytest.raises(OSError, match="no port"):
        loud.privilegedStartService()


def test_streamServerEndpointServiceStopCancelsAPendingListen() -> None:
    pending: Deferred[Any] = Deferred()

    class Slow:
        def listen(self, factory: Any) -> Deferred[Any]:
            return pending

    svc = internet.StreamServerEndpointService(Slow(), Factory())
    svc.startService()
    d = svc.stopService()
    assert successResultOf(d) is None  # the cancelled listen: nothing to stop
    assert not svc.running


def test_cooperatorService() -> None:
    svc = internet.CooperatorService()
    svc.startService()
    d = svc.coiterate(iter([1, 2]))
    svc.stopService()
    assert not svc.coop.running
    d.addErrback(lambda f: None)


def test_clientServiceIsReExported() -> None:
    from plait.service import ClientService, backoffPolicy

    assert internet.ClientService is ClientService and internet.backoffPolicy is backoffPolicy
    assert issubclass(ClientService, service.Service)
