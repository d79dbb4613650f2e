"""Keys for ``plait.ssl``: ``KeyPair`` and ``PublicKey``, and the PEM helpers
``plait._sslcert`` shares.

What it owns: private keys as a Twisted program passes them around
(``KeyPair.load``/``dump``/``generate``, ``selfSignedCert``, signing
certificate requests), over the standard library and the optional
``cryptography`` package.  A ``KeyPair`` *is* its PEM text: the standard
library loads keys from files only, so ``plait._sslverify`` hands the text
to OpenSSL through an anonymous in-memory file, and nothing but PEM
handling needs ``cryptography``.  Certificates and names are in
``plait._sslcert`` (imported here at call time: it builds on this module).

Rules: as ``plait._sslcert``'s -- ``ImportError`` naming ``cryptography``
only where it is needed, ``ValueError`` for data that does not parse; a
certificate this module issues names its commonName in a subjectAltName.

Tests: tests/unit/test_sslcert.py, tests/unit/test_ssl_nocryptography.py.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plait.error import VerifyError

if TYPE_CHECKING:
    from plait._sslcert import (
        Certificate,
        CertificateRequest,
        DistinguishedName,
        PrivateCertificate,
    )

__all__ = ["FILETYPE_ASN1", "FILETYPE_PEM", "TYPE_EC", "TYPE_RSA", "KeyPair", "PublicKey"]

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


def _pemBytes(data: bytes | str) -> bytes:
    """PEM data as bytes: text is accepted too (ASCII), as pyOpenSSL accepts it, so a
    PEM file read in text mode loads as it does on Twisted."""
    if isinstance(data, str):
        try:
            return data.encode("ascii")
        except UnicodeEncodeError as e:
            raise ValueError(f"PEM text must be ASCII: {e}") from None
    if not isinstance(data, bytes):
        raise TypeError(f"PEM data must be bytes or text, not {type(data).__name__}")
    return data


def _pemBlocks(data: bytes | str, kind: Callable[[bytes], bool]) -> list[tuple[bytes, bytes]]:
    """Every ``(label, base64 body)`` PEM block of ``data`` whose label ``kind`` accepts."""
    return [(m.group(1), m.group(2)) for m in _PEM_BLOCK.finditer(_pemBytes(data)) if kind(m.group(1))]


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
    def load(cls, data: bytes | str, format: int = FILETYPE_ASN1) -> KeyPair:
        """A key from DER (``FILETYPE_ASN1``, the default; needs ``cryptography``) or PEM."""
        _checkFormat(format)
        if format == FILETYPE_PEM:
            pair = cls(_pemBytes(data))
        else:
            if not isinstance(data, bytes):
                raise TypeError(f"DER key data must be bytes, not {type(data).__name__}")
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
        from plait._sslcert import PrivateCertificate

        certificate: PrivateCertificate = PrivateCertificate.load(newCertData, self, format)
        return certificate

    def requestObject(self, distinguishedName: DistinguishedName, digestAlgorithm: str = "sha256") -> CertificateRequest:
        """A ``CertificateRequest`` for ``distinguishedName``, signed by this key."""
        from plait._sslcert import CertificateRequest

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
        from plait._sslcert import CertificateRequest
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
        """Issue a certificate for ``requestObject``'s subject and key, valid from now.

        The certificate is an end entity's (no basicConstraints): it can
        serve TLS or identify a client, not sign other certificates.
        """
        return self._issue(issuerDistinguishedName, requestObject, serialNumber, secondsToExpiry, digestAlgorithm)

    def selfSignedCert(self, serialNumber: int, **kw: str | bytes) -> PrivateCertificate:
        """A ``PrivateCertificate`` signed by this key for the subject ``DN(**kw)``.

        It is a certificate authority (basicConstraints ``CA:TRUE``), so the
        certificates this key then signs (``signRequestObject``) verify
        against it; it also serves TLS itself, trusted as its own root.
        """
        from plait._sslcert import DN, PrivateCertificate

        dn = DN(**kw)
        cert = self._issue(dn, self.requestObject(dn), serialNumber, _ONE_YEAR, "sha256", authority=True)
        return PrivateCertificate.fromCertificateAndKeyPair(cert, self)

    def _issue(
        self,
        issuer: DistinguishedName,
        requestObject: CertificateRequest,
        serialNumber: int,
        secondsToExpiry: int,
        digestAlgorithm: str,
        authority: bool = False,
    ) -> Certificate:
        """Sign ``requestObject`` as ``issuer``: an end entity's certificate, or
        (``authority``) a self-signed certificate authority's.

        Discussion: why not Twisted's version 1 certificates.  Twisted's
        carry no extensions, and OpenSSL takes a self-signed v1 certificate
        for an authority, so Twisted's "make a CA, sign a server
        certificate, trust the CA" pattern verifies.  plait's certificates
        are v3, as they must be to carry the subjectAltName that plait's
        host name rule needs, and OpenSSL takes a v3 certificate for an
        authority only if its basicConstraints say ``CA:TRUE`` (otherwise:
        "invalid CA certificate").  So an authority gets basicConstraints
        and a keyUsage that lets it sign certificates *and* serve TLS itself
        (Twisted's self-signed server pattern); every certificate gets the
        key identifiers strict verifiers (``VERIFY_X509_STRICT``, the
        default of Python 3.13's ``ssl.create_default_context``) ask for.
        """
        from plait._sslcert import Certificate

        x509 = _crypto("KeyPair.signRequestObject")
        request = requestObject.original
        publicKey = request.public_key()
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(request.subject)
            .issuer_name(issuer._toX509Name())
            .public_key(publicKey)
            .serial_number(serialNumber)
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(seconds=secondsToExpiry))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(publicKey), critical=False)
        )
        if authority:
            from cryptography.hazmat.primitives.asymmetric import rsa

            usage = x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=isinstance(publicKey, rsa.RSAPublicKey), data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            )
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            builder = builder.add_extension(usage, critical=True)
        else:
            issuerKey = self.original.public_key()
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuerKey), critical=False)
        subjectAltName = _altNameFor(requestObject.getSubject().get("commonName"))
        if subjectAltName is not None:
            builder = builder.add_extension(subjectAltName, critical=False)
        return Certificate(builder.sign(self.original, _hashAlgorithm(digestAlgorithm)))


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
