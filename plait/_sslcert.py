"""Certificates for ``plait.ssl``: ``Certificate``, ``PrivateCertificate``,
``DistinguishedName`` and ``CertificateRequest`` (keys are in ``plait._sslkeys``).

What it owns: the objects a Twisted program passes around as TLS identities,
with Twisted's names and signatures, on top of the standard library ``ssl``
module and, for the parts that need to *parse* or *create* X.509 structures,
the optional ``cryptography`` package.

Theory of operation: the bytes are the truth.

* A ``Certificate`` is its DER bytes.  ``loadPEM``/``load``/``dump``/
  ``dumpPEM``/``digest``/equality need nothing but the standard library, so
  a client that loads a CA certificate from PEM and trusts it
  (``optionsForClientTLS(name, Certificate.loadPEM(pem))``) runs without
  ``cryptography``.  Reading fields (``getSubject``, ``serialNumber``,
  ``original``...) parses the DER with ``cryptography`` on first use.
* A ``KeyPair`` (``plait._sslkeys``, re-exported here) is its PEM text.
* ``original`` is Twisted's attribute for "the underlying library object";
  here it is the ``cryptography`` object (not pyOpenSSL's), parsed lazily.
  The constructors accept DER/PEM bytes, ``cryptography`` objects and
  pyOpenSSL objects (through their ``to_cryptography`` methods).

Rules:

* Without ``cryptography``, everything that must parse or build X.509 raises
  ``ImportError`` naming the package and the method; nothing else does.
* Data that does not parse raises ``ValueError`` naming what was expected
  (Twisted raises pyOpenSSL's ``crypto.Error``, which plait cannot).
* ``KeyPair.selfSignedCert`` and ``signRequestObject`` add a subjectAltName
  for a commonName that is a host name or IP address (Twisted's certificates
  have none, and plait refuses SAN-less certificates for host names).

Tests: tests/unit/test_sslcert.py, tests/unit/test_ssl_nocryptography.py.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Callable
from typing import Any

from plait._sslkeys import (
    _ONE_YEAR,
    FILETYPE_ASN1,
    FILETYPE_PEM,
    TYPE_EC,
    TYPE_RSA,
    KeyPair,
    PublicKey,
    _checkFormat,
    _crypto,
    _pem,
    _pemBlocks,
    _pemBytes,
)
from plait.error import CertificateError, VerifyError

__all__ = [
    "DN",
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "TYPE_EC",
    "TYPE_RSA",
    "Certificate",
    "CertificateRequest",
    "DistinguishedName",
    "KeyPair",
    "PrivateCertificate",
    "PublicKey",
]

# --- names ------------------------------------------------------------------------

_x509names = {
    "CN": "commonName",
    "commonName": "commonName",
    "O": "organizationName",
    "organizationName": "organizationName",
    "OU": "organizationalUnitName",
    "organizationalUnitName": "organizationalUnitName",
    "L": "localityName",
    "localityName": "localityName",
    "ST": "stateOrProvinceName",
    "stateOrProvinceName": "stateOrProvinceName",
    "C": "countryName",
    "countryName": "countryName",
    "emailAddress": "emailAddress",
}

_labels = {
    "commonName": "Common Name",
    "countryName": "Country Name",
    "emailAddress": "Email Address",
    "localityName": "Locality Name",
    "organizationName": "Organization Name",
    "organizationalUnitName": "Organizational Unit Name",
    "stateOrProvinceName": "State Or Province Name",
}


def _nameOIDs() -> dict[str, Any]:
    from cryptography.x509.oid import NameOID

    return {
        "commonName": NameOID.COMMON_NAME,
        "organizationName": NameOID.ORGANIZATION_NAME,
        "organizationalUnitName": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "localityName": NameOID.LOCALITY_NAME,
        "stateOrProvinceName": NameOID.STATE_OR_PROVINCE_NAME,
        "countryName": NameOID.COUNTRY_NAME,
        "emailAddress": NameOID.EMAIL_ADDRESS,
    }


class DistinguishedName(dict[str, bytes]):
    """The subject or issuer of a certificate: ``DN(commonName="example.com", C="US")``.

    Fields are readable as attributes under their long or short name
    (``dn.CN``, ``dn.commonName``) and as dictionary items under the long
    name; values are ASCII bytes.  Unknown field names raise
    ``AttributeError``.
    """

    __slots__ = ()

    def __init__(self, **kw: str | bytes) -> None:
        super().__init__()
        for key, value in kw.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"<DN {dict.__repr__(self)[1:-1]}>"

    def __getattr__(self, attr: str) -> bytes:
        try:
            return self[_x509names[attr]]
        except KeyError:
            raise AttributeError(attr) from None

    def __setattr__(self, attr: str, value: str | bytes) -> None:
        if attr not in _x509names:
            raise AttributeError(f"{attr} is not a valid OpenSSL X509 name field")
        if not isinstance(value, bytes):
            value = value.encode("ascii")
        self[_x509names[attr]] = value

    def inspect(self) -> str:
        """A multi-line, human-readable form: one aligned ``Label: value`` per field."""
        lines = [(_labels[k], self[k].decode("ascii", "replace")) for k in sorted(_labels) if k in self]
        width = max((len(label) for label, _ in lines), default=0) + 2
        return "\n".join(label.rjust(width) + ": " + value for label, value in lines)

    def _toX509Name(self) -> Any:
        x509 = _crypto("DistinguishedName")
        oids = _nameOIDs()
        return x509.Name([x509.NameAttribute(oids[k], v.decode("ascii")) for k, v in self.items()])

    @classmethod
    def _fromX509Name(cls, name: Any) -> DistinguishedName:
        byOID = {oid: key for key, oid in _nameOIDs().items()}
        dn = cls()
        for attribute in name:
            key = byOID.get(attribute.oid)
            if key is not None:
                value = attribute.value
                dn[key] = value if isinstance(value, bytes) else value.encode("utf-8")
        return dn


DN = DistinguishedName


# --- certificates -------------------------------------------------------------------


class CertBase:
    """What certificates and certificate requests share: a lazily parsed ``original``."""

    _parsed: Any = None

    @property
    def original(self) -> Any:
        """The ``cryptography`` object (parsed on first use; needs ``cryptography``)."""
        if self._parsed is None:
            self._parsed = self._parse()
        return self._parsed

    def _parse(self) -> Any:
        raise NotImplementedError

    def getSubject(self) -> DistinguishedName:
        """The subject's ``DistinguishedName``."""
        return DistinguishedName._fromX509Name(self.original.subject)

    def __conform__(self, interface: Any) -> Any:
        """``IOpenSSLTrustRoot(certificate)``: trust exactly this certificate."""
        from plait.interfaces import IOpenSSLTrustRoot

        if interface is IOpenSSLTrustRoot:
            from plait._sslverify import OpenSSLCertificateAuthorities

            return OpenSSLCertificateAuthorities([self])
        return None


