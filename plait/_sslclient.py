"""Client TLS for ``plait.ssl``: ``optionsForClientTLS`` and the older context factories.

What it owns:

* ``optionsForClientTLS`` / ``ClientTLSOptions``: the verified client path.
  Chain *and* host name are checked by OpenSSL during the handshake
  (``check_hostname``), with the names in the certificate's subjectAltName
  only (``hostname_checks_common_name = False``: a certificate without one
  is refused, where Twisted accepts it when the chain is trusted).
* ``ContextFactory``, ``ClientContextFactory``,
  ``DefaultOpenSSLContextFactory``: Twisted's older ``getContext()`` API,
  returning ``ssl.SSLContext`` objects.  ``ClientContextFactory`` verifies
  nothing, as in Twisted; plait logs a warning when a connection uses it.
* ``_connectionCreatorFor``: how ``TLSMemoryBIOFactory`` turns whatever it
  was given into "make the ``ssl.SSLObject`` for this connection", and the
  one clear error for a pyOpenSSL context factory.
* ``protocolNegotiationMechanisms`` / ``ProtocolNegotiationSupport``.

Rules: a host name is text (``TypeError`` for bytes, with Twisted's
message); it is IDNA-encoded once, here; an IP literal is verified against
the certificate's IP addresses and is never sent as SNI.

Tests: tests/unit/test_sslverify.py, tests/unit/test_tls.py,
tests/integration/test_tls_peers.py.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import ssl
import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

from zope.interface import implementer

from plait import log
from plait._sslcert import PrivateCertificate
from plait._sslverify import (
    CertificateOptions,
    VerificationError,
    _factoryProtocols,
    _wrap,
    platformTrust,
)
from plait.interfaces import (
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
)

__all__ = [
    "ClientContextFactory",
    "ClientTLSOptions",
    "ContextFactory",
    "DefaultOpenSSLContextFactory",
    "ProtocolNegotiationSupport",
    "optionsForClientTLS",
    "protocolNegotiationMechanisms",
]

_TLS_METHOD = 7  # pyOpenSSL's SSL.TLS_METHOD, Twisted's default ``method``


def _isIPLiteral(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _idnaASCII(hostname: str) -> str:
    """``hostname`` in its ASCII (IDNA) form; ``ValueError`` if it has none."""
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise ValueError(f"invalid hostname {hostname!r}: {e}") from None


def _matchesName(pattern: str, host: str) -> bool:
    """RFC 6125 DNS-ID matching: exact, or a ``*`` as the whole leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    patternLabels, hostLabels = pattern.split("."), host.split(".")
    return (
        patternLabels[0] == "*"
        and len(patternLabels) >= 3  # never "*.com"
        and len(patternLabels) == len(hostLabels)
        and patternLabels[1:] == hostLabels[1:]
        and not hostLabels[0].startswith("xn--")
    )


@implementer(IOpenSSLClientConnectionCreator)
class ClientTLSOptions:
    """The client side of TLS connections to one host name (made by ``optionsForClientTLS``).

    ``certificateOptions`` supplies everything but the name: trust root,
    client certificate, ALPN, versions.
    """

    def __init__(self, hostname: str, certificateOptions: CertificateOptions,
                 sendServerName: bool | None = None) -> None:
        self._hostname = hostname
        self._options = certificateOptions
        self._hostnameIsDnsName = not _isIPLiteral(hostname)
        self._hostnameASCII = _idnaASCII(hostname) if self._hostnameIsDnsName else hostname
        self._hostnameBytes = self._hostnameASCII.encode("ascii")
        self._sendServerName = self._hostnameIsDnsName if sendServerName is None else bool(sendServerName)
        self._contexts: dict[tuple[bytes, ...], ssl.SSLContext] = {}

    def __repr__(self) -> str:
        return f"<ClientTLSOptions for {self._hostname!r}>"

    def _context(self, extraProtocols: tuple[bytes, ...]) -> ssl.SSLContext:
        context = self._contexts.get(extraProtocols)
        if context is None:
            options = self._options
            context = options._makeContext(False, extraProtocols + options._acceptableProtocols)
            context.verify_mode = ssl.CERT_REQUIRED
            # Host names are checked by OpenSSL, inside the handshake, unless
            # the name must not be sent (then it cannot go to OpenSSL either:
            # the standard library sends what it verifies).
            context.hostname_checks_common_name = False
            context.check_hostname = self._sendServerName or not self._hostnameIsDnsName
            self._contexts[extraProtocols] = context
        return context

    def clientConnectionForTLS(self, tlsProtocol: Any) -> ssl.SSLObject:
        """The ``ssl.SSLObject`` for one connection: SNI and verification set up."""
        context = self._context(_factoryProtocols(tlsProtocol))
        if context.check_hostname:
            return _wrap(context, tlsProtocol, False, self._hostnameASCII)
        tlsProtocol._verifyPeer = self._verifyName
        return _wrap(context, tlsProtocol, False)

    def _verifyName(self, connection: ssl.SSLObject) -> Exception | None:
        """After a handshake made without sending the name: check it here."""
        cert: Any = connection.getpeercert() or {}
        names: list[str] = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
        if any(_matchesName(name, self._hostnameASCII) for name in names):
            return None
        return VerificationError(
            f"certificate verify failed: Hostname mismatch, certificate is not valid for "
            f"{self._hostnameASCII!r} (its subjectAltName names: {', '.join(names) or 'none'})",
            62,
        )


