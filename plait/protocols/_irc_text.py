"""IRC text handling: parsing, quoting, CTCP and mode strings.

This private module owns the pure functions (no I/O, no state) behind
``plait.protocols.irc``, which re-exports the public ones: ``parsemsg``,
``split``, ``lowQuote``/``lowDequote`` (with Twisted's ``mQuoteTable``,
``mDequoteTable``, ``mEscape_re``), ``ctcpQuote``/``ctcpDequote`` (with
``xQuoteTable``...), ``ctcpExtract``, ``ctcpStringify``, ``parseModes`` and
the exceptions.  It also holds the helpers where plait deliberately
differs from Twisted:

* ``decodeLine``: received bytes are decoded with the connection's
  encoding and, when that fails and the connection is lenient, with its
  fallback codec (Latin-1 by default, which maps every byte to a
  character, so it never fails and ``text.encode("latin-1")`` gives the
  original bytes back).  Twisted decodes strictly, and one non-UTF-8 line
  drops the connection (Twisted issue #9443).
* ``fitOctets``: outgoing messages are split by their UTF-8 size, not by
  their number of characters, so a line of accented text still fits the
  server's 512-octet limit.  For ASCII text the result is identical to
  Twisted's ``split``.
* ``withoutTags``: an IRCv3 message-tag section (``@time=...``) in front of
  a line is dropped before parsing, so a tagged line is not mistaken for a
  command named ``@time=...``.
* ``MIN_PARAMS``: how many parameters the client's built-in handler of a
  command reads, so that a short line goes to ``badMessage`` instead of
  raising ``IndexError`` inside the handler (Twisted logs a traceback per
  hostile line).

Rules:

* ``parsemsg`` raises ``IRCBadMessage`` for every malformed line (Twisted
  lets a ``ValueError``/``IndexError`` escape for a lone prefix or a blank
  line).
* ``parseModes`` never mutates the ``params`` list it is given.

Tests: tests/unit/test_irc.py, tests/unit/test_irc_input.py.
"""

from __future__ import annotations

import builtins
import re
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

from plait.protocols._irc_constants import (
    CHANNEL_PREFIXES,
    CR,
    M_QUOTE,
    MAX_COMMAND_LENGTH,
    NL,
    NUL,
    SPC,
    X_DELIM,
    X_QUOTE,
)

__all__ = [
    "IRCBadMessage",
    "IRCBadModes",
    "IRCPasswordMismatch",
    "UnhandledCommand",
    "ctcpDequote",
    "ctcpExtract",
    "ctcpQuote",
    "ctcpStringify",
    "lowDequote",
    "lowQuote",
    "mDequoteTable",
    "mEscape_re",
    "mQuoteTable",
    "parseModes",
    "parsemsg",
    "split",
    "xDequoteTable",
    "xEscape_re",
    "xQuoteTable",
]


class IRCBadMessage(Exception):
    """A line from the server could not be understood."""


class IRCPasswordMismatch(Exception):
    """The server refused the connection password (ERR_PASSWDMISMATCH)."""


class IRCBadModes(ValueError):
    """A MODE string could not be parsed."""


class UnhandledCommand(RuntimeError):
    """A command dispatcher found no handler, not even an ``_unknown`` one."""


# -- lines --------------------------------------------------------------------


def decodeLine(raw: bytes, encoding: str = "utf-8", fallback: str | None = "latin-1") -> str:
    """Decode one received line with ``encoding``, else with ``fallback``.

    With ``fallback`` None the policy is strict (Twisted's): undecodable
    bytes raise ``UnicodeDecodeError``.
    """
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        if fallback is None:
            raise
        return raw.decode(fallback, "replace")


def withoutTags(line: str) -> str:
    """``line`` without a leading IRCv3 tag section (``@a=b;c ...``)."""
    if line[:1] != "@":
        return line
    return line.partition(SPC)[2].lstrip(SPC)


# Minimum parameter count each of IRCClient's built-in handlers reads
# (symbolic command names).  A shorter line is malformed: the client hands
# it to ``badMessage`` instead of letting the handler raise ``IndexError``.
MIN_PARAMS: dict[str, int] = {
    "RPL_CREATED": 2,
    "RPL_YOURHOST": 2,
    "RPL_MYINFO": 2,
    "RPL_BOUNCE": 2,
    "RPL_LUSERCLIENT": 2,
    "RPL_LUSEROP": 2,
    "RPL_LUSERCHANNELS": 2,
    "RPL_LUSERME": 2,
    "RPL_TOPIC": 3,
    "RPL_NOTOPIC": 2,
    "RPL_MOTDSTART": 1,
    "RPL_MOTD": 1,
    "JOIN": 1,
    "PART": 1,
    "NICK": 1,
    "KICK": 2,
    "TOPIC": 2,
    "MODE": 2,
    "PRIVMSG": 2,
    "NOTICE": 2,
}


