"""Exceptions plait raises or delivers, with Twisted's names and messages.

This module owns the whole exception hierarchy of ``twisted.internet.error``
(plus the two ``CONNECTION_*`` constants of ``twisted.internet.main``) and
``getConnectError``, the single place where an operating-system connect error
(an ``errno``) becomes one of these exception classes.

Rules:

* Class names, base classes, constructor signatures and ``str()`` output are
  Twisted's, character for character; users match on them in errbacks and
  log scrapers.  ``DNSLookupError`` is an ``OSError`` and *not* a
  ``ConnectError``; ``error.TimeoutError`` is a ``UserError`` (connect
  timeout) and unrelated to the builtin ``TimeoutError``.
* Most classes describe themselves as ``"<MESSAGE>: <args joined by
  spaces>."``.  Unlike Twisted, non-string arguments are converted with
  ``str()`` instead of making ``str(exc)`` itself raise ``TypeError``.
* Nothing here imports anything from plait: this is layer 0.

Tests: tests/unit/test_error.py
"""

from __future__ import annotations

import errno
import socket
from typing import Any

__all__ = [
    "CONNECTION_DONE",
    "CONNECTION_LOST",
    "AlreadyCalled",
    "AlreadyCancelled",
    "AlreadyListened",
    "BadFileError",
    "BindError",
    "CannotListenError",
    "CertificateError",
    "ConnectBindError",
    "ConnectError",
    "ConnectInProgressError",
    "ConnectingCancelledError",
    "ConnectionAborted",
    "ConnectionClosed",
    "ConnectionDone",
    "ConnectionFdescWentAway",
    "ConnectionLost",
    "ConnectionRefusedError",
    "DNSLookupError",
    "FileDescriptorOverrun",
    "InvalidAddressError",
    "MessageLengthError",
    "MulticastJoinError",
    "NoProtocol",
    "NoRouteError",
    "NotConnectingError",
    "NotListeningError",
    "PeerVerifyError",
    "ProcessDone",
    "ProcessExitedAlready",
    "ProcessTerminated",
    "ReactorAlreadyInstalledError",
    "ReactorAlreadyRunning",
    "ReactorNotRestartable",
    "ReactorNotRunning",
    "SSLError",
    "ServiceNameUnknownError",
    "TCPTimedOutError",
    "TimeoutError",
    "UnknownHostError",
    "UnsupportedAddressFamily",
    "UnsupportedSocketType",
    "UserError",
    "VerifyError",
    "errnoMapping",
    "getConnectError",
]


def _messageWithArgs(message: str, args: tuple[Any, ...]) -> str:
    """Render ``message``, then ``": " + args`` if there are any, then ``"."``.

    The test is "any args at all", not "truthy args": Twisted prints
    ``ConnectionLost("")`` as ``"...fashion: ."`` and so do we.
    """
    if args:
        return f"{message}: {' '.join(str(arg) for arg in args)}."
    return f"{message}."


class _Described:
    """Mixin giving ``str(exc)`` the ``"<MESSAGE>[: args]."`` shape.

    It relies only on its own ``MESSAGE`` attribute (overridden per class)
    and on ``BaseException.args``, which every concrete subclass has.
    """

    MESSAGE = ""
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return _messageWithArgs(self.MESSAGE, self.args)


# --- binding and listening -------------------------------------------------


class BindError(_Described, Exception):
    """An error occurred binding to an interface."""

    MESSAGE = "An error occurred binding to an interface"


class CannotListenError(BindError):
    """``listenTCP`` and friends could not bind the requested address."""

    def __init__(self, interface: str | None, port: int | str | bytes | None, socketError: Any) -> None:
        super().__init__(interface, port, socketError)
        self.interface = interface
        self.port = port
        self.socketError = socketError

    def __str__(self) -> str:
        # An empty interface means "all interfaces", which Twisted spells "any".
        where = self.interface or "any"
        # A UNIX path is bytes, shown as Python shows bytes (as in Twisted).
        port = repr(self.port) if isinstance(self.port, bytes) else self.port
        return f"Couldn't listen on {where}:{port}: {self.socketError}."


class MulticastJoinError(Exception):
    """An attempt to join a multicast group failed."""


class MessageLengthError(_Described, Exception):
    """A datagram was too long to send."""

    MESSAGE = "Message is too long to send"


