"""Tests for plait.error: names, bases, messages and the errno translation."""

from __future__ import annotations

import builtins
import errno
import socket
from typing import Any

import pytest

from plait import error
from plait.address import IPv4Address

# (expression, expected str()) -- the table of the behaviour reference, §6.
STR_TABLE: list[tuple[Any, str]] = [
    (error.ConnectionRefusedError(), "Connection was refused by other side."),
    (
        error.ConnectionRefusedError(111, "Connection refused"),
        "Connection was refused by other side: 111: Connection refused.",
    ),
    (error.ConnectError(), "An error occurred while connecting."),
    (error.ConnectError(string="boom"), "An error occurred while connecting: boom."),
    (error.TimeoutError(), "User timeout caused connection failure."),
    (error.UserError(), "User aborted connection."),
    (error.TCPTimedOutError(), "TCP connection timed out."),
    (error.NoRouteError(), "No route to host."),
    (error.UnknownHostError(), "Hostname couldn't be looked up."),
    (error.ConnectBindError(98, "Address already in use"), "Couldn't bind: 98: Address already in use."),
    (error.SSLError(), "An SSL error occurred."),
    (error.BadFileError(), "File used for UNIX socket is no good."),
    (error.DNSLookupError("x"), "DNS lookup failed: x."),
    (error.DNSLookupError(), "DNS lookup failed."),
    (error.ConnectionDone(), "Connection was closed cleanly."),
    (error.ConnectionDone("Connection done"), "Connection was closed cleanly: Connection done."),
    (error.ConnectionLost(), "Connection to the other side was lost in a non-clean fashion."),
    (error.ConnectionLost("x"), "Connection to the other side was lost in a non-clean fashion: x."),
    (error.ConnectionLost(""), "Connection to the other side was lost in a non-clean fashion: ."),
    (error.ConnectionAborted(), "Connection was aborted locally using ITCPTransport.abortConnection."),
    (error.ConnectionClosed(), ""),
    (error.AlreadyCalled(), "Tried to cancel an already-called event."),
    (error.AlreadyCancelled(), "Tried to cancel an already-cancelled event."),
    (
        error.NotConnectingError("we're not trying to connect"),
        (
            "The Connector was not connecting when it was asked to stop connecting: "
            "we're not trying to connect."
        ),
    ),
    (error.NotListeningError(), "The Port was not listening when it was asked to stop listening."),
    (error.ReactorNotRunning("Can't stop reactor that isn't running."), "Can't stop reactor that isn't running."),
    (
        error.CannotListenError("", 80, OSError(13, "Permission denied")),
        "Couldn't listen on any:80: [Errno 13] Permission denied.",
    ),
    (
        error.CannotListenError("127.0.0.1", 80, "x"),
        "Couldn't listen on 127.0.0.1:80: x.",
    ),
    (
        error.ServiceNameUnknownError(string="service/proto not found ('nosuchsvc')"),
        "Service name given as port is unknown: service/proto not found ('nosuchsvc').",
    ),
    (error.NoProtocol(), ""),
    (error.BindError("x", "y"), "An error occurred binding to an interface: x y."),
    (error.MessageLengthError(), "Message is too long to send."),
    (error.ConnectionFdescWentAway("x"), "Uh: x."),
    (
        error.FileDescriptorOverrun(),
        "A mis-use of IUNIXTransport.sendFileDescriptor caused the connection to be closed..",
    ),
    (
        error.ConnectError(OSError(1, "x"), "s"),
        "An error occurred while connecting: [Errno 1] x: s.",
    ),
    (error.ConnectionDone(None, 3), "Connection was closed cleanly: None 3."),
    (
        error.ProcessDone(0),
        "A process has ended without apparent errors: process finished with exit code 0.",
    ),
    (
        error.ProcessTerminated(1, 2, 3),
        (
            "A process has ended with a probable error condition: "
            "process ended with exit code 1 by signal 2."
        ),
    ),
    (
        error.ProcessTerminated(),
        "A process has ended with a probable error condition: process ended.",
    ),
]


@pytest.mark.parametrize(("exc", "expected"), STR_TABLE, ids=lambda v: type(v).__name__)
def test_strMatchesTwisted(exc: BaseException, expected: str) -> None:
    """str() of each exception reproduces Twisted's text exactly."""
    assert str(exc) == expected


BASES: list[tuple[type, type]] = [
    (error.CannotListenError, error.BindError),
    (error.DNSLookupError, OSError),
    (error.ConnectBindError, error.ConnectError),
    (error.UnknownHostError, error.ConnectError),
    (error.NoRouteError, error.ConnectError),
    (error.ConnectionRefusedError, error.ConnectError),
    (error.TCPTimedOutError, error.ConnectError),
    (error.BadFileError, error.ConnectError),
    (error.ServiceNameUnknownError, error.ConnectError),
    (error.SSLError, error.ConnectError),
    (error.UserError, error.ConnectError),
    (error.TimeoutError, error.UserError),
    (error.PeerVerifyError, error.VerifyError),
    (error.ConnectionLost, error.ConnectionClosed),
    (error.ConnectionDone, error.ConnectionClosed),
    (error.ConnectionAborted, error.ConnectionLost),
    (error.FileDescriptorOverrun, error.ConnectionLost),
    (error.ConnectionFdescWentAway, error.ConnectionLost),
    (error.ProcessTerminated, error.ConnectionLost),
    (error.ProcessDone, error.ConnectionDone),
    (error.AlreadyCalled, ValueError),
    (error.AlreadyCancelled, ValueError),
    (error.NotConnectingError, RuntimeError),
    (error.NotListeningError, RuntimeError),
    (error.ReactorNotRunning, RuntimeError),
    (error.ReactorNotRestartable, RuntimeError),
    (error.ReactorAlreadyRunning, RuntimeError),
    (error.ReactorAlreadyInstalledError, AssertionError),
    (error.InvalidAddressError, ValueError),
]


