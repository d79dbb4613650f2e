"""The newer workloads written as an asyncio user would write them.

The same work as ``impl_twisted_more.py`` (see its docstring): bulk echo
(separate processes, or one), scale, a multicore worker on an inherited
listening socket (``create_server(sock=...)``, stopped by SIGTERM through
``loop.add_signal_handler``), and subprocesses (``create_subprocess_exec``
+ ``communicate()`` for spawn-and-collect, ``subprocess_exec`` with a
``SubprocessProtocol`` for the stdout stream), and the UDP echo
(``create_datagram_endpoint``, the client with ``remote_addr``).  Every coroutine here runs
under ``impl_asyncio._run`` (asyncio or uvloop, bounded by the timeout).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from typing import Any

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
from bench.impl_asyncio import Echo, ServerState, clientSSL, serverSSL

# ---------------------------------------------------------------- bulk echo


class BulkClient(asyncio.Protocol):
    def __init__(self, run: BulkRun) -> None:
        self.run = run
        self.received = 0
        self.closed = run.loop.create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def start(self, pieces: list[tuple[int, int]]) -> None:
        block, write = self.run.block, self.transport.write
        for begin, end in pieces:
            write(block[begin:end])

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received == self.run.total:
            self.run.finished()
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)


class BulkRun:
    def __init__(self, spec: dict[str, Any], port: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.spec = spec
        self.port = port
        self.block = bulkBlock(spec)
        self.total = spec["total"]
        self.connections = spec["connections"]
        self.plans = [bulkPieces(spec, i) for i in range(self.connections)]
        self.done = 0
        self.endTime = 0.0

    def finished(self) -> None:
        self.done += 1
        if self.done == self.connections:
            self.endTime = now()

    async def connect(self) -> BulkClient:
        _, proto = await self.loop.create_connection(lambda: BulkClient(self), HOST, self.port,
                                                     **clientSSL(self.spec))
        return proto

    async def run(self) -> dict[str, Any]:
        start = startClock()
        protos = await asyncio.gather(*(self.connect() for _ in range(self.connections)))
        for proto, plan in zip(protos, self.plans, strict=True):
            proto.start(plan)
        await asyncio.gather(*(p.closed for p in protos))
        if self.done != self.connections:
            raise BenchFailure(f"finished {self.done} of {self.connections}")
        return {"elapsed": self.endTime - start, "ops": self.total * self.connections}


async def bulkLocal(spec: dict[str, Any]) -> dict[str, Any]:
    """Server and clients on this one loop."""
    loop = asyncio.get_running_loop()
    state = ServerState(spec["connections"], 0)
    server = await loop.create_server(lambda: Echo(state), HOST, 0, backlog=spec["backlog"],
                                      ssl=serverSSL(spec))
    report = await BulkRun(spec, server.sockets[0].getsockname()[1]).run()
    await state.finished
    server.close()
    await server.wait_closed()
    return report


# ---------------------------------------------------------------- scale


class ScaleEcho(asyncio.Protocol):
    def __init__(self, state: ScaleServer) -> None:
        self.state = state

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.state.accepted(self)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.closed()


class ScaleServer:
    """As impl_twisted_more.ScaleServerFactory: RSS and poll cost once all are
    up (a ``call_soon`` chain: each link runs in the next loop pass), then ``g``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.expected = spec["connections"]
        self.passes = spec["poll_passes"]
        self.count = self.gone = 0
        self.last: ScaleEcho | None = None
        self.rssConnected = 0
        self.pollMicros = 0.0
        self.finished = self.loop.create_future()

    def accepted(self, proto: ScaleEcho) -> None:
        self.count += 1
        self.last = proto
        if self.count == self.expected:
            self.loop.call_soon(self.allUp)

    def allUp(self) -> None:
        self.rssConnected = currentRSSKiB()
        left = [self.passes]
        # CPU time, not wall time: an empty pass is all CPU (epoll_wait with
        # a zero timeout), and other load on the machine must not count.
        began = time.process_time()

        def step() -> None:
            left[0] -= 1
            if left[0]:
                self.loop.call_soon(step)
                return
            self.pollMicros = (time.process_time() - began) / self.passes * 1e6
            assert self.last is not None
            self.last.transport.write(b"g")

        self.loop.call_soon(step)

    def closed(self) -> None:
        self.gone += 1
        if self.gone == self.expected:
            self.finished.set_result(None)


async def serveScale(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    state = ScaleServer(spec)
    servers = [await loop.create_server(lambda: ScaleEcho(state), HOST, 0,
                                        backlog=spec["backlog"], ssl=serverSSL(spec))
               for _ in range(spec["listen_ports"])]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    ctx.announce(ports[0], ports)
    await state.finished
    for server in servers:
        server.close()
        await server.wait_closed()
    return {"connections": state.gone, "rss_connected_kib": state.rssConnected,
            "metrics": {"poll_us": state.pollMicros}}


class ScaleClient(asyncio.Protocol):
    def __init__(self, run: ScaleRun) -> None:
        self.run = run
        self.busy = False
        self.closed = run.loop.create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def start(self, rounds: int) -> None:
        self.busy = True
        self.left = rounds
        self.send()

    def send(self) -> None:
        self.pending = len(self.run.message)
        self.transport.write(self.run.message)

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # the server's "all up" byte
            self.run.go.set_result(None)
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

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)


