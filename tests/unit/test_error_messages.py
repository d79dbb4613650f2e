"""Errors for the common first-hour mistakes say what to fix (issue 18).

Each keeps Twisted's exception type (and Twisted's words, as the start of the
message where Twisted has any), and adds the fix.  The messages are checked
exactly: a rewording is a decision, made here, not an accident.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from typing import Any

import pytest

from plait import defer, endpoints, error
from plait._endpointgrammar import _clientParsers
from plait._iosim import FakeTransport
from plait.abstract import FileDescriptor
from plait.protocol import ClientFactory, Protocol
from plait.tcp import Connector
from plait.testing import MemoryReactor, MemoryReactorClock, StringTransport
from tests.helpers import successResultOf
from tests.unit.test_base_reactor import FakeReactor


def test_portAsAStringOfDigits() -> None:
    """connectTCP(host, "8000", f) keeps ServiceNameUnknownError and says to pass an int."""
    with pytest.raises(error.ServiceNameUnknownError) as info:
        Connector("127.0.0.1", "8000", ClientFactory(), 30, None, MemoryReactorClock())
    assert str(info.value) == (
        "Service name given as port is unknown: service/proto not found ('8000'); "
        "pass the port as an int (8000), not a str."
    )


def test_unknownServiceNameKeepsTwistedsMessage() -> None:
    """A real (unknown) service name gets no digits hint: Twisted's message as is."""
    with pytest.raises(error.ServiceNameUnknownError) as info:
        Connector("127.0.0.1", "nosuchsvc", ClientFactory(), 30, None, MemoryReactorClock())
    assert str(info.value) == "Service name given as port is unknown: service/proto not found ('nosuchsvc')."


def test_runningTheReactorTwice() -> None:
    """run() after the reactor stopped says why and what to do instead."""
    reactor = FakeReactor()
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    with pytest.raises(error.ReactorNotRestartable) as info:
        reactor.run(installSignalHandlers=False)
    assert str(info.value) == (
        "the reactor has already run and stopped, and a reactor cannot be run twice: "
        "call reactor.run() once, after setting everything up, and reactor.stop() "
        "when the whole program is done (task.react(main) does both)"
    )


def test_runningTheReactorFromInsideItself() -> None:
    """run() inside the running loop names the mistake."""
    reactor = FakeReactor()
    raised: list[str] = []

    def reenter() -> None:
        try:
            reactor.run(installSignalHandlers=False)
        except error.ReactorAlreadyRunning as e:
            raised.append(str(e))
        reactor.stop()

    reactor.callWhenRunning(reenter)
    reactor.run(installSignalHandlers=False)
    assert raised == ["reactor.run() was called while the reactor is already running"]


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (
            "tcp:",
            (
                "missing 1 required positional argument: 'port' (a TCP client is tcp:HOST:PORT, "
                "e.g. tcp:localhost:8000) in endpoint description 'tcp:'"
            ),
        ),
        (
            "tcp:port=80",
            (
                "missing 1 required positional argument: 'host' (a TCP client is tcp:HOST:PORT, "
                "e.g. tcp:localhost:8000) in endpoint description 'tcp:port=80'"
            ),
        ),
        (
            "tcp:timeout=3",
            (
                "missing 2 required positional arguments: 'host' and 'port' (a TCP client is "
                "tcp:HOST:PORT, e.g. tcp:localhost:8000) in endpoint description 'tcp:timeout=3'"
            ),
        ),
    ],
)
def test_incompleteTCPClientDescription(description: str, message: str) -> None:
    """clientFromString with a missing host or port shows what a description looks like."""
    with pytest.raises(TypeError) as info:
        endpoints.clientFromString(MemoryReactor(), description)
    assert str(info.value) == message


def test_incompleteTCPServerDescription() -> None:
    """serverFromString without a port shows a server description."""
    with pytest.raises(TypeError) as info:
        endpoints.serverFromString(MemoryReactor(), "tcp:interface=127.0.0.1")
    assert str(info.value) == (
        "missing 1 required positional argument: 'port' (a TCP server is tcp:PORT, "
        "e.g. tcp:8000:interface=127.0.0.1) in endpoint description 'tcp:interface=127.0.0.1'"
    )


def test_unknownEndpointTypeListsTheKnownOnes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The known types are read from the registry at call time, sorted."""
    known = ", ".join(sorted(_clientParsers))
    with pytest.raises(ValueError) as info:
        endpoints.clientFromString(MemoryReactor(), "tpc:localhost:80")
    assert str(info.value) == f"Unknown endpoint type: 'tpc' (known types: {known})"

    class Parser:
        prefix = "aaa"

    monkeypatch.setitem(_clientParsers, "aaa", Parser())
    with pytest.raises(ValueError) as info:
        endpoints.clientFromString(MemoryReactor(), "tpc:localhost:80")
    assert str(info.value) == f"Unknown endpoint type: 'tpc' (known types: aaa, {known})"


class _Descriptor(FileDescriptor):
    def fileno(self) -> int:
        return 42


def _transports() -> list[Any]:
    return [_Descriptor(MemoryReactorClock()), StringTransport(), FakeTransport(Protocol(), False, None, None)]


@pytest.mark.parametrize("transport", _transports(), ids=lambda t: type(t).__name__)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("text", "Data must be bytes, not str: encode text first, e.g. transport.write(text.encode('utf-8'))"),
        (bytearray(b"x"), "Data must be bytes, not bytearray: convert it with bytes(data)"),
        (memoryview(b"x"), "Data must be bytes, not memoryview: convert it with bytes(data)"),
        (7, "Data must be bytes, not int: a transport sends bytes only"),
    ],
)
def test_writingSomethingThatIsNotBytes(transport: Any, data: object, message: str) -> None:
    """write() of a str says to encode it (every transport and test double alike)."""
    with pytest.raises(TypeError) as info:
        transport.write(data)
    assert str(info.value) == message
    if not isinstance(transport, StringTransport):  # Twisted's joins without a check
        with pytest.raises(TypeError) as info:
            transport.writeSequence([b"fine", data])
        assert str(info.value) == message


def test_returnValueSaysToReturn() -> None:
    """returnValue's DeprecationWarning says to write a plain return instead."""

    @defer.inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield defer.succeed(None)
        defer.returnValue(1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = work()
    assert [str(w.message) for w in caught] == [
        (
            "returnValue() is deprecated: use a plain 'return value' statement in the "
            "@inlineCallbacks generator instead (Twisted deprecated returnValue in 24.7.0)"
        )
    ]
    assert [w.category for w in caught] == [DeprecationWarning]
    assert successResultOf(d) == 1
