"""IRCClient's server-line handlers: what the client does with each command.

This private module holds the ``irc_<COMMAND>(prefix, params)`` methods of
``IRCClient`` (``plait.protocols.irc``).  They are written here as
functions and bound in IRCClient's class body (``irc_JOIN =
_irc_handlers.irc_JOIN``), so each one is an ordinary IRCClient method: a
subclass overrides it, and ``handleCommand`` finds it, exactly as in
Twisted.  The split keeps one concern per module (the three-ancestor rule
rules out splitting the class into base classes).

Rules:

* ``handleCommand`` only calls a handler with at least as many parameters
  as ``MIN_PARAMS`` says it reads (``IRCClient.lineReceived`` sends shorter
  lines to ``badMessage``), so indexing ``params`` here is safe.
* Handlers turn lines into the callbacks IRCClient documents (``joined``,
  ``privmsg``, ``modeChanged``...); they never send more than Twisted's do
  (a PONG, a new NICK after 433/432).

Tests: tests/unit/test_irc.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from plait import log
from plait.protocols._irc_constants import X_DELIM
from plait.protocols._irc_text import (
    IRCBadModes,
    IRCPasswordMismatch,
    ctcpExtract,
    nickOf,
    parseModes,
)

if TYPE_CHECKING:
    from plait.protocols._irc_client import IRCClient


# -- server -> client: registration and nicks -------------------------------


def irc_RPL_WELCOME(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.hostname = prefix
    self._registered = True
    self.nickname = self._attemptedNick
    self.signedOn()
    self.startHeartbeat()


def irc_ERR_NICKNAMEINUSE(self: IRCClient, prefix: str, params: list[str]) -> None:
    self._attemptedNick = self.alterCollidedNick(self._attemptedNick)
    self.setNick(self._attemptedNick)


def irc_ERR_ERRONEUSNICKNAME(self: IRCClient, prefix: str, params: list[str]) -> None:
    # Without a fallback, registration would stall waiting for 001.
    if self._registered:
        return
    if self._attemptedNick == self.erroneousNickFallback:
        # Twisted would send the refused fallback again, for ever.
        log.msg(f"The server refused the fallback nick {self._attemptedNick!r} too; not retrying")
        return
    self.setNick(self.erroneousNickFallback)


def irc_ERR_PASSWDMISMATCH(self: IRCClient, prefix: str, params: list[str]) -> None:
    raise IRCPasswordMismatch("Password Incorrect.")


def irc_PING(self: IRCClient, prefix: str, params: list[str]) -> None:
    token = params[-1] if params else ""
    if token and " " not in token and not token.startswith(":"):
        self.sendLine(f"PONG {token}")
    else:
        self.sendLine(f"PONG :{token}")


def irc_NICK(self: IRCClient, prefix: str, params: list[str]) -> None:
    nick = nickOf(prefix)
    if nick == self.nickname:
        self.nickChanged(params[0])
    else:
        self.userRenamed(nick, params[0])


# -- server -> client: channels ---------------------------------------------


def irc_JOIN(self: IRCClient, prefix: str, params: list[str]) -> None:
    nick, channel = nickOf(prefix), params[-1]
    if nick == self.nickname:
        self.joined(channel)
    else:
        self.userJoined(nick, channel)


def irc_PART(self: IRCClient, prefix: str, params: list[str]) -> None:
    nick, channel = nickOf(prefix), params[0]
    if nick == self.nickname:
        self.left(channel)
    else:
        self.userLeft(nick, channel)


def irc_QUIT(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.userQuit(nickOf(prefix), params[0] if params else "")


def irc_KICK(self: IRCClient, prefix: str, params: list[str]) -> None:
    kicker, channel, kicked, message = nickOf(prefix), params[0], params[1], params[-1]
    if kicked.lower() == self.nickname.lower():
        self.kickedFrom(channel, kicker, message)
    else:
        self.userKicked(kicked, channel, kicker, message)


def irc_TOPIC(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.topicUpdated(nickOf(prefix), params[0], params[1])


def irc_RPL_TOPIC(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.topicUpdated(nickOf(prefix), params[1], params[2])


def irc_RPL_NOTOPIC(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.topicUpdated(nickOf(prefix), params[1], "")


def irc_MODE(self: IRCClient, user: str, params: list[str]) -> None:
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


# -- server -> client: messages and CTCP -----------------------------------


def irc_PRIVMSG(self: IRCClient, prefix: str, params: list[str]) -> None:
    message = params[-1]
    if not message:
        return
    if message[0] != X_DELIM:  # plain text: most lines on a busy channel
        self.privmsg(prefix, params[0], message)
        return
    _ctcpOrText(prefix, params[0], message, self.ctcpQuery, self.privmsg)


def irc_NOTICE(self: IRCClient, prefix: str, params: list[str]) -> None:
    message = params[-1]
    if not message:
        return
    if message[0] != X_DELIM:
        self.noticed(prefix, params[0], message)
        return
    _ctcpOrText(prefix, params[0], message, self.ctcpReply, self.noticed)


def _ctcpOrText(
    prefix: str,
    channel: str,
    message: str,
    ctcp: Callable[[str, str, list[tuple[str, str | None]]], None],
    text: Callable[[str, str, str], None],
) -> None:
    """A PRIVMSG or NOTICE starting with \\x01: CTCP parts go to ``ctcp``,
    the plain text between them (if any) to ``text``."""
    parts = ctcpExtract(message)
    if parts["extended"]:
        ctcp(prefix, channel, parts["extended"])
    if parts["normal"]:
        text(prefix, channel, " ".join(parts["normal"]))


# -- server -> client: server information ------------------------------------


def irc_RPL_MOTDSTART(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.motd = [_motdLine(params)]


def irc_RPL_MOTD(self: IRCClient, prefix: str, params: list[str]) -> None:
    if self.motd is None:
        self.motd = []
    self.motd.append(_motdLine(params))


def _motdLine(params: list[str]) -> str:
    return params[-1].removeprefix("- ")


def irc_RPL_ENDOFMOTD(self: IRCClient, prefix: str, params: list[str]) -> None:
    motd, self.motd = self.motd, None
    self.receivedMOTD(motd)


def irc_RPL_CREATED(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.created(params[1])


def irc_RPL_YOURHOST(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.yourHost(params[1])


def irc_RPL_MYINFO(self: IRCClient, prefix: str, params: list[str]) -> None:
    # Servers send the four values as separate parameters; very old ones
    # packed them into one.
    info: list[str | None] = []
    info.extend(params[1:5] if len(params) > 2 else params[1].split(None, 3))
    info += [None] * (4 - len(info))
    self.myInfo(*info)


def irc_RPL_BOUNCE(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.bounce(params[1])


def irc_RPL_ISUPPORT(self: IRCClient, prefix: str, params: list[str]) -> None:
    # Tokens sit between our nick and the trailing "are supported..." text.
    options = params[1:-1]
    self.supported.parse(options)
    self.isupport(options)


def irc_RPL_LUSERCLIENT(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.luserClient(params[1])


def irc_RPL_LUSEROP(self: IRCClient, prefix: str, params: list[str]) -> None:
    if params[1].isdigit():
        self.luserOp(int(params[1]))


def irc_RPL_LUSERCHANNELS(self: IRCClient, prefix: str, params: list[str]) -> None:
    if params[1].isdigit():
        self.luserChannels(int(params[1]))


def irc_RPL_LUSERME(self: IRCClient, prefix: str, params: list[str]) -> None:
    self.luserMe(params[1])


def irc_unknown(self: IRCClient, prefix: str, command: str, params: list[str]) -> None:
    """Any command without an ``irc_`` handler; ignored by default."""
