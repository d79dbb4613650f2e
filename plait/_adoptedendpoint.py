"""``AdoptedStreamServerEndpoint``: listen on a socket somebody else opened.

Part of ``plait.endpoints`` (which re-exports it); also its description
parser, ``fd:fileno=3:domain=INET`` for ``serverFromString`` (Twisted's
``fd`` endpoint type: a systemd-style inherited listening socket).

Rules (Twisted's): the endpoint listens once (``AlreadyListened`` after
that); ``listen`` makes the descriptor non-blocking, hands it to
``reactor.adoptStreamPort`` (which duplicates it) and closes the original;
any failure comes back as a failed Deferred.

Tests: tests/integration/test_endpoints_real.py ("adopted").
"""

from __future__ import annotations

import os
import socket
from typing import Any

from zope.interface import implementer

from plait import error
from plait._endpointgrammar import _registerServerParser, _takePositional, _toInt
from plait.defer import Deferred, fail, succeed
from plait.interfaces import IStreamServerEndpoint, IStreamServerEndpointStringParser

__all__ = ["AdoptedStreamServerEndpoint"]


@implementer(IStreamServerEndpoint)
class AdoptedStreamServerEndpoint:
    """An endpoint that listens on the already listening socket ``fileno``."""

    _close = staticmethod(os.close)

    def __init__(self, reactor: Any, fileno: int, addressFamily: int) -> None:
        self.reactor = reactor
        self.fileno = fileno
        self.addressFamily = addressFamily
        self._used = False

    def _setNonBlocking(self, fileno: int) -> None:
        os.set_blocking(fileno, False)

    def listen(self, factory: Any) -> Deferred[Any]:
        """Adopt the socket for ``factory``; a Deferred of the port."""
        if self._used:
            return fail(error.AlreadyListened())
        self._used = True
        try:
            self._setNonBlocking(self.fileno)
            port = self.reactor.adoptStreamPort(self.fileno, self.addressFamily, factory)
            self._close(self.fileno)
        except Exception:  # noqa: BLE001 - reported through the Deferred
            return fail()
        return succeed(port)


@implementer(IStreamServerEndpointStringParser)
class _FDServerParser:
    """``fd:fileno=3:domain=INET`` (or ``INET6``, ``UNIX``)."""

    prefix = "fd"

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> AdoptedStreamServerEndpoint:
        given = _takePositional(["fileno", "domain"], args, kwargs)
        unknown = set(given) - {"fileno", "domain"}
        if unknown or "fileno" not in given:
            raise TypeError(f"fd endpoints take fileno and domain, not {sorted(unknown) or 'no fileno'}")
        domain = given.get("domain", "INET")
        family = getattr(socket, f"AF_{domain}", None)
        if family is None or domain not in ("INET", "INET6", "UNIX"):
            raise ValueError(f"unknown domain {domain!r} (INET, INET6 or UNIX)")
        return AdoptedStreamServerEndpoint(reactor, _toInt("fileno", given["fileno"]), family)


_registerServerParser(_FDServerParser())
