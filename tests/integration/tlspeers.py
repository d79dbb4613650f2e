"""TLS peers nobody here wrote, on loopback, for the TLS integration tests.

* ``Peer``: a server process (``openssl s_server``, ``socat OPENSSL-LISTEN``,
  ``ngircd``) on a port that was free a moment ago, in its own session, its
  output in a file (an undrained pipe would block it), ready once a TCP
  connect succeeds, stopped by signalling each process of its group by pid
  (socat forks a child per connection, and those outlive their parent).
* ``opensslClient``: ``openssl s_client`` as a subprocess with its stdin
  fed from the test, run in a thread so the reactor keeps turning.
* ``PythonTLSServer``: the standard library's ``ssl`` module serving one
  connection in a thread; optionally it reads some lines in clear first
  (the other end of ``startTLS``).

Recipes as in ../shared/reference/real-peers.md (socat needs ``verify=0``
unless client certificates are wanted).

Tests: tests/integration/test_tls_peers.py, tests/integration/test_tls.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


def freePort() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


class PeerError(RuntimeError):
    """The peer exited or did not listen in time."""


class Peer:
    """One server process listening on ``self.port`` (``{port}`` in argv is replaced)."""

    def __init__(self, argv: Sequence[str], *, cwd: Path | None = None, stdin: bool = False,
                 prepare: Callable[[Path, int], None] | None = None) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="plait-tlspeer-"))
        os.chmod(self.directory, 0o755)  # ngircd, running as nobody, reads its files here
        self.logPath = self.directory / "peer.log"
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        for attempt in range(3):
            self.port = freePort()
            if prepare is not None:
                prepare(self.directory, self.port)
            args = [a.replace("{port}", str(self.port)).replace("{dir}", str(self.directory)) for a in argv]
            with open(self.logPath, "ab") as log:
                self._proc = subprocess.Popen(
                    args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, start_new_session=True,
                )
            try:
                self._waitListening()
                return
            except PeerError:
                self.stop(removeDirectory=False)
                if attempt == 2 or "in use" not in self.log().lower():
                    shutil.rmtree(self.directory, ignore_errors=True)
                    raise

    def _waitListening(self, timeout: float = 10.0) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise PeerError(f"peer exited with {self._proc.returncode}:\n{self.log()[-2000:]}")
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise PeerError(f"peer not listening on {self.port} after {timeout} s:\n{self.log()[-2000:]}") from None
                time.sleep(0.005)

    def log(self) -> str:
        try:
            return self.logPath.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self, removeDirectory: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            for pid in _groupPids(proc.pid):
                if pid != proc.pid:
                    _signal(pid, signal.SIGTERM)
            _signal(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            for pid in _groupPids(proc.pid):
                _signal(pid, signal.SIGKILL)
        if removeDirectory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _groupPids(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (children of a forking server)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


class OpensslClient:
    """``openssl s_client`` in the background: ``send`` lines, then ``wait`` for its output."""

    def __init__(self, port: int, *extra: str) -> None:
        self.proc = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.output = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):  # type: ignore[union-attr]
            self.output += chunk

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()

    def wait(self, timeout: float = 10.0) -> bytes:
        self.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.output


class PythonTLSServer:
    """The standard library's ``ssl`` serving one connection in a thread.

    It reads ``clearLines`` lines in clear first (then switches, as the far
    end of ``startTLS``), then echoes every line it reads in TLS with
    ``reply`` prefixed, until the client closes.  ``received`` holds what
    it read; ``error`` any exception.
    """

    def __init__(self, certFile: Path, clearLines: int = 0, reply: bytes = b"echo: ", requireClientCertFrom: Path | None = None) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(certFile))
        if requireClientCertFrom is not None:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(str(requireClientCertFrom))
        self.listener = socket.socket()
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.port: int = self.listener.getsockname()[1]
        self.clearLines = clearLines
        self.reply = reply
        self.clear: list[bytes] = []
        self.received: list[bytes] = []
        self.peerCertificate: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(10)
            with conn:
                for _ in range(self.clearLines):
                    line = b""
                    while not line.endswith(b"\n"):
                        line += conn.recv(1)  # byte by byte: never read past the switch
                    self.clear.append(line)
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.peerCertificate = tls.getpeercert()
                    reader = tls.makefile("rb")
                    for line in reader:
                        self.received.append(line)
                        tls.sendall(self.reply + line)
                    reader.close()
                    try:
                        tls.unwrap()
                    except (OSError, ValueError):
                        pass
        except BaseException as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.listener.close()

    def join(self, timeout: float = 10.0) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the Python TLS server did not finish"
