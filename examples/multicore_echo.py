"""N plait reactors serving one port: a parent and N worker processes.

    python3 examples/multicore_echo.py [--workers N] [--port PORT] [--reuseport]

One reactor runs on one core.  To use several cores, run several processes,
each with its own reactor, all accepting connections on the same port.
The parent starts ``N`` workers (default: one per CPU), prints
``listening on <port>`` once every worker is ready, and stops them all on
Ctrl-C or SIGTERM.  Each worker greets a connection with
``worker <pid>`` and then echoes every line.  Try it with two terminals::

    python3 examples/multicore_echo.py --workers 2 --port 1234
    python3 examples/echo_client.py localhost 1234     # run it a few times

Two ways to share the port; both are Twisted's API:

* **An inherited listening socket** (the default).  The parent binds and
  listens, makes the socket non-blocking (``adoptStreamPort``'s contract),
  and starts each worker with the descriptor (``subprocess``'s
  ``pass_fds``); each worker calls
  ``reactor.adoptStreamPort(fd, socket.AF_INET, factory)``.  All workers
  wait on the one socket and whichever is free first accepts; works on
  every Unix.
* **SO_REUSEPORT** (``--reuseport``, Linux 3.9+ and the BSDs).  Each worker
  listens by itself with
  ``reactor.listenTCP(tcp.makeBinding("127.0.0.1", port, reusePort=True), factory)``;
  the kernel spreads new connections over the workers' sockets by a hash of
  the addresses.  The parent holds a bound, not listening, ``SO_REUSEPORT``
  socket of its own, which reserves the port number without taking
  connections.

The benchmark row "one port, N workers" (``python -m bench --only
multicore``) measures the first way; tests/integration/test_multicore_example.py
runs both.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys

HOST = "127.0.0.1"


# ---------------------------------------------------------------- a worker


def worker(fd: int | None, port: int | None) -> None:
    """Serve until SIGTERM/SIGINT (the reactor's own handlers stop it)."""
    # Imported here: the parent never runs a reactor, so it never imports one.
    from plait import reactor, tcp
    from plait.protocol import Factory
    from plait.protocols.basic import LineReceiver

    class Echo(LineReceiver):
        def connectionMade(self) -> None:
            self.sendLine(f"worker {os.getpid()}".encode())

        def lineReceived(self, line: bytes) -> None:
            self.sendLine(line)

    factory = Factory.forProtocol(Echo)
    if fd is not None:
        reactor.adoptStreamPort(fd, socket.AF_INET, factory)
        os.close(fd)  # adoptStreamPort made its own copy
    else:
        assert port is not None
        reactor.listenTCP(tcp.makeBinding(HOST, port, reusePort=True), factory)
    print("ready", flush=True)
    reactor.run()


# ---------------------------------------------------------------- the parent


def _listener(port: int, reusePort: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reusePort:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((HOST, port))  # reserves the port; never listens
    else:
        sock.bind((HOST, port))
        sock.listen(1024)
        sock.setblocking(False)
    return sock


def _start(workers: list[subprocess.Popen[str]], count: int, sock: socket.socket,
           reusePort: bool) -> bool:
    """Start ``count`` workers (into ``workers``); whether all became ready."""
    me = os.path.abspath(__file__)
    if reusePort:
        how = ["--worker-port", str(sock.getsockname()[1])]
        fds: tuple[int, ...] = ()
    else:
        how, fds = ["--worker-fd", str(sock.fileno())], (sock.fileno(),)
    for _ in range(count):
        workers.append(subprocess.Popen([sys.executable, me, *how], pass_fds=fds,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        text=True))
    for each in workers:
        assert each.stdout is not None
        if each.stdout.readline().strip() != "ready":
            print(f"a worker (pid {each.pid}) did not start", file=sys.stderr)
            return False
    return True


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    for each in workers:
        if each.poll() is None:
            each.send_signal(signal.SIGTERM)
    for each in workers:
        try:
            each.wait(timeout=10)
        except subprocess.TimeoutExpired:
            each.kill()
            each.wait()
        if each.stdout is not None:
            each.stdout.close()


class _Stop(Exception):
    pass


def _raiseStop(signum: int, frame: object) -> None:
    raise _Stop


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reuseport", action="store_true", help="SO_REUSEPORT, one socket each")
    parser.add_argument("--worker-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-port", type=int, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.worker_fd is not None or opts.worker_port is not None:
        worker(opts.worker_fd, opts.worker_port)
        return 0
    if opts.workers < 1:
        parser.error("--workers must be at least 1")
    signal.signal(signal.SIGTERM, _raiseStop)
    signal.signal(signal.SIGINT, _raiseStop)
    sock = _listener(opts.port, opts.reuseport)
    workers: list[subprocess.Popen[str]] = []
    status = 1
    try:
        if _start(workers, opts.workers, sock, opts.reuseport):
            print(f"listening on {sock.getsockname()[1]}", flush=True)
            os.wait()  # returns when a worker dies: then stop the others
    except _Stop:
        status = 0
    finally:
        _stop(workers)
        sock.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
