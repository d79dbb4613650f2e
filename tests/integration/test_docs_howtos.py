"""Run the programs of the TLS, processes and testing howtos (docs/tls.md,
docs/processes.md, docs/testing.md), the way each page says.

Every program is a subprocess that finds plait through PYTHONPATH, talks
only to 127.0.0.1, and must end by itself.  The TLS certificates are made
at test time by examples/tls_certificates.py (trustme); the servers are the
examples' own (tls_server.py, starttls_server.py) and, where a page names
one, a peer nobody here wrote (``openssl s_client``).  Twisted-import
programs run under ``python3 -m plait.compat`` and, where the real Twisted
is installed, under Twisted too, which must print the same.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_examples import ENV, EXAMPLES, ROOT, TIMEOUT, _run


class Program:
    """A server example started in the background; ``port`` is what it printed."""

    def __init__(self, *args: str) -> None:
        self.stderr = ""
        self.proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            self.stop()
            raise AssertionError(f"{args[0]} did not start: {line!r} {self.stderr!r}")
        self.port = line.split()[-1]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        finally:
            if self.proc.stderr is not None:
                self.stderr = self.proc.stderr.read()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def refusedPort() -> tuple[socket.socket, str]:
    """A loopback port that refuses connections (bound, never listening)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, str(s.getsockname()[1])


# -- docs/tls.md ------------------------------------------------------------------------


def makeCertificates(directory: Path) -> Path:
    result = _run(str(EXAMPLES / "tls_certificates.py"), str(directory))
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page's ``python3 examples/tls_certificates.py DIR`` (read-only: shared by the module)."""
    return makeCertificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def otherCerts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another authority, which signed nothing the servers present."""
    return makeCertificates(tmp_path_factory.mktemp("other"))


@pytest.fixture
def tlsServer(certs: Path) -> Iterator[Program]:
    server = Program(str(EXAMPLES / "tls_server.py"), "0", str(certs / "server.crt"), str(certs / "server.key"))
    yield server
    server.stop()


@pytest.fixture
def starttlsServer(certs: Path) -> Iterator[Program]:
    server = Program(str(EXAMPLES / "starttls_server.py"), "0", str(certs / "server.crt"), str(certs / "server.key"))
    yield server
    server.stop()


def test_tlsCertificatesAreSignedByTheirAuthority(certs: Path) -> None:
    """OpenSSL itself checks the files: both leaves chain to ca.pem, and ca.pem is
    the directory's only *.pem (what trustRoots=/caCertsDir= read)."""
    assert sorted(p.name for p in certs.iterdir()) == ["alice.crt", "alice.key", "ca.pem", "server.crt", "server.key"]
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", str(certs / "ca.pem"), str(certs / "server.crt"), str(certs / "alice.crt")],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"{certs / 'server.crt'}: OK", f"{certs / 'alice.crt'}: OK"]


def test_tlsClientWithThePagesCertificates(certs: Path, tlsServer: Program) -> None:
    """connectSSL + optionsForClientTLS(trustRoot=ca.pem), as the page's first section runs it."""
    result = _run(str(EXAMPLES / "tls_client.py"), "localhost", tlsServer.port, str(certs / "ca.pem"))
    assert result.returncode == 0, result.stderr
    assert "server said: echo: hello over TLS" in result.stdout
    assert result.stdout.splitlines()[-1] == "connection closed: Connection was closed cleanly."


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tlsEndpointsThreeWays(certs: Path, tlsServer: Program, host: str) -> None:
    """tls:, ssl: and wrapClientTLS each verify the server (by name or by address) and get the echo."""
    result = _run(str(EXAMPLES / "tls_endpoints.py"), host, tlsServer.port, str(certs))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["tls: echo: tls:", "ssl: echo: ssl:", "wrapClientTLS echo: wrapClientTLS"]


