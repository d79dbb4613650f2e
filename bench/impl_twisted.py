"""The benchmark workloads written as a Twisted user would write them.

Default reactor (``from twisted.internet import reactor``: epoll on Linux),
``Protocol``/``Factory``/``ClientFactory``, ``reactor.connectTCP`` and
``listenTCP`` (``connectSSL``/``listenSSL`` with ``optionsForClientTLS`` and
``PrivateCertificate.options()`` when the spec asks for TLS;
``connectUNIX``/``listenUNIX`` when it gives a UNIX socket path), a streaming
push producer for the stream workload.  The newer workloads (bulk echo,
scale, multicore workers, processes, UDP) are in ``impl_twisted_more.py``,
imported only by the children that run them.

``impl_plait.py`` runs this same file on plait, through plait's
compatibility mode, so both frameworks do the same work.  See ``bench/common.py`` for the child process protocol.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from twisted.internet import protocol, reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

from bench.common import (
    HOST,
    BenchFailure,
    ServerContext,
    childMain,
    delaysFor,
    now,
    startClock,
)

# ---------------------------------------------------------------- servers


class Echo(protocol.Protocol):
    """Send back whatever arrives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.connectionClosed(0)


class Sink(protocol.Protocol):
    """Count bytes; answer one byte once everything has arrived."""

    received = 0

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        if self.received == self.factory.total:
            self.transport.write(b"!")

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.connectionClosed(self.received)


class BenchServerFactory(protocol.Factory):
    """Stops the reactor once ``expected`` connections have come and gone."""

    def __init__(self, proto: Any, expected: int, total: int) -> None:
        self.protocol = proto
        self.expected = expected
        self.total = total
        self.closed = 0
        self.received = 0

    def connectionClosed(self, received: int) -> None:
        self.closed += 1
        self.received += received
        if self.closed == self.expected:
            reactor.stop()


# ---------------------------------------------------------------- transports


def listen(spec: dict[str, Any], factory: Any) -> Any:
    """Listen on an ephemeral loopback port, over TLS if the spec says so,
    or on the spec's UNIX socket path."""
    if "unix" in spec:
        return reactor.listenUNIX(spec["unix"], factory, backlog=spec["backlog"])
    if "tls" in spec:
        from twisted.internet import ssl

        with open(spec["tls"]["server"], "rb") as f:
            options = ssl.PrivateCertificate.loadPEM(f.read()).options()
        options.getContext()  # built now (and cached), not at the first connection
        return reactor.listenSSL(0, factory, options, backlog=spec["backlog"], interface=HOST)
    return reactor.listenTCP(0, factory, backlog=spec["backlog"], interface=HOST)


_clientOptions: list[Any] = []  # one TLS client options object per process


def clientOptions(spec: dict[str, Any]) -> Any:
    """This process's TLS client options (made, and ``ssl`` imported, on the
    first call: ``client`` calls it before the clock starts)."""
    if not _clientOptions:
        from twisted.internet import ssl

        with open(spec["tls"]["ca"], "rb") as f:
            ca = ssl.Certificate.loadPEM(f.read())
        _clientOptions.append(ssl.optionsForClientTLS(spec["tls"]["hostname"], ca))
    return _clientOptions[0]


def connect(spec: dict[str, Any], port: int, factory: Any) -> Any:
    """Connect to ``port`` on loopback, over TLS if the spec says so, or to
    the spec's UNIX socket path."""
    if "unix" in spec:
        return reactor.connectUNIX(spec["unix"], factory)
    if "tls" not in spec:
        return reactor.connectTCP(HOST, port, factory)
    return reactor.connectSSL(HOST, port, factory, clientOptions(spec))


def serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    workload = spec["workload"]
    if workload in ("scale", "multicore", "udp"):
        from bench import impl_twisted_more

        return impl_twisted_more.serve(spec, ctx)
    if workload == "stream":
        factory = BenchServerFactory(Sink, 1, spec["total"])
    else:  # pingpong, churn, fanin, bulk
        factory = BenchServerFactory(Echo, spec["connections"], 0)
    port = listen(spec, factory)
    ctx.announce(0 if "unix" in spec else port.getHost().port)
    _runBounded(spec["timeout"])
    if factory.closed != factory.expected:
        raise BenchFailure(f"saw {factory.closed} of {factory.expected} connections")
    return {"connections": factory.closed, "received": factory.received}


# ---------------------------------------------------------------- clients


class Rounds(protocol.Protocol):
    """Send a message, wait for all of it to come back; ``rounds`` times."""

    def connectionMade(self) -> None:
        self.factory.connected(self)

    def start(self) -> None:
        self.left = self.factory.rounds
        self.send()

    def send(self) -> None:
        self.pending = len(self.factory.message)
        self.transport.write(self.factory.message)

    def dataReceived(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending > 0:
            return
        self.left -= 1
        if self.left:
            self.send()
        else:
            self.factory.finished()
            self.transport.loseConnection()


class RoundsFactory(protocol.ClientFactory):
    """``connections`` connections, one after another (each starts as soon as
    it is connected), or all at once (they start together once all are up)."""

    protocol = Rounds

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.port = spec["port"]
        self.rounds = spec["rounds"]
        self.message = b"x" * spec["size"]
        self.connections = spec["connections"]
        self.sequential = spec["sequential"]
        self.waiting: list[Rounds] = []
        self.done = 0
        self.lost = 0
        self.endTime = 0.0
        self.failure: Any = None

    def start(self) -> None:
        for _ in range(1 if self.sequential else self.connections):
            connect(self.spec, self.port, self)

    def connected(self, proto: Rounds) -> None:
        if self.sequential:
            proto.start()
            return
        self.waiting.append(proto)
        if len(self.waiting) == self.connections:
            for each in self.waiting:
                each.start()
            self.waiting = []

    def finished(self) -> None:
        self.done += 1
        if self.done == self.connections:
            self.endTime = now()

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.lost += 1
        if self.lost == self.connections:
            reactor.stop()
        elif self.sequential:
            connect(self.spec, self.port, self)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.failure = reason
        reactor.stop()


@implementer(IPushProducer)
class Streamer(protocol.Protocol):
    """Write ``total`` bytes in chunks for as long as the transport lets us."""

    def connectionMade(self) -> None:
        self.left = self.factory.total
        self.paused = False
        self.transport.registerProducer(self, True)
        self.resumeProducing()

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        chunk = self.factory.chunk
        while not self.paused and self.left > 0:
            self.left -= len(chunk)
            self.transport.write(chunk)
            if self.left <= 0:
                self.transport.unregisterProducer()

    def stopProducing(self) -> None:
        self.left = 0

    def dataReceived(self, data: bytes) -> None:
        self.factory.endTime = now()
        self.factory.done = 1
        self.transport.loseConnection()


class StreamFactory(protocol.ClientFactory):
    protocol = Streamer

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.port = spec["port"]
        self.total = spec["total"]
        self.chunk = b"x" * spec["chunk"]
        self.done = 0
        self.endTime = 0.0
        self.failure: Any = None

    def start(self) -> None:
        connect(self.spec, self.port, self)

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        reactor.stop()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.failure = reason
        reactor.stop()


def warmUp(spec: dict[str, Any]) -> None:
    """Import what the timed part will use, before the clock starts.

    Twisted's reactor imports its TCP and process modules with itself;
    plait's imports ``plait.tcp`` at the first ``connectTCP`` and
    ``plait.process`` at the first ``spawnProcess``, which would otherwise
    be timed.  Over TLS, the client options too (``ssl`` and, for Twisted,
    pyOpenSSL).
    """
    from twisted.internet import tcp  # noqa: F401

    if "unix" in spec:
        from twisted.internet import unix  # noqa: F401
    if spec["workload"] == "udp":
        from twisted.internet import udp  # noqa: F401
    if spec["workload"] in ("spawn", "procstream"):
        from twisted.internet import process, utils  # noqa: F401
    if "tls" in spec:
        clientOptions(spec)


def client(spec: dict[str, Any]) -> dict[str, Any]:
    warmUp(spec)
    if spec["workload"] in ("bulk", "scale", "udp"):
        from bench import impl_twisted_more

        return impl_twisted_more.client(spec)
    if spec["workload"] == "stream":
        factory: Any = StreamFactory(spec)
        ops, expected = spec["total"], 1
    else:
        factory = RoundsFactory(spec)
        ops = spec["rounds"] * spec["connections"]
        expected = spec["connections"]
    times: list[float] = []

    def start() -> None:
        times.append(startClock())
        factory.start()

    reactor.callWhenRunning(start)
    _runBounded(spec["timeout"])
    if factory.failure is not None:
        raise BenchFailure(f"connection failed: {factory.failure.getErrorMessage()}")
    if factory.done != expected:
        raise BenchFailure(f"finished {factory.done} of {expected}")
    return {"elapsed": factory.endTime - times[0], "ops": ops}


# ---------------------------------------------------------------- local work


def timers(spec: dict[str, Any]) -> dict[str, Any]:
    delays = delaysFor(spec)
    expected = len(delays) - len(delays) // 4
    fired = [0]
    times: list[float] = []

    def tick() -> None:
        fired[0] += 1
        if fired[0] == expected:
            times.append(now())
            reactor.stop()

    def start() -> None:
        times.append(startClock())
        toCancel = []
        for i, delay in enumerate(delays):
            call = reactor.callLater(delay, tick)
            if i % 4 == 3:
                toCancel.append(call)
        for call in toCancel:
            call.cancel()

    reactor.callWhenRunning(start)
    _runBounded(spec["timeout"])
    if fired[0] != expected:
        raise BenchFailure(f"{fired[0]} of {expected} timers fired")
    return {"elapsed": times[1] - times[0], "ops": len(delays)}


def deferreds(spec: dict[str, Any]) -> dict[str, Any]:
    count = spec["count"]
    fired = [0]

    def step(result: Any) -> Any:
        return result

    def last(result: Any) -> None:
        fired[0] += 1

    gc.collect()
    if not spec["gc"]:
        gc.disable()
    start = startClock()
    for i in range(count):
        d: Deferred[Any] = Deferred()
        d.addCallback(step)
        d.addCallback(step)
        d.addCallback(last)
        d.callback(i)
    elapsed = now() - start
    gc.enable()
    if fired[0] != count:
        raise BenchFailure(f"{fired[0]} of {count} Deferreds fired")
    return {"elapsed": elapsed, "ops": count}


def local(spec: dict[str, Any]) -> dict[str, Any]:
    warmUp(spec)
    if spec["workload"] == "irc":
        # Imported here, so that only this workload pays for the import.
        from bench.irc_workload import ircParse

        return ircParse(spec)
    if spec["workload"] in ("bulk", "spawn", "procstream"):
        from bench import impl_twisted_more

        return impl_twisted_more.local(spec)
    return timers(spec) if spec["workload"] == "timers" else deferreds(spec)


def _runBounded(timeout: float, installSignalHandlers: bool = False) -> None:
    expired = []

    def giveUp() -> None:
        expired.append(True)
        reactor.stop()

    guard = reactor.callLater(timeout, giveUp)
    reactor.run(installSignalHandlers=installSignalHandlers)
    if expired:
        raise BenchFailure(f"gave up after {timeout} s")
    guard.cancel()


if __name__ == "__main__":
    childMain(serve, client, local)
    sys.exit(0)
