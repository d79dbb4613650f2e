"""examples/multicore_echo.py: two plait reactors, in two processes, serve one port.

Both ways of sharing the port are run for real: an inherited listening
socket (``adoptStreamPort``) and ``SO_REUSEPORT`` (``tcp.makeBinding(...,
reusePort=True)``).  The client is the standard library's ``socket``
(nobody here wrote it).  Each test holds connections open until both
workers have greeted one -- the kernel decides who accepts, so the test
waits for the event instead of assuming an order -- then checks that
every connection echoes, and that SIGTERM stops the parent and both
workers.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multicore_echo.py"
ENV = {**os.environ,
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
MAX_CONNECTIONS = 200  # P(one worker gets all 200 | fair kernel) is 2**-199


def _start(*extra: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), "--workers", "2", *extra],
                            cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"example did not start: {line!r} {err!r}")
    return proc, int(line.split()[-1])


def _workerPids(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return {int(pid) for pid in children.read_text().split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [(), ("--reuseport",)], ids=["adoptStreamPort", "reuseport"])
def test_twoWorkersServeOnePort(how: tuple[str, ...]) -> None:
    proc, port = _start(*how)
    conns: list[tuple[socket.socket, io.BufferedReader]] = []
    try:
        workers = _workerPids(proc.pid)
        assert len(workers) == 2, workers
        greeted: dict[int, int] = {}
        while set(greeted) != workers and len(conns) < MAX_CONNECTIONS:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            reader = sock.makefile("rb")
            conns.append((sock, reader))
            line = reader.readline()
            assert line.startswith(b"worker "), line
            pid = int(line.split()[1])
            greeted[pid] = greeted.get(pid, 0) + 1
        assert set(greeted) == workers, (greeted, workers, len(conns))
        for i, (sock, reader) in enumerate(conns):
            sock.sendall(b"line %d\r\n" % i)
            assert reader.readline() == b"line %d\r\n" % i
    finally:
        for sock, reader in conns:
            reader.close()
            sock.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert not [pid for pid in workers if _alive(pid)]
