"""IRC text handling: parsing, quoting, CTCP, mode strings, ISUPPORT.

This private module owns the pure functions (no I/O, no state) behind
``plait.protocols.irc``, which re-exports the public ones: ``parsemsg``,
``split``, ``lowQuote``/``lowDequote``, ``ctcpQuote``/``ctcpDequote``,
``ctcpExtract``, ``ctcpStringify``, ``parseModes``, the exceptions and
``ServerSupportedFeatures``.  It also holds the two helpers where plait
deliberately differs from Twisted:

* ``decodeLine``: received bytes are decoded as UTF-8 and, when that
  fails, as Latin-1 (which maps every byte to a character, so it never
  fails and ``text.encode("latin-1")`` gives the original bytes back).
  Twisted decodes strictly, and one non-UTF-8 line drops the connection
  (Twisted issue #9443), although servers relay such bytes unchanged.
* ``fitOctets``: outgoing messages are split by their UTF-8 size, not by
  their number of characters, so a line of accented text still fits the
  server's 512-octet limit.  For ASCII text the result is identical to
  Twisted's ``split``.

Rules:

* ``parsemsg`` raises ``IRCBadMessage`` for every malformed line (Twisted
  lets a ``ValueError``/``IndexError`` escape for a lone prefix or a blank
  line).
* ``parseModes`` never mutates the ``params`` list it is given.

Tests: tests/unit/test_irc.py.
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
    "ServerSupportedFeatures",
    "ctcpDequote",
    "ctcpExtract",
    "ctcpQuote",
    "ctcpStringify",
    "lowDequote",
    "lowQuote",
    "parseModes",
    "parsemsg",
    "split",
]


class IRCBadMessage(Exception):
    """A line from the server could not be understood."""


class IRCPasswordMismatch(Exception):
    """The server refused the connection password (ERR_PASSWDMISMATCH)."""


class IRCBadModes(ValueError):
    """A MODE string could not be parsed."""


# -- lines --------------------------------------------------------------------


def decodeLine(raw: bytes) -> str:
    """Decode one received line: UTF-8, or Latin-1 if it is not valid UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


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
# out of the IRC line.  The quote character itself is escaped first.
_LOW_QUOTES = {M_QUOTE: M_QUOTE + M_QUOTE, NUL: M_QUOTE + "0", NL: M_QUOTE + "n", CR: M_QUOTE + "r"}
_LOW_UNQUOTES = {escaped[-1]: char for char, escaped in _LOW_QUOTES.items()}
_LOW_ESCAPE = re.compile(re.escape(M_QUOTE) + ".", re.DOTALL)

# CTCP-level quoting: keeps the \x01 delimiter out of CTCP payloads.
_CTCP_QUOTES = {X_QUOTE: X_QUOTE + X_QUOTE, X_DELIM: X_QUOTE + "a"}
_CTCP_UNQUOTES = {escaped[-1]: char for char, escaped in _CTCP_QUOTES.items()}
_CTCP_ESCAPE = re.compile(re.escape(X_QUOTE) + ".", re.DOTALL)


def _quote(s: str, table: dict[str, str]) -> str:
    # The quote character is the first key, so escapes are never re-escaped.
    for char, escaped in table.items():
        s = s.replace(char, escaped)
    return s


def _unquoter(table: dict[str, str]) -> Callable[[re.Match[str]], str]:
    # An unknown escape stands for the character after the quote.
    return lambda match: table.get(match.group()[1], match.group()[1])


def lowQuote(s: str) -> str:
    """Escape M_QUOTE, NUL, LF and CR for the wire."""
    return _quote(s, _LOW_QUOTES)


def lowDequote(s: str) -> str:
    """Undo ``lowQuote``."""
    return _LOW_ESCAPE.sub(_unquoter(_LOW_UNQUOTES), s)


def ctcpQuote(s: str) -> str:
    """Escape the CTCP quote and delimiter characters."""
    return _quote(s, _CTCP_QUOTES)


def ctcpDequote(s: str) -> str:
    """Undo ``ctcpQuote``."""
    return _CTCP_ESCAPE.sub(_unquoter(_CTCP_UNQUOTES), s)


def ctcpExtract(message: str) -> dict[str, list[Any]]:
    """Separate a message into CTCP parts and normal text.

    Returns ``{"extended": [(tag, data or None), ...], "normal": [text, ...]}``;
    empty pieces are dropped and CTCP payloads are dequoted.
    """
    pieces = message.split(X_DELIM)
    # Delimiters alternate: outside, inside, outside...
    normal = [piece for piece in pieces[0::2] if piece]
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


# -- ISUPPORT (RPL_ISUPPORT, draft-brocklesby-irc-isupport) -------------------


def _intOrDefault(value: Any, default: Any = None) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _unescapeValue(value: str) -> str:
    # The draft's only escape is \xHH.
    def replace(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1), 16))
        except ValueError:
            raise ValueError(f"Invalid hex octet: {match.group(1)!r}") from None

    return re.sub(r"\\x(..)", replace, value, flags=re.DOTALL)


def _pairs(values: list[str], convert: Callable[[str], Any] = lambda v: v) -> list[tuple[str, Any]]:
    """``["A:1", "B"]`` -> ``[("A", convert("1")), ("B", convert(""))]``."""
    pairs = []
    for value in values:
        key, _, arg = value.partition(":")
        pairs.append((key, convert(arg)))
    return pairs


