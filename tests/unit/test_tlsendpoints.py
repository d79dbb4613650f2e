"""TLS endpoints and the ssl:/tls: description strings, on a MemoryReactor.

What a description turns into (endpoint class, arguments, which name is
verified against which trust root) is checked here; real connections are in
tests/integration/test_tls.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plait import endpoints, ssl
from plait._sslclient import ClientTLSOptions
from plait._tlsendpoints import _WrapperEndpoint
from plait.defer import Deferred
from plait.endpoints import (
    HostnameEndpoint,
    SSL4ClientEndpoint,
    SSL4ServerEndpoint,
    clientFromString,
    serverFromString,
    wrapClientTLS,
    wrapServerTLS,
)
from plait.protocol import Factory, Protocol
from plait.testing import MemoryReactorClock, RaisingMemoryReactor
from plait.tls import TLSMemoryBIOFactory
from tests.helpers import failureResultOf, successResultOf
from tests.tlshelpers import Certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def reactor() -> MemoryReactorClock:  # type: ignore[override]
    return MemoryReactorClock()


def test_publicNames() -> None:
    """plait.endpoints re-exports the TLS endpoints, as Twisted's __all__ lists them."""
    for name in ("SSL4ClientEndpoint", "SSL4ServerEndpoint", "wrapClientTLS", "wrapServerTLS"):
        assert name in endpoints.__all__ and hasattr(endpoints, name)


def test_importingEndpointsDoesNotImportSSL() -> None:
    """`import plait.endpoints` does not pull in the ssl module (import time is a benchmark)."""
    import subprocess
    import sys

    code = "import sys, plait.endpoints; print('ssl' in sys.modules, 'plait.tls' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]


# -- ssl: client ---------------------------------------------------------------------


def test_sslClientVerifiesTheHostByDefault(reactor: MemoryReactorClock, certs: Certs, tmp_path: Path) -> None:
    """ssl:host:port without hostname= verifies against host (Twisted verifies nothing)."""
    (tmp_path / "ca.pem").write_bytes(certs.ca.cert_pem.bytes())
    (tmp_path / "notes.txt").write_text("not a certificate")
    (tmp_path / "broken.pem").write_text("not a certificate either")
    endpoint = clientFromString(reactor, f"ssl:127.0.0.1:8443:caCertsDir={tmp_path}")
    assert isinstance(endpoint, SSL4ClientEndpoint)
    creator = endpoint._sslContextFactory
    assert isinstance(creator, ClientTLSOptions)
    assert creator._hostname == "127.0.0.1"
    assert creator._options.trustRoot._caCerts == [certs.caCert]


def test_sslClientHostnameKeyword(reactor: MemoryReactorClock) -> None:
    """hostname= is what is verified; without caCertsDir the platform's store is trusted."""
    endpoint = clientFromString(reactor, "ssl:127.0.0.1:443:hostname=example.com:timeout=7:bindAddress=127.0.0.1")
    creator = endpoint._sslContextFactory
    assert creator._hostname == "example.com"
    assert isinstance(creator._options.trustRoot, ssl.OpenSSLDefaultPaths)
    assert (endpoint._timeout, endpoint._bindAddress) == (7, ("127.0.0.1", 0))


def test_sslClientCertificateFiles(reactor: MemoryReactorClock, certs: Certs) -> None:
    """certKey= (with or without privateKey=) becomes the client certificate."""
    both = clientFromString(reactor, f"ssl:127.0.0.1:443:certKey={certs.clientFile}")
    assert both._sslContextFactory._options.certificate == ssl.Certificate(certs.clientCert)
    split = clientFromString(
        reactor, f"ssl:127.0.0.1:443:certKey={certs.serverCertFile}:privateKey={certs.serverKeyFile}"
    )
    assert split._sslContextFactory._options.certificate == ssl.Certificate(certs.serverCert)


