"""Starting a child process: checking the arguments, then one ``posix_spawn``.

What it owns: turning ``spawnProcess``'s arguments into a running child
whose descriptors are exactly the ones asked for, and nothing about the
reactor.  ``plait.process`` calls ``spawnChild`` and wires up the pipes.

Rules:

* Bad input is refused in the parent, before any child exists, with the
  exception type Twisted's ``spawnProcess`` raises for it and a message
  that names the program (``_named``).  A failed ``exec`` (missing or
  non-executable program) also raises in the parent: ``posix_spawn``
  reports it synchronously, and the fork path below sends it back over a
  close-on-exec pipe.
* The child gets the descriptors of ``fdmap`` (child fd -> parent fd) and
  no other inheritable one: every inheritable descriptor of the parent that
  is not a target is closed in the child, as Twisted does.  Descriptors
  Python opened are close-on-exec already (PEP 446) and need nothing.
* Every signal is reset to its default disposition in the child, so one the
  parent ignores (Python ignores ``SIGPIPE``) is not ignored by the child.

Theory of operation.  The common case (no ``path`` elsewhere, no ``uid`` or
``gid``) is one ``os.posix_spawnp``: glibc starts the child with
``clone(CLONE_VM|CLONE_VFORK)``, applies the descriptor moves as file
actions and ``exec``s, so no Python code runs in the child and the parent's
memory is never copied.  A PTY child is spawned the same way: ``setsid`` makes
it a session leader, and opening the terminal's slave by name (a file
action) makes that terminal its controlling terminal (``open(2)``: a session
leader without a controlling terminal acquires the first terminal it opens).
Changing directory or user is something ``posix_spawn`` cannot do (Python
3.11 exposes no ``addchdir``), so those children are forked: the child runs
a few system calls from Python, then ``exec``s, and reports a failure over
the error pipe (errno and the step that failed).

Tests: tests/unit/test_processspawn.py, tests/integration/test_process.py.
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import stat
import sys
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["checkChildFDs", "spawnChild"]

#: Reset in every child: resetting a signal that has a handler or the
#: default already changes nothing, and this way no per-spawn look at the
#: parent's dispositions is needed.
_DEFAULT_SIGNALS = frozenset(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}

_CLOSE = getattr(os, "POSIX_SPAWN_CLOSE", 0)
_DUP2 = getattr(os, "POSIX_SPAWN_DUP2", 1)
_OPEN = getattr(os, "POSIX_SPAWN_OPEN", 2)

_Action = tuple[Any, ...]


def _named(exc: BaseException, program: object) -> BaseException:
    """The same kind of exception, its message naming ``program``."""
    if isinstance(exc, OSError) and exc.errno is not None:
        filename = exc.filename if exc.filename is not None else program
        return type(exc)(exc.errno, exc.strerror, filename)
    return type(exc)(f"cannot spawn {program!r}: {exc}")


def checkChildFDs(childFDs: Mapping[Any, Any], program: object) -> None:
    """Refuse a malformed ``childFDs`` mapping before anything is created.

    Keys are descriptor numbers in the child; values are ``"r"`` (the
    parent reads what the child writes there), ``"w"`` (the parent writes)
    or a parent descriptor number to pass through, which must be open.
    """
    if not isinstance(childFDs, Mapping):
        raise TypeError(f"childFDs must be a dict, not {type(childFDs).__name__} (spawning {program!r})")
    for childFD, target in childFDs.items():
        if type(childFD) is not int:  # bool is an int, and no descriptor
            raise TypeError(f"childFDs key {childFD!r} is not a descriptor number (spawning {program!r})")
        if childFD < 0:
            raise ValueError(f"childFDs key {childFD} is negative (spawning {program!r})")
        if target == "r" or target == "w":
            continue
        if type(target) is not int:
            if isinstance(target, str):
                raise ValueError(
                    f"childFDs[{childFD}] is {target!r}: expected 'r', 'w' or a "
                    f"descriptor number (spawning {program!r})"
                )
            raise TypeError(
                f"childFDs[{childFD}] is a {type(target).__name__}: expected 'r', 'w' "
                f"or a descriptor number (spawning {program!r})"
            )
        try:
            os.fstat(target)
        except OSError as e:
            raise OSError(
                e.errno, f"childFDs[{childFD}] names descriptor {target}, which is not open", program
            ) from None


def _openDescriptors() -> list[int]:
    """The descriptors that may be open in this process, cheapest way first."""
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(directory)]
        except (OSError, ValueError):
            continue
    import resource

    return list(range(min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[0])))


def _inheritable(fds: Sequence[int]) -> list[int]:
    result = []
    for fd in fds:
        try:
            if os.get_inheritable(fd):
                result.append(fd)
        except OSError:
            pass  # listdir's own descriptor, closed since
    return result


def _fileActions(fdmap: Mapping[int, int], openFDs: Sequence[int]) -> list[_Action]:
    """The ``posix_spawn`` file actions giving the child ``fdmap`` and no more.

    The moves are a parallel assignment: ``fdmap`` may send parent fd 1 to
    child fd 2 while another entry overwrites fd 1.  Every source that is
    also a target of another entry is first parked on a spare number above
    everything in sight; a descriptor mapped to itself goes through a spare
    number too, because ``dup2(fd, fd)`` would leave close-on-exec set.
    """
    actions: list[_Action] = []
    spare = max([*fdmap, *fdmap.values(), *openFDs, 2]) + 1
    parked: dict[int, int] = {}
    for source in sorted(set(fdmap.values())):
        if fdmap.get(source, source) != source or (source in fdmap and not os.get_inheritable(source)):
            actions.append((_DUP2, source, spare))
            parked[source] = spare
            spare += 1
    for childFD in sorted(fdmap):
        source = parked.get(fdmap[childFD], fdmap[childFD])
        if source != childFD:
            actions.append((_DUP2, source, childFD))
    actions.extend((_CLOSE, fd) for fd in parked.values())
    actions.extend((_CLOSE, fd) for fd in _inheritable(openFDs) if fd not in fdmap)
    return actions


def _envList(env: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    return os.environ if env is None else env


def spawnChild(
    executable: Any,
    args: Any,
    env: Mapping[Any, Any] | None,
    path: Any,
    uid: int | None,
    gid: int | None,
    fdmap: Mapping[int, int],
    ptySlave: int | None = None,
) -> int:
    """Start ``executable`` with ``args`` and return its pid.

    ``fdmap`` maps child descriptors to parent descriptors (ignored for a
    PTY child, whose standard descriptors are all ``ptySlave``'s terminal).
    ``env`` None means the parent's environment.  Raises (in the parent)
    what the system raises for a program that cannot be run, with the
    program named.
    """
    if not isinstance(args, (list, tuple)):
        raise TypeError(f"args must be a list or tuple, not {type(args).__name__} (spawning {executable!r})")
    if not args:
        raise ValueError(f"args must not be empty: args[0] is the program's name (spawning {executable!r})")
    if path is not None and os.path.abspath(os.fsdecode(path)) == os.getcwd():
        path = None  # nothing to change: the fast way will do
    openFDs = _openDescriptors()
    if ptySlave is not None:
        actions: list[_Action] = [
            (_OPEN, 0, os.ttyname(ptySlave), os.O_RDWR, 0),
            (_DUP2, 0, 1),
            (_DUP2, 0, 2),
        ]
        actions.extend((_CLOSE, fd) for fd in _inheritable(openFDs) if fd > 2)
    else:
        actions = _fileActions(fdmap, openFDs)
    if path is None and uid is None and gid is None:
        try:
            return os.posix_spawnp(
                executable,
                args,
                _envList(env),
                file_actions=actions,
                setsigdef=_DEFAULT_SIGNALS,
                setsid=ptySlave is not None,
            )
        except (OSError, TypeError, ValueError) as e:
            raise _named(e, executable) from None
    return _forkExec(executable, args, env, path, uid, gid, actions, ptySlave, openFDs)


# --- the fork path: a working directory or another user -------------------------


def _encodedArguments(
    executable: Any, args: Sequence[Any], env: Mapping[Any, Any] | None
) -> tuple[bytes, list[bytes], dict[bytes, bytes]]:
    """Everything the child needs, converted (and so checked) in the parent."""
    try:
        program = os.fsencode(executable)
        argv = [os.fsencode(a) for a in args]
        environ = {os.fsencode(k): os.fsencode(v) for k, v in _envList(env).items()}
    except TypeError as e:
        raise _named(e, executable) from None
    for item in [program, *argv, *environ, *environ.values()]:
        if b"\0" in item:
            raise ValueError(f"cannot spawn {executable!r}: embedded null byte")
    if any(b"=" in key or not key for key in environ):
        raise ValueError(f"cannot spawn {executable!r}: illegal environment variable name")
    return program, argv, environ


def _forkExec(
    executable: Any, args: Sequence[Any], env: Mapping[Any, Any] | None, path: Any,
    uid: int | None, gid: int | None, actions: list[_Action], ptySlave: int | None,
    openFDs: Sequence[int],
) -> int:
    program, argv, environ = _encodedArguments(executable, args, env)
    if path is not None and not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be str or bytes, not {type(path).__name__} (spawning {executable!r})")
    userGroups = _userGroups(uid, gid)  # looked up here: NSS has no place in a forked child
    errRead, errWrite = os.pipe()
    # The error pipe must survive the descriptor moves: put it above them.
    import fcntl

    high = max([*openFDs, *(a[-1] for a in actions if a[0] == _DUP2), errWrite, 2]) + 1
    reportFD = fcntl.fcntl(errWrite, fcntl.F_DUPFD_CLOEXEC, high)
    os.close(errWrite)
    collecting = gc.isenabled()
    gc.disable()  # a collection in the child could run arbitrary __del__s
    try:
        pid = os.fork()
    except BaseException:
        os.close(errRead)
        os.close(reportFD)
        raise
    finally:
        if collecting:
            gc.enable()
    if pid == 0:  # the child: never return from here
        _childMain(program, argv, environ, path, uid, gid, actions, ptySlave, reportFD, userGroups)
    os.close(reportFD)
    try:
        report = _readAll(errRead)
    finally:
        os.close(errRead)
    if not report:
        return pid  # exec succeeded: it closed the pipe
    os.waitpid(pid, 0)  # the child exited at once; reap it now
    number, _, step = report.decode("utf-8", "replace").partition(":")
    code = int(number) if number.isdigit() else errno.EINVAL
    what = path if step == "chdir" else executable
    detail = f"{os.strerror(code)} ({step} for {executable!r})" if step != "exec" else os.strerror(code)
    raise OSError(code, detail, what)


def _userGroups(uid: int | None, gid: int | None) -> tuple[str | None, int]:
    """The user name (None if ``uid`` has none) and the primary group for initgroups."""
    primaryGid = os.getegid() if gid is None else gid
    if uid is None:
        return None, primaryGid
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name, primaryGid
    except KeyError:
        return None, primaryGid


def _readAll(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except InterruptedError:  # pragma: no cover - PEP 475 retries already
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _childMain(
    program: bytes, argv: list[bytes], environ: dict[bytes, bytes], path: Any,
    uid: int | None, gid: int | None, actions: list[_Action], ptySlave: int | None,
    reportFD: int, userGroups: tuple[str | None, int],
) -> None:
    """Set up the forked child and ``exec``; on failure report errno and exit.

    Nothing may escape this function: an exception reaching the parent's
    code in the child would run a second copy of the program.
    """
    step = "setup"
    try:
        sys.settrace(None)
        if ptySlave is not None:
            os.setsid()
        for action in actions:
            if action[0] == _DUP2:
                os.dup2(action[1], action[2])
            elif action[0] == _CLOSE:
                os.close(action[1])
            else:  # open the PTY slave onto fd 0: it becomes the controlling terminal
                fd = os.open(action[2], action[3])
                if fd != action[1]:
                    os.dup2(fd, action[1])
                    os.close(fd)
        for signum in _DEFAULT_SIGNALS:
            try:
                signal.signal(signum, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        if path is not None:
            step = "chdir"
            os.chdir(path)
        if gid is not None:
            step = "setgid"
            os.setgid(gid)
        if uid is not None:
            step = "setuid"
            # The user's own supplementary groups, as Twisted's switchUID
            # sets them (initgroups(3)); never the parent's.
            userName, primaryGid = userGroups
            if userName is not None:
                os.initgroups(userName, primaryGid)
            else:
                os.setgroups([primaryGid])
            os.setuid(uid)
        step = "exec"
        os.execvpe(program, argv, environ)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, then _exit
        code = e.errno if isinstance(e, OSError) and e.errno else errno.EINVAL
        try:
            os.write(reportFD, f"{code}:{step}".encode())
        finally:
            os._exit(127)


def isWriteOnlyPipe(fd: int) -> bool:
    """True if ``fd`` is a pipe (FIFO) end opened for writing only.

    Such a descriptor is never readable, so watching it for reading detects
    the reader closing its end (``pipe(7)``: the writer sees ``POLLERR``).
    """
    import fcntl

    try:
        mode = os.fstat(fd).st_mode
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return False
    return stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY
