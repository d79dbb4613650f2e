"""Run the programs of the UNIX sockets and UDP howto (docs/unix-udp.md) the way the page says.

Every program is a subprocess that finds plait through PYTHONPATH, uses
only 127.0.0.1, socket files under ``tmp_path`` and names in the abstract
namespace made unique by this process's pid, and must end by itself (or,
for a server, when it is terminated).  Each run's real output is checked,
line by line.  The peers nobody here wrote: ``socat`` talks to the UNIX
echo server and to the socket-activated one, and ``systemd-socket-activate``
(systemd's own supervisor, where it is installed) hands its socket to
examples/socket_activated.py.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_examples import ENV, EXAMPLES, ROOT, TIMEOUT, _run

#: How long a background program may take to print its next line.
WAIT = 10
#: The programs' environment, without a supervisor's variables this test may run under.
CLEAN_ENV = {k: v for k, v in ENV.items() if k not in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")}


class Background:
    """A program started in the background whose output is read line by line, with a deadline."""

    def __init__(self, *args: str, program: str = sys.executable) -> None:
        self.proc = subprocess.Popen(
            [program, *args], cwd=ROOT, env=CLEAN_ENV, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.stopped = False

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self) -> str:
        """The next line the program prints (fails if none comes within WAIT seconds)."""
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"{self.proc.args} printed nothing within {WAIT} s")
        if line is None:
            pytest.fail(f"{self.proc.args} ended (exit status {self.proc.wait(timeout=WAIT)})")
        return line

    def stop(self, sig: int = signal.SIGTERM) -> list[str]:
        """Signal the program, wait for it, and return what it printed since the last line()."""
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=WAIT)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return rest


@pytest.fixture
def background() -> Iterator[list[Background]]:
    """Background programs started by a test; each is stopped afterwards."""
    started: list[Background] = []
    yield started
    for program in started:
        if not program.stopped:
            program.stop()


def start(background: list[Background], *args: str, program: str = sys.executable) -> Background:
    started = Background(*args, program=program)
    background.append(started)
    return started


def example(name: str) -> str:
    return str(EXAMPLES / name)


def socat(stdin: str, address: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["socat", "-t", "2", "-", address], input=stdin, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


# -- UNIX stream sockets: unix_echo.py -------------------------------------------------


def test_unixEchoServerAndClient(tmp_path: Path, background: list[Background]) -> None:
    """The page's two commands: the client's lines come back; the server saw a client with no name."""
    path = str(tmp_path / "echo.sock")
    server = start(background, example("unix_echo.py"), "server", path)
    assert server.line() == f"listening on UNIXAddress({path!r})"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"  # mode=0o600
    result = _run(example("unix_echo.py"), "client", path, "hello", "there")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "server: echo: hello", "server: echo: there", "connection closed: Connection was closed cleanly."]
    assert server.line() == f"connection from UNIXAddress(None) on UNIXAddress({path!r})"
    assert server.stop() == []
    assert sorted(os.listdir(tmp_path)) == []  # stopping removed the socket file and the lock


def test_unixEchoServerAnswersSocat(tmp_path: Path, background: list[Background]) -> None:
    path = str(tmp_path / "echo.sock")
    server = start(background, example("unix_echo.py"), "server", path)
    server.line()
    result = socat("one\ntwo\n", f"UNIX-CONNECT:{path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: one\necho: two\n"


def test_unixEchoLockFile(tmp_path: Path, background: list[Background]) -> None:
    """wantPID: a second server is refused while the first lives; after a kill -9, the next takes over."""
    path = str(tmp_path / "echo.sock")
    first = start(background, example("unix_echo.py"), "server", path)
    first.line()
    second = _run(example("unix_echo.py"), "server", path)
    assert second.returncode == 1
    assert second.stderr == f"cannot listen: Couldn't listen on any:{os.fsencode(path)!r}: Cannot acquire lock.\n"
    first.stop(signal.SIGKILL)
    assert sorted(os.listdir(tmp_path)) == ["echo.sock", "echo.sock.lock"]  # what a killed server leaves
    third = start(background, example("unix_echo.py"), "server", path)
    assert third.line() == f"listening on UNIXAddress({path!r})"
    result = _run(example("unix_echo.py"), "client", path, "again")
    assert result.stdout.splitlines()[0] == "server: echo: again"


def test_unixEchoAbstractNamespace(background: list[Background]) -> None:
    name = f"plait-test-echo-{os.getpid()}"
    server = start(background, example("unix_echo.py"), "server", f"@{name}")
    assert server.line() == f"listening on UNIXAddress('\\x00{name}')"
    result = _run(example("unix_echo.py"), "client", f"@{name}", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "server: echo: hi"
    result = socat("hi\n", f"ABSTRACT-CONNECT:{name}")  # socat's spelling of the same name
    assert result.stdout == "echo: hi\n"


def test_unixEchoClientWithoutServer(tmp_path: Path) -> None:
    result = _run(example("unix_echo.py"), "client", str(tmp_path / "nobody.sock"), "hello")
    assert result.returncode == 1
    assert result.stdout == "connection failed: An error occurred while connecting: 2: No such file or directory.\n"


# -- unix_endpoints.py ------------------------------------------------------------------


def test_unixEndpoints(tmp_path: Path) -> None:
    result = _run(example("unix_endpoints.py"), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    output = re.sub(r"plait-endpoints-\d+", "plait-endpoints-PID", result.stdout).replace(str(tmp_path), "DIR")
    name = "\\x00plait-endpoints-PID"
    assert output.splitlines() == [
        "listening on UNIXAddress('DIR/echo.sock')",
        "'unix:DIR/echo.sock': echo: hello",
        "'unix:path=DIR/echo.sock:timeout=5': echo: hello",
        "'unix:DIR/echo.sock:lockfile=1': echo: hello",
        f"listening on UNIXAddress('{name}')",
        f"'unix:{name}': echo: hello",
        "-- mistakes",
        "'unix:DIR/echo.sock': ConnectError: An error occurred while connecting: 2: No such file or directory.",
        ("'unix:DIR/stale.sock': ConnectionRefusedError: Connection was refused by other side: "
         "111: Connection refused."),
        ("listen on 'unix:DIR/stale.sock:lockfile=0': CannotListenError: Couldn't listen on any:"
         "b'DIR/stale.sock': [Errno 98] Address already in use."),
        "listening on UNIXAddress('DIR/echo.sock')",
        "'unix:DIR/echo.sock:lockfile=1': BadFileError: File used for UNIX socket is no good: b'DIR/echo.sock'.",
        (f"listen on 'unix:{name}': ValueError: wantPID needs a socket file: '{name}' is in the abstract "
         "namespace, where no lock file can sit beside it"),
    ]
    assert os.listdir(tmp_path) == []  # every port removed its files


# -- unix_fds.py: a descriptor from one process to another ----------------------------------


def test_unixFdsPassesAnOpenFile(tmp_path: Path, background: list[Background]) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("the first line\nthe second\n")
    path = str(tmp_path / "fds.sock")
    server = start(background, example("unix_fds.py"), "server", path, str(shared))
    assert server.line() == f"listening on {path}"
    for _ in range(2):  # a descriptor per connection
        result = _run(example("unix_fds.py"), "client", path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines() == [
            f"received an open file: {shared}", "  its first line: the first line",
            "  the same file the server opened: True"]
        assert server.line() == f"sent {shared}"


def test_unixFdsLineWithoutADescriptor(tmp_path: Path, background: list[Background]) -> None:
    """A server that sends the line alone (socat's UNIX-LISTEN): the client says so."""
    path = str(tmp_path / "plain.sock")
    peer = start(background, "-d", "-d", f"UNIX-LISTEN:{path}", "SYSTEM:echo just-a-name", program="socat")
    while "listening on" not in peer.line():  # socat's -d -d notices, on stderr
        pass
    result = _run(example("unix_fds.py"), "client", path)
    assert result.returncode == 1
    assert result.stdout == "'just-a-name' arrived without a descriptor\n"


# -- unix_datagram.py --------------------------------------------------------------------


def test_unixDatagramEcho(tmp_path: Path, background: list[Background]) -> None:
    path = str(tmp_path / "echo.dgram")
    server = start(background, example("unix_datagram.py"), "server", path)
    assert server.line() == f"listening on {path}"
    result = _run(example("unix_datagram.py"), "client", path, "one", "two")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["answer: one", "answer: two"]
    client = re.escape(repr(b"\0plait-unix-datagram-client-"))[:-1]  # the repr without its closing quote
    assert re.fullmatch(rf"echoing b'one' to {client}\d+'", server.line())
    assert re.fullmatch(rf"echoing b'two' to {client}\d+'", server.line())


def test_unixDatagramNoServer(tmp_path: Path) -> None:
    result = _run(example("unix_datagram.py"), "client", str(tmp_path / "nobody.dgram"), "one")
    assert result.returncode == 1
    assert result.stdout == "could not connect: [Errno 2] No such file or directory\n"


# -- UDP: udp_broadcast.py, udp_multicast.py ------------------------------------------------


def test_udpBroadcast() -> None:
    result = _run(example("udp_broadcast.py"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "broadcast allowed: False",
        "write refused: [Errno 13] Permission denied",
        "broadcast allowed: True",
        "received b'to everyone on the port' from 127.0.0.1",
    ]


def freeUDPPort() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_udpMulticastTwoListeners(background: list[Background]) -> None:
    """Two members share the port (listenMultiple); one ping, an answer from each."""
    first = start(background, example("udp_multicast.py"), "listen", "0")
    line = first.line()
    assert re.fullmatch(r"listening on group 225\.0\.0\.250 port \d+", line), line
    port = line.split()[-1]
    second = start(background, example("udp_multicast.py"), "listen", port)
    assert second.line() == line
    result = _run(example("udp_multicast.py"), "ping", port)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"b'pong' from ('127.0.0.1', {port})"] * 2 + ["2 answer(s)"]
    for member in (first, second):
        assert re.fullmatch(r"b'ping' from \('127\.0\.0\.1', \d+\)", member.line())


def test_udpMulticastNobodyAnswers() -> None:
    result = _run(example("udp_multicast.py"), "ping", str(freeUDPPort()))
    assert result.returncode == 1
    assert result.stdout == "0 answer(s)\n"


# -- adopting sockets: adopt_sockets.py, socket_activate.py + socket_activated.py ------------


def test_adoptSockets() -> None:
    result = _run(example("adopt_sockets.py"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = re.sub(r"port=\d+", "port=N", result.stdout).splitlines()
    assert lines == [
        "1. adopted a listening socket: IPv4Address(type='TCP', host='127.0.0.1', port=N)",
        "   a client connected and heard: hello from Server",
        "2. adopted both ends of a socketpair; one heard: hello from Server",
        "3. adopted a UDP socket: IPv4Address(type='UDP', host='127.0.0.1', port=N)",
        "   it received: b'a datagram' from 127.0.0.1",
    ]


def askLine(address: str | tuple[str, int], family: socket.AddressFamily) -> bytes:
    with socket.socket(family) as s:
        s.settimeout(WAIT)
        s.connect(address)
        s.sendall(b"hello\n")
        return s.recv(100)


def test_socketActivationTCP(background: list[Background]) -> None:
    """The supervisor's half opens 127.0.0.1:0; the server's half adopts it (systemd: by default)."""
    activated = start(background, example("socket_activate.py"), "127.0.0.1:0", sys.executable,
                      example("socket_activated.py"))
    line = activated.line()
    match = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+) as 3", line)
    assert match, line
    port = int(match.group(1))
    assert activated.line() == f"serving on IPv4Address(type='TCP', host='127.0.0.1', port={port})"
    assert askLine(("127.0.0.1", port), socket.AF_INET) == b"echo: hello\n"
    assert activated.stop() == []


def test_socketActivationUNIXWithFdString(tmp_path: Path, background: list[Background]) -> None:
    path = str(tmp_path / "activated.sock")
    activated = start(background, example("socket_activate.py"), path, sys.executable,
                      example("socket_activated.py"), "fd:fileno=3:domain=UNIX")
    assert activated.line() == f"listening on {path} as 3"
    assert activated.line() == f"serving on UNIXAddress({path!r})"
    result = socat("over UNIX\n", f"UNIX-CONNECT:{path}")
    assert result.stdout == "echo: over UNIX\n"


def test_socketActivatedWithoutASupervisor() -> None:
    """serverFromString itself refuses a systemd: description with nothing inherited."""
    result = subprocess.run([sys.executable, example("socket_activated.py")], cwd=ROOT, env=CLEAN_ENV,
                            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        "cannot serve: no inherited descriptor with index 0: LISTEN_FDS gave 0 (is this process started by systemd?)\n"
    )


def test_socketActivatedOnADescriptorThatIsNotOpen() -> None:
    """listen()'s Deferred fails at once: the program stops the reactor it has just started."""
    result = subprocess.run([sys.executable, example("socket_activated.py"), "fd:fileno=99:domain=INET"],
                            cwd=ROOT, env=CLEAN_ENV, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout == "cannot serve: [Errno 9] Bad file descriptor\n"


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                    reason="systemd-socket-activate (Debian's systemd package) is not installed")
def test_socketActivatedBySystemd(tmp_path: Path, background: list[Background]) -> None:
    """systemd's own supervisor: it listens, and starts the server at the first connection."""
    path = str(tmp_path / "systemd.sock")
    supervisor = start(background, "-l", path, sys.executable, example("socket_activated.py"),
                       "systemd:domain=UNIX:index=0", program="systemd-socket-activate")
    assert supervisor.line() == f"Listening on {path} as 3."
    assert askLine(path, socket.AF_UNIX) == b"echo: hello\n"
    lines = [supervisor.line() for _ in range(3)]
    assert lines[-1] == f"serving on UNIXAddress({path!r})", lines