class DNSLookupError(_Described, OSError):
    """A hostname could not be resolved.

    Deliberately an ``OSError`` and not a ``ConnectError``, as in Twisted.
    """

    MESSAGE = "DNS lookup failed"


class ConnectInProgressError(Exception):
    """A non-blocking connect is still in progress."""


# --- connecting --------------------------------------------------------------


class ConnectError(Exception):
    """An error occurred while connecting.

    ``osError`` is whatever detail the OS gave (an errno, an ``OSError``, a
    string); ``string`` is a human explanation.  ``args`` holds only
    ``string``, so ``repr`` shows just that, as in Twisted.
    """

    MESSAGE = "An error occurred while connecting"

    def __init__(self, osError: Any = None, string: Any = "") -> None:
        self.osError = osError
        super().__init__(string)

    def __str__(self) -> str:
        text = self.MESSAGE
        if self.osError:
            text = f"{text}: {self.osError}"
        if self.args[0]:
            text = f"{text}: {self.args[0]}"
        return f"{text}."


class ConnectBindError(ConnectError):
    """Binding the local side of an outgoing connection failed."""

    MESSAGE = "Couldn't bind"


class UnknownHostError(ConnectError):
    """The hostname to connect to could not be resolved (``gaierror``)."""

    MESSAGE = "Hostname couldn't be looked up"


class NoRouteError(ConnectError):
    """``ENETUNREACH``: the network is unreachable."""

    MESSAGE = "No route to host"


class ConnectionRefusedError(ConnectError):
    """``ECONNREFUSED``: nothing listens on the other side."""

    MESSAGE = "Connection was refused by other side"


class TCPTimedOutError(ConnectError):
    """``ETIMEDOUT``: the kernel gave up on the TCP handshake."""

    MESSAGE = "TCP connection timed out"


class BadFileError(ConnectError):
    """The path given for a UNIX socket is unusable."""

    MESSAGE = "File used for UNIX socket is no good"


class ServiceNameUnknownError(ConnectError):
    """A port was given as a service name that is not known."""

    MESSAGE = "Service name given as port is unknown"


class UserError(ConnectError):
    """The user aborted the connection attempt (``connector.stopConnecting``)."""

    MESSAGE = "User aborted connection"


class TimeoutError(UserError):
    """The connect timeout passed to ``connectTCP`` expired.

    Not the builtin ``TimeoutError``, and not ``defer.TimeoutError`` either;
    refer to it as ``error.TimeoutError``.
    """

    MESSAGE = "User timeout caused connection failure"


class SSLError(ConnectError):
    """A TLS error occurred while connecting."""

    MESSAGE = "An SSL error occurred"


class VerifyError(Exception):
    """Could not verify something that was supposed to be signed."""


class PeerVerifyError(VerifyError):
    """The peer rejected our verify error."""


class CertificateError(Exception):
    """A certificate problem."""


# --- connection lifetime ---------------------------------------------------


class ConnectionClosed(Exception):
    """A connection has been closed; the base of clean and unclean closes."""


class ConnectionLost(_Described, ConnectionClosed):
    """The connection was closed in an unclean way (reset, error, shutdown)."""

    MESSAGE = "Connection to the other side was lost in a non-clean fashion"


class ConnectionAborted(ConnectionLost):
    """The connection was closed locally by ``abortConnection()``."""

    MESSAGE = "Connection was aborted locally using ITCPTransport.abortConnection"


class ConnectionDone(_Described, ConnectionClosed):
    """The connection was closed cleanly."""

    MESSAGE = "Connection was closed cleanly"


class FileDescriptorOverrun(ConnectionLost):
    """Too many file descriptors were passed over a UNIX connection."""

    # The doubled full stop in str() is Twisted's, kept for fidelity.
    MESSAGE = (
        "A mis-use of IUNIXTransport.sendFileDescriptor caused the connection "
        "to be closed."
    )


class ConnectionFdescWentAway(ConnectionLost):
    """The file descriptor under the connection was closed behind our back."""

    MESSAGE = "Uh"


class AlreadyCalled(_Described, ValueError):
    """A ``DelayedCall`` was cancelled or reset after it ran."""

    MESSAGE = "Tried to cancel an already-called event"


class AlreadyCancelled(_Described, ValueError):
    """A ``DelayedCall`` was cancelled or reset after it was cancelled."""

    MESSAGE = "Tried to cancel an already-cancelled event"


