"""Sanity checks for ``plait.interfaces``: names, signatures, inheritance.

The expected signatures are the strings zope.interface reports for Twisted
26.10 (reference section 3), so a typo in a parameter name or a default
fails here before it confuses an implementer.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from zope.interface import Interface
from zope.interface.interface import Attribute, InterfaceClass, Method

from plait import interfaces

INTERFACE_NAMES = [
    "IAddress",
    "IProtocol",
    "IProtocolFactory",
    "ITransport",
    "ITCPTransport",
    "ITLSTransport",
    "ISSLTransport",
    "INegotiated",
    "IUNIXTransport",
    "ISystemHandle",
    "IConnector",
    "IReactorCore",
    "IReactorTime",
    "IDelayedCall",
    "IReactorTCP",
    "IReactorSSL",
    "IReactorUNIX",
    "IReactorUDP",
    "IReactorFromThreads",
    "IReactorInThreads",
    "IReactorThreads",
    "IReactorPluggableResolver",
    "IReactorPluggableNameResolver",
    "IResolverSimple",
    "IHostnameResolver",
    "IResolutionReceiver",
    "IHostResolution",
    "IReactorSocket",
    "IReactorFDSet",
    "IListeningPort",
    "IStreamClientEndpoint",
    "IStreamServerEndpoint",
    "IStreamClientEndpointStringParserWithReactor",
    "IStreamServerEndpointStringParser",
    "IHalfCloseableProtocol",
    "IHalfCloseableDescriptor",
    "IConsumer",
    "IProducer",
    "IPushProducer",
    "IPullProducer",
    "ILoggingContext",
    "IFileDescriptor",
    "IReadDescriptor",
    "IWriteDescriptor",
    "IReadWriteDescriptor",
    "IHandshakeListener",
    "IProtocolNegotiationFactory",
    "IOpenSSLClientConnectionCreator",
    "IOpenSSLServerConnectionCreator",
    "IOpenSSLContextFactory",
    "IOpenSSLTrustRoot",  # TLS (issue 10)
    "ICipher",
    "IAcceptableCiphers",
    "IUDPTransport",
    "IMulticastTransport",
    "IReactorMulticast",
    "IFileDescriptorReceiver",
    "IReactorProcess",
    # issue 12 (fidelity): the rest of twisted.internet.interfaces
    "IReactorTCP2",
    "IReactorDaemonize",
    "IReactorWin32Events",
    "IResolver",
    "IServiceCollection",
    "IProcessProtocol",
    "IProcessTransport",
    # issue 11 (UNIX and UDP)
    "IReactorUNIXDatagram",
    "IUNIXDatagramTransport",
    "IUNIXDatagramConnectedTransport",
]


# Every method each interface declares itself (not inherited), with the
# signature string zope.interface computes, exactly as Twisted 26.10 has it.
SIGNATURES: dict[str, dict[str, str]] = {
    # issue 11 (UNIX and UDP)
    "IReactorUNIXDatagram": {
        "connectUNIXDatagram": "(address, protocol, maxPacketSize, mode, bindAddress)",
        "listenUNIXDatagram": "(address, protocol, maxPacketSize, mode)",
    },
    "IUNIXDatagramTransport": {"write": "(packet, addr)", "getHost": "()"},
    "IUNIXDatagramConnectedTransport": {"write": "(packet)", "getHost": "()", "getPeer": "()"},
    # issue 12 (fidelity)
    "IReactorTCP2": {
        "listenTCP": "(port, factory, backlog=50, interface=None)",
        "connectTCP": "(host, port, factory, timeout=30.0, bindAddress=None)",
    },
    "IReactorDaemonize": {"beforeDaemonize": "()", "afterDaemonize": "()"},
    "IReactorWin32Events": {"addEvent": "(event, fd, action)", "removeEvent": "(event)"},
    "IResolver": {"query": "(query, timeout)", **{name: "(name, timeout)" for name in [
        "lookupAddress",
        "lookupAddress6",
        "lookupIPV6Address",
        "lookupMailExchange",
        "lookupNameservers",
        "lookupCanonicalName",
        "lookupMailBox",
        "lookupMailGroup",
        "lookupMailRename",
        "lookupPointer",
        "lookupAuthority",
        "lookupNull",
        "lookupWellKnownServices",
        "lookupHostInfo",
        "lookupMailboxInfo",
        "lookupText",
        "lookupResponsibility",
        "lookupAFSDatabase",
        "lookupService",
        "lookupAllRecords",
        "lookupSenderPolicy",
        "lookupNamingAuthorityPointer",
        "lookupZone",
    ]}},
    "IServiceCollection": {
        "getServiceNamed": "(serviceName)", "addService": "(service)", "removeService": "(service)",
    },
    "IAddress": {},
    "IProtocol": {
        "dataReceived": "(data)",
        "connectionLost": "(reason)",
        "makeConnection": "(transport)",
        "connectionMade": "()",
    },
    "IProtocolFactory": {
        "buildProtocol": "(addr)",
        "doStart": "()",
        "doStop": "()",
    },
    "ITransport": {
        "write": "(data)",
        "writeSequence": "(data)",
        "loseConnection": "()",
        "getPeer": "()",
        "getHost": "()",
    },
    "ITCPTransport": {
        "loseWriteConnection": "()",
        "abortConnection": "()",
        "getTcpNoDelay": "()",
        "setTcpNoDelay": "(enabled)",
        "getTcpKeepAlive": "()",
        "setTcpKeepAlive": "(enabled)",
        "getHost": "()",
        "getPeer": "()",
    },
    "ITLSTransport": {"startTLS": "(contextFactory)"},
    "ISSLTransport": {"getPeerCertificate": "()"},
    "INegotiated": {},
    "IUNIXTransport": {"sendFileDescriptor": "(descriptor)"},
    "ISystemHandle": {"getHandle": "()"},
    "IConnector": {
        "stopConnecting": "()",
        "disconnect": "()",
        "connect": "()",
        "getDestination": "()",
    },
    "IReactorCore": {
        "resolve": "(name, timeout=(1, 3, 11, 45))",
        "run": "()",
        "stop": "()",
        "crash": "()",
        "iterate": "(delay)",
        "fireSystemEvent": "(eventType)",
        "addSystemEventTrigger": "(phase, eventType, callable, *args, **kwargs)",
        "removeSystemEventTrigger": "(triggerID)",
        "callWhenRunning": "(callable, *args, **kwargs)",
    },
    "IReactorTime": {
        "seconds": "()",
        "callLater": "(delay, callable, *args, **kwargs)",
        "getDelayedCalls": "()",
    },
    "IDelayedCall": {
        "getTime": "()",
        "cancel": "()",
        "delay": "(secondsLater)",
        "reset": "(secondsFromNow)",
        "active": "()",
    },
    "IReactorTCP": {
        "listenTCP": "(port, factory, backlog=50, interface='')",
        "connectTCP": "(host, port, factory, timeout=30.0, bindAddress=None)",
    },
    "IReactorSSL": {
        "connectSSL": "(host, port, factory, contextFactory, timeout, bindAddress)",
        "listenSSL": "(port, factory, contextFactory, backlog=50, interface='')",
    },
    "IReactorUNIX": {
        "connectUNIX": "(address, factory, timeout=30, checkPID=False)",
        "listenUNIX": "(address, factory, backlog=50, mode=438, wantPID=False)",
    },
    "IReactorUDP": {"listenUDP": "(port, protocol, interface, maxPacketSize)"},
    "IReactorMulticast": {
        "listenMulticast": (
            "(port, protocol, interface='', maxPacketSize=8192, listenMultiple=False)"
        ),
    },
    "IReactorFromThreads": {"callFromThread": "(callable, *args, **kwargs)"},
    "IReactorInThreads": {"callInThread": "(callable, *args, **kwargs)"},
    "IReactorThreads": {
        "getThreadPool": "()",
        "suggestThreadPoolSize": "(size)",
    },
    "IReactorPluggableResolver": {"installResolver": "(resolver)"},
    "IReactorPluggableNameResolver": {"installNameResolver": "(resolver)"},
    "IResolverSimple": {"getHostByName": "(name, timeout=())"},
    "IHostnameResolver": {
        "resolveHostName": (
            "(resolutionReceiver, hostName, portNumber=0, addressTypes=None, "
            "transportSemantics='TCP')"
        ),
    },
    "IResolutionReceiver": {
        "resolutionBegan": "(resolutionInProgress)",
        "addressResolved": "(address)",
        "resolutionComplete": "()",
    },
    "IHostResolution": {"cancel": "()"},
    "IReactorSocket": {
        "adoptStreamPort": "(fileDescriptor, addressFamily, factory)",
        "adoptStreamConnection": "(fileDescriptor, addressFamily, factory)",
        "adoptDatagramPort": (
            "(fileDescriptor, addressFamily, protocol, maxPacketSize)"
        ),
    },
    "IReactorFDSet": {
        "addReader": "(reader)",
        "addWriter": "(writer)",
        "removeReader": "(reader)",
        "removeWriter": "(writer)",
        "removeAll": "()",
        "getReaders": "()",
        "getWriters": "()",
    },
    "IListeningPort": {
        "startListening": "()",
        "stopListening": "()",
        "getHost": "()",
    },
    "IStreamClientEndpoint": {"connect": "(protocolFactory)"},
    "IStreamServerEndpoint": {"listen": "(protocolFactory)"},
    "IStreamClientEndpointStringParserWithReactor": {
        "parseStreamClient": "(reactor, *args, **kwargs)",
    },
    "IStreamServerEndpointStringParser": {
        "parseStreamServer": "(reactor, *args, **kwargs)",
    },
    "IHalfCloseableProtocol": {
        "readConnectionLost": "()",
        "writeConnectionLost": "()",
    },
    "IHalfCloseableDescriptor": {
        "writeConnectionLost": "(reason)",
        "readConnectionLost": "(reason)",
    },
    "IConsumer": {
        "registerProducer": "(producer, streaming)",
        "unregisterProducer": "()",
        "write": "(data)",
    },
    "IProducer": {"stopProducing": "()"},
    "IPushProducer": {"pauseProducing": "()", "resumeProducing": "()"},
    "IPullProducer": {"resumeProducing": "()"},
    "ILoggingContext": {"logPrefix": "()"},
    "IFileDescriptor": {"fileno": "()", "connectionLost": "(reason)"},
    "IReadDescriptor": {"doRead": "()"},
    "IWriteDescriptor": {"doWrite": "()"},
    "IReadWriteDescriptor": {},
    "IHandshakeListener": {"handshakeCompleted": "()"},
    "IProtocolNegotiationFactory": {"acceptableProtocols": "()"},
    "IOpenSSLClientConnectionCreator": {"clientConnectionForTLS": "(tlsProtocol)"},
    "IOpenSSLServerConnectionCreator": {"serverConnectionForTLS": "(tlsProtocol)"},
    "IOpenSSLContextFactory": {"getContext": "()"},
    "IOpenSSLTrustRoot": {"_addCACertsToContext": "(context)"},
    "ICipher": {},
    "IAcceptableCiphers": {"selectCiphers": "(availableCiphers)"},
    "IUDPTransport": {
        "write": "(packet, addr)",
        "connect": "(host, port)",
        "getHost": "()",
        "stopListening": "()",
        "setBroadcastAllowed": "(enabled)",
        "getBroadcastAllowed": "()",
    },
    "IMulticastTransport": {
        "getOutgoingInterface": "()",
        "setOutgoingInterface": "(addr)",
        "getLoopbackMode": "()",
        "setLoopbackMode": "(mode)",
        "getTTL": "()",
        "setTTL": "(ttl)",
        "joinGroup": "(addr, interface='')",
        "leaveGroup": "(addr, interface='')",
    },
    "IFileDescriptorReceiver": {"fileDescriptorReceived": "(descriptor)"},
    "IReactorProcess": {
        "spawnProcess": (
            "(processProtocol, executable, args, env=None, path=None, uid=None, "
            "gid=None, usePTY=False, childFDs=None)"
        ),
    },
    "IProcessProtocol": {
        "makeConnection": "(process)",
        "childDataReceived": "(childFD, data)",
        "childConnectionLost": "(childFD)",
        "processExited": "(reason)",
        "processEnded": "(reason)",
    },
    "IProcessTransport": {
        "closeStdin": "()",
        "closeStdout": "()",
        "closeStderr": "()",
        "closeChildFD": "(descriptor)",
        "writeToChild": "(childFD, data)",
        "loseConnection": "()",
        "signalProcess": "(signalID)",
    },
}

# Attributes (not methods) each interface declares itself.
ATTRIBUTES: dict[str, set[str]] = {
    "INegotiated": {"negotiatedProtocol"},
    "IReactorCore": {"running"},
    "IReactorPluggableNameResolver": {"nameResolver"},
    "IHostResolution": {"name"},
    "IProcessTransport": {"pid"},
    "IStreamClientEndpointStringParserWithReactor": {"prefix"},
    "IStreamServerEndpointStringParser": {"prefix"},
    "ICipher": {"fullName"},
}

# Direct bases, by name, in declaration order.
BASES: dict[str, list[str]] = {
    "ITCPTransport": ["ITransport"],
    "ITLSTransport": ["ITCPTransport"],
    "ISSLTransport": ["ITCPTransport"],
    "INegotiated": ["ISSLTransport"],
    "IUNIXTransport": ["ITransport"],
    "IReactorThreads": ["IReactorFromThreads", "IReactorInThreads"],
    "IPushProducer": ["IProducer"],
    "IPullProducer": ["IProducer"],
    "IFileDescriptor": ["ILoggingContext"],
    "IReadDescriptor": ["IFileDescriptor"],
    "IWriteDescriptor": ["IFileDescriptor"],
    "IReadWriteDescriptor": ["IReadDescriptor", "IWriteDescriptor"],
    "IMulticastTransport": ["IUDPTransport"],
    "IReactorTCP2": ["IReactorTCP"],
    "IResolver": ["IResolverSimple"],
    "IProcessTransport": ["ITransport"],
}


def _interface(name: str) -> InterfaceClass:
    value = getattr(interfaces, name)
    assert isinstance(value, InterfaceClass), f"{name} is not an Interface"
    return value


def test_tablesCoverEveryListedInterface() -> None:
    """The signature table in this file names exactly the listed interfaces."""
    assert len(INTERFACE_NAMES) == len(set(INTERFACE_NAMES)) == 68
    assert set(SIGNATURES) == set(INTERFACE_NAMES)


@pytest.mark.parametrize("name", INTERFACE_NAMES)
def test_interfaceIsImportable(name: str) -> None:
    """Each interface is importable from plait.interfaces under Twisted's name."""
    iface = _interface(name)
    assert iface.__name__ == name
    assert iface.__module__ == "plait.interfaces"


