"""The transport contract on pipes: two ``StandardIO`` transports facing each other.

Each pair is two ``os.pipe()``\\ s, client stdout -> server stdin and server
stdout -> client stdin, so every byte goes through the ``ProcessReader`` /
``ProcessWriter`` a child process's pipes use, on a real reactor.

Pipes have no addresses and cannot be reset: ``test_addresses`` checks
``PipeAddress`` instead, and ``StandardIO`` has no ``abortConnection`` (nor
has Twisted's), so the abort tests check that it is absent.

Tests: the suite in ``transport_contract.py``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from plait.stdio import PipeAddress, StandardIO

from .transport_contract import Pair, RecordingProtocol, TransportContract


class _PipePair:
    def __init__(self, reactor: Any, client: RecordingProtocol, server: RecordingProtocol) -> None:
        self.reactor = reactor
        self.client = client
        self.server = server
        toServer, fromClient = os.pipe()
        toClient, fromServer = os.pipe()
        self.fds = [toServer, fromClient, toClient, fromServer]
        StandardIO(server, stdin=toServer, stdout=fromServer, reactor=reactor)
        StandardIO(client, stdin=toClient, stdout=fromClient, reactor=reactor)

    def run(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached within {timeout} s")
            self.reactor.iterate(0.01)

    def close(self) -> None:
        for side in (self.client, self.server):
            if not side.lost:
                side.transport.loseConnection()
        self.run(lambda: self.client.lost and self.server.lost)
        for fd in self.fds:
            os.close(fd)


class TestPipeContract(TransportContract):
    @pytest.fixture(autouse=True)
    def _useReactor(self, reactor: Any) -> None:
        self.reactor = reactor

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _PipePair:
        return _PipePair(self.reactor, client, server)

    def test_addresses(self, connect: Callable[..., Pair]) -> None:
        """Both ends of a pipe pair report PipeAddress for host and peer."""
        pair = connect()
        for t in (pair.client.transport, pair.server.transport):
            assert isinstance(t.getHost(), PipeAddress) and isinstance(t.getPeer(), PipeAddress)

    def test_abortConnectionDropsBuffer(self, connect: Callable[..., Pair]) -> None:
        """StandardIO has no abortConnection, as in Twisted (pipes cannot be reset)."""
        pair = connect()
        assert not hasattr(pair.client.transport, "abortConnection")

    test_abortAfterLoseConnection = test_abortConnectionDropsBuffer
