"""TLS configuration for ``plait.ssl``: versions, trust roots, ``CertificateOptions``.

What it owns: turning Twisted's TLS settings into standard-library
``ssl.SSLContext`` objects, and making the per-connection ``ssl.SSLObject``
a ``plait.tls.TLSMemoryBIOProtocol`` runs.  ``optionsForClientTLS`` and the
older context factories live in ``plait._sslclient``; certificates in
``plait._sslcert``, keys in ``plait._sslkeys``.

The connection-creator contract (``IOpenSSLClientConnectionCreator`` /
``IOpenSSLServerConnectionCreator``, Twisted's names kept): the TLS protocol
calls ``clientConnectionForTLS(tlsProtocol)`` or
``serverConnectionForTLS(tlsProtocol)`` once per connection, and gets back
an ``ssl.SSLObject`` made over the protocol's two memory BIOs
(``tlsProtocol._incoming``, ``tlsProtocol._outgoing``; see ``_wrap``).

Rules:

* A context is built once per options object and side (the standard
  library ties a context to the client or the server side) and shared by
  every connection; only an ALPN list contributed by the protocol factory
  (``IProtocolNegotiationFactory``) makes a variant, cached per list.
* TLS 1.2 is the floor: ``insecurelyLowerMinimumTo`` (or ``method``) below
  TLS 1.2 raises ``ValueError`` (Twisted allows TLS 1.0; plait does not).
* ``CertificateOptions`` keeps Twisted's defaults: without ``trustRoot`` (or
  ``verify=True``) the peer is not verified at all, and it never checks a
  host name -- ``optionsForClientTLS`` is the verified client path.
* Private keys reach OpenSSL through an anonymous in-memory file
  (``_loadCertChain``), never a file on disk.

Tests: tests/unit/test_sslverify.py, tests/unit/test_tls.py,
tests/integration/test_tls_peers.py.
"""

from __future__ import annotations

import enum
import functools
import inspect
import os
import ssl
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ParamSpec

from zope.interface import implementer

from plait._sslcert import FILETYPE_PEM, Certificate, KeyPair
from plait.interfaces import (
    IAcceptableCiphers,
    ICipher,
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
    IOpenSSLTrustRoot,
)

__all__ = [
    "AcceptableCiphers",
    "CertificateOptions",
    "DiffieHellmanParameters",
    "OpenSSLCertificateAuthorities",
    "OpenSSLCertificateOptions",
    "OpenSSLCipher",
    "OpenSSLDefaultPaths",
    "TLSVersion",
    "VerificationError",
    "platformTrust",
    "trustRootFromCertificates",
]


class TLSVersion(enum.Enum):
    """The TLS versions a connection may negotiate, oldest first (ordered)."""

    SSLv3 = "SSLv3"
    TLSv1_0 = "TLSv1_0"
    TLSv1_1 = "TLSv1_1"
    TLSv1_2 = "TLSv1_2"
    TLSv1_3 = "TLSv1_3"

    def __repr__(self) -> str:
        return f"<TLSVersion={self.name}>"

    def _rank(self) -> int:
        return list(TLSVersion).index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TLSVersion):
            return NotImplemented
        return self._rank() < other._rank()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TLSVersion):
            return NotImplemented
        return self._rank() > other._rank()

    def __le__(self, other: object) -> bool:
        return self == other or self < other

    def __ge__(self, other: object) -> bool:
        return self == other or self > other

    __hash__ = object.__hash__

    @classmethod
    def iterconstants(cls) -> Iterator[TLSVersion]:
        """Every version, oldest first (``constantly``'s API, as Twisted's)."""
        return iter(cls)

    @classmethod
    def lookupByName(cls, name: str) -> TLSVersion:
        """The version called ``name``; ``ValueError`` for an unknown one."""
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown TLS version {name!r} (one of {', '.join(v.name for v in cls)})") from None


