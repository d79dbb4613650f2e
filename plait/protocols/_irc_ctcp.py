"""IRCClient's CTCP and DCC methods: queries, replies, DCC requests and offers.

This private module holds the CTCP half of ``IRCClient``
(``plait.protocols.irc``): ``ctcpQuery`` / ``ctcpReply`` dispatch to
``ctcpQuery_<TAG>`` / ``ctcpReply_<TAG>``, the standard queries (ACTION,
PING, FINGER, VERSION, SOURCE, USERINFO, CLIENTINFO, ERRMSG, TIME, DCC),
the ``dcc_*`` request handlers with their ``dccDo*`` hooks, and ``dccSend``
/ ``dccResume`` / ``dccAcceptResume``.  They are written here as functions
and bound in IRCClient's class body, so each one is an ordinary IRCClient
method that a subclass overrides and ``ctcpQuery`` finds by name, exactly
as in Twisted.

Rules:

* Unknown queries are logged and never answered (no ERRMSG for every
  unknown tag, which would make the client a reflector); unknown replies
  are logged.
* A malformed DCC request (``IRCBadMessage`` from a ``dcc_*`` handler) is
  reported to ``quirkyMessage`` in one line: a hostile peer cannot fill the
  log with tracebacks.  The transfers themselves, and the checks on the
  request's fields, live in ``_irc_dcc``.
* ``dccSend`` is implemented (Twisted's raises ``NotImplementedError``),
  and ``dccDoResume`` accepts a resume of plait's own pending offers
  (Twisted's ignores every request).

Tests: tests/unit/test_irc.py, tests/unit/test_irc_dcc.py,
tests/integration/test_irc_dcc.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from plait import log
from plait.defer import Deferred
from plait.protocols import _irc_dcc
from plait.protocols._irc_text import IRCBadMessage, nickOf

if TYPE_CHECKING:
    from plait.protocols._irc_client import IRCClient


def ctcpQuery(self: IRCClient, user: str, channel: str, messages: list[tuple[str, str | None]]) -> None:
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


def ctcpUnknownQuery(self: IRCClient, user: str, channel: str, tag: str, data: str | None) -> None:
    """A query we have no handler for: logged, never answered (no ERRMSG flood)."""
    log.msg(f"Unknown CTCP query from {user!r}: {tag!r} {data!r}")


def ctcpQuery_ACTION(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """ACTION <text>: someone acts (/me)."""
    self.action(user, channel, data)


def ctcpQuery_PING(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """PING <token>: echoed back to measure the round trip."""
    self.ctcpMakeReply(nickOf(user), [("PING", data)])


def _unexpectedArgument(self: IRCClient, user: str, tag: str, data: str | None) -> None:
    if data is not None:
        self.quirkyMessage(f"Why did {user} send '{data}' with a {tag} query?")


def ctcpQuery_FINGER(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """FINGER: answered with fingerReply (a string or a callable), if set."""
    _unexpectedArgument(self, user, "FINGER", data)
    if not self.fingerReply:
        return
    reply = self.fingerReply() if callable(self.fingerReply) else str(self.fingerReply)
    self.ctcpMakeReply(nickOf(user), [("FINGER", reply)])


def ctcpQuery_VERSION(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """VERSION: name:version:environment, if versionName is set."""
    _unexpectedArgument(self, user, "VERSION", data)
    if self.versionName:
        version = f"{self.versionName}:{self.versionNum or ''}:{self.versionEnv or ''}"
        self.ctcpMakeReply(nickOf(user), [("VERSION", version)])


def ctcpQuery_SOURCE(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """SOURCE: where to get this client (sourceURL), then an empty SOURCE."""
    _unexpectedArgument(self, user, "SOURCE", data)
    if self.sourceURL:
        self.ctcpMakeReply(nickOf(user), [("SOURCE", self.sourceURL), ("SOURCE", None)])


def ctcpQuery_USERINFO(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """USERINFO: the userinfo string, if set."""
    _unexpectedArgument(self, user, "USERINFO", data)
    if self.userinfo:
        self.ctcpMakeReply(nickOf(user), [("USERINFO", self.userinfo)])


def ctcpQuery_CLIENTINFO(self: IRCClient, user: str, channel: str, data: str | None) -> None:
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


def ctcpQuery_ERRMSG(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """ERRMSG <text>: echoed back saying that no error occurred."""
    self.ctcpMakeReply(nickOf(user), [("ERRMSG", f"{data} :No error has occurred.")])


def ctcpQuery_TIME(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """TIME: our local time."""
    _unexpectedArgument(self, user, "TIME", data)
    self.ctcpMakeReply(nickOf(user), [("TIME", ":" + time.asctime(time.localtime(time.time())))])


# -- DCC: CTCP DCC queries (the transfers themselves live in _irc_dcc) -----


def ctcpQuery_DCC(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """DCC <type> <arguments>: a direct connection request (SEND, ACCEPT, RESUME, CHAT)."""
    words = (data or "").split(None, 1)
    if not words:
        return
    assert data is not None
    dcctype = words[0].upper()
    handler = getattr(self, "dcc_" + dcctype, None)
    if handler is None:
        self.ctcpMakeReply(nickOf(user), [("ERRMSG", f"DCC {data} :Unknown DCC type '{dcctype}'")])
        self.quirkyMessage(f"{user} offered unknown DCC type {dcctype}")
        return
    if self.dcc_sessions is None:
        self.dcc_sessions = []
    try:
        handler(user, channel, data[len(dcctype) + 1 :])
    except IRCBadMessage as e:
        # A hostile peer must not fill the log with tracebacks.
        self.quirkyMessage(f"{user} sent a malformed DCC {dcctype} request: {e}")


def dcc_SEND(self: IRCClient, user: str, channel: str, data: str) -> None:
    """``file address port [size]``; IRCBadMessage if malformed."""
    fileName, address, port, size, args = _irc_dcc.parseSend(data)
    self.dccDoSend(user, address, port, fileName, size, args)


def dcc_ACCEPT(self: IRCClient, user: str, channel: str, data: str) -> None:
    """``file port position``: the sender agreed to our dccResume."""
    parsed = _irc_dcc.parseResume(data, "ACCEPT")
    if parsed is not None:
        self.dccDoAcceptResume(user, *parsed)


def dcc_RESUME(self: IRCClient, user: str, channel: str, data: str) -> None:
    """``file port position``: the receiver of our offer wants to resume."""
    parsed = _irc_dcc.parseResume(data, "RESUME")
    if parsed is not None:
        self.dccDoResume(user, *parsed)


def dcc_CHAT(self: IRCClient, user: str, channel: str, data: str) -> None:
    """``chat address port``; IRCBadMessage if malformed."""
    address, port, args = _irc_dcc.parseChat(data)
    self.dccDoChat(user, channel, address, port, args)


def dccDoSend(self: IRCClient, user: str, address: str, port: int, fileName: str, size: int, data: list[str]) -> None:
    """A file offered to us (``size`` -1 if unknown).  Ignored by default;
    accept it by connecting to ``address:port`` with a ``DccFileReceive``."""


def dccDoResume(self: IRCClient, user: str, file: str, port: int, resumePos: int) -> None:
    """A peer asks to resume an offer of ours at ``resumePos``: accepted
    (DCC ACCEPT) when ``port`` is one of our pending ``dccSend`` offers."""
    offer = (self._dccOffers or {}).get(port)
    if offer is not None and offer.resumeAt(resumePos):
        self.dccAcceptResume(nickOf(user), file, port, resumePos)


def dccDoAcceptResume(self: IRCClient, user: str, file: str, port: int, resumePos: int) -> None:
    """The sender accepted our dccResume; connect with a resuming ``DccFileReceive``."""


def dccDoChat(self: IRCClient, user: str, channel: str, address: str, port: int, data: list[str]) -> None:
    """A DCC CHAT offer.  Ignored by default (connect a ``DccChatFactory`` to accept)."""


def dccSend(self: IRCClient, user: str, file: Any) -> Deferred[int]:
    """Offer ``file`` (a path or a binary file object) to ``user`` by DCC SEND.

    Listens on this connection's local address for one connection
    (``clock`` must be a reactor) and sends the CTCP offer.  Returns a
    Deferred firing with the bytes sent once the peer acknowledged
    them all; see ``_irc_dcc.DccOffer`` for its failures.
    """
    reactor = self._getClock()
    if not hasattr(reactor, "listenTCP"):
        raise TypeError(f"dccSend needs a reactor with listenTCP as IRCClient.clock, not {reactor!r}")
    assert self.transport is not None
    host = self.transport.getHost().host
    offer = _irc_dcc.DccOffer(reactor, file, host, self.dccOfferTimeout)
    offers = self._dccOffers = self._dccOffers or {}
    offers[offer.portNumber] = offer
    offer.deferred.addBoth(lambda result: (offers.pop(offer.portNumber, None), result)[1])
    self.ctcpMakeQuery(user, [("DCC", ["SEND", *_irc_dcc.offerArguments(file, host, offer.portNumber)])])
    return offer.deferred


def dccResume(self: IRCClient, user: str, fileName: str, port: int, resumePos: int) -> None:
    """Ask ``user`` to resume their offer on ``port`` at ``resumePos`` (DCC RESUME)."""
    self.ctcpMakeQuery(user, [("DCC", ["RESUME", _irc_dcc.quoteName(fileName), port, resumePos])])


def dccAcceptResume(self: IRCClient, user: str, fileName: str, port: int, resumePos: int) -> None:
    """Agree to resume our offer on ``port`` at ``resumePos`` (DCC ACCEPT)."""
    self.ctcpMakeQuery(user, [("DCC", ["ACCEPT", _irc_dcc.quoteName(fileName), port, resumePos])])


def ctcpReply(self: IRCClient, user: str, channel: str, messages: list[tuple[str, str | None]]) -> None:
    """Dispatch each CTCP reply to ``ctcpReply_<TAG>`` or ``ctcpUnknownReply``."""
    for tag, data in messages:
        method = getattr(self, "ctcpReply_" + tag, None)
        if method is None:
            self.ctcpUnknownReply(user, channel, tag, data)
        else:
            method(user, channel, data)


def ctcpReply_PING(self: IRCClient, user: str, channel: str, data: str | None) -> None:
    """Match a PING reply with our ``ping`` and report the round trip."""
    key = (nickOf(user), data or "")
    if not self._pings or key not in self._pings:
        raise IRCBadMessage(f"Bogus PING response from {user}: {data}")
    sent = self._pings.pop(key)
    self.pong(user, self._getClock().seconds() - sent)


def ctcpUnknownReply(self: IRCClient, user: str, channel: str, tag: str, data: str | None) -> None:
    """A CTCP reply we have no handler for: logged."""
    log.msg(f"Unknown CTCP reply from {user}: {tag} {data}\n")
