"""plait.ssl's settings: optionsForClientTLS, CertificateOptions, versions, trust, ciphers.

Pure configuration checks; connections are in test_tls.py and the
integration tests.  Where a setting is only visible on the context, the
test reads the ``ssl.SSLContext`` plait built.
"""

from __future__ import annotations

import ssl as stdssl
import warnings
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import ssl
from plait.interfaces import (
    IAcceptableCiphers,
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
    IOpenSSLTrustRoot,
)
from plait.protocol import Factory
from tests.tlshelpers import Certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


def test_moduleNames() -> None:
    """Twisted's __all__ and `supported` are all there."""
    for name in ssl.__all__:
        assert hasattr(ssl, name), name
    assert ssl.supported is True
    assert ssl.DN is ssl.DistinguishedName
    assert ssl.OpenSSLCertificateOptions is ssl.CertificateOptions


# -- optionsForClientTLS ------------------------------------------------------------


def test_optionsForClientTLSRequiresText() -> None:
    """bytes for the host name: Twisted's TypeError."""
    with pytest.raises(TypeError, match="^optionsForClientTLS requires text for host names, not bytes$"):
        ssl.optionsForClientTLS(b"example.com")  # type: ignore[arg-type]


def test_optionsForClientTLSProvidesTheCreator(certs: Certs) -> None:
    """The result is a client connection creator whose context verifies chain and name."""
    options = certs.clientOptions()
    assert verifyObject(IOpenSSLClientConnectionCreator, options)
    context = options._context(())
    assert context.verify_mode == stdssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.hostname_checks_common_name is False
    assert context.minimum_version == stdssl.TLSVersion.TLSv1_2
    assert context.options & stdssl.OP_NO_RENEGOTIATION


def test_idnaHostName(certs: Certs) -> None:
    """A non-ASCII DNS name is IDNA-encoded once, for SNI and verification."""
    options = ssl.optionsForClientTLS("bücher.example", certs.caCert)
    assert options._hostnameASCII == "xn--bcher-kva.example"
    assert options._hostnameIsDnsName and options._sendServerName


@pytest.mark.parametrize("literal", ["127.0.0.1", "::1"])
def test_ipLiteralHostName(certs: Certs, literal: str) -> None:
    """An IP literal is verified as an address and not sent as SNI."""
    options = ssl.optionsForClientTLS(literal, certs.caCert)
    assert not options._hostnameIsDnsName and not options._sendServerName
    assert options._hostnameASCII == literal


def test_invalidHostName() -> None:
    """A name IDNA cannot encode raises ValueError naming it."""
    with pytest.raises(ValueError, match="invalid hostname"):
        ssl.optionsForClientTLS("a..b" + "x" * 70 + ".example")


def test_defaultTrustIsThePlatform() -> None:
    """Without trustRoot the platform's trust store is used."""
    options = ssl.optionsForClientTLS("example.com")
    assert isinstance(options._options.trustRoot, ssl.OpenSSLDefaultPaths)


def test_extraCertificateOptions(certs: Certs) -> None:
    """extraCertificateOptions reach CertificateOptions (and its checks)."""
    options = ssl.optionsForClientTLS(
        "localhost", certs.caCert, extraCertificateOptions={"raiseMinimumTo": ssl.TLSVersion.TLSv1_3}
    )
    assert options._context(()).minimum_version == stdssl.TLSVersion.TLSv1_3
    with pytest.raises(TypeError, match="mutually exclusive"):
        ssl.optionsForClientTLS("localhost", certs.caCert, extraCertificateOptions={"verify": True})


def test_clientCertificateLoaded(certs: Certs) -> None:
    """clientCertificate= becomes the context's own certificate."""
    options = ssl.optionsForClientTLS("localhost", certs.caCert, certs.clientCert)
    assert options._options.certificate == ssl.Certificate(certs.clientCert)
    options._context(())  # loads key and certificate without error


# -- CertificateOptions ---------------------------------------------------------------


def test_certificateOptionsProvides(certs: Certs) -> None:
    """CertificateOptions is a server and client creator and an old-style context factory."""
    options = certs.serverOptions()
    for iface in (IOpenSSLServerConnectionCreator, IOpenSSLClientConnectionCreator, IOpenSSLContextFactory):
        assert verifyObject(iface, options)
    assert isinstance(options.getContext(), stdssl.SSLContext)


def test_certificateOptionsDefaultVerifiesNothing() -> None:
    """Twisted's default, kept: no trustRoot, no verification."""
    options = ssl.CertificateOptions()
    assert options.verify is False and options.trustRoot is None
    assert options._context(False).verify_mode == stdssl.CERT_NONE


def test_trustRootTurnsVerificationOn(certs: Certs) -> None:
    """trustRoot= verifies the chain (and requires a certificate), never the name."""
    options = ssl.CertificateOptions(trustRoot=certs.caCert)
    assert options.verify and options.requireCertificate
    context = options._context(False)
    assert context.verify_mode == stdssl.CERT_REQUIRED and not context.check_hostname


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("trustRoot", "requireCertificate"),
        ("trustRoot", "verify"),
        ("trustRoot", "caCerts"),
        ("method", "insecurelyLowerMinimumTo"),
        ("method", "raiseMinimumTo"),
        ("raiseMinimumTo", "insecurelyLowerMinimumTo"),
        ("method", "lowerMaximumSecurityTo"),
    ],
)
def test_mutuallyExclusiveKeywords(certs: Certs, first: str, second: str) -> None:
    """Each of Twisted's exclusive pairs raises TypeError with Twisted's message."""
    values: dict[str, Any] = {
        "trustRoot": certs.caCert, "requireCertificate": True, "verify": True, "caCerts": [certs.caCert],
        "method": 7, "insecurelyLowerMinimumTo": ssl.TLSVersion.TLSv1_2,
        "raiseMinimumTo": ssl.TLSVersion.TLSv1_2, "lowerMaximumSecurityTo": ssl.TLSVersion.TLSv1_3,
    }
    expected = (
        f"^The '{first}' and '{second}' arguments to plait._sslverify.OpenSSLCertificateOptions.__init__ "
        "are mutually exclusive.$"
    )
    with pytest.raises(TypeError, match=expected):
        ssl.CertificateOptions(**{first: values[first], second: values[second]})


def test_keyWithoutCertificate(certs: Certs) -> None:
    """privateKey xor certificate: Twisted's ValueError."""
    with pytest.raises(ValueError, match="^Specify neither or both of privateKey and certificate$"):
        ssl.CertificateOptions(privateKey=certs.serverCert.privateKey)
    with pytest.raises(ValueError, match="^Specify neither or both of privateKey and certificate$"):
        ssl.CertificateOptions(certificate=certs.serverCert)


def test_verifyWithoutCaCerts() -> None:
    """verify=True without caCerts: ValueError."""
    with pytest.raises(ValueError, match="only if enabling certificate verification"):
        ssl.CertificateOptions(verify=True)


def test_verifyWithCaCerts(certs: Certs) -> None:
    """The old verify=True, caCerts=[...] spelling still verifies against those CAs."""
    options = ssl.CertificateOptions(verify=True, caCerts=[certs.caCert])
    assert options._context(False).verify_mode == stdssl.CERT_REQUIRED


def test_extraCertChainNeedsACertificate(certs: Certs) -> None:
    """extraCertChain without key and certificate: ValueError."""
    with pytest.raises(ValueError, match="required when adding a supplemental certificate chain"):
        ssl.CertificateOptions(extraCertChain=[certs.caCert])


def test_mismatchedKeyAndCertificateRefused(certs: Certs) -> None:
    """A key that does not belong to the certificate is refused when the context is built."""
    options = ssl.CertificateOptions(privateKey=certs.clientCert.privateKey, certificate=certs.serverCert)
    with pytest.raises(ValueError, match="OpenSSL refused the certificate or private key"):
        options.getContext()


def test_badTrustRoot() -> None:
    """A trustRoot that is no trust root: TypeError naming the right kinds."""
    with pytest.raises(TypeError, match="trustRoot must be"):
        ssl.CertificateOptions(trustRoot="/etc/ssl/certs")


def test_trustRootFromCertificates(certs: Certs) -> None:
    """trustRootFromCertificates takes Certificates only."""
    root = ssl.trustRootFromCertificates([certs.caCert, certs.serverCert])
    assert IOpenSSLTrustRoot.providedBy(root)
    with pytest.raises(TypeError, match="CertBase instances"):
        ssl.trustRootFromCertificates([b"pem"])


def test_platformTrust() -> None:
    """platformTrust() is OpenSSLDefaultPaths, which loads the default store."""
    root = ssl.platformTrust()
    assert isinstance(root, ssl.OpenSSLDefaultPaths)
    context = stdssl.SSLContext(stdssl.PROTOCOL_TLS_CLIENT)
    root._addCACertsToContext(context)


# -- versions --------------------------------------------------------------------


