"""plait.ssl's certificates and keys: loading, dumping, inspecting, making them."""

from __future__ import annotations

import ssl as stdssl
from pathlib import Path
from typing import Any

import pytest

from plait import error, ssl
from plait.defer import Deferred
from tests.helpers import failureResultOf, successResultOf
from tests.tlshelpers import Certs, tlsPair


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


def test_loadPEMRoundTrip(certs: Certs) -> None:
    """loadPEM/dumpPEM and load/dump (DER) round-trip; equality is by content."""
    pem = certs.ca.cert_pem.bytes()
    cert = ssl.Certificate.loadPEM(pem)
    assert cert.dumpPEM() == stdssl.DER_cert_to_PEM_cert(cert.dump()).encode("ascii")
    assert ssl.Certificate.load(cert.dump()) == cert
    assert ssl.Certificate.load(pem, ssl.FILETYPE_PEM) == cert
    assert cert != ssl.Certificate(certs.serverCert)
    assert cert.dump() == stdssl.PEM_cert_to_DER_cert(pem.decode("ascii"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a certificate", "no PEM certificate"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a valid X.509 certificate"),
    ],
)
def test_loadPEMRejectsGarbage(data: bytes, message: str) -> None:
    """PEM that does not hold a certificate: ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        ssl.Certificate.loadPEM(data)


def test_loadRejectsWrongTypesAndFormats() -> None:
    """Data that is neither bytes nor (PEM) text is a TypeError; an unknown format a ValueError."""
    with pytest.raises(TypeError, match="must be bytes or text, not int"):
        ssl.Certificate.loadPEM(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes, not str"):
        ssl.Certificate.load("DER is not text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unsupported format"):
        ssl.Certificate.load(b"", 99)
    with pytest.raises(ValueError, match="not a valid X.509 certificate"):
        ssl.Certificate.load(b"\x30\x03\x02\x01\x00")


def test_subjectIssuerSerialDigest(certs: Certs) -> None:
    """Fields read through cryptography; digest in pyOpenSSL's colon form."""
    pair = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    cert = pair.selfSignedCert(1234, commonName="plait.test", organizationName="plait")
    assert cert.getSubject().commonName == b"plait.test"
    assert cert.getSubject().O == b"plait"
    assert cert.getIssuer() == cert.getSubject()
    assert cert.serialNumber() == 1234
    digest = cert.digest("sha256")
    assert len(digest.split(b":")) == 32 and digest.upper() == digest
    assert len(cert.digest().split(b":")) == 16  # md5, Twisted's default
    assert repr(ssl.Certificate(cert)) == "<Certificate Subject=b'plait.test' Issuer=b'plait.test'>"
    assert "Serial Number: 1234" in cert.inspect()
    with pytest.raises(ValueError, match="unknown digest method"):
        cert.digest("nope")


def test_selfSignedCertHasASubjectAltName() -> None:
    """selfSignedCert names its commonName in a subjectAltName (plait's rule needs it)."""
    from cryptography import x509

    cert = ssl.KeyPair.generate(ssl.TYPE_EC, 256).selfSignedCert(1, commonName="localhost")
    names = cert.original.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    ip = ssl.KeyPair.generate(ssl.TYPE_EC, 256).selfSignedCert(2, CN="127.0.0.1")
    names = ip.original.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_selfSignedCertWorksWithOptionsForClientTLS() -> None:
    """Twisted's self-signed pattern works end to end: server options, trusted by the client."""
    cert = ssl.KeyPair.generate(ssl.TYPE_EC, 256).selfSignedCert(1, commonName="localhost")
    client, _server, pump, _ = tlsPair(cert.options(), ssl.optionsForClientTLS("localhost", ssl.Certificate(cert)))
    pump.flush()
    assert "handshakeCompleted" in client.events


def test_selfSignedCertIsACertificateAuthority() -> None:
    """selfSignedCert can sign: basicConstraints CA:TRUE and a keyUsage allowing
    certificate signing (and TLS, for the self-signed server pattern); the
    certificates it signs are end entities, identified by key."""
    from cryptography import x509

    caKey = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    ca = caKey.selfSignedCert(1, commonName="plait test CA")
    extensions = ca.original.extensions
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and usage.digital_signature
    caKeyId = extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest

    leaf = ca.signRequestObject(ssl.KeyPair.generate(ssl.TYPE_EC, 256).requestObject(ssl.DN(CN="localhost")), 2)
    leafExtensions = leaf.original.extensions
    with pytest.raises(x509.ExtensionNotFound):
        leafExtensions.get_extension_for_class(x509.BasicConstraints)
    assert leafExtensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == caKeyId
    rsa = ssl.KeyPair.generate(size=2048).selfSignedCert(3, CN="rsa CA").original.extensions
    assert rsa.get_extension_for_class(x509.KeyUsage).value.key_encipherment


