"""plait.fdesc on real pipes: flags, reads, writes and Twisted's return values."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest

from plait import fdesc
from plait.main import CONNECTION_DONE, CONNECTION_LOST


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    fds = [r, w]
    yield r, w
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def isNonBlocking(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)


def test_setNonBlockingAndBack(pipe: tuple[int, int]) -> None:
    r, _ = pipe
    assert not isNonBlocking(r)
    fdesc.setNonBlocking(r)
    assert isNonBlocking(r) and os.get_blocking(r) is False
    fdesc.setNonBlocking(r)  # idempotent
    assert isNonBlocking(r)
    fdesc.setBlocking(r)
    assert not isNonBlocking(r)


def test_flagsAreKeptApartFromNonBlocking(pipe: tuple[int, int]) -> None:
    _, w = pipe
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_APPEND)
    fdesc.setNonBlocking(w)
    fdesc.setBlocking(w)
    assert fcntl.fcntl(w, fcntl.F_GETFL) & os.O_APPEND


def test_readData(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(r)
    os.write(w, b"hello")
    got: list[bytes] = []
    assert fdesc.readFromFD(r, got.append) is None
    assert got == [b"hello"]


def test_readAtMost8192(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(r)
    os.write(w, b"x" * 10000)
    got: list[bytes] = []
    fdesc.readFromFD(r, got.append)
    fdesc.readFromFD(r, got.append)
    assert [len(c) for c in got] == [8192, 10000 - 8192]


def test_readWouldBlock(pipe: tuple[int, int]) -> None:
    r, _ = pipe
    fdesc.setNonBlocking(r)
    got: list[bytes] = []
    assert fdesc.readFromFD(r, got.append) is None
    assert got == []


def test_readEndOfFile(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(r)
    os.close(w)
    got: list[bytes] = []
    assert fdesc.readFromFD(r, got.append) is CONNECTION_DONE
    assert got == []


def test_readError(pipe: tuple[int, int]) -> None:
    _, w = pipe
    # Reading the write end of a pipe is EBADF: an error, not "try again".
    got: list[bytes] = []
    assert fdesc.readFromFD(w, got.append) is CONNECTION_LOST
    assert got == []


def test_readCallbackErrorPropagates(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(r)
    os.write(w, b"x")

    def boom(data: bytes) -> None:
        raise ValueError(data)

    with pytest.raises(ValueError):
        fdesc.readFromFD(r, boom)


def test_writeData(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(w)
    assert fdesc.writeToFD(w, b"abc") == 3
    assert os.read(r, 10) == b"abc"


def test_writeFullPipe(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fdesc.setNonBlocking(w)
    total = 0
    while True:
        n = fdesc.writeToFD(w, b"x" * 65536)
        assert isinstance(n, int)
        if n == 0:
            break  # EAGAIN: full
        total += n
    assert total > 0
    assert len(os.read(r, 1 << 20)) > 0


def test_writeClosedReader(pipe: tuple[int, int]) -> None:
    r, w = pipe
    os.close(r)
    # EPIPE (Python ignores SIGPIPE, so it is an error, not a signal).
    assert fdesc.writeToFD(w, b"x") is CONNECTION_LOST


def test_writeError(pipe: tuple[int, int]) -> None:
    r, _ = pipe
    assert fdesc.writeToFD(r, b"x") is CONNECTION_LOST  # EBADF


def test_names() -> None:
    assert sorted(fdesc.__all__) == ["readFromFD", "setBlocking", "setNonBlocking", "writeToFD"]
    assert fdesc.fcntl is fcntl  # Twisted's module attribute