def test_sslClientConnectsWithConnectSSL(reactor: MemoryReactorClock, certs: Certs) -> None:
    """SSL4ClientEndpoint.connect calls reactor.connectSSL with its arguments."""
    options = certs.clientOptions()
    endpoint = SSL4ClientEndpoint(reactor, "127.0.0.1", 8443, options, timeout=9, bindAddress=("127.0.0.1", 0))
    endpoint.connect(Factory.forProtocol(Protocol))
    host, port, _, contextFactory, timeout, bindAddress = reactor.sslClients[0]
    assert (host, port, contextFactory, timeout, bindAddress) == ("127.0.0.1", 8443, options, 9, ("127.0.0.1", 0))


def test_sslClientMissingFiles(reactor: MemoryReactorClock, tmp_path: Path) -> None:
    """A missing certificate file names itself; an empty CA directory is refused."""
    with pytest.raises(FileNotFoundError, match="certificate file not found"):
        clientFromString(reactor, f"ssl:127.0.0.1:443:certKey={tmp_path / 'missing.pem'}")
    with pytest.raises(ValueError, match=r"no PEM CA certificate \(\*\.pem\) could be read"):
        clientFromString(reactor, f"ssl:127.0.0.1:443:caCertsDir={tmp_path}")


def test_sslClientBadArguments(reactor: MemoryReactorClock) -> None:
    """A bad port or an unknown keyword is reported with the description."""
    with pytest.raises(ValueError, match="port"):
        clientFromString(reactor, "ssl:127.0.0.1:https")
    with pytest.raises(TypeError, match="bogus"):
        clientFromString(reactor, "ssl:127.0.0.1:443:bogus=1")


# -- tls: client ---------------------------------------------------------------------


def test_tlsClientWrapsAHostnameEndpoint(reactor: MemoryReactorClock, certs: Certs) -> None:
    """tls:host:port is wrapClientTLS(optionsForClientTLS(host), HostnameEndpoint(...))."""
    endpoint = clientFromString(
        reactor, f"tls:localhost:6697:timeout=5:bindAddress=127.0.0.1:trustRoots={certs.directory}"
    )
    assert isinstance(endpoint, _WrapperEndpoint)
    assert endpoint._connectionCreator._hostname == "localhost"
    wrapped = endpoint._wrappedEndpoint
    assert isinstance(wrapped, HostnameEndpoint)
    assert (wrapped._hostText, wrapped._port, wrapped._timeout, wrapped._bindAddress) == (
        "localhost", 6697, 5, ("127.0.0.1", 0))


def test_tlsClientEndpointKeyword(reactor: MemoryReactorClock) -> None:
    """endpoint= replaces the HostnameEndpoint; host is then only verified against."""
    endpoint = clientFromString(reactor, "tls:example.com:443:endpoint=tcp\\:127.0.0.1\\:8443")
    assert endpoint._connectionCreator._hostname == "example.com"
    assert isinstance(endpoint._wrappedEndpoint, endpoints.TCP4ClientEndpoint)
    assert endpoint._wrappedEndpoint._port == 8443


def test_tlsClientCertificate(reactor: MemoryReactorClock, certs: Certs) -> None:
    """certificate= and privateKey= give the client certificate."""
    endpoint = clientFromString(
        reactor, f"tls:localhost:443:certificate={certs.serverCertFile}:privateKey={certs.serverKeyFile}"
    )
    assert endpoint._connectionCreator._options.certificate == ssl.Certificate(certs.serverCert)


def test_tlsClientUnknownKeywords(reactor: MemoryReactorClock) -> None:
    """Unknown keywords: Twisted's TypeError('unrecognized keyword arguments present', [...])."""
    with pytest.raises(TypeError) as info:
        clientFromString(reactor, "tls:localhost:443:colour=blue:size=9")
    assert str(info.value).startswith("('unrecognized keyword arguments present', ['colour', 'size'])")


def test_tlsClientNeedsHostAndPort(reactor: MemoryReactorClock) -> None:
    """Missing host or port is a TypeError naming it."""
    with pytest.raises(TypeError, match="'port'"):
        clientFromString(reactor, "tls:localhost")


