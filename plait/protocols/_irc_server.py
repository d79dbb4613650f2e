"""The server side of IRC: ``IRC``, the protocol a server or bouncer subclasses.

This private module owns ``IRC`` (re-exported by ``plait.protocols.irc``):
it splits what a client sends into lines, parses each one and calls
``irc_<COMMAND>(prefix, params)`` (``irc_unknown`` for the rest), and has
one helper per reply a server typically sends (``privmsg``, ``notice``,
``topic``, ``names``, ``who``, ``whois``, ``join``, ``part``,
``channelMode``...) that writes Twisted's exact wire format.  It knows no
channels or users: that is the subclass's business.

A connection's life::

    connectionMade (channels = [], hostname = getfqdn() unless set)
        -> [dataReceived -> irc_<COMMAND>(prefix, params)]*
        -> connectionLost

Rules:

* Lines end at LF; a CR before it is dropped (clients such as mIRC send
  bare LF).  Lines of two characters or fewer are skipped, commands are
  upper-cased, as in Twisted.  A line or an unterminated buffer over
  ``MAX_LENGTH`` calls ``lineLengthExceeded`` (which drops the connection).
* ``sendLine`` takes ``str`` (encoded with ``encoding``, UTF-8 by default)
  and adds CRLF.  An exception from a handler is logged and the connection
  stays up.

Deliberate differences from Twisted (each covered by a test):

* Received bytes are split into lines *before* decoding, and each line is
  decoded like IRCClient's (``encoding``, then ``fallbackEncoding``;
  strict when that is None).  Twisted decodes every read as UTF-8, so a
  character split across two reads, or one Latin-1 byte, raises and drops
  the connection.  In strict mode an undecodable line is logged and
  skipped.
* A line that does not parse (``:prefix`` alone) is logged and skipped;
  Twisted raises out of ``dataReceived`` and drops the connection.  Lines
  received after the connection began closing are not dispatched.
* ``names`` fills each 353 line up to 512 octets *including* its prefix
  and CRLF; Twisted's budget leaves out the prefix, so its lines run past
  512 octets (518 for a long list), which servers and clients truncate.
* ``sendLine`` refuses text containing CR, LF or NUL with ``ValueError``:
  Twisted would send it, letting a ``notice`` or ``part`` reason from a
  user inject a second command.  ``who`` raises ``ValueError`` for a flag
  other than H or G (Twisted ``assert``s).

Tests: tests/unit/test_irc_server.py.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from typing import Any

from plait import log
from plait.protocol import Protocol
from plait.protocols._irc_constants import (
    MAX_COMMAND_LENGTH,
    RPL_CHANNELMODEIS,
    RPL_ENDOFNAMES,
    RPL_ENDOFWHO,
    RPL_ENDOFWHOIS,
    RPL_NAMREPLY,
    RPL_NOTOPIC,
    RPL_TOPIC,
    RPL_WHOISCHANNELS,
    RPL_WHOISIDLE,
    RPL_WHOISOPERATOR,
    RPL_WHOISSERVER,
    RPL_WHOISUSER,
    RPL_WHOREPLY,
)
from plait.protocols._irc_text import IRCBadMessage, decodeLine, lowQuote, parsemsg

__all__ = ["IRC"]

_FORBIDDEN = ("\r", "\n", "\0")


class IRC(Protocol):
    """Internet Relay Chat server protocol: subclass it and add ``irc_*`` handlers."""

    MAX_LENGTH = 16384
    hostname: str | None = None
    encoding: str | None = None
    fallbackEncoding: str | None = "latin-1"
    _buffer = b""

    def connectionMade(self) -> None:
        """Start with no channels; find our host name unless one was set."""
        self.channels: list[Any] = []
        if self.hostname is None:
            self.hostname = socket.getfqdn()

    # -- sending ----------------------------------------------------------------------

    def sendLine(self, line: str) -> None:
        """Send one line (``str`` without CRLF) encoded with ``encoding``."""
        if any(char in line for char in _FORBIDDEN):
            raise ValueError(f"an IRC line must not contain CR, LF or NUL: {line!r}")
        assert self.transport is not None
        self.transport.write((line + "\r\n").encode(self.encoding or "utf-8"))

    def _checkCommand(self, command: str) -> None:
        if not command:
            raise ValueError("IRC message requires a command.")
        if " " in command or command[0] == ":":
            raise ValueError(f'Invalid command: "{command}"')

    def sendMessage(self, command: str, *parameter_list: str, **prefix: str) -> None:
        """Send ``command`` with its parameters, and ``prefix=`` if given.

        ``sendCommand`` is preferred: it also sends message tags.
        """
        self._checkCommand(command)
        line = " ".join([command, *parameter_list])
        if "prefix" in prefix:
            line = f":{prefix['prefix']} {line}"
        self.sendLine(line)
        if len(parameter_list) > 15:
            log.msg(f"Message has {len(parameter_list)} parameters (RFC allows 15):\n{line}")

    def sendCommand(
        self, command: str, parameters: Sequence[str], prefix: str | None = None, tags: dict[str, str | None] | None = None
    ) -> None:
        """Send ``command`` with ``parameters``, an optional prefix and IRCv3 tags.

        ``tags`` maps a tag name to its unescaped value (None or ``""`` for
        none): ``{"time": "..."}`` -> ``@time=... COMMAND ...``.  ValueError
        for an empty or malformed command or tag name.
        """
        self._checkCommand(command)
        line = " ".join([command, *parameters])
        if prefix:
            line = f":{prefix} {line}"
        if tags:
            line = f"@{self._stringTags(tags)} {line}"
        self.sendLine(line)
        if len(parameters) > 15:
            log.msg(f"Message has {len(parameters)} parameters (RFC allows 15):\n{line}")

    def _stringTags(self, tags: dict[str, str | None]) -> str:
        """The tag section (without ``@``) for ``tags``."""
        self._validateTags(tags)
        return ";".join(f"{tag}={self._escapeTagValue(value)}" if value else tag for tag, value in tags.items())

    def _validateTags(self, tags: dict[str, str | None]) -> None:
        for tag in tags:
            if not tag:
                raise ValueError("A tag name is required.")
            if any(not char.isalnum() and char not in "-/." for char in tag):
                raise ValueError("Tag contains invalid characters.")

    def _escapeTagValue(self, value: str) -> str:
        """Escape a tag value (IRCv3 message-tags: ``\\\\ ; space CR LF``)."""
        return (
            value.replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s").replace("\r", "\\r").replace("\n", "\\n")
        )

    # -- receiving ----------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        """Split into lines at LF, then parse and dispatch each line."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        for raw in lines:
            if len(raw) > self.MAX_LENGTH:
                self._buffer = b""
                self.lineLengthExceeded(self._decode(raw, lenient=True))
                return
            if self.transport is not None and getattr(self.transport, "disconnecting", False):
                return
            self._lineReceived(raw)
        if len(self._buffer) > self.MAX_LENGTH:
            line, self._buffer = self._buffer, b""
            self.lineLengthExceeded(self._decode(line, lenient=True))

    def _decode(self, raw: bytes, lenient: bool = False) -> str:
        fallback = self.fallbackEncoding or ("latin-1" if lenient else None)
        return decodeLine(raw, self.encoding or "utf-8", fallback)

    def _lineReceived(self, raw: bytes) -> None:
        if len(raw) <= 2:
            return  # a blank line, at best
        try:
            line = self._decode(raw.removesuffix(b"\r"))
            prefix, command, params = parsemsg(line)
        except (UnicodeDecodeError, IRCBadMessage) as e:
            log.msg(f"Dropping a malformed IRC line {raw!r}: {e}")
            return
        self.handleCommand(command.upper(), prefix, params)

    def lineLengthExceeded(self, line: str) -> None:
        """A line longer than ``MAX_LENGTH``: the default drops the connection."""
        assert self.transport is not None
        self.transport.loseConnection()

    def handleCommand(self, command: str, prefix: str, params: list[str]) -> None:
        """Call ``irc_<command>`` (or ``irc_unknown``); log what it raises."""
        method = getattr(self, "irc_" + command, None)
        try:
            if method is not None:
                method(prefix, params)
            else:
                self.irc_unknown(prefix, command, params)
        except Exception:  # noqa: BLE001 -- the dispatch boundary: log, keep the connection
            log.err(None, f"Error while handling IRC command {command} {params!r}")

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        """A command without a handler: raises NotImplementedError (logged); override it."""
        raise NotImplementedError(command, prefix, params)

    # -- replies ------------------------------------------------------------------------

    def privmsg(self, sender: str, recip: str, message: str) -> None:
        """Relay a message from ``sender`` (``nick!user@host``) to a channel or user."""
        self.sendCommand("PRIVMSG", (recip, f":{lowQuote(message)}"), sender)

    def notice(self, sender: str, recip: str, message: str) -> None:
        """Relay a notice from ``sender`` to a channel or user."""
        self.sendCommand("NOTICE", (recip, f":{message}"), sender)

    def action(self, sender: str, recip: str, message: str) -> None:
        """Send an action (Twisted's ``ACTION`` line; clients use CTCP ACTION)."""
        self.sendLine(f":{sender} ACTION {recip} :{message}")

    def topic(self, user: str, channel: str, topic: str | None, author: str | None = None) -> None:
        """Tell ``user`` a channel's topic (332, or 331 when None), or, with
        ``author``, that ``author`` changed it (a TOPIC line)."""
        if author is not None:
            self.sendLine(f":{author} TOPIC {channel} :{lowQuote(topic or '')}")
        elif topic is None:
            self.sendLine(f":{self.hostname} {RPL_NOTOPIC} {user} {channel} :No topic is set.")
        else:
            self.sendLine(f":{self.hostname} {RPL_TOPIC} {user} {channel} :{lowQuote(topic)}")

    def topicAuthor(self, user: str, channel: str, author: str, date: int) -> None:
        """Who set the topic and when (333, not in the RFC; ``date`` is POSIX time)."""
        self.sendLine(f":{self.hostname} 333 {user} {channel} {author} {int(date)}")

    def names(self, user: str, channel: str, names: Iterable[str]) -> None:
        """The channel's members: as many per 353 line as fit in 512 octets, then 366."""
        head = f":{self.hostname} {RPL_NAMREPLY} {user} = {channel} :"
        budget = MAX_COMMAND_LENGTH - 2 - len(head.encode(self.encoding or "utf-8"))  # 2: CRLF
        batch: list[str] = []
        used = 0
        for name in names:
            size = len(name.encode(self.encoding or "utf-8")) + (1 if batch else 0)
            if batch and used + size > budget:
                self.sendLine(head + " ".join(batch))
                batch, used = [], 0
                size -= 1
            batch.append(name)
            used += size
        if batch:
            self.sendLine(head + " ".join(batch))
        self.sendLine(f":{self.hostname} {RPL_ENDOFNAMES} {user} {channel} :End of /NAMES list")

    def who(self, user: str, channel: str, memberInfo: Iterable[tuple[str, str, str, str, str, int, str]]) -> None:
        """WHO replies: one 352 per ``(username, hostmask, server, nickname,
        "H" or "G", hops, realName)``, then 315."""
        for username, hostmask, server, nickname, flag, hops, realName in memberInfo:
            if flag not in ("H", "G"):
                raise ValueError(f"a WHO flag is 'H' (here) or 'G' (gone), not {flag!r}")
            self.sendLine(
                f":{self.hostname} {RPL_WHOREPLY} {user} {channel} {username} {hostmask} {server}"
                f" {nickname} {flag} :{int(hops)} {realName}"
            )
        self.sendLine(f":{self.hostname} {RPL_ENDOFWHO} {user} {channel} :End of /WHO list.")

    def whois(
        self,
        user: str,
        nick: str,
        username: str,
        hostname: str,
        realName: str,
        server: str,
        serverInfo: str,
        oper: bool,
        idle: int,
        signOn: int,
        channels: Iterable[str],
    ) -> None:
        """WHOIS replies about ``nick`` (311, 312, 313 if ``oper``, 317, 319, 318)."""
        host = self.hostname
        self.sendLine(f":{host} {RPL_WHOISUSER} {user} {nick} {username} {hostname} * :{realName}")
        self.sendLine(f":{host} {RPL_WHOISSERVER} {user} {nick} {server} :{serverInfo}")
        if oper:
            self.sendLine(f":{host} {RPL_WHOISOPERATOR} {user} {nick} :is an IRC operator")
        self.sendLine(f":{host} {RPL_WHOISIDLE} {user} {nick} {int(idle)} {int(signOn)} :seconds idle, signon time")
        self.sendLine(f":{host} {RPL_WHOISCHANNELS} {user} {nick} :{' '.join(channels)}")
        self.sendLine(f":{host} {RPL_ENDOFWHOIS} {user} {nick} :End of WHOIS list.")

    def join(self, who: str, where: str) -> None:
        """``who`` (``nick!user@host``) joined ``where``."""
        self.sendLine(f":{who} JOIN {where}")

    def part(self, who: str, where: str, reason: str | None = None) -> None:
        """``who`` left ``where``, with an optional reason."""
        self.sendLine(f":{who} PART {where} :{reason}" if reason else f":{who} PART {where}")

    def channelMode(self, user: str, channel: str, mode: str, *args: str) -> None:
        """A channel's modes (324)."""
        self.sendLine(f":{self.hostname} {RPL_CHANNELMODEIS} {user} {channel} {mode} {' '.join(args)}")
