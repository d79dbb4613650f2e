"""TLS endpoints: ``SSL4ClientEndpoint``, ``SSL4ServerEndpoint``, ``wrapClientTLS``,
``wrapServerTLS``, and the ``ssl:`` / ``tls:`` description strings.

What it owns: the endpoint side of TLS, re-exported by ``plait.endpoints``.
Every TLS client endpoint ends up as a TCP connection whose protocol is a
``plait.tls.TLSMemoryBIOProtocol``.

When the Deferred fires -- a deliberate difference from Twisted: a TLS
client endpoint's Deferred fires once the handshake *and* certificate
verification have succeeded, and fails with the reason when they do not
(a ``plait.ssl.VerificationError`` for a bad certificate, a
``TimeoutError`` for a server that never finishes the handshake...).
Twisted fires it as soon as TCP connects (issues #8837 and #12075), so a
program cannot tell a verified connection from one about to be dropped.
The user protocol's ``connectionMade`` still runs at TCP connect, as in
Twisted, and its ``connectionLost`` still reports the failure.  A
``ClientService`` on a TLS endpoint therefore counts a failed handshake as
a failed attempt and retries.

Verification -- a second deliberate difference: a client description
always verifies the server.  ``tls:host:port`` verifies against ``host``
(as in Twisted); ``ssl:host:port`` verifies against ``hostname=`` when
given, else against ``host`` itself (Twisted verifies nothing then), with
``caCertsDir=`` or the platform's trust store.

Rules: nothing here imports ``ssl`` (or ``plait.tls``/``plait.ssl``) until
an endpoint is used, so ``import plait.endpoints`` stays cheap.  A
missing file raises ``FileNotFoundError`` naming it; bad contents raise
``ValueError``.

Tests: tests/unit/test_tlsendpoints.py, tests/integration/test_tls.py.
"""

from __future__ import annotations

import os
from typing import Any

from zope.interface import implementer

from plait._endpointgrammar import (
    _clientFromString,
    _registerClientParser,
    _registerServerParser,
    _takePositional,
    _toInt,
)
from plait.defer import Deferred, execute, fail
from plait.interfaces import (
    IStreamClientEndpoint,
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)

__all__ = ["SSL4ClientEndpoint", "SSL4ServerEndpoint", "wrapClientTLS", "wrapServerTLS"]


def _afterHandshake(tlsProtocol: Any, result: Any) -> Any:
    """``result`` once ``tlsProtocol``'s handshake succeeded (a Deferred), or at once
    if the transport is not a plait TLS layer (a test double)."""
    wait = getattr(tlsProtocol, "_whenHandshakeDone", None)
    if wait is None:
        return result
    return wait().addCallback(lambda _: result)


@implementer(IStreamClientEndpoint)
class SSL4ClientEndpoint:
    """Connects with ``reactor.connectSSL``; fires after the handshake (see the module docstring)."""

    def __init__(self, reactor: Any, host: str, port: int, sslContextFactory: Any,
                 timeout: float = 30, bindAddress: Any = None) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._sslContextFactory = sslContextFactory
        self._timeout = timeout
        self._bindAddress = bindAddress

    def __repr__(self) -> str:
        return f"<SSL4ClientEndpoint {self._host}:{self._port}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect; fire with the user's protocol once TLS is up and verified."""
        from plait.endpoints import _connectWrapped

        d = _connectWrapped(
            lambda wf: self._reactor.connectSSL(
                self._host, self._port, wf, self._sslContextFactory,
                timeout=self._timeout, bindAddress=self._bindAddress,
            ),
            protocolFactory,
        )
        return d.addCallback(lambda protocol: _afterHandshake(protocol.transport, protocol))


@implementer(IStreamServerEndpoint)
class SSL4ServerEndpoint:
    """Listens with ``reactor.listenSSL``."""

    def __init__(self, reactor: Any, port: int, sslContextFactory: Any,
                 backlog: int = 50, interface: str = "") -> None:
        self._reactor = reactor
        self._port = port
        self._sslContextFactory = sslContextFactory
        self._backlog = backlog
        self._interface = interface

    def __repr__(self) -> str:
        return f"<SSL4ServerEndpoint {self._interface or '*'}:{self._port}>"

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Fire with the listening port, or fail (typically ``CannotListenError``)."""
        return execute(
            self._reactor.listenSSL,
            self._port, protocolFactory, self._sslContextFactory,
            backlog=self._backlog, interface=self._interface,
        )


@implementer(IStreamClientEndpoint)
class _WrapperEndpoint:
    """``wrapClientTLS``'s endpoint: ``wrappedEndpoint`` with TLS on top."""

    def __init__(self, connectionCreator: Any, wrappedEndpoint: Any, clock: Any) -> None:
        self._connectionCreator = connectionCreator
        self._wrappedEndpoint = wrappedEndpoint
        self._clock = clock

    def __repr__(self) -> str:
        return f"<TLS over {self._wrappedEndpoint!r}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect the wrapped endpoint; fire with the user's protocol once TLS is up and verified."""
        from plait.tls import TLSMemoryBIOFactory

        try:
            tlsFactory = TLSMemoryBIOFactory(self._connectionCreator, True, protocolFactory, self._clock)
        except Exception:  # noqa: BLE001 - reported through the Deferred
            return fail()
        d = self._wrappedEndpoint.connect(tlsFactory)
        return d.addCallback(lambda tls: _afterHandshake(tls, tls.wrappedProtocol))  # type: ignore[no-any-return]


