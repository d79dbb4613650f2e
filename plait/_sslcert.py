"""Certificates and keys for ``plait.ssl``: ``Certificate``, ``PrivateCertificate``,
``KeyPair``, ``PublicKey``, ``DistinguishedName`` and ``CertificateRequest``.

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
* A ``KeyPair`` is its PEM text.  The standard library can only load a key
  from a file, so ``_sslverify`` hands it to OpenSSL through an anonymous
  in-memory file (``memfd_create``); the key never touches a disk.
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
import datetime
import hashlib
import ipaddress
import re
import ssl
from collections.abc import Callable
from typing import Any

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

#: pyOpenSSL's format constants, which Twisted's signatures use.
FILETYPE_PEM = 1
FILETYPE_ASN1 = 2
#: pyOpenSSL's key type constants for ``KeyPair.generate``.
TYPE_RSA = 6
TYPE_EC = 408

_ONE_YEAR = 60 * 60 * 24 * 365

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL
)


def _pemBlocks(data: bytes, kind: Callable[[bytes], bool]) -> list[tuple[bytes, bytes]]:
    """Every ``(label, base64 body)`` PEM block of ``data`` whose label ``kind`` accepts."""
    if not isinstance(data, bytes):
        raise TypeError(f"PEM data must be bytes, not {type(data).__name__}")
    return [(m.group(1), m.group(2)) for m in _PEM_BLOCK.finditer(data) if kind(m.group(1))]


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"".join([f"-----BEGIN {label}-----\n".encode(), *(line + b"\n" for line in lines),
                     f"-----END {label}-----\n".encode()])


def _crypto(what: str) -> Any:
    """The ``cryptography.x509`` module, or an ImportError saying who needed it."""
    try:
        from cryptography import x509
    except ImportError as e:
        raise ImportError(
            f"{what} needs the optional 'cryptography' package "
            "(pip install 'plait[tls]'); TLS connections themselves work without it"
        ) from e
    return x509


def _checkFormat(format: int) -> None:
    if format not in (FILETYPE_PEM, FILETYPE_ASN1):
        raise ValueError(f"Unsupported format: {format!r} (use FILETYPE_PEM or FILETYPE_ASN1)")


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


def _certificateDER(data: bytes, format: int) -> bytes:
    """The DER bytes of the (first) certificate in ``data``, checked readable."""
    _checkFormat(format)
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
    def load(cls, requestData: bytes, format: int = FILETYPE_ASN1, args: tuple[Any, ...] = ()) -> Any:
        """A certificate from DER (``FILETYPE_ASN1``, the default) or PEM data.

        Raises ``ValueError`` if the data holds no readable certificate.
        """
        return cls(_certificateDER(requestData, format), *args)

    @classmethod
    def loadPEM(cls, data: bytes) -> Any:
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
        if get is None:
            raise CertificateError(f"non-TLS transport {transport!r} did not have peer certificate")
        cert = get()
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
    def load(cls, requestData: bytes, requestFormat: int = FILETYPE_ASN1) -> CertificateRequest:
        """A request from DER or PEM; ``VerifyError`` if its self-signature is bad."""
        x509 = _crypto("CertificateRequest.load")
        _checkFormat(requestFormat)
        loader = x509.load_der_x509_csr if requestFormat == FILETYPE_ASN1 else x509.load_pem_x509_csr
        req = loader(requestData)
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
    def load(cls, data: bytes, privateKey: Any, format: int = FILETYPE_ASN1) -> Any:  # type: ignore[override]
        """The certificate in ``data`` with ``privateKey``; ``VerifyError`` if they do not match."""
        return cls(_certificateDER(data, format))._setPrivateKey(privateKey)

    def inspect(self) -> str:
        return "\n".join([Certificate._inspect(self), self.privateKey.inspect()])

    def dumpPEM(self) -> bytes:
        """Certificate then private key, as PEM."""
        return self.dump(FILETYPE_PEM) + self.privateKey.dump(FILETYPE_PEM)

    @classmethod
    def loadPEM(cls, data: bytes) -> Any:
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


# --- keys ----------------------------------------------------------------------------


def _hashAlgorithm(name: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    algorithms: dict[str, Any] = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224,
                  "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
    if name not in algorithms:
        raise ValueError(f"unknown digest algorithm {name!r} (one of {', '.join(algorithms)})")
    return algorithms[name]()


class PublicKey:
    """The public half of a key pair; compare two with ``matches``."""

    def __init__(self, osslpkey: Any) -> None:
        if hasattr(osslpkey, "to_cryptography_key"):  # pyOpenSSL's PKey
            osslpkey = osslpkey.to_cryptography_key()
        self._key = osslpkey

    @property
    def original(self) -> Any:
        """The ``cryptography`` public key."""
        return self._key

    def _publicKey(self) -> Any:
        return self._key

    def matches(self, otherKey: PublicKey) -> bool:
        """Whether ``otherKey`` is the same key."""
        return self.keyHash() == otherKey.keyHash()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.keyHash()}>"

    def keyHash(self) -> str:
        """MD5 of the DER SubjectPublicKeyInfo, as hex (identifies the key)."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = self._publicKey().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return hashlib.md5(raw).hexdigest()

    def inspect(self) -> str:
        return f"Public Key with Hash: {self.keyHash()}"


