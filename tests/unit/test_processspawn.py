"""plait._processspawn without spawning: the file actions and the argument checks.

The file actions are checked on a model of a descriptor table: each action
is applied to a dict (fd -> (file, inheritable)), then ``exec`` drops the
close-on-exec entries; the child must end up with exactly ``fdmap``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plait import _processspawn as spawn


@pytest.fixture(scope="module")
def descriptors() -> Iterator[list[int]]:
    """A few real pipe descriptors, half of them inheritable."""
    fds: list[int] = []
    for i in range(3):
        r, w = os.pipe()
        os.set_inheritable(w, bool(i % 2))
        fds += [r, w]
    yield fds
    for fd in fds:
        os.close(fd)


def _childTable(fdmap: dict[int, int], openFDs: list[int]) -> dict[int, int]:
    """Apply the actions to a model of the parent's table; return child fd -> original file."""
    table = {fd: (fd, os.get_inheritable(fd)) for fd in openFDs}
    for action in spawn._fileActions(fdmap, openFDs):
        if action[0] == spawn._DUP2:
            source, target = action[1], action[2]
            assert source in table, f"dup2 from closed fd {source}: {action}"
            table[target] = (table[source][0], True)
        else:
            assert action[0] == spawn._CLOSE
            assert action[1] in table, f"closing a closed fd: {action}"
            del table[action[1]]
    return {fd: file for fd, (file, inheritable) in table.items() if inheritable}


def _openFDs() -> list[int]:
    return spawn._inheritable(spawn._openDescriptors()) + [
        fd for fd in spawn._openDescriptors() if _isOpen(fd) and not os.get_inheritable(fd)
    ]


def _isOpen(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    "shape",
    ["pipes", "swap", "rotate", "manyToOne", "identityCloexec", "identityInheritable", "targetsAboveAll"],
)
def test_fileActionsGiveExactlyTheMap(descriptors: list[int], shape: str) -> None:
    """Tricky maps (swaps, rotations, one file on many fds, fds mapped to
    themselves) come out right, and nothing else inheritable survives."""
    a, b, c, d, _, f = descriptors
    fdmap = {
        "pipes": {0: a, 1: b, 2: c},
        "swap": {a: b, b: a},
        "rotate": {a: b, b: c, c: a},
        "manyToOne": {1: d, 2: d, 7: d},
        "identityCloexec": {a: a, 1: b},
        "identityInheritable": {b: b, 0: c},  # b is inheritable already
        "targetsAboveAll": {f + 10: a, f + 11: b},
    }[shape]
    openFDs = _openFDs()
    assert _childTable(fdmap, openFDs) == fdmap


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fileActionsProperty(descriptors: list[int], data: Any) -> None:
    """Any map of child fds 0-11 onto open parent fds comes out exactly."""
    openFDs = _openFDs()
    fdmap = data.draw(
        st.dictionaries(st.integers(0, 11), st.sampled_from(sorted(set(openFDs) & set(range(40))) + descriptors))
    )
    assert _childTable(fdmap, openFDs) == fdmap


def test_checkChildFDsAcceptsTwistedsValues(descriptors: list[int]) -> None:
    """'r', 'w' and open descriptor numbers are accepted."""
    spawn.checkChildFDs({0: "w", 1: "r", 2: descriptors[0]}, "prog")


@pytest.mark.parametrize(
    ("childFDs", "exception", "message"),
    [
        ({0: "rw"}, ValueError, r"childFDs\[0\] is 'rw': expected 'r', 'w' or a descriptor number \(spawning 'prog'\)"),
        ({0: None}, TypeError, r"childFDs\[0\] is a NoneType"),
        ({True: "r"}, TypeError, "childFDs key True is not a descriptor number"),
        ({1.0: "r"}, TypeError, "childFDs key 1.0"),
        ({-3: "w"}, ValueError, "negative"),
        ((("a", "b"),), TypeError, "childFDs must be a dict, not tuple"),
    ],
)
def test_checkChildFDsRefuses(childFDs: Any, exception: type, message: str) -> None:
    """Each malformed entry is named, with the program."""
    with pytest.raises(exception, match=message):
        spawn.checkChildFDs(childFDs, "prog")


def test_checkChildFDsClosedDescriptor() -> None:
    """A pass-through descriptor that is not open: OSError(EBADF) naming fd and program."""
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError, match=f"descriptor {r}, which is not open") as info:
        spawn.checkChildFDs({0: r}, "prog")
    assert info.value.filename == "prog"


def test_namedKeepsTheExceptionType() -> None:
    """_named keeps the type and errno and names the program."""
    e = spawn._named(FileNotFoundError(2, "No such file or directory"), "/x/prog")
    assert type(e) is FileNotFoundError and e.errno == 2 and e.filename == "/x/prog"
    e = spawn._named(ValueError("embedded null byte"), "prog")
    assert type(e) is ValueError and str(e) == "cannot spawn 'prog': embedded null byte"


def test_encodedArgumentsChecks() -> None:
    """The fork path converts (and so checks) everything in the parent."""
    program, argv, environ = spawn._encodedArguments("p", ["p", b"x"], {"K": "v"})
    assert (program, argv, environ) == (b"p", [b"p", b"x"], {b"K": b"v"})
    with pytest.raises(ValueError, match="illegal environment variable name"):
        spawn._encodedArguments("p", ["p"], {"A=B": "v"})
    with pytest.raises(ValueError, match="null byte"):
        spawn._encodedArguments("p", ["p"], {"A": "v\0"})
    with pytest.raises(TypeError, match="cannot spawn 'p'"):
        spawn._encodedArguments("p", ["p", 3], {})


def test_defaultSignalsResetEverythingResettable() -> None:
    """Every valid signal but SIGKILL/SIGSTOP is reset in the child."""
    import signal

    assert signal.SIGPIPE in spawn._DEFAULT_SIGNALS
    assert signal.SIGKILL not in spawn._DEFAULT_SIGNALS
    assert signal.SIGSTOP not in spawn._DEFAULT_SIGNALS


def test_isWriteOnlyPipe(tmp_path: Any) -> None:
    """Only the write end of a pipe counts (not the read end, not a file)."""
    r, w = os.pipe()
    try:
        assert spawn.isWriteOnlyPipe(w) and not spawn.isWriteOnlyPipe(r)
    finally:
        os.close(r)
        os.close(w)
    with open(tmp_path / "f", "wb") as f:
        assert not spawn.isWriteOnlyPipe(f.fileno())
    assert not spawn.isWriteOnlyPipe(r)  # closed now