def test_tlsVersionConstants() -> None:
    """TLSVersion has Twisted's five constants, ordered oldest first."""
    names = [v.name for v in ssl.TLSVersion.iterconstants()]
    assert names == ["SSLv3", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"]
    assert ssl.TLSVersion.TLSv1_2 < ssl.TLSVersion.TLSv1_3
    assert repr(ssl.TLSVersion.TLSv1_2) == "<TLSVersion=TLSv1_2>"
    assert ssl.TLSVersion.lookupByName("TLSv1_3") is ssl.TLSVersion.TLSv1_3
    with pytest.raises(ValueError, match="unknown TLS version 'TLSv9'"):
        ssl.TLSVersion.lookupByName("TLSv9")


def test_defaultMinimumIsTLS12() -> None:
    """Contexts allow TLS 1.2 and newer by default."""
    context = ssl.CertificateOptions()._context(False)
    assert context.minimum_version == stdssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize("version", ["SSLv3", "TLSv1_0", "TLSv1_1"])
def test_lowerThanTLS12Refused(version: str) -> None:
    """insecurelyLowerMinimumTo below TLS 1.2 is refused (Twisted allows it)."""
    with pytest.raises(ValueError, match="plait speaks TLS 1.2 and newer only"):
        ssl.CertificateOptions(insecurelyLowerMinimumTo=ssl.TLSVersion.lookupByName(version))


def test_versionKnobs() -> None:
    """raiseMinimumTo and lowerMaximumSecurityTo bracket the versions; contradictions raise."""
    context = ssl.CertificateOptions(
        raiseMinimumTo=ssl.TLSVersion.TLSv1_2, lowerMaximumSecurityTo=ssl.TLSVersion.TLSv1_2
    )._context(False)
    assert context.maximum_version == stdssl.TLSVersion.TLSv1_2
    with pytest.raises(ValueError, match="raiseMinimumTo needs to be lower than lowerMaximumSecurityTo"):
        ssl.CertificateOptions(raiseMinimumTo=ssl.TLSVersion.TLSv1_3, lowerMaximumSecurityTo=ssl.TLSVersion.TLSv1_2)
    with pytest.raises(ValueError, match="plait speaks TLS 1.2 and newer only"):
        ssl.CertificateOptions(lowerMaximumSecurityTo=ssl.TLSVersion.TLSv1_1)


def test_unknownVersionValue() -> None:
    """A version that is not a TLSVersion constant: Twisted's exception type, naming the keyword."""
    with pytest.raises(TypeError, match="raiseMinimumTo must be a TLSVersion constant"):
        ssl.CertificateOptions(raiseMinimumTo="TLSv1_2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lowerMaximumSecurityTo must be a TLSVersion constant"):
        ssl.CertificateOptions(lowerMaximumSecurityTo="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="insecurelyLowerMinimumTo must be a TLSVersion constant"):
        ssl.CertificateOptions(insecurelyLowerMinimumTo="TLSv1_2")  # type: ignore[arg-type]


def test_methodIsDeprecatedAndOldMethodsRefused() -> None:
    """method= warns as in Twisted; pyOpenSSL's TLSv1 methods are refused."""
    with pytest.warns(DeprecationWarning, match="Passing method to twisted.internet.ssl.CertificateOptions"):
        options = ssl.CertificateOptions(method=6)  # TLSv1_2_METHOD
    assert options._context(False).maximum_version == stdssl.TLSVersion.TLSv1_2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="TLS 1.2 and newer only"):
            ssl.CertificateOptions(method=4)  # TLSv1_METHOD


# -- ciphers, DH, ALPN, sessions ------------------------------------------------------


def test_acceptableCiphers() -> None:
    """AcceptableCiphers selects by OpenSSL cipher string; an empty result is refused."""
    ciphers = ssl.AcceptableCiphers.fromOpenSSLCipherString("ECDHE-ECDSA-AES128-GCM-SHA256")
    assert verifyObject(IAcceptableCiphers, ciphers)
    options = ssl.CertificateOptions(acceptableCiphers=ciphers)
    names = [c["name"] for c in options._context(False).get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert names == ["ECDHE-ECDSA-AES128-GCM-SHA256"]
    with pytest.raises(ValueError, match="yielded no usable ciphers"):
        ssl.CertificateOptions(acceptableCiphers=ssl.AcceptableCiphers([]))
    assert ssl.AcceptableCiphers.fromOpenSSLCipherString("NO-SUCH-CIPHER").selectCiphers([]) == ()


def test_dhParameters(tmp_path: Path) -> None:
    """DiffieHellmanParameters.fromFile names a PEM file loaded into server contexts."""
    import subprocess

    dh = tmp_path / "dh.pem"
    subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
                    "-out", str(dh)], check=True, capture_output=True, timeout=60)
    options = ssl.CertificateOptions(dhParameters=ssl.DiffieHellmanParameters.fromFile(str(dh)))
    options._context(True)
    missing = ssl.CertificateOptions(dhParameters=ssl.DiffieHellmanParameters.fromFile(str(tmp_path / "no.pem")))
    with pytest.raises(FileNotFoundError):
        missing._context(True)