def parsemsg(s: str) -> tuple[str, str, list[str]]:
    """Split an IRC line into ``(prefix, command, args)``.

    The prefix is ``""`` when absent; everything after the first ``" :"``
    is one trailing argument.  Raises ``IRCBadMessage`` for an empty line
    or a line without a command.
    """
    if not s:
        raise IRCBadMessage("Empty line.")
    prefix = ""
    rest = s
    if rest.startswith(":"):
        prefix, _, rest = rest[1:].partition(" ")
    head, sep, trailing = rest.partition(" :")
    args = head.split()
    if not args:
        raise IRCBadMessage(f"No command in line: {s!r}")
    if sep:
        args.append(trailing)
    return prefix, args[0], args[1:]


def split(str: str, length: int = 80) -> list[str]:
    """Break text into chunks of at most ``length`` characters.

    Every newline ends a chunk; longer stretches are wrapped at whitespace
    (``textwrap`` rules), and empty chunks are dropped.
    """
    chunks: list[builtins.str] = []
    for line in str.split("\n"):
        chunks.extend(textwrap.wrap(line, length))
    return chunks


def nickOf(prefix: str) -> str:
    """``nick!user@host`` -> ``nick``."""
    return prefix.split("!", 1)[0]


def withChannelPrefix(name: str) -> str:
    """Prefix ``#`` unless ``name`` already starts with a channel prefix."""
    if not name:
        raise ValueError("a channel name must not be empty")
    return name if name[0] in CHANNEL_PREFIXES else "#" + name


def relaySafeLength(nicklen: int, command: str) -> int:
    """512 minus the longest prefix a server may add when relaying ``command``.

    The relayed line starts ``:nick!user@host ``: assume a nick of
    ``nicklen``, a 10-character user, a 63-character host (RFC 2812
    2.3.1), and keep 10 octets spare (Twisted's exact rule).
    """
    theoretical = len(":") + nicklen + len("!") + 10 + len("@") + 63 + len(" ") + len(command)
    return MAX_COMMAND_LENGTH - theoretical - 10


def fitOctets(text: str, width: int) -> list[str]:
    """Split ``text`` into pieces of at most ``width`` UTF-8 octets.

    Breaks at the last space that fits when there is one (the space is
    dropped), otherwise between two characters.  Each piece holds at least
    one character, so a ``width`` smaller than one character still ends.
    """
    pieces: list[str] = []
    while len(text.encode("utf-8")) > width:
        fits, size = 0, 0
        for char in text:
            size += len(char.encode("utf-8"))
            if size > width:
                break
            fits += 1
        fits = max(fits, 1)
        cut = text.rfind(SPC, 0, fits + 1)
        if cut > 0:
            pieces.append(text[:cut])
            text = text[cut + 1 :]
        else:
            pieces.append(text[:fits])
            text = text[fits:]
    if text:
        pieces.append(text)
    return pieces


# -- quoting ------------------------------------------------------------------

# Low-level quoting (CTCP spec, "Low Level Quoting"): keeps NUL, CR and LF
# out of the IRC line.  Twisted's public tables, under Twisted's names.
mQuoteTable: dict[str, str] = {NUL: M_QUOTE + "0", NL: M_QUOTE + "n", CR: M_QUOTE + "r", M_QUOTE: M_QUOTE + M_QUOTE}
mDequoteTable: dict[str, str] = {escaped[-1]: char for char, escaped in mQuoteTable.items()}
mEscape_re: re.Pattern[str] = re.compile(re.escape(M_QUOTE) + ".", re.DOTALL)

# CTCP-level quoting: keeps the \x01 delimiter out of CTCP payloads.
xQuoteTable: dict[str, str] = {X_DELIM: X_QUOTE + "a", X_QUOTE: X_QUOTE + X_QUOTE}
xDequoteTable: dict[str, str] = {escaped[-1]: char for char, escaped in xQuoteTable.items()}
xEscape_re: re.Pattern[str] = re.compile(re.escape(X_QUOTE) + ".", re.DOTALL)

