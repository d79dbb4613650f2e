"""plait.posixbase: Twisted's POSIX reactor base and platform flags."""

from __future__ import annotations

from plait import posixbase
from plait import ssl as plaitSSL
from plait import tls as plaitTLS
from plait.base import ReactorBase
from plait.epollreactor import EPollReactor
from plait.interfaces import IReactorFDSet, IReactorProcess, IReactorTCP, IReactorUNIX
from plait.pollreactor import PollReactor
from plait.selectreactor import SelectorReactor, SelectReactor


def test_posixReactorBaseIsThePlaitReactor() -> None:
    assert posixbase.PosixReactorBase is SelectorReactor
    assert issubclass(posixbase.PosixReactorBase, ReactorBase)
    for cls in (SelectReactor, PollReactor, EPollReactor):
        assert issubclass(cls, posixbase.PosixReactorBase)
    for iface in (IReactorTCP, IReactorUNIX, IReactorProcess, IReactorFDSet):
        assert iface.implementedBy(posixbase.PosixReactorBase), iface


def test_subclassIsAWorkingReactor() -> None:
    class MyReactor(posixbase.PosixReactorBase):
        pass

    r = MyReactor()
    try:
        calls: list[int] = []
        r.callLater(0, calls.append, 1)
        r.callLater(0, r.stop)
        r.run(installSignalHandlers=False)
        assert calls == [1]
    finally:
        r._close()


def test_platformFlags() -> None:
    assert posixbase.unixEnabled is True
    assert posixbase.processEnabled is True
    assert posixbase.win32process is None
    assert posixbase.ssl is plaitSSL
    assert posixbase.tls is plaitTLS
    assert posixbase.__all__ == ["PosixReactorBase"]
