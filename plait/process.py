"""Child processes (``twisted.internet.process``): ``Process``, ``PTYProcess``, reaping.

What it owns: the transport ``reactor.spawnProcess`` returns, which joins
three things -- the child (its pid, signals, its exit status), the pipes to
it (``plait._processpipes``) and the ``IProcessProtocol`` told about both --
and the reaping of children: learning that one exited and collecting its
status, for the children plait spawned and no others.  Starting the child
is ``plait._processspawn``'s job.

A process protocol's life::

    makeConnection(transport) -> connectionMade        (inside spawnProcess)
        [-> childDataReceived(fd, data)]* [-> childConnectionLost(fd)]*
        -> processExited(reason)          (the child was reaped)
        [-> childDataReceived / childConnectionLost for pipes still open]*
        -> processEnded(reason)           (exited AND every pipe closed; last)

``reason`` is a ``Failure`` of ``ProcessDone`` (exit code 0) or
``ProcessTerminated`` (a non-zero ``exitCode``, or ``signal``).

Rules:

* ``connectionMade`` runs inside ``spawnProcess``, as in Twisted: programs
  use ``protocol.transport`` (and ``transport.pid``) as soon as it returns.
  Every later callback is delivered from the loop, never inside a call the
  user made (``closeStdin``, ``loseConnection``, ``signalProcess``...).
* ``_ProcessState`` is the life of the child: RUNNING (``pid`` is set),
  EXITED (reaped: ``pid`` is None, ``status`` set, ``processExited``
  delivered), ENDED (``processEnded`` delivered, the protocol forgotten).
  ``_setState`` checks every move against ``_ALLOWED``.
* An exception from a protocol callback is logged (``log.err``) and the
  process goes on; one from ``childDataReceived`` also loses that pipe, as
  the reactor does for any descriptor whose ``doRead`` raises.
* Only children plait spawned are reaped, each with ``waitpid(pid,
  WNOHANG)`` on its own pid; ``waitpid(-1)`` is never called, so children
  the program started otherwise (``subprocess``, ``os.fork``) are never
  stolen.

Theory of operation: reaping.  Where the kernel has ``pidfd_open(2)`` (Linux
5.3), each child gets a pidfd, registered with the reactor as a reader: it
becomes readable when the child exits, and the reactor calls ``doRead``,
which reaps it.  No signal handler, no polling, and it works whether or not
the reactor installed signal handlers.  Elsewhere (or when ``pidfd_open``
fails), the reactor's own signal handling catches SIGCHLD
(``ReactorBase._watchChildSignal``) and the loop calls ``reapAllProcesses``,
which tries ``waitpid(pid, WNOHANG)`` for each pid in
``reapProcessHandlers``.  Either way a process whose last pipe closes also
tries once on the spot, which saves a pass when the child is already gone.

Deliberate differences from Twisted: ``signalProcess`` on an ended process
raises ``ProcessExitedAlready`` with a message naming the program (Twisted's
has none); a bad ``childFDs`` value raises ``ValueError``/``TypeError``
(Twisted: ``AssertionError``); a missing ``path`` directory raises
``FileNotFoundError`` in ``spawnProcess`` (Twisted's child exits with code
1); ``getHost``/``getPeer`` return a ``_ProcessAddress`` (Twisted raises
``NotImplementedError``); ``writeToChild`` on a descriptor plait does not
write raises ``KeyError`` naming it; the transports have ``disconnecting``
(Twisted's lack it, so a ``LineReceiver`` behind Twisted's
``ProcessEndpoint`` raises ``AttributeError`` on its first line).

Tests: tests/integration/test_process.py, tests/integration/test_process_reaping.py,
tests/unit/test_processspawn.py.
"""

from __future__ import annotations

import enum
import os
import signal
from collections.abc import Iterable, Mapping
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._processpipes import ProcessReader, ProcessWriter, _Pipe, _PTYMaster
from plait._processspawn import checkChildFDs, spawnChild
from plait.address import _ProcessAddress
from plait.error import ProcessExitedAlready
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    IProcessTransport,
    IPushProducer,
    IReadDescriptor,
)

__all__ = [
    "PTYProcess",
    "Process",
    "ProcessExitedAlready",
    "ProcessReader",
    "ProcessWriter",
    "reapAllProcesses",
    "reapProcessHandlers",
    "registerReapProcessHandler",
    "spawnProcess",
    "unregisterReapProcessHandler",
]

#: pid -> process, for every child plait spawned and has not reaped yet.
reapProcessHandlers: dict[int, Any] = {}