@implementer(IStreamServerEndpoint)
class _TLSServerEndpoint:
    """``wrapServerTLS``'s endpoint."""

    def __init__(self, connectionCreator: Any, wrappedEndpoint: Any, clock: Any) -> None:
        self._connectionCreator = connectionCreator
        self._wrappedEndpoint = wrappedEndpoint
        self._clock = clock

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Listen on the wrapped endpoint with TLS on every connection."""
        from plait.tls import TLSMemoryBIOFactory

        try:
            tlsFactory = TLSMemoryBIOFactory(self._connectionCreator, False, protocolFactory, self._clock)
        except Exception:  # noqa: BLE001 - reported through the Deferred
            return fail()
        return self._wrappedEndpoint.listen(tlsFactory)  # type: ignore[no-any-return]


def wrapClientTLS(connectionCreator: Any, wrappedEndpoint: Any, clock: Any = None) -> _WrapperEndpoint:
    """An endpoint that connects ``wrappedEndpoint`` and starts TLS as the client.

    ``connectionCreator`` is ``optionsForClientTLS(hostname)``; ``clock``
    defaults to the connection's reactor.
    """
    return _WrapperEndpoint(connectionCreator, wrappedEndpoint, clock)


def wrapServerTLS(connectionCreator: Any, wrappedEndpoint: Any, clock: Any = None) -> _TLSServerEndpoint:
    """An endpoint that listens on ``wrappedEndpoint`` and serves TLS (``CertificateOptions``)."""
    return _TLSServerEndpoint(connectionCreator, wrappedEndpoint, clock)


# --- certificates from files, for the description strings ------------------------------


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise FileNotFoundError(e.errno, f"{what} file not found", path) from None


def _trustRootFromDirectory(directory: str | None) -> Any:
    """A trust root of every ``*.pem`` CA certificate in ``directory`` (None: the platform's)."""
    from plait import ssl

    if directory is None:
        return None
    certificates: dict[bytes, Any] = {}
    for name in sorted(os.listdir(directory)):
        if not name.lower().endswith(".pem"):
            continue
        try:
            cert = ssl.Certificate.loadPEM(_read(os.path.join(directory, name), "CA certificate"))
        except (OSError, ValueError):
            continue  # unreadable, or not a certificate: skipped, as in Twisted
        certificates[cert.digest("sha256")] = cert
    if not certificates:
        raise ValueError(f"no PEM CA certificate (*.pem) could be read in {directory!r}")
    return ssl.trustRootFromCertificates(certificates.values())


def _privateCertificate(certificatePath: str | None, keyPath: str | None) -> Any:
    """A ``PrivateCertificate`` from a certificate file and a key file (or one file holding both)."""
    from plait import ssl

    if certificatePath is None:
        if keyPath is not None:
            raise TypeError("a private key was given without its certificate")
        return None
    certificate = _read(certificatePath, "certificate")
    if keyPath is None:
        return ssl.PrivateCertificate.loadPEM(certificate)
    from plait._sslcert import FILETYPE_PEM

    key = ssl.KeyPair.load(_read(keyPath, "private key"), FILETYPE_PEM)
    return ssl.PrivateCertificate.fromCertificateAndKeyPair(ssl.Certificate.loadPEM(certificate), key)


# --- the parsers --------------------------------------------------------------------


@implementer(IStreamClientEndpointStringParserWithReactor)
class _SSLClientParser:
    """``ssl:host:port[:hostname=][:caCertsDir=][:certKey=][:privateKey=][:timeout=][:bindAddress=]``."""

    prefix = "ssl"

    def parseStreamClient(self, reactor: Any, *args: str, **kwargs: str) -> SSL4ClientEndpoint:
        from plait import ssl

        params: dict[str, Any] = _takePositional(("host", "port"), args, kwargs)
        hostname = params.pop("hostname", None)
        certificate = _privateCertificate(params.pop("certKey", None), params.pop("privateKey", None))
        trustRoot = _trustRootFromDirectory(params.pop("caCertsDir", None))
        if "port" in params:
            params["port"] = _toInt("port", params["port"], isPort=True)
        if "timeout" in params:
            params["timeout"] = _toInt("timeout", params["timeout"])
        if "bindAddress" in params:
            params["bindAddress"] = (params["bindAddress"], 0)
        if "host" not in params:
            raise TypeError("missing 1 required positional argument: 'host'")
        # Always verified: against hostname= if given, else the host connected to.
        creator = ssl.optionsForClientTLS(hostname or params["host"], trustRoot, certificate)
        return SSL4ClientEndpoint(reactor, sslContextFactory=creator, **params)


@implementer(IStreamClientEndpointStringParserWithReactor)
class _TLSClientParser:
    """``tls:host:port[:timeout=30][:bindAddress=][:certificate=][:privateKey=][:trustRoots=][:endpoint=]``."""

    prefix = "tls"
    _KEYWORDS = ("host", "port", "timeout", "bindAddress", "certificate", "privateKey", "trustRoots", "endpoint")

    def parseStreamClient(self, reactor: Any, *args: str, **kwargs: str) -> _WrapperEndpoint:
        from plait import ssl
        from plait.endpoints import HostnameEndpoint

        unknown = [key for key in kwargs if key not in self._KEYWORDS]
        if unknown:
            raise TypeError("unrecognized keyword arguments present", unknown)
        params: dict[str, Any] = _takePositional(("host", "port"), args, kwargs)
        for required in ("host", "port"):
            if required not in params:
                raise TypeError(f"missing 1 required positional argument: {required!r}")
        host, port = params["host"], _toInt("port", params["port"], isPort=True)
        timeout = _toInt("timeout", params.get("timeout", "30"))
        creator = ssl.optionsForClientTLS(
            host,
            trustRoot=_trustRootFromDirectory(params.get("trustRoots")),
            clientCertificate=_privateCertificate(params.get("certificate"), params.get("privateKey")),
        )
        endpoint = params.get("endpoint")
        if endpoint is not None:
            wrapped = _clientFromString(reactor, endpoint)
        else:
            bindAddress = params.get("bindAddress")
            wrapped = HostnameEndpoint(reactor, host, port, timeout, None if bindAddress is None else (bindAddress, 0))
        return wrapClientTLS(creator, wrapped)


# pyOpenSSL's method names, as ``sslmethod=`` spells them.
_METHOD_NAMES = {"SSLv23_METHOD": 3, "TLS_METHOD": 7, "TLS_SERVER_METHOD": 8, "TLSv1_2_METHOD": 6,
                 "TLSv1_METHOD": 4, "TLSv1_1_METHOD": 5}


@implementer(IStreamServerEndpointStringParser)
class _SSLServerParser:
    """``ssl:port[:privateKey=server.pem][:certKey=][:sslmethod=][:interface=][:backlog=]
    [:extraCertChain=][:dhParameters=]``."""

    prefix = "ssl"

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> SSL4ServerEndpoint:
        from plait import ssl

        params: dict[str, Any] = _takePositional(("port", "privateKey", "certKey", "sslmethod", "interface", "backlog"), args, kwargs)
        if "port" not in params:
            raise TypeError("missing 1 required positional argument: 'port'")
        keyPath = params.pop("privateKey", "server.pem")
        certPath = params.pop("certKey", None) or keyPath
        options: dict[str, Any] = {}
        method = params.pop("sslmethod", None)
        if method is not None:
            if method not in _METHOD_NAMES:
                raise ValueError(f"unknown sslmethod {method!r} (one of {', '.join(_METHOD_NAMES)})")
            options["method"] = _METHOD_NAMES[method]
        pem = _read(certPath, "certificate") + b"\n" + _read(keyPath, "private key")
        certificate = ssl.PrivateCertificate.loadPEM(pem)
        chainPath = params.pop("extraCertChain", None)
        if chainPath is not None:
            chain = _read(chainPath, "certificate chain")
            certs = [ssl.Certificate.loadPEM(b"-----BEGIN CERTIFICATE-----" + block)
                     for block in chain.split(b"-----BEGIN CERTIFICATE-----")[1:]]
            if not certs:
                raise ValueError(f"Specified chain file '{chainPath}' doesn't contain any valid certificates in PEM format.")
            options["extraCertChain"] = certs
        dhPath = params.pop("dhParameters", None)
        if dhPath is not None:
            options["dhParameters"] = ssl.DiffieHellmanParameters.fromFile(dhPath)
        contextFactory = ssl.CertificateOptions(
            privateKey=certificate.privateKey, certificate=certificate, **options
        )
        port = _toInt("port", params.pop("port"), isPort=True)
        backlog = _toInt("backlog", params.pop("backlog", "50"))
        return SSL4ServerEndpoint(reactor, port, contextFactory, backlog=backlog, **params)


_registerClientParser(_SSLClientParser())
_registerClientParser(_TLSClientParser())
_registerServerParser(_SSLServerParser())