def optionsForClientTLS(
    hostname: str,
    trustRoot: Any = None,
    clientCertificate: PrivateCertificate | None = None,
    acceptableProtocols: Sequence[bytes] | None = None,
    *,
    extraCertificateOptions: dict[str, Any] | None = None,
    sendServerName: bool | None = None,
) -> ClientTLSOptions:
    """Client TLS settings that verify the server is ``hostname``.

    ``hostname`` is text (a DNS name, IDNA-encoded here, or an IP literal);
    ``trustRoot`` defaults to ``platformTrust()``; ``clientCertificate`` is
    presented if the server asks; ``acceptableProtocols`` are offered with
    ALPN; ``extraCertificateOptions`` go to ``CertificateOptions``;
    ``sendServerName=None`` sends SNI for DNS names only.
    """
    if not isinstance(hostname, str):
        raise TypeError("optionsForClientTLS requires text for host names, not " + hostname.__class__.__name__)
    extra = dict(extraCertificateOptions or {})
    if trustRoot is None:
        trustRoot = platformTrust()
    if clientCertificate:
        extra.update(privateKey=clientCertificate.privateKey, certificate=clientCertificate)
    options = CertificateOptions(trustRoot=trustRoot, acceptableProtocols=acceptableProtocols, **extra)
    return ClientTLSOptions(hostname, options, sendServerName)


# --- the older getContext() API -------------------------------------------------


@implementer(IOpenSSLContextFactory)
class ContextFactory:
    """Base class of the old context factories; ``getContext`` is for subclasses."""

    isClient = 0

    def getContext(self) -> ssl.SSLContext:
        """Return an ``ssl.SSLContext`` (override in subclasses)."""
        raise NotImplementedError


class DefaultOpenSSLContextFactory(ContextFactory):
    """A server context from a private key file and a certificate file.

    The context is built (and the files read) at once, so a missing or bad
    file raises here: ``FileNotFoundError`` / ``ssl.SSLError``.
    """

    _context: ssl.SSLContext | None = None

    def __init__(self, privateKeyFileName: str, certificateFileName: str,
                 sslmethod: int = _TLS_METHOD, _contextFactory: Any = None) -> None:
        self.privateKeyFileName = privateKeyFileName
        self.certificateFileName = certificateFileName
        self.sslmethod = sslmethod
        self.cacheContext()

    def cacheContext(self) -> None:
        """Build the context now (once)."""
        if self._context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.options |= ssl.OP_NO_RENEGOTIATION
            context.load_cert_chain(self.certificateFileName, self.privateKeyFileName)
            self._context = context

    def getContext(self) -> ssl.SSLContext:
        """The cached server context."""
        assert self._context is not None
        return self._context


