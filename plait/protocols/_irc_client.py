"""IRCClient: the client side of IRC (``twisted.words.protocols.irc.IRCClient``).

This private module owns ``IRCClient``, re-exported by
``plait.protocols.irc`` (import it from there).  A client's life::

    connectionMade -> register (PASS?, NICK, USER)
        [433 -> NICK nick_ ...] -> 001: signedOn, heartbeat starts
        -> irc_<COMMAND> handlers -> callbacks (joined, privmsg, ...)
        -> connectionLost: heartbeat and send queue stopped

Rules:

* ``sendLine`` takes ``str``: it is low-level quoted, encoded with
  ``encoding`` (UTF-8) and written with CRLF.  Receiving strips every CR
  and splits on LF.
* Decoding is a per-connection policy: each line is decoded with
  ``encoding`` and, if that fails, with ``fallbackEncoding`` (Latin-1 by
  default: lenient, never fails, keeps the bytes).  ``fallbackEncoding =
  None`` is Twisted's strict UTF-8; an undecodable line then goes to
  ``badMessage`` (Twisted raises and loses the connection, issue #9443).
* Time comes from ``self.clock`` (an ``IReactorTime``; for DCC also an
  ``IReactorTCP``).  It defaults to the global reactor, imported when
  first needed, never at import time; tests and embedders assign a
  ``task.Clock`` or their reactor.  The heartbeat (a ``LoopingCall``),
  ``lineRate`` throttling, CTCP PING round-trip times and DCC offers use it.
* An exception raised by a command handler or a callback is logged with
  ``log.err`` and the connection stays up, as in Twisted.  A line too
  short for its command's handler (``MIN_PARAMS``), a malformed line and a
  malformed DCC request never reach a handler that would raise: they go
  to ``badMessage`` / ``quirkyMessage``.
* ``connectionLost`` stops the heartbeat and drops lines still waiting in
  the ``lineRate`` queue: nothing is left scheduled on the clock.

Layout: the class body below holds the connection plumbing, the
heartbeat, the callbacks and the commands.  The server-line handlers
(``irc_*``, in ``_irc_handlers``) and the CTCP/DCC methods (in
``_irc_ctcp``) are written as functions in those modules and bound in the
class body (``irc_JOIN = _irc_handlers.irc_JOIN``): each is an ordinary
IRCClient method that subclasses override, as in Twisted, while each
module stays one concern and readable in one sitting (the three-ancestor
rule rules out base classes for this).

Every deliberate difference from Twisted is listed in docs/differences.md
(IRC section) and covered by a test.

Tests: tests/unit/test_irc.py, tests/unit/test_irc_input.py,
tests/unit/test_irc_dcc.py, tests/unit/test_irc_server.py (with IRC),
tests/integration/test_irc_servers.py, tests/integration/test_irc_dcc.py;
the receive path's speed: the "IRC parsing" row of ``python -m bench``.
"""

from __future__ import annotations

import codecs
import collections
import random
import string
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from plait import log
from plait.failure import Failure
from plait.protocol import connectionDone
from plait.protocols import _irc_ctcp, _irc_dcc, _irc_handlers
from plait.protocols._irc_constants import numeric_to_symbolic
from plait.protocols._irc_isupport import ServerSupportedFeatures, channelModeParams
from plait.protocols._irc_text import (
    MIN_PARAMS,
    IRCBadMessage,
    ctcpStringify,
    fitOctets,
    lowDequote,
    lowQuote,
    parsemsg,
    relaySafeLength,
    split,
    withChannelPrefix,
    withoutTags,
)
from plait.protocols.basic import LineReceiver
from plait.task import LoopingCall

__all__ = ["IRCClient"]

# Raw command -> (the name handlers use, the parameters its handler reads,
# the handler's method name): numerics become their symbolic names
# (RPL_WELCOME...).  One dictionary lookup per line.
_COMMANDS: dict[str, tuple[str, int, str]] = {
    **{code: (name, MIN_PARAMS.get(name, 0), "irc_" + name) for code, name in numeric_to_symbolic.items()},
    **{
        name: (name, count, "irc_" + name)
        for name, count in {**MIN_PARAMS, "PING": 0, "QUIT": 0}.items()
        if not name.startswith(("RPL_", "ERR_"))
    },
}

