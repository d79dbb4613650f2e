"""Run every "Writing Clients" example as a subprocess against its server.

Each program is started the way examples/README.md says, against a
``howto_server.py`` on an ephemeral loopback port, and its output is checked.
The main demonstration (``python -m plait.demo``) is run the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 30
# The programs import plait from this checkout even when it is not installed.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=TIMEOUT,
        env=ENV,
    )


class Server:
    def __init__(self, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "howto_server.py"), "0", *extra],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            errors = self.proc.stderr.read() if self.proc.stderr else ""
            self.stop()
            raise AssertionError(f"server did not start: {line!r} {errors!r}")
        self.port = line.split()[-1]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        finally:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def test_echoClientPrintsEveryFactoryState(server: Server) -> None:
    """EchoClientFactory prints connect, data and a clean loss, in that order."""
    result = _run(str(EXAMPLES / "echo_client.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Started to connect."
    assert lines[1] == "Connected."
    assert "Hello from the howto server" in result.stdout
    assert "echo: hello" in result.stdout
    # One line, the reason's message (not the two-line str() of a Failure).
    assert lines[-1] == "Lost connection.  Reason: Connection was closed cleanly."


def test_welcomeMessageGreetsAndHangsUp(server: Server) -> None:
    """WelcomeMessage writes its greeting and the connection closes cleanly."""
    result = _run(str(EXAMPLES / "welcome_message.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    assert "connection closed: Connection was closed cleanly." in result.stdout


@pytest.mark.parametrize("program", ["greeter.py", "greeter_clientcreator.py"])
def test_greeterSendsTwoMessagesThenHangsUp(server: Server, program: str) -> None:
    """The Greeter's two messages are echoed before it disconnects."""
    result = _run(str(EXAMPLES / program), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("echo: MESSAGE Hello") < out.index("echo: MESSAGE This is sent in a second")
    assert "Greeter disconnected: Connection was closed cleanly." in out


@pytest.mark.parametrize(
    ("program", "report"),
    [
        ("echo_client.py", "Connection failed. Reason: Connection was refused by other side"),
        ("welcome_message.py", "Connection failed: Connection was refused by other side"),
        ("greeter.py", "Could not connect: Connection was refused by other side"),
        ("greeter_clientcreator.py", "Could not connect: Connection was refused by other side"),
        ("reconnecting_client.py", "Connection failed. Reason: Connection was refused by other side"),
        ("reconnecting_factory.py", "Giving up after 4 failed attempts."),
    ],
)
def test_clientsReportARefusedConnectionAndStop(program: str, report: str) -> None:
    """Against a port nobody listens on, every howto client says so and ends."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = str(s.getsockname()[1])
        result = _run(str(EXAMPLES / program), "127.0.0.1", port)
    assert result.returncode == 0, result.stderr
    assert report in result.stdout


def test_reconnectingClientReconnectsWithConnectorConnect(droppingServer: Server) -> None:
    """connector.connect() in clientConnectionLost makes three connections."""
    result = _run(str(EXAMPLES / "reconnecting_client.py"), "127.0.0.1", droppingServer.port, "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Hello from the howto server") == 3
    assert "Lost connection, 0 to go." in result.stdout


def test_reconnectingFactoryRetriesAndResetsDelay(droppingServer: Server) -> None:
    """ReconnectingClientFactory reconnects after each drop and resets its delay."""
    result = _run(str(EXAMPLES / "reconnecting_factory.py"), "127.0.0.1", droppingServer.port, "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Connected.") == 3
    assert result.stdout.count("Resetting reconnection delay") == 3
    assert result.stdout.count("Lost connection.") == 3


def test_mainDemonstrationRunsEveryHowtoClient() -> None:
    """python -m plait.demo runs all seven steps and exits 0."""
    result = _run("-m", "plait.demo")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for label in [
        "[1 ClientFactory] Started to connect.",
        "[1 ClientFactory] Lost connection.  Reason: Connection was closed cleanly.",
        "[2 WelcomeMessage] closed: Connection was closed cleanly.",
        "[3 connectProtocol] received: echo: MESSAGE Hello",
        "[4 ClientCreator] received: echo: MESSAGE This is sent a moment later",
        "[5 connector.connect()] lost (Connection was closed cleanly.); 0 to go",
        "[6 ReconnectingClientFactory] Connected.  Resetting reconnection delay",
        "[7 refused] clientConnectionFailed: Connection was refused by other side",
        "All howto clients ran.",
    ]:
        assert label in out, f"{label!r} missing from:\n{out}"


# -- the TLS client (issue 10) -------------------------------------------------------


@pytest.fixture
def tlsFiles(tmp_path: Path) -> Path:
    """What examples/README.md makes with `python3 -m trustme -d DIR`."""
    result = _run("-m", "trustme", "-q", "-d", str(tmp_path))
    assert result.returncode == 0, result.stderr
    return tmp_path


def _tlsServer(directory: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "tls_server.py"), "0", str(directory / "server.pem"), str(directory / "server.key")],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on"), proc.stderr.read() if proc.stderr else line
    proc.port = line.split()[-1]  # type: ignore[attr-defined]
    return proc


def _stopServer(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def test_tlsClientAgainstTheTLSHowtoServer(tlsFiles: Path) -> None:
    """The README's three commands: the client verifies the server and gets the echo."""
    server = _tlsServer(tlsFiles)
    try:
        result = _run(str(EXAMPLES / "tls_client.py"), "localhost", server.port, str(tlsFiles / "client.pem"))  # type: ignore[attr-defined]
    finally:
        _stopServer(server)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "verified; server certificate sha256" in out and "negotiated TLSv1.3" in out
    assert out.index("server said: Hello from the howto server") < out.index("server said: echo: hello over TLS")
    assert "connection closed: Connection was closed cleanly." in out


def test_tlsClientAgainstOpensslServer(tlsFiles: Path) -> None:
    """The README's alternative server, openssl s_server -rev, answers reversed."""
    sys.path.insert(0, str(ROOT))
    from tests.integration.tlspeers import Peer

    peer = Peer(["openssl", "s_server", "-accept", "127.0.0.1:{port}", "-cert", str(tlsFiles / "server.pem"),
                 "-key", str(tlsFiles / "server.key"), "-rev", "-quiet"])
    try:
        result = _run(str(EXAMPLES / "tls_client.py"), "localhost", str(peer.port), str(tlsFiles / "client.pem"))
    finally:
        peer.stop()
    assert result.returncode == 0, result.stderr
    assert "server said: SLT revo olleh" in result.stdout


def test_tlsClientRefusesAnUnknownAuthority(tlsFiles: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """With another CA the connection ends before any data, and the reason is printed."""
    other = tmp_path_factory.mktemp("other-ca")
    assert _run("-m", "trustme", "-q", "-d", str(other)).returncode == 0
    server = _tlsServer(tlsFiles)
    try:
        result = _run(str(EXAMPLES / "tls_client.py"), "localhost", server.port, str(other / "client.pem"))  # type: ignore[attr-defined]
    finally:
        _stopServer(server)
    assert result.returncode == 0, result.stderr
    assert "server said" not in result.stdout
    assert "connection closed: certificate verify failed: unable to get local issuer certificate" in result.stdout


def test_processWcFeedsWcAndPrintsEveryEvent() -> None:
    """process_wc.py writes verses to wc, closes its stdin, and prints wc's
    counts, processExited before processEnded, then getProcessOutput's line."""
    result = _run(str(EXAMPLES / "process_wc.py"), "4")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("connectionMade: wc is running as pid ")
    verse = b"%d bottles of beer on the wall, %d bottles of beer,\ntake one down, pass it around\n"
    verses = b"".join(verse % (n, n) for n in range(4, 0, -1))
    assert f"wc counted 8 lines, {len(verses.split())} words, {len(verses)} bytes" in out
    for event in ("inConnectionLost", "outConnectionLost", "errConnectionLost"):
        assert out.count(event + ":") == 1
    assert out.index("processExited: exit code 0") < out.index("processEnded:")
    assert "getProcessOutput: wc (GNU coreutils)" in out


def test_udpEchoPair() -> None:
    """udp_echo.py: the server echoes (and says so), the client prints each answer;
    against a port nobody listens on, the client reports the ICMP refusal."""
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "udp_echo.py"), "server", "0"], cwd=ROOT, env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("listening on "), line
        port = line.split()[-1]
        result = _run(str(EXAMPLES / "udp_echo.py"), "client", "127.0.0.1", port, "hello", "there")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["answer: hello", "answer: there", "all answered"]
        assert server.stdout.readline().startswith("echoing b'hello' to ('127.0.0.1', ")
    finally:
        server.terminate()
        server.wait(timeout=TIMEOUT)
        for stream in (server.stdout, server.stderr):
            if stream is not None:
                stream.close()
    result = _run(str(EXAMPLES / "udp_echo.py"), "client", "127.0.0.1", port, "anyone")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"refused: nobody listens on UDP port {port}"]


def test_udpEchoClientGivenAHostNameSaysToResolveFirst() -> None:
    """A UDP transport never resolves names: the client exits with the reason, no traceback."""
    result = _run(str(EXAMPLES / "udp_echo.py"), "client", "localhost", "9", "hi")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "udp_echo.py: localhost: not an IPv4 or IPv6 address. "
        "Resolve the name first: reactor.resolve(name) fires with an IPv4 address."
    )