def test_tlsEndpointsTrustThePlatformsAuthorities(certs: Path, tlsServer: Program) -> None:
    """Without DIRECTORY, the platform's store decides: the private CA is unknown there,
    until SSL_CERT_FILE (OpenSSL's variable, which platformTrust() honours) names it."""
    program = str(EXAMPLES / "tls_endpoints.py")
    env = {k: v for k, v in ENV.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    unknown = subprocess.run([sys.executable, program, "localhost", tlsServer.port], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert unknown.stdout == "failed: certificate verify failed: unable to get local issuer certificate\n"
    added = subprocess.run([sys.executable, program, "localhost", tlsServer.port], cwd=ROOT,
                           env={**env, "SSL_CERT_FILE": str(certs / "ca.pem")},
                           capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == ["tls: echo: tls:", "ssl: echo: ssl:", "wrapClientTLS echo: wrapClientTLS"]


def test_tlsEndpointsRefuseAnotherAuthority(otherCerts: Path, tlsServer: Program) -> None:
    result = _run(str(EXAMPLES / "tls_endpoints.py"), "localhost", tlsServer.port, str(otherCerts))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "failed: certificate verify failed: unable to get local issuer certificate\n"
    assert "Unhandled" not in result.stderr


def test_tlsEndpointsReportARefusal(certs: Path) -> None:
    sock, port = refusedPort()
    with sock:
        result = _run(str(EXAMPLES / "tls_endpoints.py"), "127.0.0.1", port, str(certs))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("failed: Connection was refused by other side")


def test_tlsServerAgainstOpensslClient(certs: Path, tlsServer: Program) -> None:
    """The page's `openssl s_client` command: OpenSSL verifies tls_server.py and gets the echo."""
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tlsServer.port}", "-CAfile", str(certs / "ca.pem"),
         "-verify_hostname", "localhost", "-verify_return_error", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("hello from openssl\n")
        proc.stdin.flush()
        lines = [proc.stdout.readline(), proc.stdout.readline()]  # -quiet: it waits for more input
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=TIMEOUT)
    assert lines == ["Hello from the howto server\n", "echo: hello from openssl\n"], errors
    assert "verify return:1" in errors


def test_starttlsClientUpgradesTheConnection(certs: Path, starttlsServer: Program) -> None:
    result = _run(str(EXAMPLES / "starttls_client.py"), "localhost", starttlsServer.port, str(certs / "ca.pem"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "server: echo (in clear): plain text",
        "server: READY",
        "TLS is on, and the server's certificate checked out",
        "server: echo (over TLS): secret text",
        "connection closed: Connection was closed cleanly.",
    ]


def test_starttlsClientRefusesAnotherAuthority(otherCerts: Path, starttlsServer: Program) -> None:
    """The check fails in the middle of the conversation: nothing is sent over TLS."""
    result = _run(str(EXAMPLES / "starttls_client.py"), "localhost", starttlsServer.port, str(otherCerts / "ca.pem"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "server: echo (in clear): plain text",
        "server: READY",
        "connection closed: certificate verify failed: unable to get local issuer certificate",
    ]


def test_starttlsClientReportsARefusal(certs: Path) -> None:
    sock, port = refusedPort()
    with sock:
        result = _run(str(EXAMPLES / "starttls_client.py"), "127.0.0.1", port, str(certs / "ca.pem"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("connection failed: Connection was refused by other side")


def test_tlsClientAuthAcceptsAliceAndRefusesMallory(certs: Path) -> None:
    """A client certificate is required and checked; ALPN agrees on the one protocol both know."""
    result = _run(str(EXAMPLES / "tls_client_auth.py"), str(certs))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for line in [
        "alice: server verified as localhost, ALPN chose b'http/1.1'",
        "server: client 'alice' verified, speaking http/1.1",
        "alice: server says 'hello alice'",
        "alice: connection closed: Connection was closed cleanly.",
    ]:
        assert line in lines, result.stdout
    # TLS 1.3: mallory's side of the handshake ends before the server checks
    # her (missing) certificate, so she learns of the refusal as her close reason.
    assert any(line.startswith("server: refused a client: [SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE]") for line in lines)
    assert lines[-1].startswith("mallory: connection closed: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED]"), lines
    assert "hello mallory" not in result.stdout


def test_tlsClientAuthWithoutItsFilesSaysSo(tmp_path: Path) -> None:
    result = _run(str(EXAMPLES / "tls_client_auth.py"), str(tmp_path / "missing"))
    assert result.returncode == 1
    assert "No such file or directory" in result.stderr and "ca.pem" in result.stderr


TWISTED_CLIENT = EXAMPLES / "twisted_tls" / "tls_echo_client.py"
TWISTED_OUTPUT = [
    "server: Hello from the howto server",
    "server: echo: hello from a Twisted program",
    "connection closed: Connection was closed cleanly.",
]


def test_twistedTLSClientUnchangedUnderCompat(certs: Path, tlsServer: Program) -> None:
    result = _run("-m", "plait.compat", str(TWISTED_CLIENT), "localhost", tlsServer.port, str(certs / "ca.pem"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == TWISTED_OUTPUT


def test_twistedTLSClientUnderCompatRefusesAnotherAuthority(otherCerts: Path, tlsServer: Program) -> None:
    result = _run("-m", "plait.compat", str(TWISTED_CLIENT), "localhost", tlsServer.port, str(otherCerts / "ca.pem"))
    assert result.returncode == 1
    assert result.stdout == "could not connect: certificate verify failed: unable to get local issuer certificate\n"


def _twistedTLSAvailable() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("twisted", "OpenSSL", "service_identity"))


@pytest.mark.skipif(not _twistedTLSAvailable(), reason="the real Twisted (with pyOpenSSL, service_identity) is not installed")
def test_twistedTLSClientOnTwistedPrintsTheSame(certs: Path, tlsServer: Program) -> None:
    """The program is a faithful Twisted program: Twisted itself prints the same."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, str(TWISTED_CLIENT), "localhost", tlsServer.port, str(certs / "ca.pem")],
        cwd=ROOT / "examples", env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == TWISTED_OUTPUT


def test_pageClaimTwistedPythonModulesIsNotServed() -> None:
    """What the page says about Twisted's own TLS examples: their
    ``twisted.python.modules`` import is not one plait's compatibility mode serves."""
    result = _run("-m", "plait.compat", "--list")
    assert result.returncode == 0, result.stderr
    covered = [line.split()[0] for line in result.stdout.splitlines()]
    assert "twisted.internet.ssl" in covered and "twisted.internet.endpoints" in covered
    assert "twisted.python.modules" not in covered


# -- docs/processes.md ------------------------------------------------------------------


def test_processUtilsShowsEveryHelperAndBothFailures() -> None:
    result = _run(str(EXAMPLES / "process_utils.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "getProcessOutput: b'hello world\\n'",
        "getProcessValue: 3",
        "getProcessOutputAndValue: b'to stdout\\n' b'to stderr\\n' 3",
        "with stdinBytes: b'FED TO STDIN\\n'",
        "errortoo=True: [b'to stderr', b'to stdout']",
        "stderr without errortoo: got stderr: b'to stderr\\n'",
        "  and then: A process has ended with a probable error condition: process ended with exit code 3.",
        "a program that cannot start raises at once: [Errno 2] No such file or directory: '/no/such/program'",
    ]


def test_processEndpointTalksToAStdioChild() -> None:
    """ProcessEndpoint (parent) and the stdio: endpoint (child): two lines, the
    end of the child's input, its count, and a clean exit."""
    result = _run(str(EXAMPLES / "process_endpoint.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("started child ") and lines[0].split()[-1].isdigit()
    assert lines[1:] == [
        "child says: HELLO",
        "child says: WORLD",
        "child says: 2 lines",
        "child ended: Connection was closed cleanly.",
    ]


def test_stdioChildUnderAShellPipe() -> None:
    """The page's `printf ... | python3 examples/stdio_upper.py`: a parent nobody here wrote (sh)."""
    result = subprocess.run(
        ["sh", "-c", f"printf 'hello\\nworld\\n' | {sys.executable} examples/stdio_upper.py"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "HELLO\nWORLD\n2 lines\n"


def test_stdioChildWithEmptyInput() -> None:
    with open(os.devnull, "rb") as empty:
        result = subprocess.run([sys.executable, str(EXAMPLES / "stdio_upper.py")], stdin=empty, cwd=ROOT,
                                env=ENV, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 lines\n"


def test_processTimeoutSignalsAChildThatRunsTooLong() -> None:
    result = _run(str(EXAMPLES / "process_timeout.py"), "0.2", "30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "still running after 0.2 s: sending SIGTERM",
        "processEnded: ProcessTerminated, exitCode=None, signal=15",
        "  A process has ended with a probable error condition: process ended by signal 15.",
    ]


def test_processTimeoutLetsAChildEndInTime() -> None:
    result = _run(str(EXAMPLES / "process_timeout.py"), "5", "0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "processEnded: ProcessDone, exitCode=0, signal=None",
        "  A process has ended without apparent errors: process finished with exit code 0.",
    ]


# -- docs/testing.md --------------------------------------------------------------------

TESTING = EXAMPLES / "testing_howto"


def runIn(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python3 ARGS`` run from ``directory``, as the page says (plait on PYTHONPATH)."""
    env = {**ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=directory, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_greetingProgramAgainstTheHowtoServer() -> None:
    server = Program(str(EXAMPLES / "howto_server.py"), "0")
    try:
        result = _run(str(TESTING / "greeting.py"), "127.0.0.1", server.port)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "greeting: Hello from the howto server\n"


def test_greetingProgramReportsARefusal() -> None:
    sock, port = refusedPort()
    with sock:
        result = _run(str(TESTING / "greeting.py"), "127.0.0.1", port)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no greeting: Connection was refused by other side")


@pytest.mark.slow
def test_trialStyleTestsUnderPlaitTrial(tmp_path: Path) -> None:
    result = runIn(TESTING, "-m", "plait.trial", "--temp-directory", str(tmp_path / "trial"), "test_greeting")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("PASSED (successes=10)\n"), result.stdout
    assert "    test_undecodableGreetingIsLogged ..." in result.stdout


@pytest.mark.slow
def test_trialStyleTestsUnderUnittestAndPytest() -> None:
    """The same trial test cases, run by the standard library's runner and by pytest."""
    unittestRun = runIn(TESTING, "-m", "unittest", "test_greeting")
    assert unittestRun.returncode == 0, unittestRun.stderr
    assert "Ran 10 tests" in unittestRun.stderr
    pytestRun = runIn(TESTING, "-m", "pytest", "-p", "plait.pytest_plugin", "test_greeting.py")
    assert pytestRun.returncode == 0, pytestRun.stdout
    assert "10 passed" in pytestRun.stdout


@pytest.mark.slow
def test_pytestStyleTests() -> None:
    result = runIn(TESTING, "-m", "pytest", "-p", "plait.pytest_plugin", "-v", "test_greeting_pytest.py")
    assert result.returncode == 0, result.stdout
    assert "7 passed" in result.stdout
    assert "test_greeting_pytest.py::test_undecodableGreetingIsLogged PASSED" in result.stdout


@pytest.mark.slow
def test_forgetfulTestsShowTheDirtyReactorReport(tmp_path: Path) -> None:
    """test_forgetful.py fails on purpose: each test is reported with what it left behind."""
    result = runIn(TESTING, "-m", "plait.trial", "--temp-directory", str(tmp_path / "trial"), "test_forgetful")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert out.endswith("FAILED (errors=3)\n"), out
    assert out.count("plait.trial.util.DirtyReactorAggregateError: Reactor was unclean.") == 3
    assert "print('a minute later')>" in out
    assert "<<class 'plait.tcp.Port'> of <class 'plait.protocol.Factory'> on " in out
    assert "<<class 'plait.tcp.Client'> to ('127.0.0.1', " in out and "<Server #0 on " in out
