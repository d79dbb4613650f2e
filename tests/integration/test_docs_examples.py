"""Run the programs the documentation pages quote (docs/*.md).

Each page's Python blocks are excerpts of files under examples/
(tests/unit/test_docs.py checks that); the howto examples are run by
test_examples.py, and the programs written for the site's pages are run
here, the way each page says, against ``howto_server.py`` on a free
loopback port.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_examples import EXAMPLES, Server, _run


def test_tourEchoSaysHelloAndStops(server: Server) -> None:
    """docs/tour.md's program prints the first reply and ends."""
    result = _run(str(EXAMPLES / "tour_echo.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    # The greeting, maybe with the echo of "hello" if both arrived in one read.
    assert result.stdout.startswith("received: b'Hello from the howto server\\n")


def test_tourEchoUnderTheTrace(server: Server) -> None:
    """The tour's "watch it happen" command shows its steps in order."""
    result = _run("-m", "plait.trace", str(EXAMPLES / "tour_echo.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    steps = ["factory startedConnecting", "protocol connectionMade", "io write bytes=7",
             "io doRead", "protocol dataReceived", "io loseConnection", "protocol connectionLost",
             "trigger fire event=shutdown"]
    lines = result.stderr.splitlines()
    positions = [next(i for i, line in enumerate(lines) if step in line) for step in steps]
    assert positions == sorted(positions)


def test_endpointStringsReachTheServerThreeWays(server: Server) -> None:
    result = _run(str(EXAMPLES / "endpoint_strings.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "TCP4ClientEndpoint: echo: TCP4ClientEndpoint",
        "clientFromString: echo: clientFromString",
        "HostnameEndpoint: echo: HostnameEndpoint",
    ]


def test_endpointStringsReportsARefusal() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
        result = _run(str(EXAMPLES / "endpoint_strings.py"), "127.0.0.1", port)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("failed: ")


def test_endpointStringsReportsAServerThatHangsUpFirst() -> None:
    """A server that accepts and closes before echoing: AskOnce fails its answer in
    connectionLost, so the program reports it and ends instead of waiting for ever."""
    import socket
    import subprocess
    import sys
    import threading

    from tests.integration.test_examples import ENV, ROOT

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def hangUp() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=hangUp, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "endpoint_strings.py"), "127.0.0.1", str(listener.getsockname()[1])],
            cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=20, check=False,
        )
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("failed: "), result.stdout
    assert "Unhandled" not in result.stderr, result.stderr


def test_clientServiceConnectsThreeTimes(droppingServer: Server) -> None:
    result = _run(str(EXAMPLES / "client_service.py"), "127.0.0.1", droppingServer.port, "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("connection ")] == [
        "connection 1 of 3", "connection 2 of 3", "connection 3 of 3"
    ]
    assert "server says: Hello from the howto server" in lines


def test_traceFromCodeWritesOnlyTheChosenKinds(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "trace.txt"
    result = _run(str(EXAMPLES / "trace_from_code.py"), "127.0.0.1", server.port, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("{'protocol': ")
    lines = path.read_text().splitlines()
    assert any("protocol dataReceived protocol=Hello" in line for line in lines)
    assert all(" protocol " in line or " is " in line or " deferred " in line for line in lines)