def _parsePrefix(spec: str) -> dict[str, tuple[str, int]] | None:
    """``"(ov)@+"`` -> ``{"o": ("@", 0), "v": ("+", 1)}`` (0 = most privileged)."""
    if not spec:
        return None
    if not spec.startswith("(") or ")" not in spec:
        raise ValueError(f"Malformed PREFIX parameter: {spec!r}")
    modes, symbols = spec[1:].split(")", 1)
    return {mode: (symbol, rank) for rank, (mode, symbol) in enumerate(zip(modes, symbols))}


_CHANMODE_KINDS = ("addressModes", "param", "setParam", "noParam")


def _parseChanModes(values: list[str]) -> dict[str, str]:
    if len(values) > len(_CHANMODE_KINDS):
        raise ValueError(
            f"Expecting a maximum of {len(_CHANMODE_KINDS)} channel mode parameters, got {len(values)}"
        )
    return {kind: value or "" for kind, value in zip(_CHANMODE_KINDS, values)}


def channelModeParams(features: ServerSupportedFeatures) -> list[str]:
    """``[takeParamWhenAdded, takeParamWhenRemoved]`` for channel modes."""
    # Status modes (PREFIX: o, v...) always take a nick.
    status = "".join(features.getFeature("PREFIX", {}) or {})
    chanmodes = features.getFeature("CHANMODES")
    if chanmodes is None:
        return [status, status]
    always = status + chanmodes.get("addressModes", "") + chanmodes.get("param", "")
    return [always + chanmodes.get("setParam", ""), always]


class ServerSupportedFeatures:
    """What the server announced in RPL_ISUPPORT (005), with RFC defaults.

    ``parse`` may be called many times (servers send several 005 lines);
    ``-FEATURE`` removes a feature.  Known features get typed values (ints,
    tuples, dicts); an unknown one maps to the tuple of its values.  A value
    that fails to parse keeps the previous (or default) value.
    """

    def __init__(self) -> None:
        self._features: dict[str, Any] = {
            "CHANNELLEN": 200,
            "CHANTYPES": tuple("#&"),
            "MODES": 3,
            "NICKLEN": 9,
            "PREFIX": _parsePrefix("(ovh)@+%"),
            # Not an RFC default, but getChannelModeParams needs a value
            # when the server never sends CHANMODES.
            "CHANMODES": _parseChanModes(["b", "", "lk", ""]),
        }

    def getFeature(self, feature: str, default: Any = None) -> Any:
        """The feature's value, or ``default`` when it is unknown."""
        return self._features.get(feature, default)

    def hasFeature(self, feature: str) -> bool:
        """True if the feature is present with a value other than None."""
        return self.getFeature(feature) is not None

    def parse(self, params: Iterable[str]) -> None:
        """Update the features from the tokens of one RPL_ISUPPORT line."""
        for param in params:
            key, _, raw = param.partition("=")
            if key.startswith("-"):
                self._features.pop(key[1:], None)
                continue
            parser = _ISUPPORT_PARSERS.get(key, _asTuple)
            try:
                self._features[key] = parser(self, [_unescapeValue(v) for v in raw.split(",")])
            except ValueError:
                pass  # keep what we had: a bad token must not erase a default


def _asTuple(features: ServerSupportedFeatures, values: list[str]) -> tuple[str, ...]:
    # An unknown feature: keep its values as they came.
    return tuple(values)


def _keepOnError(key: str, parse: Callable[[list[str]], Any]) -> Callable[[ServerSupportedFeatures, list[str]], Any]:
    def parser(features: ServerSupportedFeatures, values: list[str]) -> Any:
        try:
            return parse(values)
        except ValueError:
            return features.getFeature(key)

    return parser


def _intKeepingDefault(key: str) -> Callable[[ServerSupportedFeatures, list[str]], Any]:
    return lambda features, values: _intOrDefault(values[0], features.getFeature(key))


_ISUPPORT_PARSERS: dict[str, Callable[[ServerSupportedFeatures, list[str]], Any]] = {
    "CHANLIMIT": lambda f, v: _pairs(v, _intOrDefault),
    "CHANMODES": _keepOnError("CHANMODES", _parseChanModes),
    "CHANNELLEN": _intKeepingDefault("CHANNELLEN"),
    "CHANTYPES": lambda f, v: tuple(v[0]),
    "EXCEPTS": lambda f, v: v[0] or "e",
    "IDCHAN": lambda f, v: _pairs(v),
    "INVEX": lambda f, v: v[0] or "I",
    "KICKLEN": lambda f, v: _intOrDefault(v[0]),
    "MAXLIST": lambda f, v: _pairs(v, _intOrDefault),
    "MODES": lambda f, v: _intOrDefault(v[0]),
    "NETWORK": lambda f, v: v[0],
    "NICKLEN": _intKeepingDefault("NICKLEN"),
    "PREFIX": _keepOnError("PREFIX", lambda v: _parsePrefix(v[0])),
    "SAFELIST": lambda f, v: True,
    "STATUSMSG": lambda f, v: v[0],
    "TARGMAX": lambda f, v: dict(_pairs(v, _intOrDefault)),
    "TOPICLEN": lambda f, v: _intOrDefault(v[0]),
}