@pytest.mark.parametrize(("cls", "base"), BASES, ids=lambda v: v.__name__)
def test_hierarchyMatchesTwisted(cls: type, base: type) -> None:
    """Each exception derives from the same base as in Twisted."""
    assert issubclass(cls, base)


def test_dnsLookupErrorIsNotAConnectError() -> None:
    """DNSLookupError is an OSError, deliberately not a ConnectError."""
    assert not issubclass(error.DNSLookupError, error.ConnectError)


def test_timeoutErrorIsNotTheBuiltin() -> None:
    """error.TimeoutError (connect timeout) is unrelated to the builtin TimeoutError."""
    assert not issubclass(error.TimeoutError, builtins.TimeoutError)
    assert not issubclass(builtins.TimeoutError, error.TimeoutError)


@pytest.mark.parametrize(
    "cls",
    [error.MulticastJoinError, error.ConnectInProgressError, error.CertificateError,
     error.ProcessExitedAlready, error.NoProtocol, error.UnsupportedAddressFamily,
     error.UnsupportedSocketType, error.AlreadyListened, error.ConnectingCancelledError,
     error.ConnectError, error.BindError, error.VerifyError, error.ConnectionClosed],
    ids=lambda v: v.__name__,
)
def test_plainExceptionSubclasses(cls: type) -> None:
    """The root classes of the hierarchy are plain Exceptions."""
    assert cls.__bases__[-1] is Exception


def test_connectErrorReprShowsOnlyTheString() -> None:
    """repr(ConnectError) shows args[0], the explanatory string, not the errno."""
    exc = error.ConnectionRefusedError(111, "Connection refused")
    assert repr(exc) == "ConnectionRefusedError('Connection refused')"
    assert exc.osError == 111
    assert exc.args == ("Connection refused",)


def test_connectionConstants() -> None:
    """CONNECTION_DONE and CONNECTION_LOST carry Twisted's reasons."""
    assert isinstance(error.CONNECTION_DONE, error.ConnectionDone)
    assert error.CONNECTION_DONE.args == ("Connection done",)
    assert isinstance(error.CONNECTION_LOST, error.ConnectionLost)
    assert str(error.CONNECTION_LOST) == (
        "Connection to the other side was lost in a non-clean fashion: Connection lost."
    )


def test_connectingCancelledErrorKeepsAddress() -> None:
    """ConnectingCancelledError exposes .address and prints it."""
    address = IPv4Address("TCP", "127.0.0.1", 80)
    exc = error.ConnectingCancelledError(address)
    assert exc.address is address
    assert str(exc) == "IPv4Address(type='TCP', host='127.0.0.1', port=80)"


def test_cannotListenErrorAttributes() -> None:
    """CannotListenError keeps interface, port and socketError."""
    cause = OSError(13, "Permission denied")
    exc = error.CannotListenError("127.0.0.1", 80, cause)
    assert (exc.interface, exc.port, exc.socketError) == ("127.0.0.1", 80, cause)


def test_invalidAddressErrorAttributes() -> None:
    """InvalidAddressError keeps the address and the message."""
    exc = error.InvalidAddressError("nonsense", "not an IP")
    assert (exc.address, exc.message) == ("nonsense", "not an IP")


def test_processOutcomeAttributes() -> None:
    """ProcessDone and ProcessTerminated record exit code, signal and status."""
    done = error.ProcessDone(0)
    assert (done.exitCode, done.signal, done.status) == (0, None, 0)
    ended = error.ProcessTerminated(signal=9)
    assert (ended.exitCode, ended.signal, ended.status) == (None, 9, None)
    assert str(ended).endswith("process ended by signal 9.")


@pytest.mark.parametrize(
    ("number", "cls"),
    [
        (errno.ECONNREFUSED, error.ConnectionRefusedError),
        (errno.ENETUNREACH, error.NoRouteError),
        (errno.ETIMEDOUT, error.TCPTimedOutError),
        (errno.EHOSTUNREACH, error.ConnectError),
        (errno.EACCES, error.ConnectError),
    ],
)
def test_getConnectErrorMapsErrno(number: int, cls: type) -> None:
    """getConnectError picks the class by errno and builds it as klass(errno, strerror)."""
    exc = error.getConnectError(OSError(number, "why"))
    assert type(exc) is cls
    assert exc.osError == number
    assert exc.args == ("why",)


def test_getConnectErrorAcceptsAPair() -> None:
    """An (errno, message) pair is translated like an OSError."""
    exc = error.getConnectError((errno.ECONNREFUSED, "Connection refused"))
    assert type(exc) is error.ConnectionRefusedError
    assert str(exc) == "Connection was refused by other side: 111: Connection refused."


def test_getConnectErrorGaiError() -> None:
    """A socket.gaierror becomes UnknownHostError."""
    exc = error.getConnectError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert type(exc) is error.UnknownHostError
    assert str(exc).startswith("Hostname couldn't be looked up: ")


@pytest.mark.parametrize("value", ["just text", OSError("no errno"), (1, 2, 3)], ids=repr)
def test_getConnectErrorWithoutErrno(value: Any) -> None:
    """Anything without an errno becomes ConnectError(string=value)."""
    exc = error.getConnectError(value)
    assert type(exc) is error.ConnectError
    assert exc.osError is None
    assert exc.args == (value,)