def test_acceptableProtocolsMustBeBytes() -> None:
    """ALPN names are bytes."""
    with pytest.raises(TypeError, match="acceptableProtocols must be bytes"):
        ssl.CertificateOptions(acceptableProtocols=["h2"])  # type: ignore[list-item]


def test_sessionTicketsOffByDefault() -> None:
    """As in Twisted, no session tickets unless asked for."""
    assert ssl.CertificateOptions()._context(True).options & stdssl.OP_NO_TICKET
    assert not ssl.CertificateOptions(enableSessionTickets=True)._context(True).options & stdssl.OP_NO_TICKET


def test_contextForServerName(certs: Certs) -> None:
    """contextForServerName is consulted with the SNI name (bytes) on the server side."""
    seen: list[Any] = []
    options = certs.serverOptions(contextForServerName=lambda name: seen.append(name))
    from tests.tlshelpers import tlsPair

    _, server, pump, _ = tlsPair(options, certs.clientOptions())
    pump.flush()
    assert seen == [b"localhost"]
    assert "handshakeCompleted" in server.events


def test_protocolNegotiationMechanisms() -> None:
    """ALPN is supported; the function is deprecated, as in Twisted 26.10."""
    with pytest.warns(DeprecationWarning, match="protocolNegotiationMechanisms was deprecated"):
        support = ssl.protocolNegotiationMechanisms()
    assert support & ssl.ProtocolNegotiationSupport.ALPN
    assert not ssl.ProtocolNegotiationSupport.NOSUPPORT


def test_oldContextFactories(certs: Certs) -> None:
    """ContextFactory is abstract; ClientContextFactory verifies nothing (Twisted's)."""
    with pytest.raises(NotImplementedError):
        ssl.ContextFactory().getContext()
    context = ssl.ClientContextFactory().getContext()
    assert context.verify_mode == stdssl.CERT_NONE and context.minimum_version == stdssl.TLSVersion.TLSv1_2
    assert ssl.ClientContextFactory.isClient == 1 and ssl.ContextFactory.isClient == 0
    factory = ssl.DefaultOpenSSLContextFactory(str(certs.serverKeyFile), str(certs.serverCertFile))
    assert factory.getContext() is factory.getContext()
    # A server context for a client (and the reverse): TypeError naming what to use.
    from plait.tls import TLSMemoryBIOFactory

    with pytest.raises(TypeError, match=r"returned a server context, .*optionsForClientTLS\(hostname\), with clientCertificate="):
        TLSMemoryBIOFactory(factory, True, Factory())
    with pytest.raises(TypeError, match=r"returned a client context, .*CertificateOptions\(privateKey=..., certificate=...\)"):
        TLSMemoryBIOFactory(ssl.ClientContextFactory(), False, Factory())
    # Renegotiation is refused by these contexts too (every context plait builds).
    assert context.options & stdssl.OP_NO_RENEGOTIATION
    assert factory.getContext().options & stdssl.OP_NO_RENEGOTIATION


def test_contextForServerNameFailureIsLoggedAndRefused(certs: Certs, loggedErrors: Any) -> None:
    """A contextForServerName that raises: logged, and the handshake refused with an alert."""
    from tests.tlshelpers import tlsPair

    def broken(name: bytes | None) -> Any:
        raise KeyError(name)

    client, server, pump, _ = tlsPair(certs.serverOptions(contextForServerName=broken), certs.clientOptions())
    pump.flush()
    assert client.lost and server.lost and "handshakeCompleted" not in client.events
    assert len(loggedErrors.flush(KeyError)) == 1


def test_contextForServerNameSwitchesContext(certs: Certs) -> None:
    """The context contextForServerName returns serves that connection (its certificate)."""
    import trustme

    from tests.tlshelpers import tlsPair

    otherCA = trustme.CA()
    other = ssl.PrivateCertificate.loadPEM(otherCA.issue_cert("other.example").private_key_and_cert_chain_pem.bytes())
    otherContext = ssl.CertificateOptions(privateKey=other.privateKey, certificate=other)._context(True)
    options = certs.serverOptions(contextForServerName=lambda name: otherContext if name == b"other.example" else None)
    client, _, pump, _ = tlsPair(options, ssl.optionsForClientTLS("other.example", ssl.Certificate.loadPEM(otherCA.cert_pem.bytes())))
    pump.flush()
    assert "handshakeCompleted" in client.events
    assert client.transport.getPeerCertificate() == ssl.Certificate(other)
