"""An IRC client protocol (``twisted.words.protocols.irc``, client side).

This module owns ``IRCClient`` and is the public import point for
everything IRC: the numeric constants and ``symbolic_to_numeric`` /
``numeric_to_symbolic`` (kept in ``_irc_constants``), and ``parsemsg``,
``split``, the quoting and CTCP helpers, ``parseModes``, the exceptions and
``ServerSupportedFeatures`` (kept in ``_irc_text``).

A client's life::

    connectionMade -> register (PASS?, NICK, USER)
        [433 -> NICK nick_ ...] -> 001: signedOn, heartbeat starts
        -> irc_<COMMAND> handlers -> callbacks (joined, privmsg, ...)
        -> connectionLost: heartbeat and send queue stopped

Rules:

* ``sendLine`` takes ``str``: it is low-level quoted, UTF-8 encoded and
  written with CRLF.  Receiving strips every CR and splits on LF.
* Time comes from ``self.clock`` (an ``IReactorTime``).  It defaults to
  the global reactor, imported when first needed, never at import time;
  tests and embedders assign a ``task.Clock`` or their reactor.  The
  heartbeat (a ``LoopingCall``), ``lineRate`` throttling and CTCP PING
  round-trip times all use it.
* An exception raised by a command handler or a callback is logged with
  ``log.err`` and the connection stays up, as in Twisted.
* ``connectionLost`` stops the heartbeat and drops lines still waiting in
  the ``lineRate`` queue: nothing is left scheduled on the clock.

Deliberate differences from Twisted (each covered by a test):

* **Encoding.**  Received lines are decoded as UTF-8, falling back to
  Latin-1 for the whole line when it is not valid UTF-8.  Twisted decodes
  strictly, so a single Latin-1 line (common on real networks, and relayed
  unchanged by ngircd) raises ``UnicodeDecodeError`` and drops the bot
  (Twisted issue #9443).  Latin-1 never fails and is lossless:
  ``text.encode("latin-1")`` returns the bytes the server sent.  The
  price: a line mixing UTF-8 and Latin-1 shows its UTF-8 part as mojibake.
* **Splitting.**  ``msg``/``notice``/``say`` split by UTF-8 octets, so
  non-ASCII text never exceeds the server's 512-byte limit (Twisted counts
  characters).  ASCII text splits exactly as in Twisted.
* ``PONG`` uses a trailing parameter (``PONG :a b``) when the token would
  not survive as a middle one (empty, containing a space, starting with
  ``:``); a plain token is answered as ``PONG token`` like Twisted.
* ``RPL_MYINFO`` with separate parameters (what servers send) reaches
  ``myInfo`` as four values; Twisted only looked inside the first one.
* A CTCP PING reply is matched once; handlers ignore an empty NOTICE
  instead of raising ``IndexError``; malformed lines reach ``badMessage``.
* A refused ``erroneousNickFallback`` is not sent again (Twisted loops:
  ngircd's default 9-character limit refuses "defaultnick" for ever).
* DCC is not implemented: a ``DCC`` query is an unknown CTCP query
  (logged), and ``dccSend`` & co. do not exist.  The mIRC formatting
  helpers (``assembleFormattedText`` ...) are not provided either.

Tests: tests/unit/test_irc.py, tests/integration/test_irc_servers.py.
"""

from __future__ import annotations

import collections
import random
import string
import sys
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from plait import log
from plait.failure import Failure
from plait.protocol import connectionDone
from plait.protocols import _irc_constants, _irc_text
from plait.protocols._irc_constants import *
from plait.protocols._irc_text import *
from plait.protocols._irc_text import (
    channelModeParams,
    decodeLine,
    fitOctets,
    nickOf,
    relaySafeLength,
    withChannelPrefix,
)
from plait.protocols.basic import LineReceiver
from plait.task import LoopingCall

__all__ = ["IRCClient"]
__all__ += _irc_text.__all__
__all__ += _irc_constants.__all__

