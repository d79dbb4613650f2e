"""Volume and leaks on real TCP: no byte lost, no descriptor or transport left behind.

* 256 MiB each way through one connection at once, in seeded random write
  sizes, sent by push producers that honour back-pressure, checked by SHA-256;
* many tiny writes (coalescing) arriving intact;
* 5,000 connect/close cycles leave the process with the descriptors it had and
  no live transport objects.
"""

from __future__ import annotations

import gc
import hashlib
import os
import random
import weakref
from typing import Any

from zope.interface import implementer

from plait import error
from plait.defer import Deferred, gatherResults
from plait.failure import Failure
from plait.interfaces import IPushProducer
from plait.protocol import ClientFactory, Factory, Protocol
from tests.helpers import runUntil

MiB = 1024 * 1024


@implementer(IPushProducer)
class _RandomStream:
    """Writes ``total`` bytes in random-sized pieces of a random block.

    Produces synchronously from resumeProducing until the transport pauses
    it, which is what a well-behaved push producer does.
    """

    def __init__(self, transport: Any, total: int, seed: int, maxWrite: int) -> None:
        self.transport = transport
        self.remaining = total
        self.rng = random.Random(seed)
        self.block = self.rng.randbytes(MiB)
        self.maxWrite = maxWrite
        self.digest = hashlib.sha256()
        self.paused = False
        self.maxBuffered = 0
        self.done: Deferred[None] = Deferred()

    def resumeProducing(self) -> None:
        self.paused = False
        transport, rng, block = self.transport, self.rng, self.block
        while not self.paused and self.remaining:
            size = min(rng.randint(1, self.maxWrite), self.remaining)
            start = rng.randrange(0, MiB - size + 1)
            piece = block[start : start + size]
            self.digest.update(piece)
            self.remaining -= size
            transport.write(piece)
        self.maxBuffered = max(self.maxBuffered, transport._bufferedBytes)
        if not self.remaining and not self.done.called:
            transport.unregisterProducer()
            self.done.callback(None)

    def pauseProducing(self) -> None:
        self.paused = True

    def stopProducing(self) -> None:
        self.paused = True


class _Streamer(Protocol):
    """Sends a random stream while hashing everything it receives."""

    def __init__(self, total: int, seed: int, maxWrite: int) -> None:
        self.total, self.seed, self.maxWrite = total, seed, maxWrite
        self.digest = hashlib.sha256()
        self.received = 0
        self.allReceived: Deferred[None] = Deferred()
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        self.stream = _RandomStream(self.transport, self.total, self.seed, self.maxWrite)
        self.transport.registerProducer(self.stream, True)
        self.transport.reactor.callLater(0, self.stream.resumeProducing)

    def dataReceived(self, data: bytes) -> None:
        self.digest.update(data)
        self.received += len(data)
        if self.received >= self.total and not self.allReceived.called:
            self.allReceived.callback(None)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.lost.callback(None)


def _expectedDigest(total: int, seed: int, maxWrite: int) -> str:
    """The digest of the stream ``_RandomStream(total, seed, maxWrite)`` sends."""
    rng = random.Random(seed)
    block = rng.randbytes(MiB)
    digest = hashlib.sha256()
    remaining = total
    while remaining:
        size = min(rng.randint(1, maxWrite), remaining)
        start = rng.randrange(0, MiB - size + 1)
        digest.update(block[start : start + size])
        remaining -= size
    return digest.hexdigest()


def _streamBothWays(reactor: Any, total: int, maxWrite: int, timeout: float) -> None:
    server = _Streamer(total, seed=1, maxWrite=maxWrite)
    client = _Streamer(total, seed=2, maxWrite=maxWrite)
    serverFactory: Factory[Any] = Factory()
    serverFactory.noisy = False
    serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
    clientFactory: ClientFactory[Any] = ClientFactory()
    clientFactory.noisy = False
    clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
    port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", port.getHost().port, clientFactory)
    runUntil(reactor, gatherResults([server.allReceived, client.allReceived]), timeout=timeout)
    runUntil(reactor, gatherResults([server.stream.done, client.stream.done]))
    client.transport.loseConnection()
    runUntil(reactor, gatherResults([server.lost, client.lost]))
    runUntil(reactor, port.stopListening())

    assert server.received == client.received == total
    assert client.digest.hexdigest() == server.stream.digest.hexdigest()
    assert server.digest.hexdigest() == client.stream.digest.hexdigest()
    assert server.digest.hexdigest() == _expectedDigest(total, seed=2, maxWrite=maxWrite)
    for side in (server, client):
        assert side.reason is not None and side.reason.check(error.ConnectionDone)
        # Back-pressure held: never much more than bufferSize plus one write.
        assert side.stream.maxBuffered <= side.transport.bufferSize + maxWrite


def test_256MiBEachWay(reactor: Any) -> None:
    """256 MiB each way at once, random write sizes, nothing lost or reordered."""
    _streamBothWays(reactor, total=256 * MiB, maxWrite=256 * 1024, timeout=60)


def test_tinyWritesEachWay(reactor: Any) -> None:
    """Many writes of 1..512 bytes (coalesced into large sends) arrive intact."""
    _streamBothWays(reactor, total=4 * MiB, maxWrite=512, timeout=60)


def _openDescriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_connectCloseCyclesLeakNothing(reactor: Any) -> None:
    """5,000 connect/close cycles leave no descriptor and no transport behind."""
    transports: weakref.WeakSet[Any] = weakref.WeakSet()
    closed: list[Deferred[None]] = []

    class Closer(Protocol):
        def __init__(self) -> None:
            self.gone: Deferred[None] = Deferred()
            closed.append(self.gone)

        def connectionMade(self) -> None:
            transports.add(self.transport)
            self.transport.loseConnection()

        def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
            self.gone.callback(None)

    class Waiter(Closer):
        def connectionMade(self) -> None:
            transports.add(self.transport)

    serverFactory = Factory.forProtocol(Waiter)
    serverFactory.noisy = False
    clientFactory = ClientFactory.forProtocol(Closer)
    clientFactory.noisy = False
    port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")
    number = port.getHost().port

    def batch(count: int) -> None:
        del closed[:]
        for _ in range(count):
            reactor.connectTCP("127.0.0.1", number, clientFactory)
        while len(closed) < 2 * count:
            reactor.iterate(0.01)
        runUntil(reactor, gatherResults(list(closed)))

    batch(10)  # warm up: lazily created objects (resolver, caches) exist from here on
    gc.collect()
    before = _openDescriptors()
    for _ in range(100):
        batch(50)
    del closed[:]
    gc.collect()
    assert _openDescriptors() == before
    assert len(transports) == 0
    runUntil(reactor, port.stopListening())