def test_moduleDefinesNoUnlistedInterfaces() -> None:
    """Every interface the module defines is listed and therefore tested."""
    defined = {
        name
        for name, value in vars(interfaces).items()
        if isinstance(value, InterfaceClass) and value is not Interface
    }
    assert defined == set(INTERFACE_NAMES)


@pytest.mark.parametrize("name", INTERFACE_NAMES)
def test_declaredMethodSignatures(name: str) -> None:
    """Each interface declares exactly the reference methods, with its signatures."""
    iface = _interface(name)
    actual = {
        member: iface[member].getSignatureString()
        for member in iface.names()
        if isinstance(iface[member], Method)
    }
    assert actual == SIGNATURES[name]


@pytest.mark.parametrize("name", INTERFACE_NAMES)
def test_declaredAttributes(name: str) -> None:
    """Each interface declares exactly the reference attributes."""
    iface = _interface(name)
    actual = {
        member
        for member in iface.names()
        if isinstance(iface[member], Attribute)
        and not isinstance(iface[member], Method)
    }
    assert actual == ATTRIBUTES.get(name, set())
    for member in actual:
        assert iface[member].__doc__, f"{name}.{member} has no description"


@pytest.mark.parametrize("name", INTERFACE_NAMES)
def test_directBases(name: str) -> None:
    """Interfaces extend exactly the interfaces Twisted's do."""
    iface = _interface(name)
    expected = [_interface(base) for base in BASES.get(name, [])] or [Interface]
    assert list(iface.__bases__) == expected


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        ("ITCPTransport", "ITransport"),
        ("ITLSTransport", "ITransport"),
        ("INegotiated", "ITCPTransport"),
        ("IReactorThreads", "IReactorFromThreads"),
        ("IReactorThreads", "IReactorInThreads"),
        ("IPushProducer", "IProducer"),
        ("IPullProducer", "IProducer"),
        ("IReadWriteDescriptor", "IReadDescriptor"),
        ("IReadWriteDescriptor", "IWriteDescriptor"),
        ("IReadWriteDescriptor", "ILoggingContext"),
        ("IMulticastTransport", "IUDPTransport"),
    ],
)
def test_extends(child: str, parent: str) -> None:
    """A derived interface extends its ancestors, and not the other way round."""
    assert _interface(child).extends(_interface(parent))
    assert not _interface(parent).extends(_interface(child))


