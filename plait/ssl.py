"""TLS settings, certificates and trust (``twisted.internet.ssl``), on the standard library.

What it owns: the public names of Twisted's ``twisted.internet.ssl``, with
Twisted's signatures.  The work is done in four private modules:
``plait._sslverify`` (``CertificateOptions``, versions, trust roots,
ciphers), ``plait._sslclient`` (``optionsForClientTLS``, the older context
factories), ``plait._sslcert`` (certificates) and ``plait._sslkeys`` (keys).  TLS itself (the
handshake, encryption, closing) is ``plait.tls``.

Only the standard library's ``ssl`` module is needed to make and accept
verified TLS connections, with certificates loaded from PEM; the optional
``cryptography`` package (``pip install 'plait[tls]'``) adds reading
certificate fields and making keys and certificates.

How verification is decided:

* ``optionsForClientTLS(hostname, trustRoot=platformTrust())`` -- the path
  to use -- checks the chain against ``trustRoot`` and the host name
  against the certificate's subjectAltName, inside the handshake.
* ``CertificateOptions(trustRoot=...)`` checks the chain only; without
  ``trustRoot`` it checks nothing (Twisted's defaults, kept).
* ``ClientContextFactory()`` checks nothing; plait logs a warning.
* The ``ssl:`` and ``tls:`` endpoint strings always verify (see
  ``plait._tlsendpoints``).

``Connector`` and ``Port`` are Twisted's classes of the same names: TCP's,
with the factory wrapped in a ``TLSMemoryBIOFactory`` (Twisted's ``Client``
and ``Server`` transport subclasses are not provided: TLS wraps a
transport, it is not one).

Tests: tests/unit/test_sslverify.py, tests/unit/test_sslcert.py,
tests/unit/test_ssl_nocryptography.py, tests/integration/test_tls_peers.py.
"""

from __future__ import annotations

from typing import Any

from plait._sslcert import (
    DN,
    FILETYPE_ASN1,
    FILETYPE_PEM,
    TYPE_EC,
    TYPE_RSA,
    Certificate,
    CertificateRequest,
    DistinguishedName,
    KeyPair,
    PrivateCertificate,
    PublicKey,
)
from plait._sslclient import (
    ClientContextFactory,
    ClientTLSOptions,
    ContextFactory,
    DefaultOpenSSLContextFactory,
    ProtocolNegotiationSupport,
    optionsForClientTLS,
    protocolNegotiationMechanisms,
)
from plait._sslverify import (
    AcceptableCiphers,
    CertificateOptions,
    DiffieHellmanParameters,
    OpenSSLCertificateAuthorities,
    OpenSSLCertificateOptions,
    OpenSSLCipher,
    OpenSSLDefaultPaths,
    TLSVersion,
    VerificationError,
    platformTrust,
    trustRootFromCertificates,
)
from plait.error import CertificateError, VerifyError
from plait.tcp import Connector as _TCPConnector
from plait.tcp import Port as _TCPPort
from plait.tls import TLSMemoryBIOFactory

#: Twisted's flag: TLS is available (it always is: the standard library has it).
supported = True

__all__ = [
    "DN",
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "TYPE_EC",
    "TYPE_RSA",
    "AcceptableCiphers",
    "Certificate",
    "CertificateError",
    "CertificateOptions",
    "CertificateRequest",
    "ClientContextFactory",
    "ClientTLSOptions",
    "Connector",
    "ContextFactory",
    "DefaultOpenSSLContextFactory",
    "DiffieHellmanParameters",
    "DistinguishedName",
    "KeyPair",
    "OpenSSLCertificateAuthorities",
    "OpenSSLCertificateOptions",
    "OpenSSLCipher",
    "OpenSSLDefaultPaths",
    "Port",
    "PrivateCertificate",
    "ProtocolNegotiationSupport",
    "PublicKey",
    "TLSVersion",
    "VerificationError",
    "VerifyError",
    "optionsForClientTLS",
    "platformTrust",
    "protocolNegotiationMechanisms",
    "supported",
    "trustRootFromCertificates",
]


class Connector(_TCPConnector):
    """``connectSSL``'s connector, for code that builds one itself: a TCP
    connector whose factory is wrapped in a ``TLSMemoryBIOFactory``."""

    def __init__(self, host: str, port: int, factory: Any, contextFactory: Any, timeout: float,
                 bindAddress: Any, reactor: Any = None) -> None:
        self.contextFactory = contextFactory
        super().__init__(host, port, TLSMemoryBIOFactory(contextFactory, True, factory, reactor),
                         timeout, bindAddress, reactor)


class Port(_TCPPort):
    """``listenSSL``'s port, for code that builds one itself (TLS on every connection)."""

    _type = "TLS"

    def __init__(self, port: int, factory: Any, ctxFactory: Any, backlog: int = 50, interface: str = "",
                 reactor: Any = None) -> None:
        self.ctxFactory = ctxFactory
        super().__init__(port, TLSMemoryBIOFactory(ctxFactory, False, factory, reactor), backlog, interface, reactor)
