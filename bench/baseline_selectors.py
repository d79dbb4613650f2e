"""The ceiling for pure Python on ``selectors``: no framework at all.

A hand-written loop over ``selectors.DefaultSelector`` (one callback object
per registered socket, ``key.data.ready(events)``), non-blocking sockets with
a minimal write buffer, and a bare ``heapq`` timer loop with lazy
cancellation.  It does the same work as the framework implementations for
pingpong (over TCP and UNIX sockets), churn, fanin, timers, UDP echo and
scale (the suite runs it as framework
"selectors (bare)": for scale, the floor for memory per connection and
for the cost of a poll); it has no stream or deferred workload.
"""

from __future__ import annotations

import errno
import heapq
import selectors
import socket
import sys
import time
from typing import Any

from bench.common import (
    HOST,
    BenchFailure,
    ServerContext,
    childMain,
    currentRSSKiB,
    delaysFor,
    now,
    scaleReport,
    startClock,
)

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


class Loop:
    """Dispatch ready sockets until ``stop()`` or the deadline."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.running = False

    def run(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self.running = True
        select = self.selector.select
        while self.running:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchFailure(f"gave up after {timeout} s")
            for key, events in select(left):
                key.data.ready(events)

    def stop(self) -> None:
        self.running = False


class Conn:
    """A connected non-blocking socket; subclasses say what to do with data."""

    def __init__(self, loop: Loop, sock: socket.socket) -> None:
        self.loop = loop
        self.sock = sock
        self.out = b""
        self.events = 0

    def want(self, events: int) -> None:
        if events == self.events:
            return
        if not self.events:
            self.loop.selector.register(self.sock, events, self)
        elif events:
            self.loop.selector.modify(self.sock, events, self)
        else:
            self.loop.selector.unregister(self.sock)
        self.events = events

    def ready(self, events: int) -> None:
        if events & WRITE:
            self.flush()
        if events & READ:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionError:
                data = b""
            if data:
                self.received(data)
            else:
                self.close()

    def write(self, data: bytes) -> None:
        if self.out:
            self.out += data
            return
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            self.out = data[sent:]
            self.want(READ | WRITE)

    def flush(self) -> None:
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        self.out = self.out[sent:]
        if not self.out:
            self.want(READ)

    def close(self) -> None:
        self.want(0)
        self.sock.close()
        self.closed()

    def received(self, data: bytes) -> None:
        raise NotImplementedError

    def closed(self) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- server


class EchoConn(Conn):
    def __init__(self, loop: Loop, sock: socket.socket, server: Server) -> None:
        super().__init__(loop, sock)
        self.server = server
        self.want(READ)

    def received(self, data: bytes) -> None:
        self.write(data)

    def closed(self) -> None:
        self.server.connectionClosed()


class Server:
    def __init__(self, loop: Loop, expected: int, backlog: int, path: str | None = None) -> None:
        self.loop = loop
        self.expected = expected
        self.closed = 0
        if path is not None:  # a UNIX socket
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(path)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((HOST, 0))
        self.sock.listen(backlog)
        self.sock.setblocking(False)
        loop.selector.register(self.sock, READ, self)

    def ready(self, events: int) -> None:
        while True:
            try:
                sock, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            self.accepted(EchoConn(self.loop, sock, self))

    def accepted(self, conn: EchoConn) -> None:
        pass

    def connectionClosed(self) -> None:
        self.closed += 1
        if self.closed == self.expected:
            self.loop.stop()


class ScaleState:
    """The scale workload's server side (see impl_twisted_more.ScaleServerFactory),
    shared by its listening sockets: once all are up, RSS, then the CPU time
    of ``poll_passes`` bare ``select(0)`` calls with every connection
    registered, then ``g`` to the client."""

    def __init__(self, loop: Loop, spec: dict[str, Any]) -> None:
        self.loop = loop
        self.expected = spec["connections"]
        self.passes = spec["poll_passes"]
        self.count = self.closed = 0
        self.rssConnected = 0
        self.pollMicros = 0.0

    def accepted(self, conn: EchoConn) -> None:
        self.count += 1
        if self.count == self.expected:
            self.rssConnected = currentRSSKiB()
            began = time.process_time()
            for _ in range(self.passes):
                self.loop.selector.select(0)
            self.pollMicros = (time.process_time() - began) / self.passes * 1e6
            conn.write(b"g")

    def connectionClosed(self) -> None:
        self.closed += 1
        if self.closed == self.expected:
            self.loop.stop()


class ScaleServer(Server):
    """One listening socket of the scale server; the counting is ``state``'s."""

    def __init__(self, loop: Loop, spec: dict[str, Any], state: ScaleState) -> None:
        super().__init__(loop, spec["connections"], spec["backlog"])
        self.state = state

    def accepted(self, conn: EchoConn) -> None:
        self.state.accepted(conn)

    def connectionClosed(self) -> None:
        self.state.connectionClosed()


def serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    if spec["workload"] == "udp":
        return serveUDP(spec, ctx)
    if spec["workload"] not in ("pingpong", "churn", "fanin", "scale"):
        raise BenchFailure(f"no bare {spec['workload']} workload")
    loop = Loop()
    state: ScaleState | None = None
    if spec["workload"] == "scale":
        state = ScaleState(loop, spec)
        servers: list[Server] = [ScaleServer(loop, spec, state)
                                 for _ in range(spec["listen_ports"])]
    else:
        servers = [Server(loop, spec["connections"], spec["backlog"], spec.get("unix"))]
    if "unix" in spec:
        ctx.announce(0)
    else:
        ports = [server.sock.getsockname()[1] for server in servers]
        ctx.announce(ports[0], ports)
    loop.run(spec["timeout"])
    for server in servers:
        loop.selector.unregister(server.sock)
        server.sock.close()
    if state is not None:
        return {"connections": state.closed, "received": 0,
                "rss_connected_kib": state.rssConnected,
                "metrics": {"poll_us": state.pollMicros}}
    return {"connections": servers[0].closed, "received": 0}


# ---------------------------------------------------------------- client


class RoundsConn(Conn):
    """Connect, then ``rounds`` times: send the message, await its echo."""

    def __init__(self, loop: Loop, run: Any, port: int | None = None) -> None:
        path = getattr(run, "path", None)
        sock = socket.socket(socket.AF_INET if path is None else socket.AF_UNIX,
                             socket.SOCK_STREAM)
        sock.setblocking(False)
        super().__init__(loop, sock)
        self.run = run
        self.left = run.rounds
        self.pending = 0
        self.connecting = True
        err = sock.connect_ex((HOST, run.port if port is None else port) if path is None
                              else path)
        if err not in (0, errno.EINPROGRESS):
            raise BenchFailure(f"connect: {errno.errorcode.get(err, err)}")
        self.want(WRITE)

    def ready(self, events: int) -> None:
        if self.connecting:
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise BenchFailure(f"connect: {errno.errorcode.get(err, err)}")
            self.connecting = False
            self.want(READ)
            self.run.connected(self)
            return
        super().ready(events)

    def send(self) -> None:
        self.pending = len(self.run.message)
        self.write(self.run.message)

    def received(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending > 0:
            return
        self.left -= 1
        if self.left:
            self.send()
        else:
            self.run.finished()
            self.close()

    def closed(self) -> None:
        self.run.connectionClosed()


class RoundsRun:
    def __init__(self, loop: Loop, spec: dict[str, Any]) -> None:
        self.loop = loop
        self.port = spec["port"]
        self.path: str | None = spec.get("unix")
        self.rounds = spec["rounds"]
        self.message = b"x" * spec["size"]
        self.connections = spec["connections"]
        self.sequential = spec["sequential"]
        self.waiting: list[RoundsConn] = []
        self.done = 0
        self.lost = 0
        self.endTime = 0.0

    def start(self) -> None:
        for _ in range(1 if self.sequential else self.connections):
            RoundsConn(self.loop, self)

    def connected(self, conn: RoundsConn) -> None:
        """Sequential: start at once; concurrent: all together once all are up."""
        if self.sequential:
            conn.send()
            return
        self.waiting.append(conn)
        if len(self.waiting) == self.connections:
            for each in self.waiting:
                each.send()
            self.waiting = []

    def finished(self) -> None:
        self.done += 1
        if self.done == self.connections:
            self.endTime = now()

    def connectionClosed(self) -> None:
        self.lost += 1
        if self.lost == self.connections:
            self.loop.stop()
        elif self.sequential:
            RoundsConn(self.loop, self)


class ScaleConn(RoundsConn):
    """A scale connection: idle until told to do ``rounds`` round trips."""

    busy = False

    def start(self, rounds: int) -> None:
        self.busy = True
        self.left = rounds
        self.send()

    def received(self, data: bytes) -> None:
        if not self.busy:  # the server's "all up" byte
            self.run.go()
            return
        self.pending -= len(data)
        if self.pending > 0:
            return
        self.left -= 1
        if self.left:
            self.send()
        else:
            self.busy = False
            self.run.roundsDone()


class ScaleRun:
    """The scale workload's client (see impl_twisted_more.ScaleClientFactory)."""

    def __init__(self, loop: Loop, spec: dict[str, Any]) -> None:
        self.loop = loop
        self.spec = spec
        self.expected = spec["connections"]
        self.rounds = spec["rounds"]
        self.message = b"x" * spec["size"]
        self.conns: list[ScaleConn] = []
        self.launched = self.done = self.lost = 0
        self.phase = "connecting"
        self.times: dict[str, float] = {}

    def launch(self) -> None:
        ports = self.spec["ports"]
        ScaleConn(self.loop, self, ports[self.launched % len(ports)])
        self.launched += 1

    def start(self) -> None:
        self.times["start"] = startClock()
        for _ in range(min(self.spec["inflight"], self.expected)):
            self.launch()

    def connected(self, conn: ScaleConn) -> None:
        self.conns.append(conn)
        if self.launched < self.expected:
            self.launch()
        elif len(self.conns) == self.expected:
            self.times["connected"] = now()
            if self.phase == "go":
                self.probe()

    def go(self) -> None:
        self.phase = "go"
        if len(self.conns) == self.expected:
            self.probe()

    def probe(self) -> None:
        self.phase, self.done = "probe", 0
        count = min(self.spec["probe_connections"], self.expected)
        self.times["probe"] = now()
        for conn in self.conns[:: self.expected // count][:count]:
            conn.start(self.spec["probe_rounds"])

    def roundsDone(self) -> None:
        self.done += 1
        if self.phase == "probe" and self.done == min(self.spec["probe_connections"],
                                                      self.expected):
            self.times["probed"] = self.times["active"] = now()
            self.phase, self.done = "active", 0
            for conn in self.conns:
                conn.start(self.rounds)
        elif self.phase == "active" and self.done == self.expected:
            self.times["end"] = now()
            self.phase = "closing"
            for conn in list(self.conns):
                conn.close()

    def connectionClosed(self) -> None:
        self.lost += 1
        if self.lost == self.expected:
            self.loop.stop()


def client(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["workload"] == "udp":
        return udpClient(spec)
    if spec["workload"] == "scale":
        loop = Loop()
        scale = ScaleRun(loop, spec)
        scale.start()
        loop.run(spec["timeout"])
        if "end" not in scale.times:
            raise BenchFailure(f"stopped while {scale.phase}")
        return scaleReport(spec, scale.times)
    if spec["workload"] not in ("pingpong", "churn", "fanin"):
        raise BenchFailure(f"no bare {spec['workload']} workload")
    loop = Loop()
    run = RoundsRun(loop, spec)
    start = startClock()
    run.start()
    loop.run(spec["timeout"])
    if run.done != run.connections:
        raise BenchFailure(f"finished {run.done} of {run.connections}")
    # start and end: the multicore runner adds up several load generators.
    return {"elapsed": run.endTime - start, "ops": run.rounds * run.connections,
            "start": start, "end": run.endTime}


# ---------------------------------------------------------------- UDP echo


class DatagramEcho:
    """Read every datagram waiting, send each back; stop after ``expected``."""

    def __init__(self, loop: Loop, expected: int) -> None:
        self.loop = loop
        self.expected = expected
        self.count = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.setblocking(False)
        loop.selector.register(self.sock, READ, self)

    def ready(self, events: int) -> None:
        recvfrom, sendto = self.sock.recvfrom, self.sock.sendto
        while True:
            try:
                data, addr = recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            sendto(data, addr)
            self.count += 1
            if self.count == self.expected:
                self.loop.stop()
                return


def serveUDP(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    loop = Loop()
    echo = DatagramEcho(loop, spec["count"])
    ctx.announce(echo.sock.getsockname()[1])
    loop.run(spec["timeout"])
    echo.sock.close()
    return {"connections": 1, "received": echo.count}


class DatagramWindow:
    """A connected datagram socket keeping ``window`` datagrams in flight."""

    def __init__(self, loop: Loop, spec: dict[str, Any]) -> None:
        self.loop = loop
        self.count = spec["count"]
        self.message = b"x" * spec["size"]
        self.replies = 0
        self.endTime = 0.0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.connect((HOST, spec["port"]))
        self.sock.setblocking(False)
        loop.selector.register(self.sock, READ, self)
        self.sent = min(spec["window"], self.count)
        for _ in range(self.sent):
            self.sock.send(self.message)

    def ready(self, events: int) -> None:
        recv, send = self.sock.recv, self.sock.send
        while True:
            try:
                recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            self.replies += 1
            if self.sent < self.count:
                self.sent += 1
                send(self.message)
            elif self.replies == self.count:
                self.endTime = now()
                self.loop.stop()
                return


def udpClient(spec: dict[str, Any]) -> dict[str, Any]:
    loop = Loop()
    start = startClock()
    window = DatagramWindow(loop, spec)
    loop.run(spec["timeout"])
    window.sock.close()
    if window.replies != window.count:
        raise BenchFailure(f"{window.replies} of {window.count} datagrams came back")
    return {"elapsed": window.endTime - start, "ops": window.count}


# ---------------------------------------------------------------- timers


def timers(spec: dict[str, Any]) -> dict[str, Any]:
    """A heap of ``[when, seq, callback, active]``; cancel clears ``active``."""
    if spec["workload"] != "timers":
        raise BenchFailure(f"no bare {spec['workload']} workload")
    delays = delaysFor(spec)
    expected = len(delays) - len(delays) // 4
    selector = selectors.DefaultSelector()
    heap: list[list[Any]] = []
    fired = [0]
    clock = time.monotonic

    def tick() -> None:
        fired[0] += 1

    start = startClock()
    toCancel = []
    for i, delay in enumerate(delays):
        entry = [clock() + delay, i, tick, True]
        heapq.heappush(heap, entry)
        if i % 4 == 3:
            toCancel.append(entry)
    for entry in toCancel:
        entry[3] = False
    deadline = clock() + spec["timeout"]
    while fired[0] < expected:
        current = clock()
        if current > deadline:
            raise BenchFailure(f"gave up after {spec['timeout']} s")
        while heap and heap[0][0] <= current:
            entry = heapq.heappop(heap)
            if entry[3]:
                entry[2]()
        if heap and fired[0] < expected:
            selector.select(max(0.0, heap[0][0] - clock()))
    end = now()
    selector.close()
    return {"elapsed": end - start, "ops": len(delays)}


if __name__ == "__main__":
    childMain(serve, client, timers)
    sys.exit(0)