def test_selfSignedCATrustedForWhatItSigned() -> None:
    """Twisted's pattern: make a CA, sign a server certificate with it, trust the CA.
    The handshake completes with the name checked (sans-IO pair)."""
    caKey = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    ca = caKey.selfSignedCert(1, commonName="plait test CA")
    serverKey = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    der = ca.signCertificateRequest(serverKey.certificateRequest(ssl.DN(commonName="localhost")), lambda dn: True, 2)
    server = serverKey.newCertificate(der)
    client, _server, pump, _ = tlsPair(server.options(), ssl.optionsForClientTLS("localhost", trustRoot=ca))
    pump.flush()
    assert client.events[:2] == ["connectionMade", "handshakeCompleted"], client.reasons


def test_pemTextLoadsAsOnTwisted(certs: Certs) -> None:
    """PEM read in text mode loads, as pyOpenSSL (and so Twisted) allows; text that is
    not ASCII is a ValueError naming the problem."""
    leaf = certs.serverLeaf
    certificate, key = leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()
    assert ssl.Certificate.loadPEM(certificate.decode("ascii")) == ssl.Certificate(certs.serverCert)
    both = ssl.PrivateCertificate.loadPEM((certificate + key).decode("ascii"))
    assert both.privateKey.keyHash() == certs.serverCert.privateKey.keyHash()
    assert ssl.KeyPair.load(key.decode("ascii"), ssl.FILETYPE_PEM).keyHash() == both.privateKey.keyHash()
    request = both.privateKey.requestObject(ssl.DN(CN="localhost")).dump(ssl.FILETYPE_PEM)
    assert ssl.CertificateRequest.load(request.decode("ascii"), ssl.FILETYPE_PEM).getSubject().CN == b"localhost"
    with pytest.raises(ValueError, match="PEM text must be ASCII"):
        ssl.Certificate.loadPEM("-----BEGIN CERTIFICATE-----\ncaf\u00e9\n")


def test_privateCertificateLoadPEM(certs: Certs) -> None:
    """Key and certificate in one blob, either order; dumpPEM gives both back."""
    leaf = certs.serverLeaf
    keyFirst = leaf.private_key_pem.bytes() + leaf.cert_chain_pems[0].bytes()
    pc = ssl.PrivateCertificate.loadPEM(keyFirst)
    assert pc == ssl.Certificate.loadPEM(leaf.cert_chain_pems[0].bytes())
    again = ssl.PrivateCertificate.loadPEM(pc.dumpPEM())
    assert again.privateKey.keyHash() == pc.privateKey.keyHash()
    assert "with <KeyPair" in repr(pc)


def test_privateCertificateMismatchRaisesVerifyError(certs: Certs) -> None:
    """A key that is not the certificate's: Twisted's VerifyError."""
    with pytest.raises(error.VerifyError, match="Certificate public and private keys do not match."):
        ssl.PrivateCertificate.fromCertificateAndKeyPair(ssl.Certificate(certs.serverCert), certs.clientCert.privateKey)
    with pytest.raises(error.VerifyError):
        ssl.PrivateCertificate.load(certs.serverCert.dump(), certs.clientCert.privateKey)


def test_keyPairFormats(certs: Certs) -> None:
    """KeyPair loads and dumps PEM and DER; encrypted and missing keys are refused clearly."""
    key = certs.serverCert.privateKey
    der = key.dump()
    assert ssl.KeyPair.load(der).keyHash() == key.keyHash()
    assert ssl.KeyPair.load(key.dump(ssl.FILETYPE_PEM), ssl.FILETYPE_PEM).keyHash() == key.keyHash()
    with pytest.raises(ValueError, match="no PEM private key"):
        ssl.KeyPair.load(b"nothing here", ssl.FILETYPE_PEM)
    with pytest.raises(ValueError, match="encrypted"):
        ssl.KeyPair(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="not a valid DER private key"):
        ssl.KeyPair.load(b"\x30\x00")
    with pytest.raises(TypeError, match="a KeyPair is made from"):
        ssl.KeyPair(42)