_PING_KEY_CHARS = string.ascii_letters + string.digits


def _inherited(method: Any, function: Callable[..., Any], owner: object) -> bool:
    """Is ``method`` (just read from ``owner``) ``function`` bound to ``owner``:
    neither overridden by a subclass nor replaced on the instance?"""
    return getattr(method, "__func__", None) is function and getattr(method, "__self__", None) is owner


class IRCClient(LineReceiver):
    """An IRC client connection: send commands, get callbacks.

    Subclass it, set ``nickname`` (and optionally ``password``,
    ``realname``, ``username``, ``lineRate``, ``clock``...), and override
    the callbacks (``signedOn``, ``joined``, ``privmsg``...).  Every
    callback is called from the line that caused it, once per line.
    """

    # Identity and registration (Twisted's public attributes and defaults).
    nickname: str = "irc"
    password: str | None = None
    realname: str | None = None
    username: str | None = None
    hostname: str | None = None
    userinfo: str | None = None
    fingerReply: str | Callable[[], str] | None = None
    versionName: str | None = None
    versionNum: str | None = None
    versionEnv: str | None = None
    sourceURL: str | None = "http://twistedmatrix.com/downloads/"
    dcc_destdir: str = "."
    dcc_sessions: list[Any] | None = None
    # Seconds a dccSend offer waits for the peer to connect.
    dccOfferTimeout: float = 300
    performLogin: int = 1
    erroneousNickFallback: str = "defaultnick"

    # Server state.
    motd: list[str] | None = None
    supported: ServerSupportedFeatures

    # Timing: lineRate seconds between sent lines (None: no throttling);
    # a PING every heartbeatInterval seconds after sign-on (None: never).
    lineRate: float | None = None
    heartbeatInterval: float | None = 120
    clock: Any = None

    # Twisted splits on LF and strips every CR, so CRLF and bare LF both work.
    delimiter: bytes = b"\n"

    # The decoding policy of this connection (see the module docstring):
    # lenient (a fallback codec) by default, strict with fallbackEncoding None.
    encoding: str = "utf-8"
    fallbackEncoding: str | None = "latin-1"

    _registered: bool = False
    _attemptedNick: str = ""
    _MAX_PINGRING: int = 12
    _pings: dict[tuple[str, str], float] | None = None
    _pingRandom: random.Random = random.Random()
    _heartbeat: LoopingCall | None = None
    _queue: collections.deque[str] | None = None
    _queueEmptying: Any = None
    _dccOffers: dict[int, _irc_dcc.DccOffer] | None = None

    # -- plumbing -------------------------------------------------------------

    def _getClock(self) -> Any:
        """``self.clock``, defaulting (once) to the global reactor."""
        if self.clock is None:
            from plait import reactor  # at call time: importing installs it

            self.clock = reactor
        return self.clock

    def connectionMade(self) -> None:
        """Reset the server state and, if ``performLogin``, register."""
        for codec in (self.encoding, self.fallbackEncoding or "utf-8"):
            codecs.lookup(codec)  # LookupError now, not at the first odd line
        self.supported = ServerSupportedFeatures()
        self._queue = collections.deque()
        if self.performLogin:
            self.register(self.nickname)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """Stop the heartbeat and the send queue; nothing stays scheduled."""
        LineReceiver.connectionLost(self, reason)
        self.stopHeartbeat()
        if self._queueEmptying is not None:
            if self._queueEmptying.active():
                self._queueEmptying.cancel()
            self._queueEmptying = None
        if self._queue:
            self._queue.clear()

    def dataReceived(self, data: bytes | str) -> Any:
        """Strip every CR and hand the rest to the line splitter.

        Discussion: this is the hot path of every IRC client, so the common
        case (line mode, not paused, ``lineReceived`` not
        overridden, no over-long line) splits and decodes the whole read at
        once and dispatches each line without going through LineReceiver's
        per-line machinery.  Anything else takes LineReceiver's path, and
        when a callback pauses, switches to raw mode or closes the
        connection, the lines not yet delivered go back to LineReceiver's
        buffer, so the behaviour is LineReceiver's either way.

        The overrides are detected through the bound method, never through
        ``self.__dict__``: reading an instance's ``__dict__`` makes CPython
        3.11 turn its compact attribute storage into a real dictionary for
        good, after which every attribute access of the connection (the
        handlers' and the callbacks' too) is slower.
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = data.replace(b"\r", b"")
        if (
            self._busyReceiving
            or self.paused
            or not self.line_mode
            or self.delimiter != b"\n"
            or not _inherited(self.lineReceived, IRCClient.lineReceived, self)
        ):
            return LineReceiver.dataReceived(self, data)
        if self._lines is not None and len(self._lines):
            data = self._lines.takeAll() + data  # usually the tail of the last read
        cut = data.rfind(b"\n") + 1
        complete, rest = data[:cut], data[cut:]
        if len(data) > self.MAX_LENGTH and (
            len(rest) >= self.MAX_LENGTH or max(map(len, complete.split(b"\n"))) > self.MAX_LENGTH
        ):
            return LineReceiver.dataReceived(self, data)
        # Both are false/true (checked above), maybe as LineReceiver's class
        # defaults: as instance attributes they are cheap to read in the
        # per-line check (CPython 3.11 specialises instance reads only).
        self.paused, self.line_mode = False, True
        return self._deliverRead(complete, rest)

    def _deliverRead(self, complete: bytes, rest: bytes) -> Any:
        """Dispatch ``complete`` (whole lines) of one read, buffer ``rest``."""
        self._busyReceiving = True  # a re-entrant dataReceived only buffers
        try:
            try:
                texts = complete.decode(self.encoding).split("\n")
            except UnicodeDecodeError:  # line by line, with the fallback policy
                raws = complete.split(b"\n")
                lines, delivered = len(raws) - 1, len(raws) - 1
                for count, raw in enumerate(raws[:-1], 1):
                    self.lineReceived(raw)
                    if self.paused or not self.line_mode or self._disconnecting():
                        delivered = count
                        break
            else:
                direct = _inherited(self.handleCommand, IRCClient.handleCommand, self)
                texts.pop()  # what follows the last LF: ""
                lines = len(texts)
                delivered = self._dispatchTexts(texts, b"\x10" in complete, direct)
        finally:
            self._busyReceiving = False
        undelivered = rest
        if delivered < lines:
            # A callback paused us, switched to raw mode or began closing:
            # the remaining lines go back, exactly as received.
            start = -1
            for _ in range(delivered):
                start = complete.index(b"\n", start + 1)
            undelivered = complete[start + 1 :] + rest
        buffer = self._lineBuffer()
        reentrant = len(buffer)  # what a callback's dataReceived buffered comes after
        if reentrant:
            undelivered += buffer.takeAll()
        buffer.append(undelivered)
        if reentrant or delivered < lines:
            return LineReceiver.dataReceived(self, b"")  # LineReceiver takes it from there
        return None

    def lineReceived(self, line: bytes | str) -> None:
        """Decode, dequote and parse one line, then dispatch it.

        A line that cannot be decoded (strict policy), parsed, or that has
        fewer parameters than its command's handler reads goes to
        ``badMessage`` instead.  An IRCv3 tag section is dropped.  A ``str``
        line (Twisted's IRCClient takes those too) is used as is.
        """
        if isinstance(line, str):
            self._dispatchTexts([line], True, False)
            return
        try:
            text = line.decode(self.encoding)
        except UnicodeDecodeError:
            if self.fallbackEncoding is None:
                self.badMessage(line.decode(self.encoding, "backslashreplace"), *sys.exc_info())
                return
            text = line.decode(self.fallbackEncoding, "replace")
        self._dispatchTexts([text], True, False)

    def _dispatchTexts(self, texts: list[str], dequote: bool, direct: bool) -> int:
        """Parse and dispatch decoded lines in order; return how many were taken.

        Stops before the next line once a callback paused us, switched to
        raw mode or began closing (LineReceiver's rule).  ``direct``:
        ``handleCommand`` is not overridden, so its body runs here, and
        each command's handler is looked up once per call (``handlers``:
        raw command -> symbolic name, minimum parameter count, bound
        handler), not once per line.  A handler replaced while the lines
        of one read are being dispatched is therefore used from the next
        read on (docs/differences.md).

        Discussion: this loop is the client's hot path, measured by the
        "IRC parsing" row of ``python -m bench``; every Python operation in
        it shows up there, hence the locals and the parse below.  The usual
        line, ``:prefix COMMAND middle... :trailing``, is split by three C
        calls; every other shape (no prefix, tags, malformed) goes to
        ``_parseOdd``, that is to ``parsemsg``.  The two agree on every
        line: tests/unit/test_irc_input.py checks it.
        """
        handlers: dict[str, tuple[str, int, Any]] = {}
        badMessage, transport = self.badMessage, self.transport
        for count, text in enumerate(texts):
            if self.paused or not self.line_mode or (transport is not None and transport.disconnecting):
                return count
            if dequote:
                text = lowDequote(text)
            # As parsemsg: the prefix ends at the first space, and the first
            # " :" starts the trailing parameter.  That " :" cannot come
            # before the prefix's space, so ``head`` is the prefix, a space
            # and what parsemsg splits into the command and the middle
            # parameters (when the " :" *is* that space there is no command:
            # ``params`` is empty and parsemsg decides).
            head, sep, trailing = text.partition(" :")
            token, _, middle = head.partition(" ")
            prefix = token.removeprefix(":")
            params = middle.split() if prefix != token else None
            if params:
                raw = params[0]
                del params[0]
                if sep:
                    params.append(trailing)
            else:
                parsed = self._parseOdd(text)
                if parsed is None:
                    continue
                prefix, raw, params = parsed
            entry = handlers.get(raw)
            if entry is None:
                entry = handlers[raw] = self._handlerEntry(raw, direct)
            command, minimum, method = entry
            if len(params) < minimum:
                problem = IRCBadMessage(f"{command} needs {minimum} parameters, got {len(params)}")
                badMessage(text, IRCBadMessage, problem, None)
            elif method is not None:
                try:
                    method(prefix, params)
                except Exception:  # noqa: BLE001 -- the dispatch boundary: log, keep the connection
                    log.err(None, f"Error while handling IRC command {command} {params!r}")
            elif direct:
                try:
                    self.irc_unknown(prefix, command, params)
                except Exception:  # noqa: BLE001 -- the dispatch boundary: log, keep the connection
                    log.err(None, f"Error while handling IRC command {command} {params!r}")
            else:
                self.handleCommand(command, prefix, params)
        return len(texts)

    def _parseOdd(self, text: str) -> tuple[str, str, list[str]] | None:
        """``parsemsg`` for the lines the fast parse leaves: None (after
        ``badMessage``) for a malformed one.  An IRCv3 tag section is dropped."""
        if text[:1] == "@":
            text = withoutTags(text)
        try:
            return parsemsg(text)
        except IRCBadMessage:
            self.badMessage(text, *sys.exc_info())
            return None

    def _handlerEntry(self, raw: str, direct: bool) -> tuple[str, int, Any]:
        """The ``handlers`` entry of ``_dispatchTexts`` for a raw command:
        its name (numerics become RPL_...), the parameters its handler
        reads, and the bound ``irc_<name>`` (None if there is none, or if
        ``handleCommand`` is overridden and must do the lookup itself)."""
        command, minimum, name = _COMMANDS.get(raw) or (raw, 0, "irc_" + raw)
        return command, minimum, getattr(self, name, None) if direct else None

    def _disconnecting(self) -> bool:
        transport = self.transport
        return transport is not None and bool(transport.disconnecting)

    def handleCommand(self, command: str, prefix: str, params: list[str]) -> None:
        """Call ``irc_<command>`` (or ``irc_unknown``); log what it raises."""
        method = getattr(self, "irc_" + command, None)
        try:
            if method is None:
                self.irc_unknown(prefix, command, params)
            else:
                method(prefix, params)
        except Exception:  # noqa: BLE001 -- the dispatch boundary: log, keep the connection
            log.err(None, f"Error while handling IRC command {command} {params!r}")

    def sendLine(self, line: str) -> None:  # type: ignore[override]
        """Send one IRC line (``str``, without CRLF), throttled by ``lineRate``."""
        if not isinstance(line, str):
            raise TypeError(f"IRCClient.sendLine() takes str, not {type(line).__name__}")
        if self.lineRate is None:
            self._reallySendLine(line)
            return
        if self._queue is None:
            self._queue = collections.deque()
        self._queue.append(line)
        if self._queueEmptying is None:
            self._sendQueuedLine()

    def _reallySendLine(self, line: str) -> None:
        # CR then LineReceiver's LF delimiter: CRLF on the wire.
        LineReceiver.sendLine(self, lowQuote(line).encode(self.encoding) + b"\r")

    def _sendQueuedLine(self) -> None:
        if not self._queue:
            self._queueEmptying = None
            return
        self._reallySendLine(self._queue.popleft())
        self._queueEmptying = self._getClock().callLater(self.lineRate, self._sendQueuedLine)

    # -- heartbeat -------------------------------------------------------------

    def _createHeartbeat(self) -> LoopingCall:
        heartbeat = LoopingCall(self._sendHeartbeat)
        heartbeat.clock = self._getClock()
        return heartbeat

    def _sendHeartbeat(self) -> None:
        self.sendLine("PING " + (self.hostname or ""))

    def startHeartbeat(self) -> None:
        """PING the server every ``heartbeatInterval`` s (first one after a full interval)."""
        self.stopHeartbeat()
        if self.heartbeatInterval is None:
            return
        self._heartbeat = self._createHeartbeat()
        self._heartbeat.start(self.heartbeatInterval, now=False)

    def stopHeartbeat(self) -> None:
        """Stop the heartbeat, if it runs."""
        if self._heartbeat is not None:
            heartbeat, self._heartbeat = self._heartbeat, None
            if heartbeat.running:
                heartbeat.stop()

    # -- callbacks: override these (all do nothing unless stated) --------------

    def created(self, when: str) -> None:
        """RPL_CREATED: when the server was created."""

    def yourHost(self, info: str) -> None:
        """RPL_YOURHOST: the server's name and version."""

    def myInfo(self, servername: str | None, version: str | None, umodes: str | None, cmodes: str | None) -> None:
        """RPL_MYINFO: server name, version, user modes and channel modes."""

    def luserClient(self, info: str) -> None:
        """RPL_LUSERCLIENT: how many users and servers."""

    def bounce(self, info: str) -> None:
        """RPL_BOUNCE: the server suggests another one."""

    def isupport(self, options: list[str]) -> None:
        """RPL_ISUPPORT, after ``self.supported`` was updated with ``options``."""

    def luserChannels(self, channels: int) -> None:
        """RPL_LUSERCHANNELS: how many channels exist."""

    def luserOp(self, ops: int) -> None:
        """RPL_LUSEROP: how many operators are online."""

    def luserMe(self, info: str) -> None:
        """RPL_LUSERME: clients and servers connected to this server."""

    def privmsg(self, user: str, channel: str, message: str) -> None:
        """A message; ``user`` is ``nick!user@host``, ``channel`` is our nick if private."""

    def joined(self, channel: str) -> None:
        """We joined ``channel``."""

    def left(self, channel: str) -> None:
        """We left ``channel``."""

    def noticed(self, user: str, channel: str, message: str) -> None:
        """A notice (which must never be answered automatically)."""

    def modeChanged(self, user: str, channel: str, set: bool, modes: str, args: tuple[str | None, ...]) -> None:
        """Modes were set (``set`` True) or unset on a channel or user."""

    def pong(self, user: str, secs: float) -> None:
        """A CTCP PING reply from ``user``, ``secs`` after our ``ping``."""

    def signedOn(self) -> None:
        """Registration succeeded (RPL_WELCOME)."""

    def kickedFrom(self, channel: str, kicker: str, message: str) -> None:
        """We were kicked from ``channel``."""

    def nickChanged(self, nick: str) -> None:
        """Our nick changed; the default records it in ``self.nickname``."""
        self.nickname = nick

    def userJoined(self, user: str, channel: str) -> None:
        """Another user (a nick) joined ``channel``."""

    def userLeft(self, user: str, channel: str) -> None:
        """Another user left ``channel``."""

    def userQuit(self, user: str, quitMessage: str) -> None:
        """Another user quit IRC."""

    def userKicked(self, kickee: str, channel: str, kicker: str, message: str) -> None:
        """Another user was kicked from ``channel``."""

    def action(self, user: str, channel: str, data: str | None) -> None:
        """A CTCP ACTION (``/me``)."""

    def topicUpdated(self, user: str, channel: str, newTopic: str) -> None:
        """The topic of ``channel`` was reported or changed."""

    def userRenamed(self, oldname: str, newname: str) -> None:
        """Another user changed nick."""

    def receivedMOTD(self, motd: list[str] | None) -> None:
        """The whole message of the day, one string per line."""

    def alterCollidedNick(self, nickname: str) -> str:
        """The nick to try after ``nickname`` was taken; default: append ``_``."""
        return nickname + "_"

    def badMessage(self, line: str, excType: type[BaseException] | None, excValue: BaseException | None, tb: TracebackType | None) -> None:
        """A line that could not be parsed; the default logs it."""
        log.msg(line)
        log.msg("".join(traceback.format_exception(excType, excValue, tb)))

    def quirkyMessage(self, s: str) -> None:
        """Something odd but harmless; the default logs it."""
        log.msg(s + "\n")

    # -- sending commands -------------------------------------------------------

    def register(self, nickname: str, hostname: str = "foo", servername: str = "bar") -> None:
        """Send PASS (if ``password``), NICK and USER."""
        if self.password is not None:
            self.sendLine(f"PASS {self.password}")
        self.setNick(nickname)
        if self.username is None:
            self.username = nickname
        self.sendLine(f"USER {self.username} {hostname} {servername} :{self.realname}")

    def setNick(self, nickname: str) -> None:
        """Ask for ``nickname``; ``nickChanged`` follows if the server agrees."""
        self._attemptedNick = nickname
        self.sendLine(f"NICK {nickname}")

    def join(self, channel: str, key: str | None = None) -> None:
        """JOIN a channel (``#`` added when it has no prefix), with an optional key."""
        channel = withChannelPrefix(channel)
        self.sendLine(f"JOIN {channel} {key}" if key else f"JOIN {channel}")

    def leave(self, channel: str, reason: str | None = None) -> None:
        """PART a channel, with an optional reason."""
        channel = withChannelPrefix(channel)
        self.sendLine(f"PART {channel} :{reason}" if reason else f"PART {channel}")

    part = leave

    def kick(self, channel: str, user: str, reason: str | None = None) -> None:
        """KICK ``user`` from a channel."""
        channel = withChannelPrefix(channel)
        self.sendLine(f"KICK {channel} {user} :{reason}" if reason else f"KICK {channel} {user}")

    def invite(self, user: str, channel: str) -> None:
        """INVITE ``user`` to a channel."""
        self.sendLine(f"INVITE {user} {withChannelPrefix(channel)}")

    def topic(self, channel: str, topic: str | None = None) -> None:
        """Ask for a channel's topic (``topic`` None) or set it."""
        channel = withChannelPrefix(channel)
        self.sendLine(f"TOPIC {channel}" if topic is None else f"TOPIC {channel} :{topic}")

    def mode(
        self,
        chan: str,
        set: bool,
        modes: str,
        limit: int | None = None,
        user: str | None = None,
        mask: str | None = None,
    ) -> None:
        """Set (``set`` True) or unset modes; one of limit/user/mask as argument."""
        line = f"MODE {chan} {'+' if set else '-'}{modes}"
        if limit is not None:
            line = f"{line} {int(limit)}"
        elif user is not None:
            line = f"{line} {user}"
        elif mask is not None:
            line = f"{line} {mask}"
        self.sendLine(line)

    def say(self, channel: str, message: str, length: int | None = None) -> None:
        """``msg`` to a channel, adding ``#`` when it has no prefix."""
        self.msg(withChannelPrefix(channel), message, length)

    def msg(self, user: str, message: str, length: int | None = None) -> None:
        """PRIVMSG ``user`` (a nick or channel), split to fit ``length`` octets.

        Each ``\\n`` starts a new line; longer text is wrapped so that every
        command, CRLF included, is at most ``length`` octets (default:
        ``_safeMaximumLineLength``).  ValueError if ``length`` leaves no room.
        """
        self._sendMessage("PRIVMSG", user, message, length)

    def notice(self, user: str, message: str, length: int | None = None) -> None:
        """NOTICE ``user``, split like ``msg``."""
        self._sendMessage("NOTICE", user, message, length)

    def _safeMaximumLineLength(self, command: str) -> int:
        """The longest line we may send so that the server can still relay it."""
        return relaySafeLength(self.supported.getFeature("NICKLEN") or 9, command)

    def _sendMessage(self, msgType: str, user: str, message: str, length: int | None) -> None:
        head = f"{msgType} {user} :"
        if length is None:
            length = self._safeMaximumLineLength(head)
        minimum = len(head.encode("utf-8")) + 2  # CRLF
        if length <= minimum:
            raise ValueError(f"Maximum length must exceed {minimum} for message to {user}")
        width = length - minimum
        for chunk in split(message, width):
            for piece in fitOctets(chunk, width):
                self.sendLine(head + piece)

    def away(self, message: str = "") -> None:
        """Mark us away with ``message``."""
        self.sendLine(f"AWAY :{message}")

    def back(self) -> None:
        """Clear the away status."""
        self.away()

    def whois(self, nickname: str, server: str | None = None) -> None:
        """Ask for WHOIS information, optionally from a given server."""
        self.sendLine(f"WHOIS {nickname}" if server is None else f"WHOIS {server} {nickname}")

    def quit(self, message: str = "") -> None:
        """Send QUIT; the server then closes the connection."""
        self.sendLine(f"QUIT :{message}")

    def describe(self, channel: str, action: str) -> None:
        """Send a CTCP ACTION (``/me``) to a channel or user, as given."""
        self.ctcpMakeQuery(channel, [("ACTION", action)])

    def ping(self, user: str, text: str | None = None) -> None:
        """CTCP PING ``user``; ``pong`` reports the round trip when it answers.

        ``text`` defaults to a random 12-character key.  Only the last
        ``_MAX_PINGRING`` outstanding pings are remembered.
        """
        if self._pings is None:
            self._pings = {}
        if text is None:
            key = "".join(self._pingRandom.choice(_PING_KEY_CHARS) for _ in range(12))
        else:
            key = str(text)
        self._pings[(user, key)] = self._getClock().seconds()
        self.ctcpMakeQuery(user, [("PING", key)])
        while len(self._pings) > self._MAX_PINGRING:
            oldest = min(self._pings, key=self._pings.__getitem__)
            del self._pings[oldest]

    def ctcpMakeQuery(self, user: str, messages: list[tuple[str, Any]]) -> None:
        """Send CTCP queries (``(tag, data)`` pairs) in a PRIVMSG."""
        self.msg(user, ctcpStringify(messages))

    def ctcpMakeReply(self, user: str, messages: list[tuple[str, Any]]) -> None:
        """Send CTCP replies in a NOTICE."""
        self.notice(user, ctcpStringify(messages))

    def getUserModeParams(self) -> list[str]:
        """User modes taking a parameter, ``[whenAdded, whenRemoved]``."""
        return ["", ""]

    def getChannelModeParams(self) -> list[str]:
        """Channel modes taking a parameter, from ISUPPORT PREFIX and CHANMODES."""
        return channelModeParams(self.supported)

    # -- server -> client: one irc_<COMMAND> per command (in _irc_handlers) ---
    # Bound here, so each is an IRCClient method to override like any other.

    irc_RPL_WELCOME = _irc_handlers.irc_RPL_WELCOME
    irc_ERR_NICKNAMEINUSE = _irc_handlers.irc_ERR_NICKNAMEINUSE
    irc_ERR_ERRONEUSNICKNAME = _irc_handlers.irc_ERR_ERRONEUSNICKNAME
    irc_ERR_PASSWDMISMATCH = _irc_handlers.irc_ERR_PASSWDMISMATCH
    irc_PING = _irc_handlers.irc_PING
    irc_NICK = _irc_handlers.irc_NICK
    irc_JOIN = _irc_handlers.irc_JOIN
    irc_PART = _irc_handlers.irc_PART
    irc_QUIT = _irc_handlers.irc_QUIT
    irc_KICK = _irc_handlers.irc_KICK
    irc_TOPIC = _irc_handlers.irc_TOPIC
    irc_RPL_TOPIC = _irc_handlers.irc_RPL_TOPIC
    irc_RPL_NOTOPIC = _irc_handlers.irc_RPL_NOTOPIC
    irc_MODE = _irc_handlers.irc_MODE
    irc_PRIVMSG = _irc_handlers.irc_PRIVMSG
    irc_NOTICE = _irc_handlers.irc_NOTICE
    irc_RPL_MOTDSTART = _irc_handlers.irc_RPL_MOTDSTART
    irc_RPL_MOTD = _irc_handlers.irc_RPL_MOTD
    irc_RPL_ENDOFMOTD = _irc_handlers.irc_RPL_ENDOFMOTD
    irc_RPL_CREATED = _irc_handlers.irc_RPL_CREATED
    irc_RPL_YOURHOST = _irc_handlers.irc_RPL_YOURHOST
    irc_RPL_MYINFO = _irc_handlers.irc_RPL_MYINFO
    irc_RPL_BOUNCE = _irc_handlers.irc_RPL_BOUNCE
    irc_RPL_ISUPPORT = _irc_handlers.irc_RPL_ISUPPORT
    irc_RPL_LUSERCLIENT = _irc_handlers.irc_RPL_LUSERCLIENT
    irc_RPL_LUSEROP = _irc_handlers.irc_RPL_LUSEROP
    irc_RPL_LUSERCHANNELS = _irc_handlers.irc_RPL_LUSERCHANNELS
    irc_RPL_LUSERME = _irc_handlers.irc_RPL_LUSERME
    irc_unknown = _irc_handlers.irc_unknown

    # -- CTCP and DCC (in _irc_ctcp; bound here as IRCClient methods) ----------

    ctcpQuery = _irc_ctcp.ctcpQuery
    ctcpUnknownQuery = _irc_ctcp.ctcpUnknownQuery
    ctcpQuery_ACTION = _irc_ctcp.ctcpQuery_ACTION
    ctcpQuery_PING = _irc_ctcp.ctcpQuery_PING
    ctcpQuery_FINGER = _irc_ctcp.ctcpQuery_FINGER
    ctcpQuery_VERSION = _irc_ctcp.ctcpQuery_VERSION
    ctcpQuery_SOURCE = _irc_ctcp.ctcpQuery_SOURCE
    ctcpQuery_USERINFO = _irc_ctcp.ctcpQuery_USERINFO
    ctcpQuery_CLIENTINFO = _irc_ctcp.ctcpQuery_CLIENTINFO
    ctcpQuery_ERRMSG = _irc_ctcp.ctcpQuery_ERRMSG
    ctcpQuery_TIME = _irc_ctcp.ctcpQuery_TIME
    ctcpQuery_DCC = _irc_ctcp.ctcpQuery_DCC
    dcc_SEND = _irc_ctcp.dcc_SEND
    dcc_ACCEPT = _irc_ctcp.dcc_ACCEPT
    dcc_RESUME = _irc_ctcp.dcc_RESUME
    dcc_CHAT = _irc_ctcp.dcc_CHAT
    dccDoSend = _irc_ctcp.dccDoSend
    dccDoResume = _irc_ctcp.dccDoResume
    dccDoAcceptResume = _irc_ctcp.dccDoAcceptResume
    dccDoChat = _irc_ctcp.dccDoChat
    dccSend = _irc_ctcp.dccSend
    dccResume = _irc_ctcp.dccResume
    dccAcceptResume = _irc_ctcp.dccAcceptResume
    ctcpReply = _irc_ctcp.ctcpReply
    ctcpReply_PING = _irc_ctcp.ctcpReply_PING
    ctcpUnknownReply = _irc_ctcp.ctcpUnknownReply