# The quote character goes first, so that no escape is ever escaped again.
_LOW_ORDER = (M_QUOTE, NUL, NL, CR)
_CTCP_ORDER = (X_QUOTE, X_DELIM)


def _unquoter(table: dict[str, str]) -> Callable[[re.Match[str]], str]:
    # An unknown escape stands for the character after the quote.
    return lambda match: table.get(match.group()[1], match.group()[1])


_lowUnquote = _unquoter(mDequoteTable)
_ctcpUnquote = _unquoter(xDequoteTable)


def lowQuote(s: str) -> str:
    """Escape M_QUOTE, NUL, LF and CR for the wire."""
    for char in _LOW_ORDER:
        if char in s:
            s = s.replace(char, mQuoteTable[char])
    return s


def lowDequote(s: str) -> str:
    """Undo ``lowQuote``."""
    # Discussion: almost no line carries M_QUOTE; the membership test is
    # ten times cheaper than a regular-expression pass that finds nothing.
    if M_QUOTE not in s:
        return s
    return mEscape_re.sub(_lowUnquote, s)


def ctcpQuote(s: str) -> str:
    """Escape the CTCP quote and delimiter characters."""
    for char in _CTCP_ORDER:
        s = s.replace(char, xQuoteTable[char])
    return s


def ctcpDequote(s: str) -> str:
    """Undo ``ctcpQuote``."""
    if X_QUOTE not in s:  # nearly always: skip the regular-expression pass (see lowDequote)
        return s
    return xEscape_re.sub(_ctcpUnquote, s)


def ctcpExtract(message: str) -> dict[str, list[Any]]:
    """Separate a message into CTCP parts and normal text.

    Returns ``{"extended": [(tag, data or None), ...], "normal": [text, ...]}``;
    empty pieces are dropped and CTCP payloads are dequoted.
    """
    pieces = message.split(X_DELIM)
    # Delimiters alternate: outside, inside, outside...
    normal = list(filter(None, pieces[0::2]))
    extended: list[tuple[str, str | None]] = []
    for piece in pieces[1::2]:
        if not piece:
            continue
        tag, sep, data = ctcpDequote(piece).partition(SPC)
        extended.append((tag, data if sep else None))
    return {"extended": extended, "normal": normal}


def ctcpStringify(messages: Iterable[tuple[str, Any]]) -> str:
    """Encode ``(tag, data)`` pairs as delimited, quoted CTCP messages.

    ``data`` may be None (tag only), a string, or an iterable of values
    joined by spaces.
    """
    encoded: list[str] = []
    for tag, data in messages:
        if data:
            if not isinstance(data, str):
                try:
                    data = " ".join(map(str, data))
                except TypeError:
                    pass  # not iterable: fall back to its str()
            body = f"{tag} {data}"
        else:
            body = str(tag)
        encoded.append(X_DELIM + ctcpQuote(body) + X_DELIM)
    return "".join(encoded)


# -- modes --------------------------------------------------------------------


def parseModes(
    modes: str, params: list[str], paramModes: tuple[str, str] | list[str] = ("", "")
) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """Parse a mode string such as ``"+ov-b"`` with its parameters.

    ``paramModes`` is ``(takeParamWhenAdded, takeParamWhenRemoved)``.
    Returns ``(added, removed)``, each a list of ``(mode, param or None)``.
    Raises ``IRCBadModes`` for an empty or malformed string, a ``+``/``-``
    with no mode after it, or too few/too many parameters.
    """
    if not modes:
        raise IRCBadModes("Empty mode string")
    if modes[0] not in "+-":
        raise IRCBadModes(f"Malformed modes string: {modes!r}")
    changes: tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]] = ([], [])
    pending = list(params)
    direction = 0
    sinceSign = -1  # modes seen since the last +/-; -1 before the first sign
    for char in modes:
        if char in "+-":
            if sinceSign == 0:
                raise IRCBadModes(f"Empty mode sequence: {modes!r}")
            direction, sinceSign = "+-".index(char), 0
            continue
        param: str | None = None
        if char in paramModes[direction]:
            if not pending:
                raise IRCBadModes(f"Not enough parameters: {char!r}")
            param = pending.pop(0)
        changes[direction].append((char, param))
        sinceSign += 1
    if pending:
        raise IRCBadModes(f"Too many parameters: {modes!r} {pending!r}")
    if sinceSign == 0:
        raise IRCBadModes(f"Empty mode sequence: {modes!r}")
    return changes
