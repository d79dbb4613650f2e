"""Endpoints over pipes: ``ProcessEndpoint``, ``StandardIOEndpoint``, ``stdio:``.

What it owns: the client endpoint that starts a child process and speaks a
stream protocol (``IProtocol``) over its stdin and stdout, the server
endpoint that speaks one over the program's own stdin and stdout, and the
``stdio:`` description string.  ``plait.endpoints`` re-exports the public
names; this module registers its parser with the shared registry of
``plait._endpointgrammar``.

How ``ProcessEndpoint.connect`` works: the user's factory builds a protocol
for a ``_ProcessAddress``; ``_WrapIProtocol`` (an ``IProcessProtocol``)
stands between it and the process transport::

    connect(f) -> proto = f.buildProtocol(_ProcessAddress())
        -> reactor.spawnProcess(_WrapIProtocol(proto), ...)
            -> makeConnection: proto.makeConnection(_ProcessEndpointTransport)
        -> Deferred fires with proto (connectionMade has run)
    child's stdout -> proto.dataReceived; stderr -> logged or dropped (errFlag)
    processEnded -> proto.connectionLost(ConnectionDone for exit code 0,
                                         else the ProcessTerminated)

Rules: a ``spawnProcess`` that raises (a missing program, bad arguments)
becomes the failed Deferred of ``connect``; ``StandardIOEndpoint.listen``
fires with the ``StandardIO`` transport.

Tests: tests/unit/test_processendpoints.py, tests/integration/test_stdio.py.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._endpointgrammar import _registerServerParser
from plait.address import _ProcessAddress
from plait.defer import Deferred, fail, succeed
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    IProcessTransport,
    IPushProducer,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)
from plait.protocol import ProcessProtocol
from plait.stdio import PipeAddress, StandardIO

__all__ = ["ProcessEndpoint", "StandardErrorBehavior", "StandardIOEndpoint"]


class StandardErrorBehavior(enum.Enum):
    """What ``ProcessEndpoint`` does with the child's stderr: ``LOG`` or ``DROP`` it."""

    LOG = "log"
    DROP = "drop"


@implementer(IProcessTransport, IConsumer, IPushProducer)
class _ProcessEndpointTransport:
    """The process transport, as the stream protocol of a ``ProcessEndpoint`` sees it.

    Every call goes to the process transport (``_process``).
    """

    def __init__(self, process: Any) -> None:
        self._process = process

    @property
    def pid(self) -> int | None:
        return self._process.pid  # type: ignore[no-any-return]

    @property
    def disconnecting(self) -> bool:
        """True once ``loseConnection`` was called (``LineReceiver`` reads it)."""
        return bool(self._process.disconnecting)

    def write(self, data: bytes) -> None:
        self._process.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self._process.writeSequence(data)

    def loseConnection(self) -> None:
        self._process.loseConnection()

    def getPeer(self) -> Any:
        return self._process.getPeer()

    def getHost(self) -> Any:
        return self._process.getHost()

    def closeStdin(self) -> None:
        self._process.closeStdin()

    def closeStdout(self) -> None:
        self._process.closeStdout()

    def closeStderr(self) -> None:
        self._process.closeStderr()

    def closeChildFD(self, descriptor: int) -> None:
        self._process.closeChildFD(descriptor)

    def writeToChild(self, childFD: int, data: bytes) -> None:
        self._process.writeToChild(childFD, data)

    def signalProcess(self, signalID: str | int) -> None:
        self._process.signalProcess(signalID)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self._process.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self._process.unregisterProducer()

    def pauseProducing(self) -> None:
        self._process.pauseProducing()

    def resumeProducing(self) -> None:
        self._process.resumeProducing()

    def stopProducing(self) -> None:
        self._process.stopProducing()