@implementer(IOpenSSLContextFactory)
class ClientContextFactory:
    """A client context that verifies nothing (Twisted's; use ``optionsForClientTLS``)."""

    isClient = 1
    method = _TLS_METHOD

    def getContext(self) -> ssl.SSLContext:
        """A new client context: TLS 1.2 or newer, no certificate or host name check."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.options |= ssl.OP_NO_RENEGOTIATION
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context


_PYOPENSSL_ADVICE = (
    "plait runs TLS on the standard library's ssl module and cannot use a pyOpenSSL "
    "context: {factory!r}.getContext() returned {kind}.  Use ssl.optionsForClientTLS(hostname) "
    "(a client: it verifies the server), or ssl.CertificateOptions(privateKey=..., "
    "certificate=...) / ssl.PrivateCertificate.loadPEM(pem).options() (a server), from "
    "plait.ssl (twisted.internet.ssl under plait.compat)."
)


def _warnUnverified(contextFactory: Any) -> None:
    """Say so when a client will not verify its server (Twisted's default, kept)."""
    log.msg(
        f"TLS with {type(contextFactory).__name__}: the server's certificate and name are "
        "NOT verified (use plait.ssl.optionsForClientTLS(hostname) to verify them)",
        logLevel=logging.WARNING,
    )


def _connectionCreatorFor(contextFactory: Any, isClient: bool) -> Callable[[Any], ssl.SSLObject]:
    """``tlsProtocol -> ssl.SSLObject`` for the client or server side of ``contextFactory``.

    Accepts the connection creators of ``plait.ssl`` (and anything
    providing Twisted's creator interfaces) and old-style context factories
    whose ``getContext()`` returns an ``ssl.SSLContext``.  Raises
    ``TypeError``, naming what to use instead, for anything else --
    notably a pyOpenSSL context factory.
    """
    if isClient and IOpenSSLClientConnectionCreator.providedBy(contextFactory):
        if isinstance(contextFactory, CertificateOptions) and not contextFactory.verify:
            _warnUnverified(contextFactory)
        return cast("Callable[[Any], ssl.SSLObject]", contextFactory.clientConnectionForTLS)
    if not isClient and IOpenSSLServerConnectionCreator.providedBy(contextFactory):
        return cast("Callable[[Any], ssl.SSLObject]", contextFactory.serverConnectionForTLS)
    getContext = getattr(contextFactory, "getContext", None)
    if getContext is None:
        side = "optionsForClientTLS(hostname)" if isClient else "CertificateOptions(...) or PrivateCertificate.options()"
        raise TypeError(f"{contextFactory!r} is not TLS settings: pass plait.ssl.{side}")
    context = getContext()
    if not isinstance(context, ssl.SSLContext):
        kind = type(context)
        if kind.__module__.split(".")[0] == "OpenSSL":
            raise TypeError(_PYOPENSSL_ADVICE.format(factory=contextFactory, kind=f"{kind.__module__}.{kind.__qualname__}"))
        raise TypeError(f"{contextFactory!r}.getContext() must return an ssl.SSLContext, not {kind.__name__}")
    wanted = ssl.PROTOCOL_TLS_CLIENT if isClient else ssl.PROTOCOL_TLS_SERVER
    if context.protocol not in (wanted, ssl.PROTOCOL_TLS):
        # DefaultOpenSSLContextFactory, say, handed to connectSSL: Twisted's
        # pyOpenSSL context serves either side, the standard library's one.
        if isClient:
            raise TypeError(
                f"{contextFactory!r}.getContext() returned a server context, and a client needs a client one: "
                "use plait.ssl.optionsForClientTLS(hostname), with clientCertificate= to present a certificate"
            )
        raise TypeError(
            f"{contextFactory!r}.getContext() returned a client context, and a server needs a server one: "
            "use plait.ssl.CertificateOptions(privateKey=..., certificate=...) or PrivateCertificate.options()"
        )
    if isClient and context.verify_mode == ssl.CERT_NONE:
        _warnUnverified(contextFactory)

    def connectionForTLS(tlsProtocol: Any) -> ssl.SSLObject:
        return _wrap(getContext(), tlsProtocol, not isClient)

    return connectionForTLS


# --- protocol negotiation ----------------------------------------------------------


class ProtocolNegotiationSupport(enum.Flag):
    """Which protocol negotiation mechanisms the TLS backend supports."""

    NOSUPPORT = 0
    NPN = 0x0001
    ALPN = 0x0002


def protocolNegotiationMechanisms() -> ProtocolNegotiationSupport:
    """``ProtocolNegotiationSupport.ALPN`` when OpenSSL has ALPN (deprecated, as in Twisted 26.10)."""
    warnings.warn(
        "twisted.internet.ssl.protocolNegotiationMechanisms was deprecated in Twisted 26.10.0",
        DeprecationWarning,
        stacklevel=2,
    )
    support = ProtocolNegotiationSupport.NOSUPPORT
    if ssl.HAS_ALPN:
        support |= ProtocolNegotiationSupport.ALPN
    return support
