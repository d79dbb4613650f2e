"""UNIX endpoints and description strings: ``unix:`` (client and server), ``systemd:``.

Part of ``plait.endpoints`` (which re-exports ``UNIXClientEndpoint`` and
``UNIXServerEndpoint``).  What it owns:

* ``UNIXClientEndpoint(reactor, path, timeout=30, checkPID=0)`` ->
  ``reactor.connectUNIX``, through ``plait.endpoints``' wrapping factory
  (the Deferred fires after the user's ``connectionMade``);
* ``UNIXServerEndpoint(reactor, address, backlog=50, mode=0o666, wantPID=0)``
  -> ``reactor.listenUNIX``;
* the ``unix:`` client string ``unix:PATH[:timeout=30][:lockfile=0]``
  (``path=`` as a keyword too; ``lockfile`` and ``checkPID`` are "0"/"1");
* the ``unix:`` server string ``unix:ADDRESS[:mode=666][:backlog=50][:lockfile=1]``
  (``mode`` in octal, as Twisted's);
* the ``systemd:`` server string ``systemd:domain=INET:index=0`` or
  ``systemd:domain=UNIX:name=NAME``: a socket systemd (or any supervisor
  speaking its protocol, sd_listen_fds(3)) passed down, adopted with
  ``AdoptedStreamServerEndpoint``.

A path that starts with a NUL character is in Linux's abstract namespace,
in strings too: ``clientFromString(reactor, "unix:\\x00name")``.

Rules: endpoint errors arrive through the returned Deferred; description
errors are ``TypeError``/``ValueError`` naming the bad part (unknown
keywords are listed).  ``LISTEN_FDS``/``LISTEN_PID``/``LISTEN_FDNAMES`` are
read once, on first use of ``systemd:``, and ``LISTEN_PID``/``LISTEN_FDS``
are then removed from the environment (as Twisted does), so a child
process does not adopt the same sockets.

Tests: tests/unit/test_unixendpoints.py, tests/integration/test_unix.py.
"""

from __future__ import annotations

import os
import socket
from collections.abc import MutableMapping
from typing import Any

from zope.interface import implementer

from plait._adoptedendpoint import AdoptedStreamServerEndpoint
from plait._endpointgrammar import (
    _registerClientParser,
    _registerServerParser,
    _requireArguments,
    _takePositional,
    _toInt,
)
from plait.defer import Deferred, execute
from plait.interfaces import (
    IStreamClientEndpoint,
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)

__all__ = ["UNIXClientEndpoint", "UNIXServerEndpoint"]


