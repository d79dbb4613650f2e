"""The transport contract on plait.testing's in-memory connected pair.

Each pair is ``connectedServerAndClient`` with the given protocol instances;
``run`` pumps until the condition holds and fails once the pump goes quiet
without it (nothing else could ever make it true).

Tests: the suite in ``transport_contract.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from plait.testing import IOPump, connectedServerAndClient

from .transport_contract import RecordingProtocol, TransportContract


class _MemoryPair:
    """A connected in-memory pair (see the pair protocol in transport_contract)."""

    def __init__(self, client: RecordingProtocol, server: RecordingProtocol) -> None:
        self.client = client
        self.server = server
        _, _, self.pump = connectedServerAndClient(lambda: server, lambda: client)

    def run(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        pump: IOPump = self.pump
        while not until():
            if not pump.pump():
                raise AssertionError("the pump went quiet before the condition held")

    def close(self) -> None:
        for side in (self.client, self.server):
            if not side.lost:
                side.transport.abortConnection()
        self.pump.flush()
        assert self.client.lost and self.server.lost


class TestMemoryPairContract(TransportContract):
    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _MemoryPair:
        return _MemoryPair(client, server)