#: Whether to try ``os.pidfd_open`` (tests turn it off to run the SIGCHLD way).
_usePidfd: bool = hasattr(os, "pidfd_open")

_SIGNAL_NAMES = {name: getattr(signal, "SIG" + name) for name in ("HUP", "STOP", "INT", "KILL", "TERM")}


def reapAllProcesses() -> None:
    """Reap every registered child that has exited: ``waitpid(pid, WNOHANG)``
    on each pid of ``reapProcessHandlers``, then ``handler.processEnded(status)``."""
    for pid, handler in list(reapProcessHandlers.items()):
        status = _tryReap(pid)
        if status is not None and pid in reapProcessHandlers:
            del reapProcessHandlers[pid]
            # One broken handler must not keep the other children unreaped.
            _callLogged("processEnded", handler.processEnded, status)


def _tryReap(pid: int) -> int | None:
    """The wait status if ``pid`` exited (it is reaped), None if it still runs.

    ``-1`` if somebody else reaped it (a ``waitpid(-1)`` elsewhere, or
    SIGCHLD set to SIG_IGN): the status is lost.
    """
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -1
    return status if done else None


def registerReapProcessHandler(pid: int, process: Any) -> None:
    """Make ``reapAllProcesses`` reap ``pid`` for ``process`` (Twisted's API).

    As in Twisted, a child that already exited is reaped at once, and
    registering a pid twice raises ``RuntimeError``.
    """
    if pid in reapProcessHandlers:
        raise RuntimeError(f"pid {pid} is already registered for reaping")
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        done, status = 0, 0
    if done:
        process.processEnded(status)
    else:
        reapProcessHandlers[pid] = process


def unregisterReapProcessHandler(pid: int, process: Any) -> None:
    """Forget ``pid``; ``RuntimeError`` unless it was registered for ``process``."""
    if reapProcessHandlers.get(pid) is not process:
        raise RuntimeError(f"pid {pid} is not registered for {process!r}")
    del reapProcessHandlers[pid]


@implementer(IReadDescriptor)
class _PidfdWatcher:
    """A child's pidfd, watched by the reactor: readable once the child exits."""

    def __init__(self, process: _BaseProcess, pidfd: int) -> None:
        self.process = process
        self.pidfd = pidfd

    def fileno(self) -> int:
        return self.pidfd

    def doRead(self) -> None:
        self.process.reapProcess()

    def connectionLost(self, reason: Failure) -> None:
        """The reactor shut down (``disconnectAll``): let the pidfd go."""
        self.close()

    def close(self) -> None:
        pidfd, self.pidfd = self.pidfd, -1
        if pidfd >= 0:
            os.close(pidfd)

    def logPrefix(self) -> str:
        return "pidfd"


class _ProcessState(enum.Enum):
    """The life of a child, as its transport sees it."""

    RUNNING = "running"
    EXITED = "exited"  # reaped; pipes may still be open
    ENDED = "ended"  # processEnded delivered

    __hash__ = object.__hash__


_ALLOWED = {
    _ProcessState.RUNNING: frozenset({_ProcessState.EXITED}),
    _ProcessState.EXITED: frozenset({_ProcessState.ENDED}),
    _ProcessState.ENDED: frozenset(),
}


def _callLogged(what: str, method: Any, *args: Any) -> None:
    try:
        method(*args)
    except Exception:  # noqa: BLE001 - a protocol's bug is logged; the process goes on
        log.err(Failure(), f"while calling {what}:")