_PING_KEY_CHARS = string.ascii_letters + string.digits


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
    dcc_sessions: Any = None
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

    _registered: bool = False
    _attemptedNick: str = ""
    _MAX_PINGRING: int = 12
    _pings: dict[tuple[str, str], float] | None = None
    _pingRandom: random.Random = random.Random()
    _heartbeat: LoopingCall | None = None
    _queue: collections.deque[str] | None = None
    _queueEmptying: Any = None

    # -- plumbing -------------------------------------------------------------

    def _getClock(self) -> Any:
        """``self.clock``, defaulting (once) to the global reactor."""
        if self.clock is None:
            from plait import reactor  # at call time: importing installs it

            self.clock = reactor
        return self.clock

    def connectionMade(self) -> None:
        """Reset the server state and, if ``performLogin``, register."""
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
        """Strip every CR and hand the rest to the line splitter."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return LineReceiver.dataReceived(self, data.replace(b"\r", b""))

    def lineReceived(self, line: bytes | str) -> None:
        """Decode, dequote and parse one line, then dispatch it.

        A ``str`` line (Twisted's IRCClient takes those too) is used as is.
        """
        text = lowDequote(line if isinstance(line, str) else decodeLine(line))
        try:
            prefix, command, params = parsemsg(text)
        except IRCBadMessage:
            self.badMessage(text, *sys.exc_info())
            return
        command = numeric_to_symbolic.get(command, command)
        self.handleCommand(command, prefix, params)

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
        LineReceiver.sendLine(self, lowQuote(line).encode("utf-8") + b"\r")

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

    # -- server -> client: registration and nicks -------------------------------

    def irc_RPL_WELCOME(self, prefix: str, params: list[str]) -> None:
        self.hostname = prefix
        self._registered = True
        self.nickname = self._attemptedNick
        self.signedOn()
        self.startHeartbeat()

    def irc_ERR_NICKNAMEINUSE(self, prefix: str, params: list[str]) -> None:
        self._attemptedNick = self.alterCollidedNick(self._attemptedNick)
        self.setNick(self._attemptedNick)

    def irc_ERR_ERRONEUSNICKNAME(self, prefix: str, params: list[str]) -> None:
        # Without a fallback, registration would stall waiting for 001.
        if self._registered:
            return
        if self._attemptedNick == self.erroneousNickFallback:
            # Twisted would send the refused fallback again, for ever.
            log.msg(f"The server refused the fallback nick {self._attemptedNick!r} too; not retrying")
            return
        self.setNick(self.erroneousNickFallback)

    def irc_ERR_PASSWDMISMATCH(self, prefix: str, params: list[str]) -> None:
        raise IRCPasswordMismatch("Password Incorrect.")

    def irc_PING(self, prefix: str, params: list[str]) -> None:
        token = params[-1] if params else ""
        if token and " " not in token and not token.startswith(":"):
            self.sendLine(f"PONG {token}")
        else:
            self.sendLine(f"PONG :{token}")

    def irc_NICK(self, prefix: str, params: list[str]) -> None:
        nick = nickOf(prefix)
        if nick == self.nickname:
            self.nickChanged(params[0])
        else:
            self.userRenamed(nick, params[0])

    # -- server -> client: channels ---------------------------------------------

    def irc_JOIN(self, prefix: str, params: list[str]) -> None:
        nick, channel = nickOf(prefix), params[-1]
        if nick == self.nickname:
            self.joined(channel)
        else:
            self.userJoined(nick, channel)

    def irc_PART(self, prefix: str, params: list[str]) -> None:
        nick, channel = nickOf(prefix), params[0]
        if nick == self.nickname:
            self.left(channel)
        else:
            self.userLeft(nick, channel)

    def irc_QUIT(self, prefix: str, params: list[str]) -> None:
        self.userQuit(nickOf(prefix), params[0] if params else "")

    def irc_KICK(self, prefix: str, params: list[str]) -> None:
        kicker, channel, kicked, message = nickOf(prefix), params[0], params[1], params[-1]
        if kicked.lower() == self.nickname.lower():
            self.kickedFrom(channel, kicker, message)
        else:
            self.userKicked(kicked, channel, kicker, message)

    def irc_TOPIC(self, prefix: str, params: list[str]) -> None:
        self.topicUpdated(nickOf(prefix), params[0], params[1])

    def irc_RPL_TOPIC(self, prefix: str, params: list[str]) -> None:
        self.topicUpdated(nickOf(prefix), params[1], params[2])

    def irc_RPL_NOTOPIC(self, prefix: str, params: list[str]) -> None:
        self.topicUpdated(nickOf(prefix), params[1], "")

    def irc_MODE(self, user: str, params: list[str]) -> None:
        channel, modes, args = params[0], params[1], params[2:]
        if modes[:1] not in ("+", "-"):
            modes = "+" + modes
        if channel == self.nickname:  # our user modes, not a channel's
            paramModes = self.getUserModeParams()
        else:
            paramModes = self.getChannelModeParams()
        try:
            added, removed = parseModes(modes, args, paramModes)
        except IRCBadModes:
            log.err(None, f"An error occurred while parsing the following MODE message: MODE {' '.join(params)}")
            return
        for isSet, changes in ((True, added), (False, removed)):
            if changes:
                letters = "".join(mode for mode, _ in changes)
                self.modeChanged(user, channel, isSet, letters, tuple(arg for _, arg in changes))

    def getUserModeParams(self) -> list[str]:
        """User modes taking a parameter, ``[whenAdded, whenRemoved]``."""
        return ["", ""]

    def getChannelModeParams(self) -> list[str]:
        """Channel modes taking a parameter, from ISUPPORT PREFIX and CHANMODES."""
        return channelModeParams(self.supported)

    # -- server -> client: messages and CTCP -----------------------------------

    def irc_PRIVMSG(self, prefix: str, params: list[str]) -> None:
        self._textReceived(prefix, params, self.ctcpQuery, self.privmsg)

    def irc_NOTICE(self, prefix: str, params: list[str]) -> None:
        self._textReceived(prefix, params, self.ctcpReply, self.noticed)

    def _textReceived(
        self,
        prefix: str,
        params: list[str],
        ctcp: Callable[[str, str, list[tuple[str, str | None]]], None],
        text: Callable[[str, str, str], None],
    ) -> None:
        """PRIVMSG and NOTICE alike: CTCP parts go to ``ctcp``, plain text to ``text``.

        An empty message is ignored; a message that is all CTCP calls no ``text``.
        """
        channel, message = params[0], params[-1]
        if not message:
            return
        if message[0] == X_DELIM:
            parts = ctcpExtract(message)
            if parts["extended"]:
                ctcp(prefix, channel, parts["extended"])
            if not parts["normal"]:
                return
            message = " ".join(parts["normal"])
        text(prefix, channel, message)

    def ctcpQuery(self, user: str, channel: str, messages: list[tuple[str, str | None]]) -> None:
        """Dispatch each CTCP query to ``ctcpQuery_<TAG>``; repeated tags are ignored."""
        seen: set[str] = set()
        for tag, data in messages:
            if tag in seen:
                continue
            seen.add(tag)
            method = getattr(self, "ctcpQuery_" + tag, None)
            if method is None:
                self.ctcpUnknownQuery(user, channel, tag, data)
            else:
                method(user, channel, data)

    def ctcpUnknownQuery(self, user: str, channel: str, tag: str, data: str | None) -> None:
        """A query we have no handler for: logged, never answered (no ERRMSG flood)."""
        log.msg(f"Unknown CTCP query from {user!r}: {tag!r} {data!r}")

    def ctcpQuery_ACTION(self, user: str, channel: str, data: str | None) -> None:
        """ACTION <text>: someone acts (/me)."""
        self.action(user, channel, data)

    def ctcpQuery_PING(self, user: str, channel: str, data: str | None) -> None:
        """PING <token>: echoed back to measure the round trip."""
        self.ctcpMakeReply(nickOf(user), [("PING", data)])

    def _unexpectedArgument(self, user: str, tag: str, data: str | None) -> None:
        if data is not None:
            self.quirkyMessage(f"Why did {user} send '{data}' with a {tag} query?")

    def ctcpQuery_FINGER(self, user: str, channel: str, data: str | None) -> None:
        """FINGER: answered with fingerReply (a string or a callable), if set."""
        self._unexpectedArgument(user, "FINGER", data)
        if not self.fingerReply:
            return
        reply = self.fingerReply() if callable(self.fingerReply) else str(self.fingerReply)
        self.ctcpMakeReply(nickOf(user), [("FINGER", reply)])

    def ctcpQuery_VERSION(self, user: str, channel: str, data: str | None) -> None:
        """VERSION: name:version:environment, if versionName is set."""
        self._unexpectedArgument(user, "VERSION", data)
        if self.versionName:
            version = f"{self.versionName}:{self.versionNum or ''}:{self.versionEnv or ''}"
            self.ctcpMakeReply(nickOf(user), [("VERSION", version)])

    def ctcpQuery_SOURCE(self, user: str, channel: str, data: str | None) -> None:
        """SOURCE: where to get this client (sourceURL), then an empty SOURCE."""
        self._unexpectedArgument(user, "SOURCE", data)
        if self.sourceURL:
            self.ctcpMakeReply(nickOf(user), [("SOURCE", self.sourceURL), ("SOURCE", None)])

    def ctcpQuery_USERINFO(self, user: str, channel: str, data: str | None) -> None:
        """USERINFO: the userinfo string, if set."""
        self._unexpectedArgument(user, "USERINFO", data)
        if self.userinfo:
            self.ctcpMakeReply(nickOf(user), [("USERINFO", self.userinfo)])

    def ctcpQuery_CLIENTINFO(self, user: str, channel: str, data: str | None) -> None:
        """CLIENTINFO [tag]: the known tags, or help on one of them."""
        nick = nickOf(user)
        if not data:
            tags = sorted(name[len("ctcpQuery_") :] for name in dir(type(self)) if name.startswith("ctcpQuery_"))
            self.ctcpMakeReply(nick, [("CLIENTINFO", " ".join(tags))])
            return
        tag = data.split()[0]
        method = getattr(self, "ctcpQuery_" + tag, None)
        if method is None:
            self.ctcpMakeReply(nick, [("ERRMSG", f"CLIENTINFO {data} :Unknown query '{tag}'")])
            return
        self.ctcpMakeReply(nick, [("CLIENTINFO", " ".join((method.__doc__ or "").split()))])

    def ctcpQuery_ERRMSG(self, user: str, channel: str, data: str | None) -> None:
        """ERRMSG <text>: echoed back saying that no error occurred."""
        self.ctcpMakeReply(nickOf(user), [("ERRMSG", f"{data} :No error has occurred.")])

    def ctcpQuery_TIME(self, user: str, channel: str, data: str | None) -> None:
        """TIME: our local time."""
        self._unexpectedArgument(user, "TIME", data)
        self.ctcpMakeReply(nickOf(user), [("TIME", ":" + time.asctime(time.localtime(time.time())))])

    def ctcpReply(self, user: str, channel: str, messages: list[tuple[str, str | None]]) -> None:
        """Dispatch each CTCP reply to ``ctcpReply_<TAG>`` or ``ctcpUnknownReply``."""
        for tag, data in messages:
            method = getattr(self, "ctcpReply_" + tag, None)
            if method is None:
                self.ctcpUnknownReply(user, channel, tag, data)
            else:
                method(user, channel, data)

    def ctcpReply_PING(self, user: str, channel: str, data: str | None) -> None:
        """Match a PING reply with our ``ping`` and report the round trip."""
        key = (nickOf(user), data or "")
        if not self._pings or key not in self._pings:
            raise IRCBadMessage(f"Bogus PING response from {user}: {data}")
        sent = self._pings.pop(key)
        self.pong(user, self._getClock().seconds() - sent)

    def ctcpUnknownReply(self, user: str, channel: str, tag: str, data: str | None) -> None:
        """A CTCP reply we have no handler for: logged."""
        log.msg(f"Unknown CTCP reply from {user}: {tag} {data}\n")

    # -- server -> client: server information ------------------------------------

    def irc_RPL_MOTDSTART(self, prefix: str, params: list[str]) -> None:
        self.motd = [self._motdLine(params)]

    def irc_RPL_MOTD(self, prefix: str, params: list[str]) -> None:
        if self.motd is None:
            self.motd = []
        self.motd.append(self._motdLine(params))

    @staticmethod
    def _motdLine(params: list[str]) -> str:
        return params[-1].removeprefix("- ")

    def irc_RPL_ENDOFMOTD(self, prefix: str, params: list[str]) -> None:
        motd, self.motd = self.motd, None
        self.receivedMOTD(motd)

    def irc_RPL_CREATED(self, prefix: str, params: list[str]) -> None:
        self.created(params[1])

    def irc_RPL_YOURHOST(self, prefix: str, params: list[str]) -> None:
        self.yourHost(params[1])

    def irc_RPL_MYINFO(self, prefix: str, params: list[str]) -> None:
        # Servers send the four values as separate parameters; very old ones
        # packed them into one.
        info: list[str | None] = []
        info.extend(params[1:5] if len(params) > 2 else params[1].split(None, 3))
        info += [None] * (4 - len(info))
        self.myInfo(*info)

    def irc_RPL_BOUNCE(self, prefix: str, params: list[str]) -> None:
        self.bounce(params[1])

    def irc_RPL_ISUPPORT(self, prefix: str, params: list[str]) -> None:
        # Tokens sit between our nick and the trailing "are supported..." text.
        options = params[1:-1]
        self.supported.parse(options)
        self.isupport(options)

    def irc_RPL_LUSERCLIENT(self, prefix: str, params: list[str]) -> None:
        self.luserClient(params[1])

    def irc_RPL_LUSEROP(self, prefix: str, params: list[str]) -> None:
        if params[1].isdigit():
            self.luserOp(int(params[1]))

    def irc_RPL_LUSERCHANNELS(self, prefix: str, params: list[str]) -> None:
        if params[1].isdigit():
            self.luserChannels(int(params[1]))

    def irc_RPL_LUSERME(self, prefix: str, params: list[str]) -> None:
        self.luserMe(params[1])

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        """Any command without an ``irc_`` handler; ignored by default."""