def test_wrapClientTLSWithABadCreatorFails(reactor: MemoryReactorClock) -> None:
    """A creator that is not TLS settings fails the connect Deferred (no exception)."""
    endpoint = wrapClientTLS(object(), endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", 1))
    failureResultOf(endpoint.connect(Factory.forProtocol(Protocol)), TypeError)


def test_wrapClientTLSPassesATLSFactory(reactor: MemoryReactorClock, certs: Certs) -> None:
    """The wrapped endpoint is connected with a TLSMemoryBIOFactory around the user's."""
    seen: list[Any] = []

    class Recording:
        def connect(self, factory: Any) -> Deferred[Any]:
            seen.append(factory)
            return Deferred()

    user = Factory.forProtocol(Protocol)
    wrapClientTLS(certs.clientOptions(), Recording()).connect(user)
    assert isinstance(seen[0], TLSMemoryBIOFactory) and seen[0].wrappedFactory is user


# -- servers -----------------------------------------------------------------------


def test_sslServerString(reactor: MemoryReactorClock, certs: Certs) -> None:
    """ssl:PORT:privateKey=...: SSL4ServerEndpoint serving that certificate."""
    endpoint = serverFromString(reactor, f"ssl:8443:privateKey={certs.serverFile}:interface=127.0.0.1:backlog=7")
    assert isinstance(endpoint, SSL4ServerEndpoint)
    successResultOf(endpoint.listen(Factory.forProtocol(Protocol)))
    port, _, contextFactory, backlog, interface = reactor.sslServers[0]
    assert (port, backlog, interface) == (8443, 7, "127.0.0.1")
    assert contextFactory.certificate == ssl.Certificate(certs.serverCert)


def test_sslServerSeparateFilesChainAndMethod(reactor: MemoryReactorClock, certs: Certs, tmp_path: Path) -> None:
    """certKey=, extraCertChain= and sslmethod= are read."""
    chain = tmp_path / "chain.pem"
    chain.write_bytes(certs.ca.cert_pem.bytes())
    with pytest.warns(DeprecationWarning):
        endpoint = serverFromString(
            reactor,
            f"ssl:0:privateKey={certs.serverKeyFile}:certKey={certs.serverCertFile}"
            f":extraCertChain={chain}:sslmethod=TLS_METHOD",
        )
    assert endpoint._sslContextFactory.extraCertChain == [certs.caCert]
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing")
    with pytest.raises(ValueError, match="doesn't contain any valid certificates"):
        serverFromString(reactor, f"ssl:0:privateKey={certs.serverFile}:extraCertChain={empty}")
    with pytest.raises(ValueError, match="unknown sslmethod 'SSLv2_METHOD'"):
        serverFromString(reactor, f"ssl:0:privateKey={certs.serverFile}:sslmethod=SSLv2_METHOD")


def test_sslServerMissingKeyFile(reactor: MemoryReactorClock, tmp_path: Path) -> None:
    """The default privateKey=server.pem (or any missing file) raises FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="server.pem"):
        serverFromString(reactor, f"ssl:0:privateKey={tmp_path / 'server.pem'}")


def test_sslServerListenFailureGoesToTheDeferred(certs: Certs) -> None:
    """A listenSSL error fails the listen Deferred."""
    from plait.error import CannotListenError

    reactor = RaisingMemoryReactor(listenException=CannotListenError("127.0.0.1", 1, OSError("taken")))
    endpoint = SSL4ServerEndpoint(reactor, 1, certs.serverOptions())
    failureResultOf(endpoint.listen(Factory.forProtocol(Protocol)), CannotListenError)


def test_wrapServerTLS(certs: Certs) -> None:
    """wrapServerTLS listens on the wrapped endpoint with a server TLS factory."""
    seen: list[Any] = []

    class Recording:
        def listen(self, factory: Any) -> Deferred[Any]:
            seen.append(factory)
            return Deferred()

    user = Factory.forProtocol(Protocol)
    wrapServerTLS(certs.serverOptions(), Recording()).listen(user)
    assert isinstance(seen[0], TLSMemoryBIOFactory) and not seen[0]._isClient
    failureResultOf(wrapServerTLS(object(), Recording()).listen(user), TypeError)