def test_keyPairGenerate() -> None:
    """RSA and EC keys; unsupported kinds and sizes raise ValueError."""
    rsa = ssl.KeyPair.generate(size=2048)
    assert rsa.inspect().startswith("2048-bit RSA Key Pair with Hash: ")
    assert ssl.KeyPair.generate(ssl.TYPE_EC, 384).inspect().startswith("384-bit EC")
    with pytest.raises(ValueError, match="EC key size"):
        ssl.KeyPair.generate(ssl.TYPE_EC, 1000)
    with pytest.raises(ValueError, match="unsupported key type"):
        ssl.KeyPair.generate(116)


def test_publicKeyMatches(certs: Certs) -> None:
    """A certificate's public key matches its private key, not another."""
    public = certs.serverCert.getPublicKey()
    assert public.matches(certs.serverCert.privateKey)
    assert not public.matches(certs.clientCert.privateKey)
    assert repr(public).startswith("<PublicKey ")


def test_pyOpenSSLObjectsAccepted(certs: Certs) -> None:
    """Certificates and keys from pyOpenSSL convert (Twisted programs have them)."""
    from OpenSSL import crypto

    x509 = crypto.load_certificate(crypto.FILETYPE_PEM, certs.ca.cert_pem.bytes())
    assert ssl.Certificate(x509) == certs.caCert
    pkey = crypto.load_privatekey(crypto.FILETYPE_PEM, certs.serverLeaf.private_key_pem.bytes())
    assert ssl.KeyPair(pkey).keyHash() == certs.serverCert.privateKey.keyHash()
    options = ssl.CertificateOptions(privateKey=pkey, certificate=crypto.load_certificate(
        crypto.FILETYPE_PEM, certs.serverLeaf.cert_chain_pems[0].bytes()))
    options.getContext()


def test_distinguishedName() -> None:
    """DN: short and long attribute names, bytes values, dict access by long name."""
    dn = ssl.DN(commonName="example.com", C=b"US")
    assert dn.CN == dn.commonName == b"example.com"
    assert dn["countryName"] == b"US"
    assert not hasattr(dn, "organizationName")
    with pytest.raises(AttributeError, match="not a valid OpenSSL X509 name field"):
        dn.bogus = "x"  # type: ignore[attr-defined]
    assert "Common Name: example.com" in dn.inspect()
    assert repr(dn).startswith("<DN ")


def test_certificateRequestSigning() -> None:
    """A CA signs a request after its callback approves the subject; refusal is VerifyError."""
    ca = ssl.KeyPair.generate(ssl.TYPE_EC, 256).selfSignedCert(1, commonName="plait test CA")
    leafKey = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    request = leafKey.certificateRequest(ssl.DN(commonName="leaf.example"))
    assert ssl.CertificateRequest.load(request).getSubject().commonName == b"leaf.example"
    der = ca.signCertificateRequest(request, lambda dn: True, 77)
    cert = leafKey.newCertificate(der)
    assert cert.getIssuer().commonName == b"plait test CA" and cert.serialNumber() == 77
    d: Deferred[bool] = Deferred()
    pending = ca.signCertificateRequest(request, lambda dn: d, 78)
    d.callback(True)
    assert ssl.Certificate.load(successResultOf(pending)).serialNumber() == 78
    refused = ca.signCertificateRequest(request, lambda dn: _fired(False), 79)
    failureResultOf(refused, error.VerifyError)
    with pytest.raises(error.VerifyError, match="rejected request DN"):
        ca.signCertificateRequest(request, lambda dn: False, 80)
    pem = ssl.CertificateRequest.load(request).dump(ssl.FILETYPE_PEM)
    assert ssl.CertificateRequest.load(pem, ssl.FILETYPE_PEM).dump() == request


def _fired(value: Any) -> Deferred[Any]:
    d: Deferred[Any] = Deferred()
    d.callback(value)
    return d


def test_trustRootAdaptation(certs: Certs) -> None:
    """IOpenSSLTrustRoot(certificate) trusts exactly that certificate."""
    from plait.interfaces import IOpenSSLTrustRoot

    root = IOpenSSLTrustRoot(certs.caCert)
    context = stdssl.SSLContext(stdssl.PROTOCOL_TLS_CLIENT)
    root._addCACertsToContext(context)
    assert len(context.get_ca_certs()) == 1


def test_optionsNotImplementedOnACertificate(certs: Certs) -> None:
    """Certificate.options raises NotImplementedError, as in Twisted."""
    with pytest.raises(NotImplementedError):
        certs.caCert.options()


def test_loadFromFiles(tmp_path: Path, certs: Certs) -> None:
    """Files written by the test load back the same."""
    assert ssl.Certificate.loadPEM(certs.caFile.read_bytes()) == certs.caCert
