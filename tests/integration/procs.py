"""Helpers for the process tests: a recording ProcessProtocol and a spawn-and-wait."""

from __future__ import annotations

from typing import Any

from plait.defer import Deferred
from plait.failure import Failure
from plait.protocol import ProcessProtocol
from tests.helpers import runUntil

SH = "/bin/sh"


class Recorder(ProcessProtocol):
    """Records every callback in ``events``; ``ended`` fires with the trace at processEnded.

    ``out``/``err`` collect fd 1 and fd 2; ``data[fd]`` any descriptor.
    ``onMade(transport)`` runs in connectionMade.
    """

    def __init__(self, onMade: Any = None) -> None:
        self.events: list[Any] = []
        self.data: dict[int, bytes] = {}
        self.ended: Deferred[list[Any]] = Deferred()
        self.exitedReason: Failure | None = None
        self.endedReason: Failure | None = None
        self.onMade = onMade
        self.inCall: list[str] = []  # names of user calls in progress (re-entrancy checks)

    @property
    def out(self) -> bytes:
        return self.data.get(1, b"")

    @property
    def err(self) -> bytes:
        return self.data.get(2, b"")

    def _note(self, event: Any) -> None:
        if self.inCall:
            event = (event, "inside", self.inCall[-1])
        self.events.append(event)

    def connectionMade(self) -> None:
        self._note("connectionMade")
        if self.onMade is not None:
            self.onMade(self.transport)

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        self.data[childFD] = self.data.get(childFD, b"") + data
        if not self.events or self.events[-1] != ("data", childFD):
            self._note(("data", childFD))
        super().childDataReceived(childFD, data)

    def childConnectionLost(self, childFD: int) -> None:
        self._note(("lost", childFD))
        super().childConnectionLost(childFD)

    def processExited(self, reason: Failure) -> None:
        self.exitedReason = reason
        self._note("processExited")

    def processEnded(self, reason: Failure) -> None:
        self.endedReason = reason
        self._note("processEnded")
        self.ended.callback(self.events)


def spawnAndWait(reactor: Any, *args: Any, timeout: float = 10.0, **kw: Any) -> Recorder:
    """Spawn with a fresh Recorder (``args``/``kw`` as for spawnProcess) and run to processEnded."""
    onMade = kw.pop("onMade", None)
    proto = Recorder(onMade)
    reactor.spawnProcess(proto, *args, **kw)
    runUntil(reactor, proto.ended, timeout)
    return proto


def assertWellOrdered(events: list[Any], fds: tuple[int, ...] = (0, 1, 2)) -> None:
    """Twisted's order: connectionMade first; each fd's data before its loss,
    each fd lost once; processExited once, before processEnded, which is last."""
    assert events[0] == "connectionMade"
    assert events[-1] == "processEnded"
    assert events.count("processExited") == 1
    assert events.count("processEnded") == 1
    assert events.index("processExited") < events.index("processEnded")
    for fd in fds:
        assert events.count(("lost", fd)) == 1, events
        lostAt = events.index(("lost", fd))
        assert all(i < lostAt for i, e in enumerate(events) if e == ("data", fd)), events
    assert not any(isinstance(e, tuple) and "inside" in e for e in events), events
