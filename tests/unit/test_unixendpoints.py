"""UNIX endpoints and the ``unix:``/``systemd:`` descriptions, on a MemoryReactor.

The endpoints are checked by what they ask of the reactor (``unixClients``,
``unixServers``); the real sockets are tests/integration/test_unix.py's.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

from plait import error
from plait._unixendpoints import _ListenFDs, _SystemdParser
from plait.address import UNIXAddress
from plait.endpoints import (
    AdoptedStreamServerEndpoint,
    UNIXClientEndpoint,
    UNIXServerEndpoint,
    clientFromString,
    serverFromString,
)
from plait.protocol import Factory, Protocol
from plait.testing import MemoryReactorClock, RaisingMemoryReactor
from tests.helpers import assertNoResult, failureResultOf, successResultOf


def test_clientEndpointCallsConnectUNIX() -> None:
    """UNIXClientEndpoint hands path, timeout and checkPID to connectUNIX."""
    reactor = MemoryReactorClock()
    d = UNIXClientEndpoint(reactor, "/run/app.sock", timeout=7, checkPID=True).connect(
        Factory.forProtocol(Protocol))
    assertNoResult(d)
    address, factory, timeout, checkPID = reactor.unixClients[0]
    assert (address, timeout, checkPID) == ("/run/app.sock", 7, True)
    proto = factory.buildProtocol(UNIXAddress("/run/app.sock"))
    from plait.testing import StringTransport

    proto.makeConnection(StringTransport())
    assert isinstance(successResultOf(d), Protocol)


def test_clientEndpointFailureAndCancel() -> None:
    """A connect failure fails the Deferred; cancelling names the destination."""
    reactor = MemoryReactorClock()
    d = UNIXClientEndpoint(reactor, "/run/app.sock").connect(Factory.forProtocol(Protocol))
    d.cancel()
    failure = failureResultOf(d, error.ConnectingCancelledError)
    assert failure.value.address == UNIXAddress("/run/app.sock")
    raising = RaisingMemoryReactor(connectException=error.BadFileError("x"))
    failureResultOf(UNIXClientEndpoint(raising, "/x").connect(Factory()), error.BadFileError)


def test_serverEndpointCallsListenUNIX() -> None:
    """UNIXServerEndpoint hands its arguments to listenUNIX; errors come through the Deferred."""
    reactor = MemoryReactorClock()
    factory = Factory.forProtocol(Protocol)
    port = successResultOf(UNIXServerEndpoint(reactor, "/run/s", 5, 0o600, True).listen(factory))
    assert reactor.unixServers == [("/run/s", factory, 5, 0o600, True)]
    assert port.getHost() == UNIXAddress("/run/s")
    raising = RaisingMemoryReactor(listenException=error.CannotListenError(None, b"/x", "no"))
    failureResultOf(UNIXServerEndpoint(raising, "/x").listen(factory), error.CannotListenError)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("unix:/var/run/app.sock", ("/var/run/app.sock", 30, False)),
        ("unix:path=/var/run/app.sock:timeout=9", ("/var/run/app.sock", 9, False)),
        ("unix:/var/run/app.sock:lockfile=1", ("/var/run/app.sock", 30, True)),
        ("unix:/var/run/app.sock:lockfile=0", ("/var/run/app.sock", 30, False)),
        ("unix:/var/run/app.sock:checkPID=0", ("/var/run/app.sock", 30, False)),
        ("unix:/var/run/app.sock:checkPID=1", ("/var/run/app.sock", 30, True)),
        ("unix:/a\\:b.sock", ("/a:b.sock", 30, False)),
        ("UNIX:\0abstract", ("\0abstract", 30, False)),
    ],
)
def test_clientStrings(description: str, expected: tuple[str, int, bool]) -> None:
    """``unix:`` client descriptions: path, timeout, lockfile/checkPID as numbers."""
    endpoint = clientFromString(MemoryReactorClock(), description)
    assert isinstance(endpoint, UNIXClientEndpoint)
    assert (endpoint._path, endpoint._timeout, endpoint._checkPID) == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("unix:/var/run/s", ("/var/run/s", 50, 0o666, True)),
        ("unix:/var/run/s:mode=660:backlog=7:lockfile=0", ("/var/run/s", 7, 0o660, False)),
        ("unix:address=/var/run/s:mode=600", ("/var/run/s", 50, 0o600, True)),
    ],
)
def test_serverStrings(description: str, expected: tuple[str, int, int, bool]) -> None:
    """``unix:`` server descriptions: mode in octal, the lock file on by default (Twisted's)."""
    endpoint = serverFromString(MemoryReactorClock(), description)
    assert isinstance(endpoint, UNIXServerEndpoint)
    assert (endpoint._address, endpoint._backlog, endpoint._mode, endpoint._wantPID) == expected


@pytest.mark.parametrize(
    ("kind", "description", "exception", "message"),
    [
        ("client", "unix:", ValueError, "the path is empty"),
        ("client", "unix:timeout=5", TypeError, "missing 1 required positional argument: 'path'"),
        ("client", "unix:/x:timeout=soon", ValueError, r"\(the timeout\)"),
        ("client", "unix:/x:color=red", TypeError, r"unknown arguments \['color'\]"),
        ("client", "unix:/x:lockfile=1:checkPID=1", TypeError, "not both"),
        ("server", "unix:", ValueError, "the path is empty"),
        ("server", "unix:mode=600", TypeError, "missing 1 required positional argument: 'address'"),
        ("server", "unix:/x:mode=rw", ValueError, "octal digits"),
        ("server", "unix:/x:mode=999", ValueError, "octal digits"),
        ("server", "unix:/x:lockfile=yes", ValueError, r"\(the lockfile\)"),
        ("server", "systemd:domain=INET", ValueError, "exactly one of descriptor index or name"),
        ("server", "systemd:domain=INET:index=0:name=a", ValueError, "exactly one"),
        ("server", "systemd:domain=APPLETALK:index=0", ValueError, "unknown domain"),
        ("server", "systemd:index=0", TypeError, "'domain'"),
    ],
)
def test_badDescriptions(kind: str, description: str, exception: type, message: str) -> None:
    """Malformed descriptions name the bad part (and the description)."""
    parse = clientFromString if kind == "client" else serverFromString
    with pytest.raises(exception, match=message) as caught:
        parse(MemoryReactorClock(), description)
    assert repr(description)[1:-1] in str(caught.value) or description in str(caught.value)


def test_listenFDsFromTheEnvironment() -> None:
    """LISTEN_PID must be ours; LISTEN_FDS counts from 3; names are optional;
    the variables are removed once read (as Twisted does)."""
    environ = {"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "web:admin"}
    inherited = _ListenFDs.fromEnvironment(environ)
    assert inherited.descriptors == [3, 4]
    assert inherited.byName("admin") == 4
    assert inherited.byIndex(0) == 3
    assert "LISTEN_PID" not in environ and "LISTEN_FDS" not in environ
    with pytest.raises(IndexError, match="LISTEN_FDS gave 2"):
        inherited.byIndex(2)
    with pytest.raises(KeyError, match="'web'"):
        inherited.byName("nope")
    assert _ListenFDs.fromEnvironment({"LISTEN_PID": "1", "LISTEN_FDS": "2"}).descriptors == []
    unnamed = _ListenFDs.fromEnvironment({"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1"})
    assert unnamed.byIndex(0) == 3


def test_systemdDescription(monkeypatch: pytest.MonkeyPatch) -> None:
    """``systemd:`` builds an AdoptedStreamServerEndpoint for the inherited descriptor."""
    parser = _SystemdParser()
    monkeypatch.setattr(parser, "_environ", {
        "LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "web:sock"})
    reactor: Any = MemoryReactorClock()
    endpoint = parser.parseStreamServer(reactor, domain="UNIX", name="sock")
    assert isinstance(endpoint, AdoptedStreamServerEndpoint)
    assert (endpoint.fileno, endpoint.addressFamily) == (4, socket.AF_UNIX)
    endpoint = parser.parseStreamServer(reactor, "INET6", "0")
    assert (endpoint.fileno, endpoint.addressFamily) == (3, socket.AF_INET6)