class _BaseProcess:
    """The child itself: pid, signals, reaping and the two final callbacks.

    Subclasses say when every descriptor is closed (``_descriptorsOpen``).
    """

    pid: int | None = None
    #: The wait status once reaped (-1 while running, as in Twisted).
    status: int = -1
    proto: Any = None
    #: True once ``loseConnection`` was called (stream protocols such as
    #: ``LineReceiver`` look at it; Twisted's process transports lack it).
    disconnecting: bool = False
    _watcher: _PidfdWatcher | None = None

    def __init__(self, reactor: Any, proto: Any, executable: Any) -> None:
        self._reactor = reactor
        self.proto = proto
        self._executable = executable
        self._state = _ProcessState.RUNNING
        self._lastPid: int | None = None

    def _setState(self, new: _ProcessState) -> None:
        if new not in _ALLOWED[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pid={self.pid} status={self.status}>"

    def _connect(self, pid: int) -> None:
        """The child runs: attach the protocol, then watch for the exit."""
        self.pid = self._lastPid = pid
        if self.proto is not None:
            _callLogged("makeConnection", self.proto.makeConnection, self)
        reapProcessHandlers[pid] = self
        if _usePidfd:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                pass  # ENOSYS (an old kernel) or EMFILE: fall back to SIGCHLD
            else:
                self._watcher = _PidfdWatcher(self, pidfd)
                self._reactor.addReader(self._watcher)
                return
        watch = getattr(self._reactor, "_watchChildSignal", None)
        if watch is not None:
            watch(reapAllProcesses)

    # -- the exit ------------------------------------------------------------------

    def reapProcess(self) -> None:
        """Collect the child's status if it exited (``waitpid(pid, WNOHANG)``)."""
        pid = self.pid
        if pid is None:
            return
        try:
            status = _tryReap(pid)
        except OSError:
            log.err(Failure(), f"Failed to reap {pid}:")
            return
        if status is not None:
            self.processEnded(status)

    def processEnded(self, status: int) -> None:
        """The child was reaped with wait ``status``: tell the protocol."""
        if self.pid is not None and reapProcessHandlers.get(self.pid) is self:
            del reapProcessHandlers[self.pid]
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            self._reactor.removeReader(watcher)
            watcher.close()
        self.status = status
        self.pid = None
        self._setState(_ProcessState.EXITED)
        if self.proto is not None:
            _callLogged("processExited", self.proto.processExited, Failure(self._getReason(status)))
        self.maybeCallProcessEnded()

    def _getReason(self, status: int) -> Exception:
        """``ProcessDone`` for exit code 0, else ``ProcessTerminated``."""
        if status == -1:  # reaped by somebody else: neither code nor signal is known
            return error.ProcessTerminated()
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            if code == 0:
                return error.ProcessDone(status)
            return error.ProcessTerminated(code, None, status)
        return error.ProcessTerminated(None, os.WTERMSIG(status), status)

    def _descriptorsOpen(self) -> bool:
        raise NotImplementedError

    def maybeCallProcessEnded(self) -> None:
        """Deliver ``processEnded`` once the child was reaped and every pipe closed."""
        if self._descriptorsOpen():
            return
        if self._state is _ProcessState.RUNNING:
            self.reapProcess()  # the pipes closed first: maybe it has exited too
            return
        if self._state is not _ProcessState.EXITED:
            return
        self._setState(_ProcessState.ENDED)
        proto, self.proto = self.proto, None
        if proto is not None:
            _callLogged("processEnded", proto.processEnded, Failure(self._getReason(self.status)))

    # -- signals -------------------------------------------------------------------

    def signalProcess(self, signalID: str | int) -> None:
        """Send ``signalID`` (``"KILL"``, ``"TERM"``, ``"INT"``, ``"HUP"``,
        ``"STOP"`` or a number) to the child.

        Raises ``ProcessExitedAlready`` once the child has been reaped.
        """
        if isinstance(signalID, str):
            number = _SIGNAL_NAMES.get(signalID)
            if number is None:
                raise TypeError(
                    f"unknown signal {signalID!r}: use one of {', '.join(_SIGNAL_NAMES)} "
                    "or a signal number"
                )
            signalID = number
        if not isinstance(signalID, int):
            raise TypeError(f"signalID must be a signal name or number, not {type(signalID).__name__}")
        pid = self.pid
        if pid is None:
            raise ProcessExitedAlready(
                f"process {self._executable!r} (pid {self._lastPid}) has already exited"
            )
        try:
            os.kill(pid, signalID)
        except ProcessLookupError:
            raise ProcessExitedAlready(
                f"process {self._executable!r} (pid {pid}) has already exited"
            ) from None

    # -- ITransport odds and ends ------------------------------------------------

    def getHost(self) -> _ProcessAddress:
        """A process has no network address: ``_ProcessAddress()``."""
        return _ProcessAddress()

    def getPeer(self) -> _ProcessAddress:
        """A process has no network address: ``_ProcessAddress()``."""
        return _ProcessAddress()


def _checkData(data: object) -> None:
    if not isinstance(data, bytes):
        raise TypeError("Data must be bytes")


@implementer(IProcessTransport, IConsumer, IPushProducer)
class Process(_BaseProcess):
    """A child with pipes: the transport ``spawnProcess`` returns.

    ``pipes`` maps each child descriptor that has a pipe (``"r"`` or
    ``"w"`` in ``childFDs``) to its ``ProcessReader``/``ProcessWriter``,
    until that pipe is closed.
    """

    def __init__(
        self, reactor: Any, executable: Any, args: Any, environment: Mapping[Any, Any] | None,
        path: Any, proto: Any, uid: int | None = None, gid: int | None = None,
        childFDs: Mapping[int, Any] | None = None,
    ) -> None:
        super().__init__(reactor, proto, executable)
        if childFDs is None:
            childFDs = {0: "w", 1: "r", 2: "r"}
        else:
            checkChildFDs(childFDs, executable)
            if proto is None and any(v == "r" or v == "w" for v in childFDs.values()):
                raise ValueError(f"childFDs asks for pipes but there is no protocol (spawning {executable!r})")
        self.pipes: dict[int, _Pipe] = {}
        fdmap: dict[int, int] = {}  # child fd -> the parent fd it becomes
        ours: dict[int, int] = {}  # child fd -> our end of its pipe
        try:
            for childFD, target in childFDs.items():
                if target == "r":
                    ours[childFD], fdmap[childFD] = os.pipe()
                elif target == "w":
                    fdmap[childFD], ours[childFD] = os.pipe()
                else:
                    fdmap[childFD] = target
            pid = spawnChild(executable, args, environment, path, uid, gid, fdmap)
        except BaseException:
            for childFD, fd in ours.items():
                os.close(fd)
                os.close(fdmap[childFD])
            raise
        for childFD, fd in ours.items():
            os.close(fdmap[childFD])  # the child's end: it has its own copy now
            if childFDs[childFD] == "r":
                self.pipes[childFD] = ProcessReader(reactor, self, childFD, fd)
            else:
                self.pipes[childFD] = ProcessWriter(reactor, self, childFD, fd, forceReadHack=True)
        self._connect(pid)

    def _descriptorsOpen(self) -> bool:
        return bool(self.pipes)

    # -- from the pipes ------------------------------------------------------------

    def childDataReceived(self, name: int, data: bytes) -> None:
        """Bytes from the child's descriptor ``name``: to the protocol."""
        self.proto.childDataReceived(name, data)

    def childConnectionLost(self, name: int, reason: Failure) -> None:
        """The pipe to child descriptor ``name`` is gone: close it, tell the protocol."""
        pipe = self.pipes.pop(name)
        fd, pipe.fd = pipe.fd, -1
        os.close(fd)
        if self.proto is not None:
            _callLogged("childConnectionLost", self.proto.childConnectionLost, name)
        self.maybeCallProcessEnded()

    # -- IProcessTransport -------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write to the child's stdin; dropped once stdin is closed, as in Twisted."""
        _checkData(data)
        stdin = self.pipes.get(0)
        if stdin is not None:
            stdin.write(data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        """Write each item of ``seq`` to the child's stdin."""
        items = list(seq)
        for item in items:
            _checkData(item)
        stdin = self.pipes.get(0)
        if stdin is not None:
            stdin.writeSequence(items)

    def writeToChild(self, childFD: int, data: bytes) -> None:
        """Write to child descriptor ``childFD`` (``KeyError`` unless plait writes it)."""
        pipe = self.pipes.get(childFD)
        if not isinstance(pipe, ProcessWriter):
            raise KeyError(
                f"child descriptor {childFD!r} of {self._executable!r} is not a pipe "
                "plait writes to (or it is closed)"
            )
        pipe.write(data)

    def closeChildFD(self, childFD: int) -> None:
        """Close the pipe to ``childFD`` (a writer after its buffer drains)."""
        pipe = self.pipes.get(childFD)
        if pipe is not None:
            pipe.loseConnection()

    def closeStdin(self) -> None:
        """Close the child's stdin once everything written has gone out."""
        self.closeChildFD(0)

    def closeStdout(self) -> None:
        """Stop reading the child's stdout and close it."""
        self.closeChildFD(1)

    def closeStderr(self) -> None:
        """Stop reading the child's stderr and close it."""
        self.closeChildFD(2)

    def loseConnection(self) -> None:
        """Close stdin, stderr and stdout (the child keeps running)."""
        self.disconnecting = True
        self.closeStdin()
        self.closeStderr()
        self.closeStdout()

    # -- flow control --------------------------------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading every pipe from the child."""
        for pipe in self.pipes.values():
            if isinstance(pipe, ProcessReader):
                pipe.pauseProducing()

    def resumeProducing(self) -> None:
        """Read the child's pipes again."""
        for pipe in self.pipes.values():
            if isinstance(pipe, ProcessReader):
                pipe.resumeProducing()

    def stopProducing(self) -> None:
        """``loseConnection()``."""
        self.loseConnection()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let ``producer`` feed the child's stdin (stopped at once if there is none)."""
        stdin = self.pipes.get(0)
        if stdin is None:
            producer.stopProducing()
        else:
            stdin.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        """Forget the producer of the child's stdin."""
        stdin = self.pipes.get(0)
        if stdin is not None:
            stdin.unregisterProducer()


@implementer(IProcessTransport, IConsumer, IPushProducer)
class PTYProcess(_BaseProcess):
    """A child on a pseudo-terminal: one two-way descriptor, its output as fd 1.

    There is no separate stdin, stdout or stderr to close:
    ``closeStdin``/``closeStdout``/``closeStderr`` do nothing, and
    ``closeChildFD``/``writeToChild`` raise ``NotImplementedError``, as in
    Twisted.  ``loseConnection`` closes the terminal.
    """

    def __init__(
        self, reactor: Any, executable: Any, args: Any, environment: Mapping[Any, Any] | None,
        path: Any, proto: Any, uid: int | None = None, gid: int | None = None,
        usePTY: Any = True,
    ) -> None:
        super().__init__(reactor, proto, executable)
        given = isinstance(usePTY, (tuple, list))
        master, slave = (usePTY[0], usePTY[1]) if given else os.openpty()
        try:
            pid = spawnChild(executable, args, environment, path, uid, gid, {}, ptySlave=slave)
        except BaseException:
            if not given:
                os.close(master)
                os.close(slave)
            raise
        os.close(slave)
        self._master: _PTYMaster | None = _PTYMaster(reactor, self, master)
        self._connect(pid)

    def fileno(self) -> int:
        """The terminal's master descriptor (-1 once closed)."""
        return -1 if self._master is None else self._master.fd

    def _descriptorsOpen(self) -> bool:
        return self._master is not None

    def childDataReceived(self, name: int, data: bytes) -> None:
        self.proto.childDataReceived(name, data)

    def childConnectionLost(self, name: int, reason: Failure) -> None:
        """The terminal closed (the child side is gone, or ``loseConnection``)."""
        master, self._master = self._master, None
        if master is not None:
            fd, master.fd = master.fd, -1
            os.close(fd)
        self.maybeCallProcessEnded()

    def write(self, data: bytes) -> None:
        """Type into the child's terminal."""
        _checkData(data)
        if self._master is not None:
            self._master.write(data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        """Type each item of ``seq`` into the child's terminal."""
        for item in list(seq):
            self.write(item)

    def closeStdin(self) -> None:
        """Nothing: a terminal has no separate input to close."""

    def closeStdout(self) -> None:
        """Nothing: a terminal has no separate output to close."""

    def closeStderr(self) -> None:
        """Nothing: a terminal has no separate error output to close."""

    def closeChildFD(self, descriptor: int) -> None:
        raise NotImplementedError("a PTY process has no separate child descriptors")

    def writeToChild(self, childFD: int, data: bytes) -> None:
        raise NotImplementedError("a PTY process has no separate child descriptors; use write()")

    def loseConnection(self) -> None:
        """Close the terminal once what was typed has gone out."""
        self.disconnecting = True
        if self._master is not None:
            self._master.loseConnection()

    def pauseProducing(self) -> None:
        """Stop reading the terminal."""
        if self._master is not None:
            self._master.pauseProducing()

    def resumeProducing(self) -> None:
        """Read the terminal again."""
        if self._master is not None:
            self._master.resumeProducing()

    def stopProducing(self) -> None:
        """``loseConnection()``."""
        self.loseConnection()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let ``producer`` type into the terminal."""
        if self._master is None:
            producer.stopProducing()
        else:
            self._master.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        if self._master is not None:
            self._master.unregisterProducer()


def spawnProcess(
    reactor: Any, processProtocol: Any, executable: Any, args: Any = (), env: Any = None,
    path: Any = None, uid: int | None = None, gid: int | None = None, usePTY: Any = 0,
    childFDs: Mapping[int, Any] | None = None,
) -> Process | PTYProcess:
    """``reactor.spawnProcess``'s work; see ``IReactorProcess.spawnProcess``."""
    if processProtocol is not None and not callable(getattr(processProtocol, "childDataReceived", None)):
        raise TypeError(
            f"processProtocol must provide IProcessProtocol (a ProcessProtocol), "
            f"not {type(processProtocol).__name__} (spawning {executable!r})"
        )
    if env is not None and not isinstance(env, Mapping):
        raise TypeError(f"env must be a dict or None, not {type(env).__name__} (spawning {executable!r})")
    if usePTY:
        if childFDs is not None:
            raise ValueError("Using childFDs is not supported with usePTY=True.")
        return PTYProcess(reactor, executable, args, env, path, processProtocol, uid, gid, usePTY)
    return Process(reactor, executable, args, env, path, processProtocol, uid, gid, childFDs)