@implementer(IStreamClientEndpoint)
class UNIXClientEndpoint:
    """Connects to a UNIX socket with ``reactor.connectUNIX``.

    ``checkPID``: fail unless a live process holds ``path + ".lock"``.
    """

    def __init__(self, reactor: Any, path: Any, timeout: float = 30, checkPID: Any = 0) -> None:
        self._reactor = reactor
        self._path = path
        self._timeout = timeout
        self._checkPID = checkPID

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path!r}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect; fire with the user's protocol after its ``connectionMade``.

        A missing socket file fails with ``ConnectError`` ("2: No such file
        or directory"), a socket nobody listens on with
        ``ConnectionRefusedError``.
        """
        from plait.endpoints import _connectWrapped

        return _connectWrapped(
            lambda wf: self._reactor.connectUNIX(
                self._path, wf, timeout=self._timeout, checkPID=self._checkPID),
            protocolFactory,
        )


@implementer(IStreamServerEndpoint)
class UNIXServerEndpoint:
    """Listens on a UNIX socket with ``reactor.listenUNIX``.

    ``mode`` is applied to the socket file (Twisted deprecates relying on
    it: set the permissions of the directory instead); ``wantPID`` takes
    the lock file ``address + ".lock"``.
    """

    def __init__(
        self, reactor: Any, address: Any, backlog: int = 50, mode: int = 0o666, wantPID: Any = 0
    ) -> None:
        self._reactor = reactor
        self._address = address
        self._backlog = backlog
        self._mode = mode
        self._wantPID = wantPID

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._address!r}>"

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Fire with the listening port, or fail (typically ``CannotListenError``)."""
        return execute(
            self._reactor.listenUNIX,
            self._address, protocolFactory, backlog=self._backlog, mode=self._mode,
            wantPID=self._wantPID,
        )


# --- description strings ------------------------------------------------------------


def _flag(name: str, value: str) -> bool:
    """A "0"/"1" argument as a bool, with an error naming it."""
    return bool(_toInt(name, value))


def _requirePath(path: str, example: str) -> None:
    if not path:
        raise ValueError(f"the path is empty ({example})")


def _refuseUnknown(params: dict[str, Any], known: set[str], example: str) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise TypeError(f"unknown arguments {unknown} ({example})")


@implementer(IStreamClientEndpointStringParserWithReactor)
class _UNIXClientParser:
    """``unix:PATH[:timeout=30][:lockfile=0]`` -> ``UNIXClientEndpoint``."""

    prefix = "unix"

    def parseStreamClient(self, reactor: Any, *args: str, **kwargs: str) -> UNIXClientEndpoint:
        example = "a UNIX client is unix:PATH, e.g. unix:/run/app.sock:timeout=5"
        params: dict[str, Any] = _takePositional(("path",), args, kwargs)
        _requireArguments(params, ("path",), example)
        _requirePath(params["path"], example)
        _refuseUnknown(params, {"path", "timeout", "lockfile", "checkPID"}, example)
        if "lockfile" in params and "checkPID" in params:
            raise TypeError("give lockfile or checkPID, not both (they are the same option)")
        checkPID = False
        if "lockfile" in params:
            checkPID = _flag("lockfile", params["lockfile"])
        elif "checkPID" in params:
            # Twisted passes this string on unconverted, so "checkPID=0"
            # would check; plait reads it as the number it is.
            checkPID = _flag("checkPID", params["checkPID"])
        timeout = _toInt("timeout", params["timeout"]) if "timeout" in params else 30
        return UNIXClientEndpoint(reactor, params["path"], timeout=timeout, checkPID=checkPID)


@implementer(IStreamServerEndpointStringParser)
class _UNIXServerParser:
    """``unix:ADDRESS[:mode=666][:backlog=50][:lockfile=1]`` -> ``UNIXServerEndpoint``."""

    prefix = "unix"

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> UNIXServerEndpoint:
        example = "a UNIX server is unix:PATH, e.g. unix:/run/app.sock:mode=660"
        params: dict[str, Any] = _takePositional(("address",), args, kwargs)
        _requireArguments(params, ("address",), example)
        _requirePath(params["address"], example)
        _refuseUnknown(params, {"address", "mode", "backlog", "lockfile"}, example)
        try:
            mode = int(params.get("mode", "666"), 8)
        except ValueError:
            raise ValueError(f"mode must be octal digits, like 660, not {params['mode']!r}") from None
        backlog = _toInt("backlog", params["backlog"]) if "backlog" in params else 50
        wantPID = _flag("lockfile", params["lockfile"]) if "lockfile" in params else True
        return UNIXServerEndpoint(reactor, params["address"], backlog=backlog, mode=mode,
                                  wantPID=wantPID)


class _ListenFDs:
    """The sockets a supervisor passed down (sd_listen_fds(3)): descriptors 3, 4...

    Read from ``LISTEN_PID`` (must be our pid), ``LISTEN_FDS`` (how many) and
    ``LISTEN_FDNAMES`` (colon-separated names, optional).
    """

    START = 3

    def __init__(self, descriptors: list[int], names: list[str]) -> None:
        self.descriptors = descriptors
        self.names = names

    @classmethod
    def fromEnvironment(cls, environ: MutableMapping[str, str]) -> _ListenFDs:
        if environ.get("LISTEN_PID") != str(os.getpid()):
            return cls([], [])
        try:
            count = int(environ.get("LISTEN_FDS", "0"))
        except ValueError:
            count = 0
        names = environ.get("LISTEN_FDNAMES", "")
        for variable in ("LISTEN_PID", "LISTEN_FDS"):
            environ.pop(variable, None)
        return cls(list(range(cls.START, cls.START + count)), names.split(":") if names else [])

    def byIndex(self, index: int) -> int:
        if not 0 <= index < len(self.descriptors):
            raise IndexError(
                f"no inherited descriptor with index {index}: LISTEN_FDS gave "
                f"{len(self.descriptors)} (is this process started by systemd?)")
        return self.descriptors[index]

    def byName(self, name: str) -> int:
        named = dict(zip(self.names, self.descriptors))
        if name not in named:
            raise KeyError(
                f"no inherited descriptor named {name!r}: LISTEN_FDNAMES gave "
                f"{sorted(named) or 'none'}")
        return named[name]


@implementer(IStreamServerEndpointStringParser)
class _SystemdParser:
    """``systemd:domain=INET:index=0`` or ``systemd:domain=UNIX:name=web``."""

    prefix = "systemd"
    _environ: MutableMapping[str, str] = os.environ
    _listenFDs: _ListenFDs | None = None

    def _inherited(self) -> _ListenFDs:
        if self._listenFDs is None:
            self._listenFDs = _ListenFDs.fromEnvironment(self._environ)
        return self._listenFDs

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> AdoptedStreamServerEndpoint:
        example = "e.g. systemd:domain=INET:index=0 or systemd:domain=UNIX:name=web"
        params = _takePositional(("domain", "index", "name"), args, kwargs)
        _requireArguments(params, ("domain",), example)
        _refuseUnknown(params, {"domain", "index", "name"}, example)
        if ("index" in params) == ("name" in params):
            raise ValueError("Specify exactly one of descriptor index or name")
        family = getattr(socket, "AF_" + params["domain"], None)
        if family is None or params["domain"] not in ("INET", "INET6", "UNIX"):
            raise ValueError(f"unknown domain {params['domain']!r} (INET, INET6 or UNIX)")
        inherited = self._inherited()
        if "index" in params:
            fileno = inherited.byIndex(_toInt("index", params["index"]))
        else:
            fileno = inherited.byName(params["name"])
        return AdoptedStreamServerEndpoint(reactor, fileno, family)


_registerClientParser(_UNIXClientParser())
_registerServerParser(_UNIXServerParser())
_registerServerParser(_SystemdParser())