_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"DSA PRIVATE KEY")


class KeyPair(PublicKey):
    """A private key (and so its public key).

    Built from PEM bytes, a ``cryptography`` private key or a pyOpenSSL
    ``PKey``.  ``dump``/``load`` in PEM and using the key for TLS need only
    the standard library; everything else needs ``cryptography``.
    """

    _pem: bytes

    def __init__(self, original: Any) -> None:
        self._parsedKey: Any = None
        if isinstance(original, KeyPair):
            original = original._pem
        if isinstance(original, (bytes, bytearray)):
            blocks = _pemBlocks(bytes(original), lambda label: label in _KEY_LABELS)
            if not blocks:
                encrypted = _pemBlocks(bytes(original), lambda label: label == b"ENCRYPTED PRIVATE KEY")
                if encrypted:
                    raise ValueError("the private key is encrypted; plait loads unencrypted keys only")
                raise ValueError("no PEM private key (-----BEGIN PRIVATE KEY-----) in the data")
            label, body = blocks[0]
            self._pem = _pem(label.decode("ascii"), base64.b64decode(body))
            return
        if hasattr(original, "to_cryptography_key"):  # pyOpenSSL's PKey
            original = original.to_cryptography_key()
        if not hasattr(original, "private_bytes"):
            raise TypeError(
                "a KeyPair is made from PEM bytes, a cryptography private key or a "
                f"pyOpenSSL PKey, not {type(original).__name__}"
            )
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        self._parsedKey = original
        self._pem = original.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    @property
    def original(self) -> Any:
        """The ``cryptography`` private key (parsed on first use)."""
        if self._parsedKey is None:
            _crypto("KeyPair.original")
            from cryptography.hazmat.primitives.serialization import (
                load_pem_private_key,
            )

            try:
                self._parsedKey = load_pem_private_key(self._pem, password=None)
            except (ValueError, TypeError) as e:
                raise ValueError(f"not a valid private key: {e}") from None
        return self._parsedKey

    def _publicKey(self) -> Any:
        return self.original.public_key()

    @classmethod
    def load(cls, data: bytes, format: int = FILETYPE_ASN1) -> KeyPair:
        """A key from DER (``FILETYPE_ASN1``, the default; needs ``cryptography``) or PEM."""
        _checkFormat(format)
        if format == FILETYPE_PEM:
            pair = cls(data)
        else:
            _crypto("KeyPair.load(FILETYPE_ASN1)")
            from cryptography.hazmat.primitives.serialization import (
                load_der_private_key,
            )

            try:
                pair = cls(load_der_private_key(data, password=None))
            except (ValueError, TypeError) as e:
                raise ValueError(f"not a valid DER private key: {e}") from None
        try:
            import cryptography  # noqa: F401
        except ImportError:
            return pair  # checked against its certificate when used
        pair.original  # noqa: B018 - parse now, so a bad key fails here
        return pair

    def dump(self, format: int = FILETYPE_ASN1) -> bytes:
        """The private key as DER (default; PKCS#8) or PEM."""
        _checkFormat(format)
        if format == FILETYPE_PEM:
            return self._pem
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        return bytes(self.original.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))

    def inspect(self) -> str:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        key = self.original
        kind = "RSA" if isinstance(key, rsa.RSAPrivateKey) else "EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "(Unknown Type!)"
        return f"{key.key_size}-bit {kind} Key Pair with Hash: {self.keyHash()}"

    @classmethod
    def generate(cls, kind: int = TYPE_RSA, size: int = 2048) -> KeyPair:
        """A new key: RSA of ``size`` bits, or EC on the NIST curve of ``size`` (256/384/521)."""
        _crypto("KeyPair.generate")
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if kind == TYPE_RSA:
            return cls(rsa.generate_private_key(public_exponent=65537, key_size=size))
        if kind == TYPE_EC:
            curves: dict[int, Any] = {256: ec.SECP256R1, 384: ec.SECP384R1, 521: ec.SECP521R1}
            if size not in curves:
                raise ValueError(f"EC key size must be 256, 384 or 521, not {size!r}")
            return cls(ec.generate_private_key(curves[size]()))
        raise ValueError(f"unsupported key type {kind!r} (use TYPE_RSA or TYPE_EC)")

    def newCertificate(self, newCertData: bytes, format: int = FILETYPE_ASN1) -> PrivateCertificate:
        """A ``PrivateCertificate`` for ``newCertData`` with this key."""
        certificate: PrivateCertificate = PrivateCertificate.load(newCertData, self, format)
        return certificate

    def requestObject(self, distinguishedName: DistinguishedName, digestAlgorithm: str = "sha256") -> CertificateRequest:
        """A ``CertificateRequest`` for ``distinguishedName``, signed by this key."""
        x509 = _crypto("KeyPair.requestObject")
        builder = x509.CertificateSigningRequestBuilder().subject_name(distinguishedName._toX509Name())
        return CertificateRequest(builder.sign(self.original, _hashAlgorithm(digestAlgorithm)))

    def certificateRequest(
        self, distinguishedName: DistinguishedName, format: int = FILETYPE_ASN1, digestAlgorithm: str = "sha256"
    ) -> bytes:
        """A signing request for ``distinguishedName``, as bytes in ``format``."""
        return self.requestObject(distinguishedName, digestAlgorithm).dump(format)

    def signCertificateRequest(
        self,
        issuerDistinguishedName: DistinguishedName,
        requestData: bytes,
        verifyDNCallback: Callable[[DistinguishedName], Any],
        serialNumber: int,
        requestFormat: int = FILETYPE_ASN1,
        certificateFormat: int = FILETYPE_ASN1,
        secondsToExpiry: int = _ONE_YEAR,
        digestAlgorithm: str = "sha256",
    ) -> Any:
        """Sign the request in ``requestData`` if ``verifyDNCallback(subject)`` agrees.

        Returns the certificate bytes, or a Deferred of them when the callback
        returns a Deferred.  A false answer raises ``VerifyError``.
        """
        from plait.defer import Deferred

        request = CertificateRequest.load(requestData, requestFormat)
        dn = request.getSubject()
        answer = verifyDNCallback(dn)

        def verified(value: object) -> bytes:
            if not value:
                raise VerifyError(f"DN callback {verifyDNCallback!r} rejected request DN {dn!r}")
            cert = self.signRequestObject(issuerDistinguishedName, request, serialNumber, secondsToExpiry, digestAlgorithm)
            return cert.dump(certificateFormat)

        if isinstance(answer, Deferred):
            return answer.addCallback(verified)
        return verified(answer)

    def signRequestObject(
        self,
        issuerDistinguishedName: DistinguishedName,
        requestObject: CertificateRequest,
        serialNumber: int,
        secondsToExpiry: int = _ONE_YEAR,
        digestAlgorithm: str = "sha256",
    ) -> Certificate:
        """Issue a certificate for ``requestObject``'s subject and key, valid from now."""
        x509 = _crypto("KeyPair.signRequestObject")
        request = requestObject.original
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(request.subject)
            .issuer_name(issuerDistinguishedName._toX509Name())
            .public_key(request.public_key())
            .serial_number(serialNumber)
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(seconds=secondsToExpiry))
        )
        subjectAltName = _altNameFor(requestObject.getSubject().get("commonName"))
        if subjectAltName is not None:
            builder = builder.add_extension(subjectAltName, critical=False)
        return Certificate(builder.sign(self.original, _hashAlgorithm(digestAlgorithm)))

    def selfSignedCert(self, serialNumber: int, **kw: str | bytes) -> PrivateCertificate:
        """A ``PrivateCertificate`` signed by this key for the subject ``DN(**kw)``."""
        dn = DN(**kw)
        cert = self.signRequestObject(dn, self.requestObject(dn), serialNumber)
        return PrivateCertificate.fromCertificateAndKeyPair(cert, self)


_HOSTNAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                       r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def _altNameFor(commonName: bytes | None) -> Any:
    """A subjectAltName naming ``commonName`` if it is a host name or an IP address."""
    if not commonName:
        return None
    x509 = _crypto("subjectAltName")
    text = commonName.decode("ascii", "replace")
    try:
        return x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(text))])
    except ValueError:
        pass
    if _HOSTNAME.match(text):
        return x509.SubjectAlternativeName([x509.DNSName(text)])
    return None