_STDLIB_VERSIONS = {
    TLSVersion.SSLv3: ssl.TLSVersion.SSLv3,
    TLSVersion.TLSv1_0: ssl.TLSVersion.TLSv1,
    TLSVersion.TLSv1_1: ssl.TLSVersion.TLSv1_1,
    TLSVersion.TLSv1_2: ssl.TLSVersion.TLSv1_2,
    TLSVersion.TLSv1_3: ssl.TLSVersion.TLSv1_3,
}

#: plait speaks nothing older (a deliberate difference: see the module docstring).
_FLOOR = TLSVersion.TLSv1_2

# pyOpenSSL's method constants, as Twisted programs pass them to ``method=``.
_METHODS: dict[int, tuple[TLSVersion, TLSVersion | None]] = {
    3: (_FLOOR, None),  # SSLv23_METHOD: negotiate
    7: (_FLOOR, None),  # TLS_METHOD
    8: (_FLOOR, None),  # TLS_SERVER_METHOD
    9: (_FLOOR, None),  # TLS_CLIENT_METHOD
    6: (TLSVersion.TLSv1_2, TLSVersion.TLSv1_2),  # TLSv1_2_METHOD
}


def _version(name: str, value: object) -> TLSVersion:
    """``value`` if it is a TLSVersion; else the exception type Twisted raises
    for that keyword (its comparisons raise TypeError, its list lookup ValueError)."""
    if not isinstance(value, TLSVersion):
        problem = TypeError if name != "insecurelyLowerMinimumTo" else ValueError
        raise problem(f"{name} must be a TLSVersion constant (such as TLSVersion.TLSv1_2), not {value!r}")
    return value


class VerificationError(Exception):
    """The peer's certificate was not acceptable: untrusted, expired, or for another name.

    The message is OpenSSL's verification result; ``verifyCode`` is its
    ``X509_V_ERR_*`` number and ``__cause__`` the ``ssl.SSLCertVerificationError``.
    """

    def __init__(self, message: str, verifyCode: int = 0) -> None:
        super().__init__(message)
        self.verifyCode = verifyCode
        self.errors = [message]  # service_identity's attribute, which Twisted raises


# X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH (x509_vfy.h)
_NAME_MISMATCH = (62, 64)


def _verificationError(e: ssl.SSLCertVerificationError) -> VerificationError:
    """A ``VerificationError`` that says what was wrong, from OpenSSL's."""
    message = f"certificate verify failed: {e.verify_message}"
    if e.verify_code in _NAME_MISMATCH:
        message += (
            " (plait checks the names in the certificate's subjectAltName only; "
            "a certificate whose name is only in its commonName is refused)"
        )
    failure = VerificationError(message, e.verify_code)
    failure.__cause__ = e
    return failure


# --- trust roots --------------------------------------------------------------------


def _asCertificate(value: Any) -> Certificate:
    return value if isinstance(value, Certificate) else Certificate(value)


@implementer(IOpenSSLTrustRoot)
class OpenSSLCertificateAuthorities:
    """Trust exactly these CA certificates (``Certificate``s or convertible objects)."""

    def __init__(self, caCerts: Iterable[Any]) -> None:
        self._caCerts = [_asCertificate(c) for c in caCerts]

    def _addCACertsToContext(self, context: Any) -> None:
        for cert in self._caCerts:
            context.load_verify_locations(cadata=cert.dump())


def trustRootFromCertificates(certificates: Iterable[Any]) -> OpenSSLCertificateAuthorities:
    """A trust root that accepts peers whose chain leads to one of ``certificates``.

    Raises ``TypeError`` for an item that is not a ``Certificate``.
    """
    certs = list(certificates)
    for cert in certs:
        if not isinstance(cert, Certificate):
            raise TypeError("certificates items must be twisted.internet.ssl.CertBase instances")
    return OpenSSLCertificateAuthorities(certs)


@implementer(IOpenSSLTrustRoot)
class OpenSSLDefaultPaths:
    """Trust OpenSSL's default verify paths (the system store; ``SSL_CERT_FILE``)."""

    def _addCACertsToContext(self, context: Any) -> None:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)


def platformTrust() -> OpenSSLDefaultPaths:
    """The platform's trust store: the trust root clients should use by default."""
    return OpenSSLDefaultPaths()