def test_inheritedMembersAreVisible() -> None:
    """Members of base interfaces are part of the derived interface."""
    assert "write" in interfaces.ITCPTransport
    assert "logPrefix" in interfaces.IReadWriteDescriptor
    assert "callFromThread" in interfaces.IReactorThreads
    assert "stopProducing" in interfaces.IPushProducer


@pytest.mark.parametrize("name", INTERFACE_NAMES)
def test_everythingIsDocumented(name: str) -> None:
    """Each interface and each of its methods states a contract in its docstring."""
    iface = _interface(name)
    assert iface.__doc__ and len(iface.__doc__.strip()) > 20
    for member in iface.names():
        doc = iface[member].__doc__
        assert doc and doc.strip(), f"{name}.{member} has no docstring"


def test_layerZeroImportsOnly() -> None:
    """At run time plait.interfaces imports only zope.interface and the stdlib."""
    tree = ast.parse(Path(inspect.getfile(interfaces)).read_text())
    runtime: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If):
            continue  # the TYPE_CHECKING block: annotations only
        if isinstance(node, ast.Import):
            runtime.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            runtime.add(node.module or "")
    assert runtime == {"__future__", "collections.abc", "typing", "zope.interface"}


def test_monotonicClockDivergenceIsDocumented() -> None:
    """IReactorTime documents that seconds() is monotonic, unlike Twisted."""
    assert "monotonic" in (interfaces.IReactorTime.__doc__ or "")
    assert "monotonic" in (interfaces.__doc__ or "")
