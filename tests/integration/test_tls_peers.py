"""plait's TLS against TLS implementations nobody here wrote, on loopback.

* ``openssl s_server`` (OpenSSL's own server) with plait as the client:
  line-reversing echo, TLS 1.2 pinned, a TLS 1.1-only server refused, ALPN,
  a required client certificate.
* ``openssl s_client`` with plait as the server: verified echo, ALPN, a
  client certificate, and a renegotiation attempt refused.
* ``socat OPENSSL-LISTEN`` as an echo server: a megabyte both ways, a wrong
  name refused, mutual TLS.
* ngircd (GnuTLS) on its TLS port, with the howto's ircLogBot
  (examples/ircLogBot.py, unchanged) connected through compatibility mode
  with ``connectSSL(..., ssl.optionsForClientTLS(...))``.

Python's own ``ssl`` server is the peer of tests/integration/test_tls.py.
Certificates are made by the test (tests/tlshelpers.py); the peers run in
their own sessions and are stopped by pid (tests/integration/tlspeers.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plait import error, ssl
from plait.protocol import ClientFactory, Protocol
from tests.integration.test_tls import _Listening, _until
from tests.integration.tlspeers import OpensslClient, Peer
from tests.tlshelpers import Certs, TLSRecorder

ROOT = Path(__file__).resolve().parents[2]
NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    certs = Certs(tmp_path_factory.mktemp("certs"))
    certs.clientLeaf.cert_chain_pems[0].write_to_path(str(certs.directory / "client.crt"))
    certs.clientLeaf.private_key_pem.write_to_path(str(certs.directory / "client.key"))
    return certs


def _connect(reactor: Any, port: int, options: Any, client: TLSRecorder) -> TLSRecorder:
    reactor.connectSSL("127.0.0.1", port, ClientFactory.forProtocol(lambda: client), options)
    _until(reactor, lambda: client.lost, timeout=10)
    return client


def _sender(payload: bytes) -> TLSRecorder:
    """A client that sends ``payload`` after the handshake and closes when it got as much back."""
    client = TLSRecorder()
    client.onHandshake = lambda p: p.transport.write(payload)
    client.onData = lambda p, data: len(p.data) >= len(payload) and p.transport.loseConnection()
    return client


# -- openssl s_server ---------------------------------------------------------------


@pytest.fixture
def sServer(certs: Certs, request: pytest.FixtureRequest) -> Iterator[Peer]:
    extra: list[str] = getattr(request, "param", [])
    peer = Peer(["openssl", "s_server", "-accept", "127.0.0.1:{port}", "-cert", str(certs.serverCertFile),
                 "-key", str(certs.serverKeyFile), "-rev", "-quiet", *extra])
    yield peer
    peer.stop()


def test_opensslServerReversesLines(reactor: Any, certs: Certs, sServer: Peer) -> None:
    """plait's verified client against s_server -rev: the line comes back reversed."""
    client = _connect(reactor, sServer.port, certs.clientOptions(), _sender(b"hello tls\n"))
    assert client.data == b"slt olleh\n"
    assert "handshakeCompleted" in client.events
    assert client.transport is not None


@pytest.mark.parametrize("sServer", [["-tls1_2"]], indirect=True)
def test_opensslServerPinnedToTLS12(reactor: Any, certs: Certs, sServer: Peer) -> None:
    """A TLS 1.2-only server: plait negotiates TLS 1.2."""
    versions: list[str] = []
    client = _sender(b"twelve\n")
    client.onHandshake = lambda p: (versions.append(p.transport.getHandle().version()), p.transport.write(b"twelve\n"))
    _connect(reactor, sServer.port, certs.clientOptions(), client)
    assert versions == ["TLSv1.2"] and client.data == b"evlewt\n"