def _trustRoot(trustRoot: Any) -> Any:
    if IOpenSSLTrustRoot.providedBy(trustRoot):
        return trustRoot
    adapted = IOpenSSLTrustRoot(trustRoot, None)
    if adapted is None:
        raise TypeError(
            "trustRoot must be a Certificate, the result of platformTrust() or "
            f"trustRootFromCertificates(), not {trustRoot!r}"
        )
    return adapted


# --- keys into OpenSSL --------------------------------------------------------------


def _loadCertChain(context: ssl.SSLContext, chainPEM: bytes, keyPEM: bytes) -> None:
    """``context.load_cert_chain`` from bytes.

    The standard library only loads keys from files.  On Linux the file is
    anonymous memory (``memfd_create(2)``) reached through ``/proc/self/fd``;
    elsewhere a private temporary file, removed at once.  Raises
    ``ValueError`` if OpenSSL refuses the certificate or the key (or they do
    not match).
    """
    data = chainPEM + b"\n" + keyPEM
    try:
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            fd = os.memfd_create("plait-tls-key", os.MFD_CLOEXEC)
            try:
                os.write(fd, data)
                context.load_cert_chain(f"/proc/self/fd/{fd}")
            finally:
                os.close(fd)
            return
        with tempfile.TemporaryDirectory(prefix="plait-tls-") as directory:
            path = os.path.join(directory, "key.pem")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(data)
            context.load_cert_chain(path)
    except ssl.SSLError as e:
        raise ValueError(f"OpenSSL refused the certificate or private key: {e.reason or e}") from None


def _keyMatchesCertificate(key: KeyPair, cert: Certificate) -> bool:
    """Whether ``key`` is the private half of ``cert``'s public key."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        try:
            _loadCertChain(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), cert.dump(FILETYPE_PEM), key.dump(FILETYPE_PEM))
        except ValueError:
            return False
        return True
    return key.matches(cert.getPublicKey())


# --- ciphers and Diffie-Hellman ---------------------------------------------------


@implementer(ICipher)
class OpenSSLCipher:
    """One cipher suite, by its OpenSSL name (``fullName``)."""

    def __init__(self, fullName: str) -> None:
        self.fullName = fullName

    def __repr__(self) -> str:
        return f"OpenSSLCipher(fullName={self.fullName!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpenSSLCipher) and other.fullName == self.fullName

    def __hash__(self) -> int:
        return hash(self.fullName)


def _expandCipherString(cipherString: str) -> tuple[OpenSSLCipher, ...]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.set_ciphers(cipherString)
    except ssl.SSLError:
        return ()
    return tuple(OpenSSLCipher(c["name"]) for c in context.get_ciphers())


@implementer(IAcceptableCiphers)
class AcceptableCiphers:
    """The cipher suites a connection may use (``OpenSSLAcceptableCiphers``)."""

    def __init__(self, ciphers: Iterable[OpenSSLCipher]) -> None:
        self._ciphers = tuple(ciphers)

    def selectCiphers(self, availableCiphers: Iterable[Any]) -> tuple[OpenSSLCipher, ...]:
        """The acceptable ciphers that are also in ``availableCiphers``, in my order."""
        available = set(availableCiphers)
        return tuple(c for c in self._ciphers if c in available)

    @classmethod
    def fromOpenSSLCipherString(cls, cipherString: str) -> AcceptableCiphers:
        """The ciphers an OpenSSL cipher string names, on this platform."""
        return cls(_expandCipherString(cipherString))


OpenSSLAcceptableCiphers = AcceptableCiphers


class DiffieHellmanParameters:
    """Finite-field Diffie-Hellman parameters for DHE cipher suites (a PEM file)."""

    def __init__(self, parameters: Any) -> None:
        self._dhFile = parameters

    @classmethod
    def fromFile(cls, filePath: Any) -> DiffieHellmanParameters:
        """Parameters from ``filePath`` (a path, or an object with ``.path``)."""
        return cls(filePath)

    def _path(self) -> str:
        path = getattr(self._dhFile, "path", self._dhFile)
        return os.fsdecode(path)


OpenSSLDiffieHellmanParameters = DiffieHellmanParameters


# --- CertificateOptions -------------------------------------------------------------

_EXCLUSIVE = (
    ("trustRoot", "requireCertificate"),
    ("trustRoot", "verify"),
    ("trustRoot", "caCerts"),
    ("method", "insecurelyLowerMinimumTo"),
    ("method", "raiseMinimumTo"),
    ("raiseMinimumTo", "insecurelyLowerMinimumTo"),
    ("method", "lowerMaximumSecurityTo"),
)

_NAME = "plait._sslverify.OpenSSLCertificateOptions.__init__"
_P = ParamSpec("_P")


def _mutuallyExclusiveArguments(
    pairs: Sequence[tuple[str, str]],
) -> Callable[[Callable[_P, None]], Callable[_P, None]]:
    """Make the decorated function raise ``TypeError`` when both arguments of
    a pair are *passed* (whatever their values), with Twisted's message."""

    def wrapper(wrappee: Callable[_P, None]) -> Callable[_P, None]:
        signature = inspect.signature(wrappee)

        @functools.wraps(wrappee)
        def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> None:
            passed = signature.bind(*args, **kwargs).arguments
            for this, that in pairs:
                if this in passed and that in passed:
                    raise TypeError(f"The {this!r} and {that!r} arguments to {_NAME} are mutually exclusive.")
            wrappee(*args, **kwargs)

        return wrapped

    return wrapper


