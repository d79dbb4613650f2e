"""The transport contract on real UNIX stream sockets.

Each pair is a ``listenUNIX`` port and a ``connectUNIX`` client on a real
``SelectorReactor``, iterated until the test's condition holds (as
``test_contract_real.py`` does for TCP):

* ``TestUNIXPathContract``: a socket file under ``tmp_path``;
* ``TestUNIXAbstractContract``: a name in Linux's abstract namespace
  (leading NUL byte; no file at all).

Two expectations differ from TCP's: the address check (both ends have
``UNIXAddress`` values, the client's own name is ``UNIXAddress(None)``, an
unnamed socket, and each side's peer is the other's host), and what the
peer of an aborted connection hears: a UNIX socket has no reset, so a
plain end of stream (``ConnectionDone``), as under Twisted.

Tests: the suite in ``transport_contract.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from plait import error
from plait.address import UNIXAddress
from plait.protocol import ClientFactory, Factory

from .test_contract_real import _TCPPair
from .transport_contract import RecordingProtocol, TransportContract


class _UNIXPair(_TCPPair):
    """A connected UNIX client/server pair (``run``/``close`` are the TCP pair's)."""

    def __init__(
        self, reactor: Any, path: str, client: RecordingProtocol, server: RecordingProtocol
    ) -> None:
        self.reactor = reactor
        self.client = client
        self.server = server
        serverFactory = Factory()
        serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
        clientFactory = ClientFactory()
        clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
        self.port = reactor.listenUNIX(path, serverFactory)
        self.connector = reactor.connectUNIX(path, clientFactory)
        self.run(lambda: "connectionMade" in client.events and "connectionMade" in server.events)


class _UNIXContract(TransportContract):
    abortSeenByPeer = error.ConnectionDone  # no reset on a UNIX socket: a plain EOF
    @pytest.fixture(autouse=True)
    def _useReactor(self, reactor: Any, tmp_path: Path) -> None:
        self.reactor = reactor
        self.path = self.socketPath(tmp_path)

    def socketPath(self, tmp_path: Path) -> str:
        raise NotImplementedError

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _UNIXPair:
        return _UNIXPair(self.reactor, self.path, client, server)

    def checkAddresses(self, c: Any, s: Any) -> None:
        for address in (c.getHost(), c.getPeer(), s.getHost(), s.getPeer()):
            assert isinstance(address, UNIXAddress)
        assert c.getPeer() == s.getHost() == UNIXAddress(self.path)
        assert c.getHost() == s.getPeer() == UNIXAddress(None)


class TestUNIXPathContract(_UNIXContract):
    def socketPath(self, tmp_path: Path) -> str:
        return str(tmp_path / "contract.sock")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the abstract namespace is Linux's")
class TestUNIXAbstractContract(_UNIXContract):
    def socketPath(self, tmp_path: Path) -> str:
        # Unique per test (tmp_path is), but no file: the NUL byte says so.
        return f"\0plait-contract-{os.getpid()}-{tmp_path.name}"