class ProcessExitedAlready(Exception):
    """The process has already exited; the operation cannot be done."""


class ProcessDone(ConnectionDone):
    """A child process ended with exit code 0."""

    MESSAGE = "A process has ended without apparent errors"

    def __init__(self, status: int) -> None:
        super().__init__("process finished with exit code 0")
        self.exitCode = 0
        self.signal: int | None = None
        self.status = status


class ProcessTerminated(ConnectionLost):
    """A child process ended with a non-zero code or by a signal."""

    MESSAGE = "A process has ended with a probable error condition"

    def __init__(
        self,
        exitCode: int | None = None,
        signal: int | None = None,
        status: int | None = None,
    ) -> None:
        self.exitCode = exitCode
        self.signal = signal
        self.status = status
        detail = "process ended"
        if exitCode is not None:
            detail += f" with exit code {exitCode}"
        if signal is not None:
            detail += f" by signal {signal}"
        super().__init__(detail)


# --- misuse of connectors, ports and the reactor ---------------------------


class NotConnectingError(_Described, RuntimeError):
    """``stopConnecting()`` was called on a connector that is not connecting."""

    MESSAGE = "The Connector was not connecting when it was asked to stop connecting"


class NotListeningError(_Described, RuntimeError):
    """``stopListening()`` was called on a port that is not listening."""

    MESSAGE = "The Port was not listening when it was asked to stop listening"


class ReactorNotRunning(RuntimeError):
    """``stop()`` was called on a reactor that is not running."""


class ReactorNotRestartable(RuntimeError):
    """``run()`` was called on a reactor that already ran and stopped."""


class ReactorAlreadyRunning(RuntimeError):
    """``run()`` was called on a reactor that is running."""


class ReactorAlreadyInstalledError(AssertionError):
    """A reactor was installed while another one already was."""


class ConnectingCancelledError(Exception):
    """The Deferred of a connection attempt to ``address`` was cancelled."""

    def __init__(self, address: Any) -> None:
        super().__init__(address)
        self.address = address


class NoProtocol(Exception):
    """The factory's ``buildProtocol`` returned ``None``."""


class UnsupportedAddressFamily(Exception):
    """An address family (``AF_*``) this reactor cannot handle."""


class UnsupportedSocketType(Exception):
    """A socket type (``SOCK_*``) this reactor cannot handle."""


class AlreadyListened(Exception):
    """A socket passed to ``adoptStreamPort`` was already listening."""


class InvalidAddressError(ValueError):
    """An address that is malformed (e.g. not an IP literal where one is needed)."""

    def __init__(self, address: Any, message: str) -> None:
        super().__init__(address, message)
        self.address = address
        self.message = message


#: The reason most transports hand to ``connectionLost`` after a clean close.
CONNECTION_DONE = ConnectionDone("Connection done")
#: The reason handed to leftover connections when the reactor shuts down.
CONNECTION_LOST = ConnectionLost("Connection lost")


# --- errno -> exception: the one translation point -------------------------

#: Connect errnos that have their own exception class.  Anything else
#: (including ``EHOSTUNREACH``, as in Twisted) becomes a plain ConnectError.
errnoMapping: dict[int, type[ConnectError]] = {
    errno.ENETUNREACH: NoRouteError,
    errno.ECONNREFUSED: ConnectionRefusedError,
    errno.ETIMEDOUT: TCPTimedOutError,
}


def getConnectError(e: Any) -> ConnectError:
    """Translate a failed connect into the matching ``ConnectError`` subclass.

    ``e`` is an ``OSError`` (including ``socket.gaierror``) or an
    ``(errno, message)`` pair.  The result is built as
    ``klass(errno, strerror)`` so that ``str()`` reads e.g.
    ``"Connection was refused by other side: 111: Connection refused."``.
    Anything that carries no errno becomes ``ConnectError(string=e)``.
    Callers chain it: ``raise getConnectError(exc) from exc``.
    """
    if isinstance(e, socket.gaierror):
        return UnknownHostError(e.errno, e.strerror)
    number: Any
    message: Any
    if isinstance(e, OSError) and e.errno is not None:
        number, message = e.errno, e.strerror
    elif isinstance(e, tuple) and len(e) == 2:
        number, message = e
    else:
        return ConnectError(string=e)
    return errnoMapping.get(number, ConnectError)(number, message)