def _wrap(context: ssl.SSLContext, tlsProtocol: Any, serverSide: bool, serverHostname: str | None = None) -> ssl.SSLObject:
    """The connection object for ``tlsProtocol``: ``context`` over its memory BIOs."""
    return context.wrap_bio(
        tlsProtocol._incoming, tlsProtocol._outgoing, server_side=serverSide, server_hostname=serverHostname
    )


def _factoryProtocols(tlsProtocol: Any) -> tuple[bytes, ...]:
    """ALPN names the wrapped factory adds (``IProtocolNegotiationFactory``), if any."""
    negotiating = getattr(tlsProtocol.factory, "_negotiationFactory", None)
    return () if negotiating is None else tuple(negotiating.acceptableProtocols())


@implementer(IOpenSSLServerConnectionCreator, IOpenSSLClientConnectionCreator, IOpenSSLContextFactory)
class CertificateOptions:
    """TLS settings for servers (and for clients that need no host name check).

    Twisted's ``CertificateOptions`` with every keyword; see the module
    docstring for what plait does differently.  Mutually exclusive keywords
    raise ``TypeError``; ``privateKey`` without ``certificate`` (or the
    reverse) and ``verify=True`` without ``caCerts`` raise ``ValueError``.
    Settings OpenSSL's Python binding cannot express (``verifyDepth``,
    ``verifyOnce``, ``enableSessions``, ``fixBrokenPeers``) are accepted and
    kept as attributes.
    """

    _defaultMinimumTLSVersion = TLSVersion.TLSv1_2

    @_mutuallyExclusiveArguments(_EXCLUSIVE)
    def __init__(self, privateKey: Any = None, certificate: Any = None, method: int | None = None,
                 verify: bool = False, caCerts: Sequence[Any] | None = None, verifyDepth: int = 9,
                 requireCertificate: bool = True, verifyOnce: bool = True, enableSingleUseKeys: bool = True,
                 enableSessions: bool = False, fixBrokenPeers: bool = False, enableSessionTickets: bool = False,
                 extraCertChain: Sequence[Any] | None = None, acceptableCiphers: Any = None,
                 dhParameters: DiffieHellmanParameters | None = None, trustRoot: Any = None,
                 acceptableProtocols: Sequence[bytes] | None = None, raiseMinimumTo: TLSVersion | None = None,
                 insecurelyLowerMinimumTo: TLSVersion | None = None, lowerMaximumSecurityTo: TLSVersion | None = None,
                 contextForServerName: Callable[[bytes | None], Any] | None = None) -> None:
        if (privateKey is None) != (certificate is None):
            raise ValueError("Specify neither or both of privateKey and certificate")
        self.privateKey = None if privateKey is None else (privateKey if isinstance(privateKey, KeyPair) else KeyPair(privateKey))
        self.certificate = None if certificate is None else _asCertificate(certificate)
        self._minimum, self._maximum = self._versions(method, raiseMinimumTo, insecurelyLowerMinimumTo, lowerMaximumSecurityTo)
        self.method = method
        if verify and not caCerts:
            raise ValueError("Specify client CA certificate information if and only if enabling certificate verification")
        if extraCertChain is not None and self.certificate is None:
            raise ValueError("A private key and a certificate are required when adding a supplemental certificate chain.")
        self.extraCertChain = [_asCertificate(c) for c in extraCertChain or ()]
        self.verify = verify
        self.caCerts = caCerts
        self.verifyDepth = verifyDepth
        self.requireCertificate = requireCertificate
        self.verifyOnce = verifyOnce
        self.enableSingleUseKeys = enableSingleUseKeys
        self.enableSessions = enableSessions
        self.fixBrokenPeers = fixBrokenPeers
        self.enableSessionTickets = enableSessionTickets
        self.dhParameters = dhParameters
        self._cipherString: str | None = None
        if acceptableCiphers is not None:
            chosen = acceptableCiphers.selectCiphers(_expandCipherString("ALL"))
            if not chosen:
                raise ValueError("Supplied IAcceptableCiphers yielded no usable ciphers on this platform.")
            self._cipherString = ":".join(c.fullName for c in chosen)
        if trustRoot is None:
            self.trustRoot = OpenSSLCertificateAuthorities(caCerts or ()) if verify else None
        else:
            self.verify = True
            self.requireCertificate = True
            self.trustRoot = _trustRoot(trustRoot)
        self._acceptableProtocols = tuple(acceptableProtocols or ())
        for protocol in self._acceptableProtocols:
            if not isinstance(protocol, bytes):
                raise TypeError(f"acceptableProtocols must be bytes, not {protocol!r}")
        self._contextForServerName = contextForServerName
        self._contexts: dict[tuple[bool, tuple[bytes, ...]], ssl.SSLContext] = {}

    def _versions(self, method: int | None, raiseMinimumTo: Any, insecurelyLowerMinimumTo: Any,
                  lowerMaximumSecurityTo: Any) -> tuple[TLSVersion, TLSVersion | None]:
        """The (minimum, maximum) versions the keywords ask for."""
        if method is not None:
            warnings.warn(
                "Passing method to twisted.internet.ssl.CertificateOptions was deprecated in "
                "Twisted 17.1.0. Please use a combination of insecurelyLowerMinimumTo, "
                "raiseMinimumTo, and lowerMaximumSecurityTo instead, as Twisted will correctly "
                "configure the method.",
                DeprecationWarning,
                stacklevel=4,
            )
            if method not in _METHODS:
                raise ValueError(
                    f"method {method!r} is not supported: plait speaks TLS 1.2 and newer only "
                    "(use TLS_METHOD, or raiseMinimumTo/lowerMaximumSecurityTo)"
                )
            return _METHODS[method]
        maximum = None if lowerMaximumSecurityTo is None else _version("lowerMaximumSecurityTo", lowerMaximumSecurityTo)
        minimum = self._defaultMinimumTLSVersion
        if raiseMinimumTo is not None:
            raiseMinimumTo = _version("raiseMinimumTo", raiseMinimumTo)
            if maximum is not None and raiseMinimumTo > maximum:
                raise ValueError("raiseMinimumTo needs to be lower than lowerMaximumSecurityTo")
            minimum = max(minimum, raiseMinimumTo)
        if insecurelyLowerMinimumTo is not None:
            minimum = _version("insecurelyLowerMinimumTo", insecurelyLowerMinimumTo)
            if minimum < _FLOOR:
                raise ValueError(
                    f"insecurelyLowerMinimumTo={minimum!r} is refused: plait speaks TLS 1.2 and newer only"
                )
            if maximum is not None and minimum > maximum:
                raise ValueError("insecurelyLowerMinimumTo needs to be lower than lowerMaximumSecurityTo")
        elif maximum is not None and minimum > maximum:
            minimum = maximum
        if maximum is not None and maximum < _FLOOR:
            raise ValueError(f"lowerMaximumSecurityTo={maximum!r} is refused: plait speaks TLS 1.2 and newer only")
        return minimum, maximum

    # -- contexts --------------------------------------------------------------------

    def _context(self, serverSide: bool, extraProtocols: tuple[bytes, ...] = ()) -> ssl.SSLContext:
        """The shared context for one side (and one ALPN list), built on first use."""
        key = (serverSide, extraProtocols)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = self._makeContext(serverSide, extraProtocols + self._acceptableProtocols)
        return context

    def _makeContext(self, serverSide: bool, protocols: tuple[bytes, ...]) -> ssl.SSLContext:
        """A new context with these settings (no caching)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if serverSide else ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = _STDLIB_VERSIONS[self._minimum]
        if self._maximum is not None:
            context.maximum_version = _STDLIB_VERSIONS[self._maximum]
        # No renegotiation (TLS 1.2; 1.3 has none): refused with an alert.
        context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
        if self.enableSingleUseKeys:
            context.options |= ssl.OP_SINGLE_DH_USE | ssl.OP_SINGLE_ECDH_USE
        if not self.enableSessionTickets:
            context.options |= ssl.OP_NO_TICKET
            if serverSide:
                # TLS 1.3 would still send two tickets after every handshake;
                # nobody here resumes sessions with them.
                context.num_tickets = 0
        if self.certificate is not None and self.privateKey is not None:
            # dump(), not dumpPEM(): a PrivateCertificate's dumpPEM adds its key.
            chain = b"".join(c.dump(FILETYPE_PEM) for c in [self.certificate, *self.extraCertChain])
            _loadCertChain(context, chain, self.privateKey.dump(FILETYPE_PEM))
        context.check_hostname = False
        if self.verify and self.trustRoot is not None:
            context.verify_mode = ssl.CERT_REQUIRED if self.requireCertificate else ssl.CERT_OPTIONAL
            self.trustRoot._addCACertsToContext(context)
        else:
            context.verify_mode = ssl.CERT_NONE
        if self._cipherString is not None:
            context.set_ciphers(self._cipherString)
        if self.dhParameters is not None:
            context.load_dh_params(self.dhParameters._path())
        if protocols:
            context.set_alpn_protocols([p.decode("ascii") for p in protocols])
        if self._contextForServerName is not None and serverSide:
            context.sni_callback = self._selectContext
        return context

    def _selectContext(self, sslObject: ssl.SSLObject, serverName: str | None, context: ssl.SSLContext) -> int | None:
        """SNI: let ``contextForServerName`` pick another context for this connection."""
        try:
            chosen = self._contextForServerName(None if serverName is None else serverName.encode("ascii"))  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - OpenSSL would swallow it; log and refuse
            from plait import log

            log.err(None, "while looking up SNI context")
            return int(ssl.ALERT_DESCRIPTION_INTERNAL_ERROR)
        if chosen is not None:
            sslObject.context = chosen
        return None

    def getContext(self) -> ssl.SSLContext:
        """The shared context (the server one when a certificate is set, else the client one)."""
        return self._context(self.certificate is not None)

    # -- connection creators ------------------------------------------------------

    def serverConnectionForTLS(self, tlsProtocol: Any) -> ssl.SSLObject:
        """The server side of one connection."""
        return _wrap(self._context(True, _factoryProtocols(tlsProtocol)), tlsProtocol, True)

    def clientConnectionForTLS(self, tlsProtocol: Any) -> ssl.SSLObject:
        """The client side of one connection (no host name check: see optionsForClientTLS)."""
        return _wrap(self._context(False, _factoryProtocols(tlsProtocol)), tlsProtocol, False)


OpenSSLCertificateOptions = CertificateOptions
