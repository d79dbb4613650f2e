"""twisted.internet.base.BasePort's replica: plait.base.BasePort (plait/_baseport.py)."""

from __future__ import annotations

import socket

import pytest

from plait import base
from plait.abstract import FileDescriptor
from plait.testing import MemoryReactor


class _UDPishPort(base.BasePort):  # type: ignore[name-defined]
    addressFamily = socket.AF_INET
    socketType = socket.SOCK_DGRAM


def test_basePortIsAFileDescriptorHandedOutByBase() -> None:
    assert issubclass(base.BasePort, FileDescriptor)
    assert base.BasePort.__module__ == "plait._baseport"


def test_createInternetSocketMakesANonBlockingCloseOnExecSocket() -> None:
    skt = _UDPishPort(MemoryReactor()).createInternetSocket()
    try:
        assert skt.family == socket.AF_INET
        assert skt.type == socket.SOCK_DGRAM
        assert skt.getblocking() is False
        assert skt.get_inheritable() is False
    finally:
        skt.close()


def test_createInternetSocketWithoutFamilyNamesWhatToSet() -> None:
    with pytest.raises(TypeError, match="must set addressFamily and socketType"):
        base.BasePort(MemoryReactor()).createInternetSocket()


def test_doWriteRaisesNamingTheClass() -> None:
    with pytest.raises(RuntimeError, match=r"^doWrite called on a tests\.unit\.test_baseport\._UDPishPort$"):
        _UDPishPort(MemoryReactor()).doWrite()


def test_unknownNamesStillRaiseAttributeError() -> None:
    with pytest.raises(AttributeError, match="BasePorts"):
        base.BasePorts  # noqa: B018 - the lookup is the test
