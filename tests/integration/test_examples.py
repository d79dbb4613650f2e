"""Run every "Writing Clients" example as a subprocess against its server.

Each program is started the way examples/README.md says, against a
``howto_server.py`` on an ephemeral loopback port, and its output is checked.
The main demonstration (``python -m plait.demo``) is run the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def droppingServer() -> Iterator[Server]:
    s = Server("--drop", "0.2")
    yield s
    s.stop()


def test_echoClientPrintsEveryFactoryState(server: Server) -> None:
    """EchoClientFactory prints connect, data and a clean loss, in that order."""
    result = _run(str(EXAMPLES / "echo_client.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Started to connect."
    assert lines[1] == "Connected."
    assert "Hello from the howto server" in result.stdout
    assert "echo: hello" in result.stdout
    # print(reason) shows the Failure's str(), which spans lines, as in Twisted.
    lost = result.stdout[result.stdout.index("Lost connection.  Reason:") :]
    assert "ConnectionDone" in lost and "Connection was closed cleanly." in lost


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


def test_greeterReportsRefusedConnection() -> None:
    """Against a port nobody listens on, the Greeter reports the refusal."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
        result = _run(str(EXAMPLES / "greeter.py"), "127.0.0.1", port)
    assert result.returncode == 0, result.stderr
    assert "Could not connect: Connection was refused by other side" in result.stdout


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