def _derFrom(original: Any) -> tuple[bytes, Any]:
    """``(der, parsed-or-None)`` for what a Certificate may be built from."""
    if isinstance(original, Certificate):
        return original._der, original._parsed
    if isinstance(original, (bytes, bytearray, memoryview)):
        return bytes(original), None
    if hasattr(original, "to_cryptography"):  # pyOpenSSL's X509
        original = original.to_cryptography()
    if hasattr(original, "public_bytes") and hasattr(original, "subject"):
        from cryptography.hazmat.primitives.serialization import Encoding

        return original.public_bytes(Encoding.DER), original
    raise TypeError(
        "a Certificate is made from DER bytes, a cryptography x509.Certificate or "
        f"a pyOpenSSL X509, not {type(original).__name__}"
    )


def _checkDER(der: bytes) -> None:
    """Raise ValueError unless ``der`` is a certificate OpenSSL can read."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=der)
    except ssl.SSLError as e:
        raise ValueError(f"not a valid X.509 certificate: {e.reason or e}") from None


def _certificateDER(data: bytes | str, format: int) -> bytes:
    """The DER bytes of the (first) certificate in ``data``, checked readable."""
    _checkFormat(format)
    if format == FILETYPE_PEM:
        data = _pemBytes(data)  # text too, as on Twisted
    if not isinstance(data, bytes):
        raise TypeError(f"certificate data must be bytes, not {type(data).__name__}")
    if format == FILETYPE_PEM:
        labels = (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE")
        blocks = _pemBlocks(data, lambda label: label in labels)
        if not blocks:
            raise ValueError("no PEM certificate (-----BEGIN CERTIFICATE-----) in the data")
        try:
            der = base64.b64decode(blocks[0][1])
        except ValueError as e:
            raise ValueError(f"the PEM certificate is not valid base64: {e}") from None
    else:
        der = data
    _checkDER(der)
    return der


class Certificate(CertBase):
    """An X.509 certificate (Twisted's ``twisted.internet.ssl.Certificate``)."""

    def __init__(self, original: Any) -> None:
        self._der, self._parsed = _derFrom(original)

    def _parse(self) -> Any:
        x509 = _crypto(f"{type(self).__name__}.original")
        try:
            return x509.load_der_x509_certificate(self._der)
        except ValueError as e:
            raise ValueError(f"not a valid X.509 certificate: {e}") from None

    def __repr__(self) -> str:
        try:
            subject = self.getSubject().get("commonName", b"")
            issuer = self.getIssuer().get("commonName", b"")
        except ImportError:
            return f"<{type(self).__name__} sha256={self.digest('sha256').decode()}>"
        return f"<{type(self).__name__} Subject={subject!r} Issuer={issuer!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Certificate):
            return self._der == other._der
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable, as Twisted's

    @classmethod
    def load(cls, requestData: bytes | str, format: int = FILETYPE_ASN1, args: tuple[Any, ...] = ()) -> Any:
        """A certificate from DER (``FILETYPE_ASN1``, the default) or PEM data.

        Raises ``ValueError`` if the data holds no readable certificate.
        """
        return cls(_certificateDER(requestData, format), *args)

    @classmethod
    def loadPEM(cls, data: bytes | str) -> Any:
        """A certificate from PEM data (the first certificate in it)."""
        return cls.load(data, FILETYPE_PEM)

    def dump(self, format: int = FILETYPE_ASN1) -> bytes:
        """The certificate as DER (default) or PEM bytes."""
        _checkFormat(format)
        return self._der if format == FILETYPE_ASN1 else _pem("CERTIFICATE", self._der)

    def dumpPEM(self) -> bytes:
        """The certificate as PEM bytes."""
        return self.dump(FILETYPE_PEM)

    @classmethod
    def peerFromTransport(cls, transport: Any) -> Certificate:
        """The certificate the other end of a TLS ``transport`` presented.

        Raises ``CertificateError`` for a transport that is not TLS or whose
        peer sent no certificate.
        """
        get = getattr(transport, "getPeerCertificate", None)
        try:
            cert = None if get is None else get()
        except RuntimeError:  # a TCP connection that never called startTLS
            get = None
        if get is None:
            raise CertificateError(f"non-TLS transport {transport!r} did not have peer certificate")
        if cert is None:
            raise CertificateError(f"TLS transport {transport!r} did not have peer certificate")
        return cls(cert)

    @classmethod
    def hostFromTransport(cls, transport: Any) -> Certificate:
        """The certificate this end of a TLS ``transport`` presented (``CertificateError`` if none)."""
        get = getattr(transport, "_getHostCertificate", None)
        if get is None:
            raise CertificateError(f"non-TLS transport {transport!r} did not have host certificate")
        cert = get()
        if cert is None:
            raise CertificateError(f"TLS transport {transport!r} did not have host certificate")
        return cls(cert)

    def getPublicKey(self) -> PublicKey:
        """The certificate's public key."""
        return PublicKey(self.original.public_key())

    def serialNumber(self) -> int:
        """The serial number."""
        return int(self.original.serial_number)

    def digest(self, method: str = "md5") -> bytes:
        """The hash of the DER form, as pyOpenSSL writes it: ``b"AB:CD:..."``."""
        try:
            h = hashlib.new(method.replace("-", ""), self._der)
        except ValueError:
            raise ValueError(f"unknown digest method {method!r}") from None
        return ":".join(f"{b:02X}" for b in h.digest()).encode("ascii")

    def getIssuer(self) -> DistinguishedName:
        """The issuer's ``DistinguishedName``."""
        return DistinguishedName._fromX509Name(self.original.issuer)

    def _inspect(self) -> str:
        return "\n".join([
            "Certificate For Subject:", self.getSubject().inspect(),
            "\nIssuer:", self.getIssuer().inspect(),
            f"\nSerial Number: {self.serialNumber()}",
            f"Digest: {self.digest().decode()}",
        ])

    def inspect(self) -> str:
        """A multi-line description: subject, issuer, serial, digest, public key."""
        return "\n".join((self._inspect(), self.getPublicKey().inspect()))

    def options(self, *authorities: Any) -> Any:
        """Not provided (as in Twisted): use ``PrivateCertificate.options``."""
        raise NotImplementedError("Possible, but doubtful we need this yet")


class CertificateRequest(CertBase):
    """An X.509 certificate signing request (needs ``cryptography``)."""

    def __init__(self, original: Any) -> None:
        self._parsed = original

    @classmethod
    def load(cls, requestData: bytes | str, requestFormat: int = FILETYPE_ASN1) -> CertificateRequest:
        """A request from DER or PEM; ``VerifyError`` if its self-signature is bad."""
        x509 = _crypto("CertificateRequest.load")
        _checkFormat(requestFormat)
        if requestFormat == FILETYPE_ASN1:
            req = x509.load_der_x509_csr(requestData)
        else:
            req = x509.load_pem_x509_csr(_pemBytes(requestData))
        if not req.is_signature_valid:
            raise VerifyError(f"Can't verify that request for {req.subject!r} is self-signed.")
        return cls(req)

    def dump(self, format: int = FILETYPE_ASN1) -> bytes:
        """The request as DER (default) or PEM."""
        from cryptography.hazmat.primitives.serialization import Encoding

        _checkFormat(format)
        return bytes(self.original.public_bytes(Encoding.DER if format == FILETYPE_ASN1 else Encoding.PEM))


class PrivateCertificate(Certificate):
    """A certificate with its private key (``privateKey``, a ``KeyPair``)."""

    privateKey: KeyPair

    def __repr__(self) -> str:
        return f"{Certificate.__repr__(self)} with {self.privateKey!r}"

    def _setPrivateKey(self, privateKey: KeyPair) -> PrivateCertificate:
        if not isinstance(privateKey, KeyPair):
            privateKey = KeyPair(privateKey)
        from plait._sslverify import _keyMatchesCertificate

        if not _keyMatchesCertificate(privateKey, self):
            raise VerifyError("Certificate public and private keys do not match.")
        self.privateKey = privateKey
        return self

    def newCertificate(self, newCertData: bytes, format: int = FILETYPE_ASN1) -> PrivateCertificate:
        """A ``PrivateCertificate`` for other certificate data and this key."""
        certificate: PrivateCertificate = self.load(newCertData, self.privateKey, format)
        return certificate

    @classmethod
    def load(cls, data: bytes | str, privateKey: Any, format: int = FILETYPE_ASN1) -> Any:  # type: ignore[override]
        """The certificate in ``data`` with ``privateKey``; ``VerifyError`` if they do not match."""
        return cls(_certificateDER(data, format))._setPrivateKey(privateKey)

    def inspect(self) -> str:
        return "\n".join([Certificate._inspect(self), self.privateKey.inspect()])

    def dumpPEM(self) -> bytes:
        """Certificate then private key, as PEM."""
        return self.dump(FILETYPE_PEM) + self.privateKey.dump(FILETYPE_PEM)

    @classmethod
    def loadPEM(cls, data: bytes | str) -> Any:
        """Certificate *and* private key from one PEM blob (either order)."""
        return cls.load(data, KeyPair.load(data, FILETYPE_PEM), FILETYPE_PEM)

    @classmethod
    def fromCertificateAndKeyPair(cls, certificateInstance: Certificate, privateKey: KeyPair) -> PrivateCertificate:
        """Join a ``Certificate`` and its ``KeyPair``."""
        return cls(certificateInstance)._setPrivateKey(privateKey)

    def options(self, *authorities: Certificate) -> Any:
        """Server ``CertificateOptions`` presenting this certificate.

        With ``authorities``, clients must present a certificate signed by
        one of them.
        """
        from plait._sslverify import CertificateOptions, OpenSSLCertificateAuthorities

        kw: dict[str, Any] = {"privateKey": self.privateKey, "certificate": self}
        if authorities:
            kw["trustRoot"] = OpenSSLCertificateAuthorities(list(authorities))
        return CertificateOptions(**kw)

    def certificateRequest(self, format: int = FILETYPE_ASN1, digestAlgorithm: str = "sha256") -> bytes:
        """A signing request for this certificate's subject, signed by its key."""
        return self.privateKey.certificateRequest(self.getSubject(), format, digestAlgorithm)

    def signCertificateRequest(
        self,
        requestData: bytes,
        verifyDNCallback: Callable[[DistinguishedName], Any],
        serialNumber: int,
        requestFormat: int = FILETYPE_ASN1,
        certificateFormat: int = FILETYPE_ASN1,
    ) -> Any:
        """Sign a request as this certificate's subject (see ``KeyPair.signCertificateRequest``)."""
        return self.privateKey.signCertificateRequest(
            self.getSubject(), requestData, verifyDNCallback, serialNumber, requestFormat, certificateFormat
        )

    def signRequestObject(
        self, certificateRequest: CertificateRequest, serialNumber: int,
        secondsToExpiry: int = _ONE_YEAR, digestAlgorithm: str = "sha256",
    ) -> Certificate:
        """Sign a ``CertificateRequest`` as this certificate's subject."""
        return self.privateKey.signRequestObject(
            self.getSubject(), certificateRequest, serialNumber, secondsToExpiry, digestAlgorithm
        )