class ScaleRun:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.spec = spec
        self.message = b"x" * spec["size"]
        self.go = self.loop.create_future()
        self.waiting = 0
        self.phaseDone: asyncio.Future[None] = self.loop.create_future()

    async def connect(self, index: int) -> ScaleClient:
        ports = self.spec["ports"]
        _, proto = await self.loop.create_connection(
            lambda: ScaleClient(self), HOST, ports[index % len(ports)], **clientSSL(self.spec))
        return proto

    def roundsDone(self) -> None:
        self.waiting -= 1
        if not self.waiting:
            self.phaseDone.set_result(None)

    async def rounds(self, protos: list[ScaleClient], rounds: int) -> None:
        self.waiting = len(protos)
        self.phaseDone = self.loop.create_future()
        for proto in protos:
            proto.start(rounds)
        await self.phaseDone

    async def run(self) -> dict[str, float]:
        spec, n = self.spec, self.spec["connections"]
        times = {"start": startClock()}
        limit = asyncio.Semaphore(spec["inflight"])

        async def bounded(index: int) -> ScaleClient:
            async with limit:
                return await self.connect(index)

        protos = await asyncio.gather(*(bounded(i) for i in range(n)))
        times["connected"] = now()
        await self.go
        count = min(spec["probe_connections"], n)
        times["probe"] = now()
        await self.rounds(protos[:: n // count][:count], spec["probe_rounds"])
        times["probed"] = times["active"] = now()
        await self.rounds(protos, spec["rounds"])
        times["end"] = now()
        for proto in protos:
            proto.transport.close()
        await asyncio.gather(*(p.closed for p in protos))
        return times


async def scaleClient(spec: dict[str, Any]) -> dict[str, Any]:
    return scaleReport(spec, await ScaleRun(spec).run())


# ---------------------------------------------------------------- multicore


class Counting(asyncio.Protocol):
    """Echo; count the connections this worker served."""

    served = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        Counting.served += 1


async def serveAdopted(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, fileno=os.dup(spec["fd"]))
    server = await loop.create_server(Counting, sock=sock, backlog=spec["backlog"])
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    ctx.announce(sock.getsockname()[1])
    await stop
    server.close()
    await server.wait_closed()
    return {"connections": Counting.served}


# ---------------------------------------------------------------- processes


async def spawn(spec: dict[str, Any]) -> dict[str, Any]:
    """``true`` ``count`` times, one after another, output collected."""
    start = startClock()
    for i in range(spec["count"]):
        proc = await asyncio.create_subprocess_exec(
            "true", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={})
        out, err = await proc.communicate()
        if out or err or proc.returncode:
            raise BenchFailure(f"spawn {i}: exit {proc.returncode}, {out!r}, {err!r}")
    return {"elapsed": now() - start, "ops": spec["count"]}


class CountOutput(asyncio.SubprocessProtocol):
    """Count stdout; ended (as Twisted's ``processEnded``) once stdout and
    stderr are closed and the process has been reaped."""

    def __init__(self) -> None:
        self.received = 0
        self.exited = asyncio.get_running_loop().create_future()
        self.waitingFor = {1, 2, "exit"}

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            self.received += len(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self._ended(fd)

    def process_exited(self) -> None:
        self._ended("exit")

    def _ended(self, what: int | str) -> None:
        self.waitingFor.discard(what)
        if not self.waitingFor and not self.exited.done():
            self.exited.set_result(now())


async def procstream(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    command = producerCommand(spec["total"])
    start = startClock()
    transport, proto = await loop.subprocess_exec(
        CountOutput, *command, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={})
    end = await proto.exited
    transport.close()
    if proto.received != spec["total"]:
        raise BenchFailure(f"read {proto.received} of {spec['total']} bytes")
    return {"elapsed": end - start, "ops": spec["total"]}


# ---------------------------------------------------------------- UDP echo


class DatagramEcho(asyncio.DatagramProtocol):
    """Send every datagram back where it came from; done after ``expected``."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.transport.sendto(data, addr)
        self.count += 1
        if self.count == self.expected:
            self.done.set_result(None)


async def serveUDP(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    transport, echo = await loop.create_datagram_endpoint(
        lambda: DatagramEcho(spec["count"]), local_addr=(HOST, 0))
    ctx.announce(transport.get_extra_info("sockname")[1])
    await echo.done
    transport.close()
    return {"connections": 1, "received": echo.count}


class DatagramWindow(asyncio.DatagramProtocol):
    """A connected datagram endpoint keeping ``window`` datagrams in flight:
    each reply sends the next, until ``count`` have come back."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.count = spec["count"]
        self.window = spec["window"]
        self.message = b"x" * spec["size"]
        self.sent = self.replies = 0
        self.endTime = 0.0
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.sent = min(self.window, self.count)
        for _ in range(self.sent):
            transport.sendto(self.message)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.replies += 1
        if self.sent < self.count:
            self.sent += 1
            self.transport.sendto(self.message)
        elif self.replies == self.count:
            self.endTime = now()
            self.done.set_result(None)


async def udpClient(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = startClock()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: DatagramWindow(spec), local_addr=(HOST, 0), remote_addr=(HOST, spec["port"]))
    await proto.done
    transport.close()
    return {"elapsed": proto.endTime - start, "ops": proto.count}


# ---------------------------------------------------------------- dispatch


async def serve(spec: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    if spec["workload"] == "multicore":
        return await serveAdopted(spec, ctx)
    if spec["workload"] == "udp":
        return await serveUDP(spec, ctx)
    return await serveScale(spec, ctx)


async def client(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["workload"] == "bulk":
        return await BulkRun(spec, spec["port"]).run()
    if spec["workload"] == "udp":
        return await udpClient(spec)
    return await scaleClient(spec)


async def local(spec: dict[str, Any]) -> dict[str, Any]:
    work = {"bulk": bulkLocal, "spawn": spawn, "procstream": procstream}[spec["workload"]]
    return await work(spec)