class _WrapIProtocol(ProcessProtocol):
    """The process protocol standing in for a stream protocol (see the module docstring)."""

    def __init__(self, proto: Any, executable: Any, errFlag: StandardErrorBehavior) -> None:
        self.protocol = proto
        self.executable = executable
        self.errFlag = errFlag

    def makeConnection(self, process: Any) -> None:
        self.transport = _ProcessEndpointTransport(process)
        self.protocol.makeConnection(self.transport)

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD == 1:
            self.protocol.dataReceived(data)
        elif childFD == 2 and self.errFlag is StandardErrorBehavior.LOG:
            log.msg(
                format="Process %(executable)r wrote stderr unhandled by %(protocol)s: %(data)s",
                executable=self.executable,
                protocol=self.protocol,
                data=data,
            )

    def processEnded(self, reason: Failure) -> None:
        if reason.check(error.ProcessDone) and reason.value.status == 0:
            self.protocol.connectionLost(Failure(error.ConnectionDone()))
        else:
            self.protocol.connectionLost(reason)


@implementer(IStreamClientEndpoint)
class ProcessEndpoint:
    """A client endpoint that starts a child and speaks over its stdin and stdout.

    The arguments are ``spawnProcess``'s (``args`` includes the program's
    name, ``env`` defaults to an empty environment), plus ``errFlag``:
    ``StandardErrorBehavior.LOG`` (the default) logs what the child writes
    to stderr, ``DROP`` ignores it.
    """

    def __init__(
        self, reactor: Any, executable: Any, args: Any = (), env: Any = {},  # noqa: B006 - Twisted's default, never mutated
        path: Any = None, uid: int | None = None, gid: int | None = None, usePTY: Any = 0,
        childFDs: Any = None, errFlag: StandardErrorBehavior = StandardErrorBehavior.LOG,
    ) -> None:
        if not isinstance(errFlag, StandardErrorBehavior):
            raise TypeError(f"errFlag must be StandardErrorBehavior.LOG or .DROP, not {errFlag!r}")
        self._reactor = reactor
        self._executable = executable
        self._args = args
        self._env = env
        self._path = path
        self._uid = uid
        self._gid = gid
        self._usePTY = usePTY
        self._childFDs = childFDs
        self._errFlag = errFlag
        self._spawnProcess = reactor.spawnProcess

    def __repr__(self) -> str:
        return f"<ProcessEndpoint {self._executable!r}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Start the child; fire with the protocol once its ``connectionMade`` ran.

        Fails with whatever ``spawnProcess`` raised if the child cannot start.
        """
        proto = protocolFactory.buildProtocol(_ProcessAddress())
        try:
            self._spawnProcess(
                _WrapIProtocol(proto, self._executable, self._errFlag),
                self._executable, self._args, self._env, self._path,
                self._uid, self._gid, self._usePTY, self._childFDs,
            )
        except Exception:  # noqa: BLE001 - reported through the Deferred
            return fail()
        return succeed(proto)


@implementer(IStreamServerEndpoint)
class StandardIOEndpoint:
    """A server endpoint for one protocol over the program's own stdin and stdout."""

    _stdio = StandardIO

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor

    def listen(self, stdioProtocolFactory: Any) -> Deferred[Any]:
        """Build a protocol for a ``PipeAddress`` and fire with its ``StandardIO``."""
        try:
            transport = self._stdio(
                stdioProtocolFactory.buildProtocol(PipeAddress()), reactor=self._reactor
            )
        except Exception:  # noqa: BLE001 - reported through the Deferred
            return fail()
        return succeed(transport)


@implementer(IStreamServerEndpointStringParser)
class _StandardIOParser:
    """``stdio:`` (no arguments) -> ``StandardIOEndpoint``."""

    prefix = "stdio"

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> StandardIOEndpoint:
        given = [a for a in args if a] + list(kwargs)  # "stdio:" has one empty argument
        if given:
            raise TypeError(f"stdio takes no arguments, got {given!r}")
        return StandardIOEndpoint(reactor)


_registerServerParser(_StandardIOParser())
