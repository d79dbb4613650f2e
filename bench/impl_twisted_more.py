"""The newer workloads written as a Twisted user would write them.

Imported by ``impl_twisted`` only in the children that run these workloads
(plait runs it too, through compatibility mode: see ``impl_plait.py``):

* ``bulk``: many clients each echo a seeded random payload, written all at
  once in random pieces, through one echo server (in another process, or
  in the same one: ``local``);
* ``scale``: N idle connections (connect time, server RSS with all of them
  up, the cost of one empty loop pass), then a few of them busy among the
  idle, then all of them busy (fan-in);
* ``multicore``: a server worker on a listening socket it inherited
  (``reactor.adoptStreamPort``), serving until SIGTERM (the reactor's own
  handler stops it);
* ``udp``: a connected UDP client keeps a window of datagrams in flight
  to a ``DatagramProtocol`` echo server (``listenUDP`` on both sides);
* ``spawn`` (``utils.getProcessOutput("true")``, one after another) and
  ``procstream`` (a child's stdout read through a ``ProcessProtocol``).

See ``bench/common.py`` for the child process protocol.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from twisted.internet import protocol, reactor

from bench.common import (
    HOST,
    BenchFailure,
    ServerContext,
    bulkBlock,
    bulkPieces,
    currentRSSKiB,
    now,
    producerCommand,
    scaleReport,
    startClock,
)
from bench.impl_twisted import BenchServerFactory, Echo, _runBounded, connect, listen

# ---------------------------------------------------------------- bulk echo


class BulkClient(protocol.Protocol):
    """Write the whole payload in the pieces given, count the echo, close."""

    received = 0

    def connectionMade(self) -> None:
        self.factory.connected(self)

    def start(self, pieces: list[tuple[int, int]]) -> None:
        block, write = self.factory.block, self.transport.write
        for begin, end in pieces:
            write(block[begin:end])

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        if self.received == self.factory.total:
            self.factory.finished()
            self.transport.loseConnection()

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.lost()


class BulkFactory(protocol.ClientFactory):
    """``connections`` clients; they start together once all are up."""

    protocol = BulkClient

    def __init__(self, spec: dict[str, Any], port: int, stopWhenLost: bool) -> None:
        self.spec = spec
        self.port = port
        self.block = bulkBlock(spec)
        self.total = spec["total"]
        self.connections = spec["connections"]
        self.plans = [bulkPieces(spec, i) for i in range(self.connections)]
        self.stopWhenLost = stopWhenLost
        self.waiting: list[BulkClient] = []
        self.done = 0
        self.closed = 0
        self.startTime = self.endTime = 0.0
        self.failure: Any = None

    def start(self) -> None:
        self.startTime = startClock()
        for _ in range(self.connections):
            connect(self.spec, self.port, self)

    def connected(self, proto: BulkClient) -> None:
        self.waiting.append(proto)
        if len(self.waiting) == self.connections:
            for each, plan in zip(self.waiting, self.plans, strict=True):
                each.start(plan)
            self.waiting = []

    def finished(self) -> None:
        self.done += 1
        if self.done == self.connections:
            self.endTime = now()

    def lost(self) -> None:
        self.closed += 1
        if self.closed == self.connections and self.stopWhenLost:
            reactor.stop()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        if self.failure is None:  # the first failure stops the run
            self.failure = reason
            reactor.stop()


def _bulkReport(factory: BulkFactory) -> dict[str, Any]:
    if factory.failure is not None:
        raise BenchFailure(f"connection failed: {factory.failure.getErrorMessage()}")
    if factory.done != factory.connections:
        raise BenchFailure(f"finished {factory.done} of {factory.connections}")
    return {"elapsed": factory.endTime - factory.startTime,
            "ops": factory.total * factory.connections}


def bulkClient(spec: dict[str, Any]) -> dict[str, Any]:
    factory = BulkFactory(spec, spec["port"], stopWhenLost=True)
    reactor.callWhenRunning(factory.start)
    _runBounded(spec["timeout"])
    return _bulkReport(factory)


def bulkLocal(spec: dict[str, Any]) -> dict[str, Any]:
    """Server and clients in this one process and reactor."""
    server = BenchServerFactory(Echo, spec["connections"], 0)  # stops the reactor
    port = listen(spec, server)
    factory = BulkFactory(spec, port.getHost().port, stopWhenLost=False)
    reactor.callWhenRunning(factory.start)
    _runBounded(spec["timeout"])
    return _bulkReport(factory)


# ---------------------------------------------------------------- scale


class ScaleEcho(protocol.Protocol):
    def connectionMade(self) -> None:
        self.factory.accepted(self)

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.closed()


class ScaleServerFactory(protocol.Factory):
    """Once all ``connections`` are up: RSS, then the cost of ``poll_passes``
    empty loop passes (a ``callLater(0)`` chain: each link runs in the next
    pass), then one ``g`` byte to the client, which starts the busy phases."""

    protocol = ScaleEcho

    def __init__(self, spec: dict[str, Any]) -> None:
        self.expected = spec["connections"]
        self.passes = spec["poll_passes"]
        self.count = 0
        self.gone = 0
        self.last: ScaleEcho | None = None
        self.rssConnected = 0
        self.pollMicros = 0.0

    def accepted(self, proto: ScaleEcho) -> None:
        self.count += 1
        self.last = proto
        if self.count == self.expected:
            reactor.callLater(0, self.allUp)

    def allUp(self) -> None:
        self.rssConnected = currentRSSKiB()
        left = [self.passes]
        # CPU time, not wall time: an empty pass is all CPU (epoll_wait with
        # a zero timeout), and other load on the machine must not count.
        began = time.process_time()

        def step() -> None:
            left[0] -= 1
            if left[0]:
                reactor.callLater(0, step)
                return
            self.pollMicros = (time.process_time() - began) / self.passes * 1e6
            assert self.last is not None
            self.last.transport.write(b"g")

        reactor.callLater(0, step)

    def closed(self) -> None:
        self.gone += 1
        if self.gone == self.expected:
            reactor.stop()


def serveScale(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    factory = ScaleServerFactory(spec)
    ports = [listen(spec, factory).getHost().port for _ in range(spec["listen_ports"])]
    ctx.announce(ports[0], ports)
    _runBounded(spec["timeout"])
    if factory.gone != factory.expected:
        raise BenchFailure(f"saw {factory.gone} of {factory.expected} connections")
    return {"connections": factory.gone, "rss_connected_kib": factory.rssConnected,
            "metrics": {"poll_us": factory.pollMicros}}


class ScaleClient(protocol.Protocol):
    busy = False

    def connectionMade(self) -> None:
        self.factory.connected(self)

    def run(self, rounds: int) -> None:
        self.busy = True
        self.left = rounds
        self.send()

    def send(self) -> None:
        self.pending = len(self.factory.message)
        self.transport.write(self.factory.message)

    def dataReceived(self, data: bytes) -> None:
        if not self.busy:  # the server's "all up" byte
            self.factory.go()
            return
        self.pending -= len(data)
        if self.pending > 0:
            return
        self.left -= 1
        if self.left:
            self.send()
        else:
            self.busy = False
            self.factory.roundsDone()

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.lost()


class ScaleClientFactory(protocol.ClientFactory):
    """Connect ``connections`` (at most ``inflight`` connecting at once,
    spread over the server's ports); on the server's go, a few connections
    do ``probe_rounds`` round trips among the idle, then all do ``rounds``."""

    protocol = ScaleClient

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.ports = spec["ports"]
        self.expected = spec["connections"]
        self.message = b"x" * spec["size"]
        self.protos: list[ScaleClient] = []
        self.launched = 0
        self.phase = "connecting"
        self.done = self.gone = 0
        self.times: dict[str, float] = {}
        self.failure: Any = None

    def launch(self) -> None:
        connect(self.spec, self.ports[self.launched % len(self.ports)], self)
        self.launched += 1

    def start(self) -> None:
        self.times["start"] = startClock()
        for _ in range(min(self.spec["inflight"], self.expected)):
            self.launch()

    def connected(self, proto: ScaleClient) -> None:
        self.protos.append(proto)
        if self.launched < self.expected:
            self.launch()
        elif len(self.protos) == self.expected:
            self.times["connected"] = now()
            if self.phase == "go":
                self.probe()

    def go(self) -> None:
        # The server has accepted every connection; this side may not have
        # seen the last few complete yet.
        self.phase = "go"
        if len(self.protos) == self.expected:
            self.probe()

    def probe(self) -> None:
        self.phase = "probe"
        self.done = 0
        count = min(self.spec["probe_connections"], self.expected)
        stride = self.expected // count
        self.times["probe"] = now()
        for proto in self.protos[::stride][:count]:
            proto.run(self.spec["probe_rounds"])

    def roundsDone(self) -> None:
        self.done += 1
        if self.phase == "probe" and self.done == min(self.spec["probe_connections"],
                                                      self.expected):
            self.times["probed"] = self.times["active"] = now()
            self.phase, self.done = "active", 0
            for proto in self.protos:
                proto.run(self.spec["rounds"])
        elif self.phase == "active" and self.done == self.expected:
            self.times["end"] = now()
            self.phase = "closing"
            for proto in self.protos:
                proto.transport.loseConnection()

    def lost(self) -> None:
        self.gone += 1
        if self.gone == self.expected:
            reactor.stop()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        if self.failure is None:  # the first failure stops the run
            self.failure = reason
            reactor.stop()


def scaleClient(spec: dict[str, Any]) -> dict[str, Any]:
    factory = ScaleClientFactory(spec)
    reactor.callWhenRunning(factory.start)
    _runBounded(spec["timeout"])
    if factory.failure is not None:
        raise BenchFailure(f"connection {factory.launched} failed: "
                           f"{factory.failure.getErrorMessage()}")
    if "end" not in factory.times:
        raise BenchFailure(f"stopped while {factory.phase}")
    return scaleReport(spec, factory.times)


# ---------------------------------------------------------------- multicore


class CountingFactory(protocol.Factory):
    """Echo for as long as the worker runs; count the connections served."""

    protocol = Echo

    def __init__(self) -> None:
        self.served = 0

    def connectionClosed(self, received: int) -> None:
        self.served += 1


def serveAdopted(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    factory = CountingFactory()
    port = reactor.adoptStreamPort(spec["fd"], socket.AF_INET, factory)
    ctx.announce(port.getHost().port)
    # The runner stops every worker with SIGTERM; the reactor's handler stops it.
    _runBounded(spec["timeout"], installSignalHandlers=True)
    return {"connections": factory.served}


# ---------------------------------------------------------------- processes


def spawn(spec: dict[str, Any]) -> dict[str, Any]:
    """``getProcessOutput("true")``, ``count`` times, one after another."""
    from twisted.internet import utils

    count = spec["count"]
    state = {"done": 0, "failure": None}
    times: list[float] = []

    def next_(output: bytes | None = None) -> None:
        if output:
            state["failure"] = f"unexpected output {output!r}"
            reactor.stop()
            return
        if state["done"] == count:
            times.append(now())
            reactor.stop()
            return
        state["done"] += 1
        utils.getProcessOutput("true").addCallbacks(next_, failed)

    def failed(reason: Any) -> None:
        state["failure"] = reason.getErrorMessage()
        reactor.stop()

    def start() -> None:
        times.append(startClock())
        next_()

    reactor.callWhenRunning(start)
    # Twisted reaps children from its SIGCHLD handler, which only
    # reactor.run() with signal handlers installed (the default) sets up.
    _runBounded(spec["timeout"], installSignalHandlers=True)
    if state["failure"] is not None:
        raise BenchFailure(f"spawn {state['done']}: {state['failure']}")
    if len(times) != 2:
        raise BenchFailure(f"spawned {state['done']} of {count}")
    return {"elapsed": times[1] - times[0], "ops": count}


class CountOutput(protocol.ProcessProtocol):
    received = 0
    reason: Any = None

    def outReceived(self, data: bytes) -> None:
        self.received += len(data)

    def processEnded(self, reason: Any) -> None:
        self.endTime = now()
        self.reason = reason
        reactor.stop()


def procstream(spec: dict[str, Any]) -> dict[str, Any]:
    command = producerCommand(spec["total"])
    proto = CountOutput()
    times: list[float] = []

    def start() -> None:
        times.append(startClock())
        reactor.spawnProcess(proto, command[0], command, env={})

    reactor.callWhenRunning(start)
    # Twisted reaps children from its SIGCHLD handler, which only
    # reactor.run() with signal handlers installed (the default) sets up.
    _runBounded(spec["timeout"], installSignalHandlers=True)
    if proto.received != spec["total"]:
        raise BenchFailure(f"read {proto.received} of {spec['total']} bytes "
                           f"({proto.reason.getErrorMessage() if proto.reason else 'no end'})")
    return {"elapsed": proto.endTime - times[0], "ops": spec["total"]}


# ---------------------------------------------------------------- UDP echo


class DatagramEcho(protocol.DatagramProtocol):
    """Send every datagram back where it came from; stop after ``expected``."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0

    def datagramReceived(self, data: bytes, addr: Any) -> None:
        self.transport.write(data, addr)
        self.count += 1
        if self.count == self.expected:
            reactor.stop()


def serveUDP(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    echo = DatagramEcho(spec["count"])
    port = reactor.listenUDP(0, echo, interface=HOST)
    ctx.announce(port.getHost().port)
    _runBounded(spec["timeout"])
    if echo.count != echo.expected:
        raise BenchFailure(f"echoed {echo.count} of {echo.expected} datagrams")
    return {"connections": 1, "received": echo.count}


class DatagramWindow(protocol.DatagramProtocol):
    """A connected UDP port keeping ``window`` datagrams in flight: each
    reply sends the next, until ``count`` have come back."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.port = spec["port"]
        self.count = spec["count"]
        self.window = spec["window"]
        self.message = b"x" * spec["size"]
        self.sent = self.replies = 0
        self.endTime = 0.0

    def startProtocol(self) -> None:
        self.transport.connect(HOST, self.port)
        self.sent = min(self.window, self.count)
        for _ in range(self.sent):
            self.transport.write(self.message)

    def datagramReceived(self, data: bytes, addr: Any) -> None:
        self.replies += 1
        if self.sent < self.count:
            self.sent += 1
            self.transport.write(self.message)
        elif self.replies == self.count:
            self.endTime = now()
            reactor.stop()


def udpClient(spec: dict[str, Any]) -> dict[str, Any]:
    proto = DatagramWindow(spec)
    times: list[float] = []

    def start() -> None:
        times.append(startClock())
        reactor.listenUDP(0, proto, interface=HOST)

    reactor.callWhenRunning(start)
    _runBounded(spec["timeout"])
    if proto.replies != proto.count:
        raise BenchFailure(f"{proto.replies} of {proto.count} datagrams came back")
    return {"elapsed": proto.endTime - times[0], "ops": proto.count}


# ---------------------------------------------------------------- dispatch


def serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    if spec["workload"] == "multicore":
        return serveAdopted(spec, ctx)
    if spec["workload"] == "udp":
        return serveUDP(spec, ctx)
    return serveScale(spec, ctx)


def client(spec: dict[str, Any]) -> dict[str, Any]:
    work = {"bulk": bulkClient, "udp": udpClient}.get(spec["workload"], scaleClient)
    return work(spec)


def local(spec: dict[str, Any]) -> dict[str, Any]:
    work = {"bulk": bulkLocal, "spawn": spawn, "procstream": procstream}[spec["workload"]]
    return work(spec)