@pytest.mark.parametrize("sServer", [["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]], indirect=True)
def test_tls11ServerRefused(reactor: Any, certs: Certs, sServer: Peer) -> None:
    """A server that offers only TLS 1.1: plait refuses (TLS 1.2 is the floor)."""
    import ssl as stdssl

    client = _connect(reactor, sServer.port, certs.clientOptions(), _sender(b"old\n"))
    assert client.data == b"" and "handshakeCompleted" not in client.events
    assert client.reasons[0].check(stdssl.SSLError)
    assert "version" in client.reasons[0].getErrorMessage().lower()


@pytest.mark.parametrize("sServer", [["-alpn", "h2,http/1.1"]], indirect=True)
def test_opensslServerALPN(reactor: Any, certs: Certs, sServer: Peer) -> None:
    """ALPN with s_server: the protocol both offer is negotiated."""
    seen: list[Any] = []
    client = _sender(b"alpn\n")
    client.onHandshake = lambda p: (seen.append(p.transport.negotiatedProtocol), p.transport.write(b"alpn\n"))
    _connect(reactor, sServer.port, certs.clientOptions(acceptableProtocols=[b"http/1.1"]), client)
    assert seen == [b"http/1.1"] and client.data == b"npla\n"


@pytest.fixture
def sServerNeedingClientCert(certs: Certs) -> Iterator[Peer]:
    peer = Peer(["openssl", "s_server", "-accept", "127.0.0.1:{port}", "-cert", str(certs.serverCertFile),
                 "-key", str(certs.serverKeyFile), "-rev", "-quiet", "-Verify", "1", "-CAfile", str(certs.caFile)])
    yield peer
    peer.stop()


def test_opensslServerRequiringClientCertificate(reactor: Any, certs: Certs, sServerNeedingClientCert: Peer) -> None:
    """s_server -Verify: plait presents its client certificate and is served; without one
    it is refused and gets no data."""
    port = sServerNeedingClientCert.port
    client = _connect(reactor, port, certs.clientOptions(clientCertificate=certs.clientCert), _sender(b"mine\n"))
    assert client.data == b"enim\n"
    refused = _connect(reactor, port, certs.clientOptions(), _sender(b"anon\n"))
    assert refused.data == b""
    assert "certificate required" in refused.reasons[0].getErrorMessage()


# -- openssl s_client against plait ---------------------------------------------------


class EchoOnce(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(b"plait says: " + data)
        self.transport.loseConnection()


def _serve(reactor: Any, options: Any, protocol: Any = EchoOnce) -> _Listening:
    return _Listening(reactor, options, protocol)


def _runClient(reactor: Any, client: OpensslClient, listening: _Listening) -> bytes:
    _until(reactor, lambda: client.proc.poll() is not None, timeout=10)
    return client.wait()


def test_opensslClientVerifiesPlaitServer(reactor: Any, certs: Certs) -> None:
    """s_client verifies plait's certificate chain and name, and gets the echo."""
    listening = _serve(reactor, certs.serverOptions())
    try:
        client = OpensslClient(listening.getHost().port, "-CAfile", str(certs.caFile), "-verify_hostname",
                               "localhost", "-verify_return_error", "-quiet")
        client.send(b"hello from openssl\n")
        output = _runClient(reactor, client, listening)
        assert b"plait says: hello from openssl" in output
    finally:
        listening.close()
    assert listening.protocols[0].reasons[0].check(error.ConnectionDone)


def test_plaitMadeAuthorityVerifiedByPlaitAndOpenSSL(reactor: Any, tmp_path: Path) -> None:
    """Twisted's pattern with plait alone: a CA from ``selfSignedCert``, a server
    certificate it signs, served with ``PrivateCertificate.options()`` and trusted
    with ``optionsForClientTLS(trustRoot=ca)`` over loopback; ``openssl verify`` and
    ``s_client`` accept the same chain."""
    caKey = ssl.KeyPair.generate(ssl.TYPE_EC, 256)
    ca = caKey.selfSignedCert(1, commonName="plait howto CA", organizationName="plait")
    serverKey = ssl.KeyPair.generate()
    request = serverKey.requestObject(ssl.DN(commonName="localhost"))
    server = ssl.PrivateCertificate.fromCertificateAndKeyPair(ca.signRequestObject(request, 2), serverKey)
    (tmp_path / "ca.pem").write_bytes(ssl.Certificate(ca).dumpPEM())
    (tmp_path / "server.pem").write_bytes(ssl.Certificate(server).dumpPEM())

    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), "-verify_hostname", "localhost",
         "-purpose", "sslserver", "-x509_strict", str(tmp_path / "server.pem")],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert verified.returncode == 0 and verified.stdout.strip().endswith(": OK"), verified.stdout + verified.stderr

    listening = _serve(reactor, server.options())
    try:
        client = _connect(reactor, listening.getHost().port,
                          ssl.optionsForClientTLS("localhost", trustRoot=ssl.Certificate(ca)), _sender(b"hello"))
        opensslClient = OpensslClient(listening.getHost().port, "-CAfile", str(tmp_path / "ca.pem"),
                                      "-verify_hostname", "localhost", "-verify_return_error", "-quiet")
        opensslClient.send(b"from openssl\n")
        output = _runClient(reactor, opensslClient, listening)
    finally:
        listening.close()
    assert client.events[:2] == ["connectionMade", "handshakeCompleted"], client.reasons
    assert client.data == b"plait says: hello"
    assert client.reasons[0].check(error.ConnectionDone)
    assert b"plait says: from openssl" in output


def test_opensslClientALPNAndClientCertificate(reactor: Any, certs: Certs) -> None:
    """s_client offers ALPN and a client certificate; plait's server requires and sees it."""
    seen: dict[str, Any] = {}

    class Inspecting(EchoOnce):
        def dataReceived(self, data: bytes) -> None:
            seen["protocol"] = self.transport.negotiatedProtocol
            seen["peer"] = self.transport.getPeerCertificate()
            super().dataReceived(data)

    options = ssl.CertificateOptions(privateKey=certs.serverCert.privateKey, certificate=certs.serverCert,
                                     trustRoot=certs.caCert, acceptableProtocols=[b"h2", b"http/1.1"])
    listening = _serve(reactor, options, Inspecting)
    try:
        client = OpensslClient(listening.getHost().port, "-CAfile", str(certs.caFile), "-alpn", "http/1.1",
                               "-cert", str(certs.directory / "client.crt"), "-key", str(certs.directory / "client.key"))
        client.send(b"who am I\n")
        output = _runClient(reactor, client, listening)
    finally:
        listening.close()
    assert b"ALPN protocol: http/1.1" in output
    assert seen["protocol"] == b"http/1.1"
    assert seen["peer"] == ssl.Certificate(certs.clientCert)


def test_renegotiationRefused(reactor: Any, certs: Certs) -> None:
    """A client asking to renegotiate (TLS 1.2, s_client's R command) is refused with an
    alert; plait's side ends with an ssl.SSLError and the reactor carries on."""
    import ssl as stdssl

    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    listening = _serve(reactor, certs.serverOptions(), Echo)
    try:
        client = OpensslClient(listening.getHost().port, "-tls1_2", "-CAfile", str(certs.caFile))
        client.send(b"before\n")
        _until(reactor, lambda: b"before" in client.output.split(b"---")[-1], timeout=10)
        client.send(b"R\n")
        _until(reactor, lambda: all(p.reasons for p in listening.protocols), timeout=10)
        output = client.wait()
    finally:
        listening.close()
    assert b"RENEGOTIATING" in output and b"no renegotiation" in output
    assert listening.protocols[0].reasons[0].check(stdssl.SSLError)


# -- socat ------------------------------------------------------------------------------


@pytest.fixture
def socatEcho(certs: Certs, request: pytest.FixtureRequest) -> Iterator[Peer]:
    mutual = getattr(request, "param", False)
    verify = f"cafile={certs.caFile},verify=1" if mutual else "verify=0"
    peer = Peer(["socat", ("OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,"
                 f"cert={certs.serverFile},{verify}"), "EXEC:cat"])
    yield peer
    peer.stop()


def test_socatEchoesAMegabyte(reactor: Any, certs: Certs, socatEcho: Peer) -> None:
    """A megabyte through socat's OpenSSL echo and back, intact."""
    payload = bytes(range(256)) * 4096
    client = _connect(reactor, socatEcho.port, certs.clientOptions(), _sender(payload))
    assert client.data == payload
    assert client.reasons[0].check(error.ConnectionDone) or client.reasons[0].check(error.ConnectionLost)


def test_socatWrongNameRefused(reactor: Any, certs: Certs, socatEcho: Peer) -> None:
    """Verifying socat's certificate against another name fails before any data."""
    client = _connect(reactor, socatEcho.port, certs.clientOptions("wrong.example"), _sender(b"x"))
    assert client.reasons[0].check(ssl.VerificationError) and client.data == b""


@pytest.mark.parametrize("socatEcho", [True], indirect=True)
def test_socatMutualTLS(reactor: Any, certs: Certs, socatEcho: Peer) -> None:
    """socat requiring a client certificate: plait's is accepted."""
    client = _connect(reactor, socatEcho.port, certs.clientOptions(clientCertificate=certs.clientCert), _sender(b"mutual"))
    assert client.data == b"mutual"


# -- ngircd with TLS: the howto's log bot ---------------------------------------------------

NGIRCD_TLS_CONF = """\
[Global]
\tName = irc.test.local
\tInfo = plait TLS test server
\tAdminInfo1 = plait test suite
\tAdminInfo2 = loopback only
\tAdminEMail = test@invalid
\tListen = 127.0.0.1
\tPorts = {plainPort}
\tMotdPhrase = "plait test"
{uidLines}
[Limits]
\tMaxConnectionsIP = 0
\tMaxNickLength = 30
\tMaxPenaltyTime = 0
[Options]
\tDNS = no
\tIdent = no
\tPAM = no
\tIncludeDir = {directory}/conf.d
[SSL]
\tPorts = {tlsPort}
\tCertFile = {directory}/server.crt
\tKeyFile = {directory}/server.key
\tDHFile = {directory}/dh.pem
"""

BOT_DRIVER = r"""
import sys
from plait import compat
compat.install()
from twisted.internet import reactor, ssl   # plait's, through compatibility mode
sys.path.insert(0, sys.argv[1])
import ircLogBot                             # the howto's bot, unchanged

channel, logfile, port, caFile = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
trust = ssl.Certificate.loadPEM(open(caFile, "rb").read())
factory = ircLogBot.LogBotFactory(channel, logfile)
reactor.connectSSL("127.0.0.1", port, factory, ssl.optionsForClientTLS("localhost", trust))
reactor.run()
"""


@pytest.fixture
def ngircdTLS(certs: Certs) -> Iterator[tuple[Peer, int]]:
    from tests.integration.tlspeers import freePort

    plainPort = freePort()

    def prepare(directory: Path, tlsPort: int) -> None:
        (directory / "conf.d").mkdir(exist_ok=True)
        shutil.copy(certs.serverCertFile, directory / "server.crt")
        shutil.copy(certs.serverKeyFile, directory / "server.key")
        if not (directory / "dh.pem").exists():
            subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
                            "-out", str(directory / "dh.pem")], check=True, capture_output=True, timeout=60)
        for name in ("server.crt", "server.key", "dh.pem"):
            os.chmod(directory / name, 0o644)  # ngircd drops to nobody as root
        uidLines = "" if os.getuid() == 0 else f"\tServerUID = {os.getuid()}\n\tServerGID = {os.getgid()}"
        (directory / "ngircd.conf").write_text(NGIRCD_TLS_CONF.format(
            plainPort=plainPort, tlsPort=tlsPort, directory=directory, uidLines=uidLines))

    peer = Peer([NGIRCD, "--nodaemon", "-f", "{dir}/ngircd.conf"], prepare=prepare)
    yield peer, plainPort
    peer.stop()


