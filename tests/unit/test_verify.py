"""Every class that declares an interface really implements it.

Two layers of checks:

* An automatic sweep: every module under ``plait/`` is imported (except
  ``plait.reactor``, whose import installs the global reactor), every class
  defined there that declares an interface (``implementedBy(cls)``, own or
  inherited) is checked with ``verifyClass`` against each interface it
  declares.  A new class is covered as soon as its module exists.
* Explicit ``verifyObject`` checks on instances that are easy to build, which
  also check attributes (``IReactorCore.running``) and that the instance
  provides what Twisted's equivalent provides.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from zope.interface import implementedBy
from zope.interface.interface import InterfaceClass
from zope.interface.verify import verifyClass, verifyObject

import plait
from plait import interfaces as I

_declaredBy: Callable[[type], Any] = implementedBy  # zope.interface is untyped

PACKAGE_DIR = Path(plait.__file__).parent

# Importing these has process-wide side effects.
NOT_IMPORTED = frozenset({"plait.reactor"})


def _moduleNames() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(["plait", *parts])
        if name not in NOT_IMPORTED and parts[-1:] != ["__main__"]:
            names.append(name)
    return names


def _importAll() -> tuple[dict[str, ModuleType], dict[str, str]]:
    modules: dict[str, ModuleType] = {}
    failures: dict[str, str] = {}
    for name in _moduleNames():
        try:
            modules[name] = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - reported per module below
            failures[name] = f"{type(exc).__name__}: {exc}"
    return modules, failures


MODULES, IMPORT_FAILURES = _importAll()


def _declaringClasses() -> Iterator[tuple[str, type]]:
    seen: set[type] = set()
    for moduleName, module in sorted(MODULES.items()):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == moduleName
                and value not in seen
                and list(_declaredBy(value))
            ):
                seen.add(value)
                yield f"{moduleName}.{value.__qualname__}", value


CLASSES = sorted(_declaringClasses())


@pytest.mark.parametrize("name", _moduleNames())
def test_moduleImports(name: str) -> None:
    """Every plait module imports cleanly (so the sweep below can see its classes)."""
    assert name not in IMPORT_FAILURES, IMPORT_FAILURES.get(name)


def test_sweepFindsClasses() -> None:
    """The discovery finds the classes it exists for."""
    names = {name for name, _ in CLASSES}
    assert "plait.address.IPv4Address" in names
    assert "plait.testing.StringTransport" in names


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[name for name, _ in CLASSES])
def test_classImplementsDeclaredInterfaces(name: str, cls: type) -> None:
    """verifyClass passes for every interface the class declares."""
    declared: list[InterfaceClass] = list(_declaredBy(cls))
    assert declared
    for iface in declared:
        verifyClass(iface, cls)


# -- explicit verifyObject checks ------------------------------------------


def _verifyAll(obj: object, *ifaces: InterfaceClass) -> None:
    for iface in ifaces:
        assert iface.providedBy(obj), f"{obj!r} does not provide {iface.__name__}"
        verifyObject(iface, obj)


def _noop() -> None:
    pass


def test_addresses() -> None:
    """Address objects provide IAddress."""
    from plait.address import HostnameAddress, IPv4Address, IPv6Address, UNIXAddress

    for address in [
        IPv4Address("TCP", "127.0.0.1", 80),
        IPv6Address("TCP", "::1", 80),
        UNIXAddress("/tmp/plait-test.sock"),
        HostnameAddress(b"localhost", 80),
    ]:
        _verifyAll(address, I.IAddress)


def test_clockAndItsDelayedCall() -> None:
    """task.Clock provides IReactorTime; its callLater returns an IDelayedCall."""
    from plait.task import Clock

    clock = Clock()
    _verifyAll(clock, I.IReactorTime)
    call = clock.callLater(1.0, _noop)
    _verifyAll(call, I.IDelayedCall)
    call.cancel()


def test_delayedCall() -> None:
    """base.DelayedCall instances provide IDelayedCall."""
    from plait.base import DelayedCall
    from plait.task import Clock

    call = Clock().callLater(1.0, _noop)
    assert isinstance(call, DelayedCall)
    _verifyAll(call, I.IDelayedCall)


def test_protocolsAndFactories() -> None:
    """Protocol and the factories provide what Twisted's do."""
    from plait.protocol import (
        ClientFactory,
        Factory,
        Protocol,
        ReconnectingClientFactory,
    )
    from plait.protocols.basic import LineReceiver

    _verifyAll(Protocol(), I.IProtocol, I.ILoggingContext)
    _verifyAll(LineReceiver(), I.IProtocol, I.ILoggingContext)
    factories: list[Factory[Any]] = [
        Factory(),
        ClientFactory(),
        ReconnectingClientFactory(),
    ]
    for factory in factories:
        _verifyAll(factory, I.IProtocolFactory, I.ILoggingContext)


def test_stringTransport() -> None:
    """StringTransport provides ITransport, IConsumer and IPushProducer."""
    from plait.testing import StringTransport

    _verifyAll(StringTransport(), I.ITransport, I.IConsumer, I.IPushProducer)


def test_memoryReactors() -> None:
    """MemoryReactor and MemoryReactorClock provide the reactor interfaces they fake."""
    from plait.testing import MemoryReactor, MemoryReactorClock

    fakes = [
        I.IReactorCore,
        I.IReactorTCP,
        I.IReactorSSL,
        I.IReactorUNIX,
        I.IReactorSocket,
        I.IReactorFDSet,
    ]
    _verifyAll(MemoryReactor(), *fakes)
    _verifyAll(MemoryReactorClock(), *fakes, I.IReactorTime)


def test_fakeConnectorAndPort() -> None:
    """MemoryReactor's connectors and ports provide IConnector and IListeningPort."""
    from plait.protocol import ClientFactory, Factory
    from plait.testing import MemoryReactor

    reactor = MemoryReactor()
    _verifyAll(reactor.connectTCP("127.0.0.1", 8080, ClientFactory()), I.IConnector)
    _verifyAll(reactor.listenTCP(0, Factory()), I.IListeningPort)


def test_tcpConnector() -> None:
    """tcp.Connector provides IConnector before it ever connects."""
    from plait.protocol import ClientFactory
    from plait.tcp import Connector
    from plait.testing import MemoryReactorClock

    connector = Connector(
        "127.0.0.1", 8080, ClientFactory(), 30.0, None, MemoryReactorClock()
    )
    _verifyAll(connector, I.IConnector)


@pytest.fixture
def selectorReactor() -> Iterator[Any]:
    from plait.selectreactor import SelectorReactor

    reactor = SelectorReactor()
    try:
        yield reactor
    finally:
        reactor._close()


def test_selectorReactor(selectorReactor: Any) -> None:
    """SelectorReactor provides the reactor interfaces a client program uses."""
    _verifyAll(
        selectorReactor,
        I.IReactorCore,
        I.IReactorTime,
        I.IReactorTCP,
        I.IReactorFDSet,
        I.IReactorThreads,
        I.IReactorPluggableResolver,
        I.IReactorPluggableNameResolver,
        I.IReactorSocket,
        I.IReactorUNIX,
        I.IReactorUNIXDatagram,
        I.IReactorUDP,
        I.IReactorMulticast,
    )
    call = selectorReactor.callLater(1.0, _noop)
    _verifyAll(call, I.IDelayedCall)
    call.cancel()
    _verifyAll(selectorReactor.nameResolver, I.IHostnameResolver)
