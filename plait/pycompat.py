"""The pieces of ``twisted.python.compat`` that client scripts import.

Twisted's module was its Python 2/3 bridge; what programs still import from
it is mostly ``nativeString``, ``networkString``, ``intToBytes``,
``iterbytes`` and ``lazyByteSlice``, plus the Python 2 names kept as
aliases of their Python 3 equivalents (``unicode`` is ``str``, ``xrange``
is ``range``...).  The compatibility mode maps ``twisted.python.compat``
here.  (``plait.compat`` is the compatibility mode itself, hence the name.)

Rules: every function behaves as Twisted 26.10's, errors included
(``nativeString(1)`` raises ``TypeError``, non-ASCII text raises
``UnicodeError``); slow-to-import modules (``http.cookiejar``) are imported
only when their alias is first read.

Tests: tests/unit/test_pycompat.py.
"""

from __future__ import annotations

import functools
import html
import inspect
import io
import os
import sys
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import FrameType, TracebackType
from typing import IO, Any, NoReturn, TypeVar

__all__ = [
    "FileType", "InstanceType", "NativeStringIO", "Sequence", "StringType", "bytesEnviron",
    "cmp", "comparable", "cookielib", "escape",  # noqa: F822 - cookielib: module __getattr__ "execfile", "frozenset", "intToBytes",
    "intern", "items", "iterbytes", "iteritems", "itervalues", "lazyByteSlice",
    "nativeString", "networkString", "range", "raw_input", "reduce", "reraise", "set",
    "unichr", "unicode", "urllib_parse", "urlquote", "urlunquote", "xrange",
]

_T = TypeVar("_T")

# Python 2 names, as the Python 3 objects Twisted binds them to.
unicode = str
unichr = chr
long = int
xrange = range
raw_input = input
izip = zip
intern = sys.intern
reduce = functools.reduce
range = range  # noqa: PLW0127 - re-exported under Twisted's name
set = set  # noqa: PLW0127
frozenset = frozenset  # noqa: PLW0127
FileType = io.IOBase
InstanceType = object
StringType = str
NativeStringIO = io.StringIO
escape = html.escape
urllib_parse = urllib.parse
urlquote = urllib.parse.quote
urlunquote = urllib.parse.unquote


def __getattr__(name: str) -> Any:
    if name == "cookielib":  # http.cookiejar is slow to import; most never need it
        import http.cookiejar

        return http.cookiejar
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def nativeString(s: str | bytes) -> str:
    """``s`` as ``str``, which must be ASCII (bytes are decoded, text checked)."""
    if not isinstance(s, (bytes, str)):
        raise TypeError(f"{s!r} is neither bytes nor str")
    if isinstance(s, bytes):
        return s.decode("ascii")
    s.encode("ascii")  # UnicodeEncodeError for non-ASCII text, as in Twisted
    return s


def networkString(s: str) -> bytes:
    """ASCII text as ``bytes``; ``TypeError`` for anything but ``str``."""
    if not isinstance(s, str):
        raise TypeError("Can only convert strings to bytes")
    return s.encode("ascii")


def intToBytes(i: int) -> bytes:
    """The decimal digits of ``i`` as ``bytes`` (``intToBytes(42) == b"42"``)."""
    return b"%d" % i


def iterbytes(originalBytes: bytes) -> Iterator[bytes]:
    """Each byte of ``originalBytes`` as a one-byte ``bytes``."""
    for i in range(len(originalBytes)):
        yield originalBytes[i : i + 1]


def lazyByteSlice(object: bytes, offset: int = 0, size: int | None = None) -> memoryview:
    """A ``memoryview`` slice of ``object`` (no copy)."""
    view = memoryview(object)
    return view[offset:] if size is None else view[offset : offset + size]


def cmp(a: Any, b: Any) -> int:
    """-1, 0 or 1 as ``a`` is below, equal to or above ``b`` (Python 2's ``cmp``)."""
    return int(a > b) - int(a < b)


def comparable(klass: type[_T]) -> type[_T]:
    """Class decorator: derive ``==``, ``!=``, ``<``... from the class's ``__cmp__``."""

    def method(test: Callable[[int], bool]) -> Callable[[Any, Any], Any]:
        def compare(self: Any, other: Any) -> Any:
            result = self.__cmp__(other)
            return result if result is NotImplemented else test(result)

        return compare

    klass.__eq__ = method(lambda c: c == 0)  # type: ignore[method-assign]
    klass.__ne__ = method(lambda c: c != 0)  # type: ignore[method-assign]
    klass.__lt__ = method(lambda c: c < 0)  # type: ignore[operator]
    klass.__le__ = method(lambda c: c <= 0)  # type: ignore[operator]
    klass.__gt__ = method(lambda c: c > 0)  # type: ignore[operator]
    klass.__ge__ = method(lambda c: c >= 0)  # type: ignore[operator]
    return klass


def execfile(filename: str, globals: dict[str, Any], locals: Mapping[str, Any] | None = None) -> None:
    """Run the Python file ``filename`` in ``globals`` (and ``locals``)."""
    with open(filename, "rb") as f:
        code = compile(f.read(), filename, "exec")
    exec(code, globals, globals if locals is None else locals)  # noqa: S102 - the point of it


def items(d: Mapping[Any, _T]) -> list[tuple[Any, _T]]:
    """``list(d.items())``."""
    return list(d.items())


def iteritems(d: Mapping[Any, _T]) -> Any:
    """``d.items()``."""
    return d.items()


def itervalues(d: Mapping[Any, _T]) -> Any:
    """``d.values()``."""
    return d.values()


def reraise(exception: BaseException, traceback: TracebackType | None) -> NoReturn:
    """Raise ``exception`` with ``traceback``."""
    raise exception.with_traceback(traceback)


def bytesEnviron() -> dict[bytes, bytes]:
    """The environment with ``bytes`` keys and values."""
    return dict(os.environb)


def ioType(fileIshObject: IO[Any], default: type = str) -> type:
    """``str`` or ``bytes``: what ``fileIshObject`` takes (``default`` if unknown)."""
    if isinstance(fileIshObject, io.TextIOBase):
        return str
    if isinstance(fileIshObject, (io.BufferedIOBase, io.RawIOBase)):
        return bytes
    encoding = getattr(fileIshObject, "encoding", None)
    if encoding is not None:
        return str
    mode = getattr(fileIshObject, "mode", None)
    if isinstance(mode, str):
        return bytes if "b" in mode else str
    return default


def currentframe(n: int = 0) -> FrameType:
    """The frame ``n`` levels above the caller's (0: the caller's own)."""
    frame = inspect.currentframe()
    assert frame is not None
    for _ in range(n + 1):
        assert frame.f_back is not None
        frame = frame.f_back
    return frame