def test_ircLogBotOverTLS(certs: Certs, ngircdTLS: tuple[Peer, int], tmp_path: Path) -> None:
    """ircLogBot joins #test over ngircd's TLS port (verified), logs what is said there,
    and answers when addressed; a plain client on the plain port talks to it."""
    from tests.integration.ircservers import PlainClient

    peer, plainPort = ngircdTLS
    logfile = tmp_path / "test.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with open(tmp_path / "bot.out", "wb") as out:
        bot = subprocess.Popen(
            [sys.executable, "-c", BOT_DRIVER, str(ROOT / "examples"), "#test", str(logfile), str(peer.port), str(certs.caFile)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        )
    alice = None
    try:
        deadline = time.monotonic() + 15
        while "[I have joined #test]" not in (logfile.read_text() if logfile.exists() else ""):
            assert bot.poll() is None, (tmp_path / "bot.out").read_text()
            assert time.monotonic() < deadline, "the bot did not join #test over TLS in time"
            time.sleep(0.02)
        alice = PlainClient("127.0.0.1", plainPort, "alice")
        alice.join("#test")
        alice.send("PRIVMSG #test :twistedbot: hello over TLS")
        alice.expect(lambda line: "PRIVMSG #test :alice: I am a log bot" in line)
    finally:
        if alice is not None:
            alice.close()
        bot.terminate()
        bot.wait(10)
    log = logfile.read_text()
    assert "<alice> twistedbot: hello over TLS" in log
    assert "<twistedbot> alice: I am a log bot" in log
    # ngircd's side of the story: the bot came in over TLS.
    assert "initialized TLS1." in peer.log() and 'User "twistedbot!' in peer.log()
