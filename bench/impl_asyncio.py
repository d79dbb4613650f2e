"""The benchmark workloads written as an asyncio user would write them.

``asyncio.Protocol`` and transports, ``loop.create_server`` /
``create_connection`` (``create_unix_server`` / ``create_unix_connection``
when the spec gives a UNIX socket path), flow control through ``pause_writing`` /
``resume_writing``, ``loop.call_later`` + ``handle.cancel`` for timers and
``Future`` + ``add_done_callback`` for the deferred workload; over TLS,
``ssl=`` contexts from ``ssl.create_default_context`` (the client verifies
the chain and the host name).  With ``framework == "uvloop"`` the same code
runs under uvloop's event loop policy.  The newer workloads (bulk echo,
scale, multicore workers, subprocesses, UDP) are in ``impl_asyncio_more.py``.
See ``bench/common.py`` for the child process protocol.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

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


class ServerState:
    """Shared by a server's protocols; ``finished`` resolves once
    ``expected`` connections have come and gone."""

    def __init__(self, expected: int, total: int) -> None:
        self.expected = expected
        self.total = total
        self.closed = 0
        self.received = 0
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connectionClosed(self, received: int) -> None:
        self.closed += 1
        self.received += received
        if self.closed == self.expected:
            self.finished.set_result(None)


class Echo(asyncio.Protocol):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connectionClosed(0)


class Sink(asyncio.Protocol):
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.received = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received == self.state.total:
            self.transport.write(b"!")

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connectionClosed(self.received)


# ---------------------------------------------------------------- transports


def serverSSL(spec: dict[str, Any]) -> Any:
    """The server's ``ssl=`` argument: None for plain TCP."""
    if "tls" not in spec:
        return None
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(spec["tls"]["server"])
    return context


_clientContexts: list[Any] = []  # one client context per process


def clientSSL(spec: dict[str, Any]) -> dict[str, Any]:
    """``create_connection``'s TLS keywords: none for plain TCP."""
    if "tls" not in spec:
        return {}
    if not _clientContexts:
        import ssl

        _clientContexts.append(ssl.create_default_context(cafile=spec["tls"]["ca"]))
    return {"ssl": _clientContexts[0], "server_hostname": spec["tls"]["hostname"]}


async def _serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    if spec["workload"] == "stream":
        state = ServerState(1, spec["total"])
        proto: Any = Sink
    else:
        state = ServerState(spec["connections"], 0)
        proto = Echo
    if "unix" in spec:
        server = await loop.create_unix_server(lambda: proto(state), spec["unix"],
                                               backlog=spec["backlog"])
        ctx.announce(0)
    else:
        server = await loop.create_server(
            lambda: proto(state), HOST, 0, backlog=spec["backlog"], ssl=serverSSL(spec)
        )
        ctx.announce(server.sockets[0].getsockname()[1])
    try:
        await asyncio.wait_for(state.finished, spec["timeout"])
    except TimeoutError:
        raise BenchFailure(f"saw {state.closed} of {state.expected} connections")
    server.close()
    await server.wait_closed()
    return {"connections": state.closed, "received": state.received}


def serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    if spec["workload"] in ("scale", "multicore", "udp"):
        from bench import impl_asyncio_more

        return _run(impl_asyncio_more.serve(spec, ctx), spec)
    return _run(_serve(spec, ctx), spec)


# ---------------------------------------------------------------- clients


class Rounds(asyncio.Protocol):
    """Send a message, wait for all of it to come back; ``rounds`` times."""

    def __init__(self, run: RoundsRun) -> None:
        self.run = run
        self.closed = run.loop.create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def start(self) -> None:
        self.left = self.run.rounds
        self.send()

    def send(self) -> None:
        self.pending = len(self.run.message)
        self.transport.write(self.run.message)

    def data_received(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending > 0:
            return
        self.left -= 1
        if self.left:
            self.send()
        else:
            self.run.finished()
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)


