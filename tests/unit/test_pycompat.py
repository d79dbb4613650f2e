"""plait.pycompat: the twisted.python.compat pieces client scripts import."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from plait import pycompat


def test_nativeString() -> None:
    assert pycompat.nativeString(b"abc") == "abc"
    assert pycompat.nativeString("abc") == "abc"
    with pytest.raises(TypeError, match="is neither bytes nor str"):
        pycompat.nativeString(1)  # type: ignore[arg-type]
    with pytest.raises(UnicodeError):
        pycompat.nativeString("caf\u00e9")
    with pytest.raises(UnicodeError):
        pycompat.nativeString(b"\xff")


def test_networkStringAndBytesHelpers() -> None:
    assert pycompat.networkString("GET") == b"GET"
    with pytest.raises(TypeError, match="Can only convert strings to bytes"):
        pycompat.networkString(b"GET")  # type: ignore[arg-type]
    assert pycompat.intToBytes(-12) == b"-12"
    assert list(pycompat.iterbytes(b"ab\x00")) == [b"a", b"b", b"\x00"]
    view = pycompat.lazyByteSlice(b"hello world", 6)
    assert isinstance(view, memoryview) and bytes(view) == b"world"
    assert bytes(pycompat.lazyByteSlice(b"hello", 1, 3)) == b"ell"


def test_python2Names() -> None:
    assert (pycompat.unicode, pycompat.long, pycompat.xrange, pycompat.unichr) == (str, int, range, chr)
    assert pycompat.cmp(1, 2) == -1 and pycompat.cmp(2, 2) == 0 and pycompat.cmp(3, 2) == 1
    assert pycompat.items({"a": 1}) == [("a", 1)]
    assert list(pycompat.iteritems({"a": 1})) == [("a", 1)] and list(pycompat.itervalues({"a": 1})) == [1]
    assert pycompat.intern is sys.intern and pycompat.NativeStringIO is io.StringIO
    assert pycompat.urlquote("a b") == "a%20b" and pycompat.urlunquote("a%20b") == "a b"
    assert pycompat.cookielib.__name__ == "http.cookiejar"
    assert pycompat.escape("<") == "&lt;"
    assert isinstance(pycompat.bytesEnviron(), dict)
    with pytest.raises(AttributeError):
        pycompat.nothing  # noqa: B018


def test_comparable() -> None:
    @pycompat.comparable
    class Version:
        def __init__(self, n: int) -> None:
            self.n = n

        def __cmp__(self, other: object) -> int:
            if not isinstance(other, Version):
                return NotImplemented  # type: ignore[return-value]
            return pycompat.cmp(self.n, other.n)

    assert Version(1) < Version(2) <= Version(2) and Version(3) > Version(2) >= Version(2)
    assert Version(1) == Version(1) and Version(1) != Version(2)
    assert Version(1) != "x"


def test_reraiseExecfileIoTypeCurrentframe(tmp_path: Path) -> None:
    try:
        raise KeyError("k")
    except KeyError as e:
        tb = e.__traceback__
    with pytest.raises(KeyError) as raised:
        pycompat.reraise(KeyError("again"), tb)
    assert raised.value.__traceback__ is not None
    script = tmp_path / "s.py"
    script.write_text("x = 1 + 1\n")
    namespace: dict[str, object] = {}
    pycompat.execfile(str(script), namespace)
    assert namespace["x"] == 2
    assert pycompat.ioType(io.StringIO()) is str and pycompat.ioType(io.BytesIO()) is bytes
    assert pycompat.ioType(object()) is str  # type: ignore[arg-type]

    def caller() -> object:
        return pycompat.currentframe()

    assert caller().f_code.co_name == "caller"  # type: ignore[attr-defined]