class RoundsRun:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.spec = spec
        self.port = spec["port"]
        self.rounds = spec["rounds"]
        self.message = b"x" * spec["size"]
        self.connections = spec["connections"]
        self.done = 0
        self.endTime = 0.0

    def finished(self) -> None:
        self.done += 1
        if self.done == self.connections:
            self.endTime = now()

    async def connect(self) -> Rounds:
        if "unix" in self.spec:
            _, proto = await self.loop.create_unix_connection(lambda: Rounds(self),
                                                              self.spec["unix"])
            return proto
        _, proto = await self.loop.create_connection(lambda: Rounds(self), HOST, self.port,
                                                     **clientSSL(self.spec))
        return proto

    async def sequential(self) -> None:
        """One connection after another, each starting once connected."""
        for _ in range(self.connections):
            proto = await self.connect()
            proto.start()
            await proto.closed

    async def concurrent(self) -> None:
        """All connections at once; they start together once all are up."""
        protos = await asyncio.gather(*(self.connect() for _ in range(self.connections)))
        for proto in protos:
            proto.start()
        await asyncio.gather(*(p.closed for p in protos))


class Streamer(asyncio.Protocol):
    """Write ``total`` bytes in chunks for as long as the transport lets us."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.left = spec["total"]
        self.chunk = b"x" * spec["chunk"]
        self.paused = False
        self.endTime = 0.0
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.produce()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.produce()

    def produce(self) -> None:
        chunk = self.chunk
        while not self.paused and self.left > 0:
            self.left -= len(chunk)
            self.transport.write(chunk)

    def data_received(self, data: bytes) -> None:
        self.endTime = now()
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)


async def _client(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = startClock()
    if spec["workload"] == "stream":
        _, streamer = await loop.create_connection(lambda: Streamer(spec), HOST, spec["port"],
                                                   **clientSSL(spec))
        await streamer.closed
        if not streamer.endTime:
            raise BenchFailure("the stream was not acknowledged")
        return {"elapsed": streamer.endTime - start, "ops": spec["total"]}
    run = RoundsRun(spec)
    await (run.sequential() if spec["sequential"] else run.concurrent())
    if run.done != run.connections:
        raise BenchFailure(f"finished {run.done} of {run.connections}")
    return {"elapsed": run.endTime - start, "ops": run.rounds * run.connections}


def client(spec: dict[str, Any]) -> dict[str, Any]:
    clientSSL(spec)  # the TLS context (if any) outside the timed part
    if spec["workload"] in ("bulk", "scale", "udp"):
        from bench import impl_asyncio_more

        return _run(impl_asyncio_more.client(spec), spec)
    return _run(_client(spec), spec)


# ---------------------------------------------------------------- local work


async def _timers(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    delays = delaysFor(spec)
    expected = len(delays) - len(delays) // 4
    allFired = loop.create_future()
    fired = [0]

    def tick() -> None:
        fired[0] += 1
        if fired[0] == expected:
            allFired.set_result(now())

    start = startClock()
    toCancel = []
    for i, delay in enumerate(delays):
        handle = loop.call_later(delay, tick)
        if i % 4 == 3:
            toCancel.append(handle)
    for handle in toCancel:
        handle.cancel()
    end = await allFired
    return {"elapsed": end - start, "ops": len(delays)}


async def _deferreds(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    count = spec["count"]
    allFired = loop.create_future()
    fired = [0]

    def step(future: Any) -> None:
        pass

    def last(future: Any) -> None:
        fired[0] += 1
        if fired[0] == count:
            allFired.set_result(now())

    gc.collect()
    if not spec["gc"]:
        gc.disable()
    start = startClock()
    for i in range(count):
        f = loop.create_future()
        f.add_done_callback(step)
        f.add_done_callback(step)
        f.add_done_callback(last)
        f.set_result(i)
    end = await allFired
    gc.enable()
    return {"elapsed": end - start, "ops": count}


def local(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["workload"] in ("bulk", "spawn", "procstream"):
        from bench import impl_asyncio_more

        return _run(impl_asyncio_more.local(spec), spec)
    work = _timers if spec["workload"] == "timers" else _deferreds
    return _run(work(spec), spec)


def _run(coro: Any, spec: dict[str, Any]) -> dict[str, Any]:
    if spec["framework"] == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def bounded() -> dict[str, Any]:
        try:
            return await asyncio.wait_for(coro, spec["timeout"])
        except TimeoutError:
            raise BenchFailure(f"gave up after {spec['timeout']} s") from None

    return asyncio.run(bounded())


if __name__ == "__main__":
    childMain(serve, client, local)
    sys.exit(0)
