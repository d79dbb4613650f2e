"""mIRC text formatting: ``attributes``, ``assembleFormattedText``,
``parseFormattedText``, ``stripFormatting``.

This private module owns the formatting half of ``plait.protocols.irc``
(which re-exports the public names): a small tree of text attributes built
with indexing, ``attributes.bold["loud ", attributes.fg.red["red"]]``, its
serialisation to mIRC control codes, and a parser that turns control codes
back into that tree.  The codes (https://modern.ircdocs.horse/formatting):
``\\x02`` bold, ``\\x1f`` underline, ``\\x16`` reverse video (toggles),
``\\x03FF[,BB]`` colour (up to two digits each, 0-15, wrapping around
above), ``\\x0f`` off.

Theory of operation:

* *Assembling* walks the tree with a formatting state that each attribute
  node copies and changes for its children; before every piece of text it
  writes ``\\x0f`` and the codes of the whole state (so each piece is
  self-contained), then the text.
* *Parsing* is a three-state machine (``_ParseState``: text, foreground
  digits, background digits).  Every control code ends the current piece
  of text; each piece becomes one chain of nodes, nested in a fixed order
  (bold, underline, reverse video, foreground, background).  A single
  piece is the result; several become the children of ``attributes.normal``.

Rules (each a deliberate difference from Twisted, covered by the property
tests; Twisted's outputs and parses agree on everything else):

* ``parseFormattedText(assembleFormattedText(x)) == x`` for every tree the
  parser can produce.  For that, a comma ending a foreground code that no
  digit follows is text (Twisted drops it), a colour code at the very end
  of the text sets nothing (Twisted turns its digits into text), nested
  attributes come in the fixed order above (Twisted's follows set
  iteration), pieces are siblings under a plain root (Twisted nests every
  later piece inside the first, so re-assembling gives them the first
  one's formatting too), each piece gets its own colour nodes (Twisted
  reuses one node, which duplicates text or makes the tree a cycle), and
  when text after a foreground-only code starts with ``,`` and a digit,
  the assembler puts ``\\x02\\x02`` (bold on, bold off) in between, so
  that clients do not read it as a background colour.
* ``stripFormatting`` also removes the codes Twisted does not know and
  leaves in: ``\\x1d`` italics, ``\\x1e`` strike-through, ``\\x11``
  monospace and ``\\x04RRGGBB[,RRGGBB]`` hex colours; its result never
  contains a formatting control character.
* A background colour without a foreground cannot be written in mIRC
  codes: it is assembled as ``\\x03,BB`` as Twisted does, which the parser
  (like every client) reads as "colours off" followed by text.

Tests: tests/unit/test_irc_format.py (examples and hypothesis properties).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["assembleFormattedText", "attributes", "parseFormattedText", "stripFormatting"]

_OFF = "\x0f"
_BOLD = "\x02"
_COLOR = "\x03"
_REVERSE_VIDEO = "\x16"
_UNDERLINE = "\x1f"

# Every formatting control character, including the ones only
# stripFormatting knows (italics, strike-through, monospace, hex colour).
FORMATTING_CODES = frozenset(_OFF + _BOLD + _COLOR + _REVERSE_VIDEO + _UNDERLINE + "\x1d\x1e\x11\x04")
_OTHER_CODES = re.compile("\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x1d\x1e\x11]")

_COLOR_NAMES = (
    "white", "black", "blue", "green", "lightRed", "red", "magenta", "orange",
    "yellow", "lightGreen", "cyan", "lightCyan", "lightBlue", "lightMagenta",
    "gray", "lightGray",
)
_IRC_COLORS: dict[str, int] = {name: code for code, name in enumerate(_COLOR_NAMES)}
_IRC_COLOR_NAMES: dict[int, str] = dict(enumerate(_COLOR_NAMES))

# The attribute names of the non-colour codes, in the parser's nesting order.
_FLAG_CODES = {"bold": _BOLD, "underline": _UNDERLINE, "reverseVideo": _REVERSE_VIDEO}
_FLAGS = tuple(_FLAG_CODES)


# -- the attribute tree ----------------------------------------------------------------


class _Attribute:
    """A node of formatted text; indexing it adds children and returns it.

    ``node["text"]`` and ``node[other]`` append one child, ``node[a, b]``
    (a tuple or list) appends each.  Nodes compare equal when their type,
    their fields (``compareAttributes``) and their children are equal.
    """

    compareAttributes: tuple[str, ...] = ("children",)

    def __init__(self) -> None:
        self.children: list[Any] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {vars(self)!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)) or type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.compareAttributes)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]  # mutable: indexing adds children

    def __getitem__(self, item: Any) -> _Attribute:
        if isinstance(item, (list, tuple)):
            for child in item:
                self._check(child)
            self.children.extend(item)
        else:
            self._check(item)
            self.children.append(item)
        return self

    @staticmethod
    def _check(child: Any) -> None:
        if not isinstance(child, (str, _Attribute)):
            raise TypeError(f"formatted text holds str and attributes, not {type(child).__name__}")

    def serialize(self, write: Callable[[str], object], attrs: Any = None, attributeRenderer: str = "toMIRCControlCodes") -> None:
        """Write the text of this node's children, each preceded by the
        rendering of the formatting state that applies to it."""
        if attrs is None:
            attrs = _FormattingState()
        for child in self.children:
            if isinstance(child, _Attribute):
                child.serialize(write, attrs.copy(), attributeRenderer)
            else:
                write(getattr(attrs, attributeRenderer)())
                write(child)


class _NormalAttr(_Attribute):
    """Plain text: every attribute off."""

    def serialize(self, write: Callable[[str], object], attrs: Any = None, attributeRenderer: str = "toMIRCControlCodes") -> None:
        _Attribute.serialize(self, write, type(attrs)() if attrs is not None else None, attributeRenderer)


class _OtherAttr(_Attribute):
    """A flag attribute (bold, underline, reverse video) set or, negated, unset."""

    compareAttributes = ("attrname", "attrvalue", "children")

    def __init__(self, attrname: str, attrvalue: bool) -> None:
        _Attribute.__init__(self)
        self.attrname = attrname
        self.attrvalue = attrvalue

    def __neg__(self) -> _OtherAttr:
        result = _OtherAttr(self.attrname, not self.attrvalue)
        result.children.extend(self.children)
        return result

    def serialize(self, write: Callable[[str], object], attrs: Any = None, attributeRenderer: str = "toMIRCControlCodes") -> None:
        attrs = (attrs if attrs is not None else _FormattingState())._withAttribute(self.attrname, self.attrvalue)
        _Attribute.serialize(self, write, attrs, attributeRenderer)


class _ColorAttr(_Attribute):
    """A foreground or background colour (``ground``) for the children."""

    compareAttributes = ("color", "ground", "children")

    def __init__(self, color: int, ground: str) -> None:
        _Attribute.__init__(self)
        self.color = color
        self.ground = ground

    def serialize(self, write: Callable[[str], object], attrs: Any = None, attributeRenderer: str = "toMIRCControlCodes") -> None:
        attrs = (attrs if attrs is not None else _FormattingState())._withAttribute(self.ground, self.color)
        _Attribute.serialize(self, write, attrs, attributeRenderer)


class _ForegroundColorAttr(_ColorAttr):
    def __init__(self, color: int) -> None:
        _ColorAttr.__init__(self, color, "foreground")


class _BackgroundColorAttr(_ColorAttr):
    def __init__(self, color: int) -> None:
        _ColorAttr.__init__(self, color, "background")


class _ColorAttribute:
    """``attributes.fg`` / ``attributes.bg``: a new colour node per name."""

    def __init__(self, ground: type[_ColorAttr], attrs: dict[str, int]) -> None:
        self.ground = ground
        self.attrs = attrs

    def __getattr__(self, name: str) -> _ColorAttr:
        try:
            return self.ground(self.attrs[name])  # type: ignore[call-arg]
        except KeyError:
            raise AttributeError(name) from None


class _CharacterAttributes:
    """The ``attributes`` factory: ``normal``, ``bold``, ``underline``,
    ``reverseVideo``, and the colours under ``fg`` and ``bg`` (white, black,
    blue, green, lightRed, red, magenta, orange, yellow, lightGreen, cyan,
    lightCyan, lightBlue, lightMagenta, gray, lightGray: codes 0 to 15).
    Each access makes a new node."""

    fg = _ColorAttribute(_ForegroundColorAttr, _IRC_COLORS)
    bg = _ColorAttribute(_BackgroundColorAttr, _IRC_COLORS)
    attrs: ClassVar[dict[str, str]] = dict(_FLAG_CODES)

    def __getattr__(self, name: str) -> _Attribute:
        if name == "normal":
            return _NormalAttr()
        if name in self.attrs:
            return _OtherAttr(name, True)
        raise AttributeError(name)


attributes = _CharacterAttributes()


class _FormattingState:
    """The formatting of one piece of text, rendered as mIRC codes."""

    compareAttributes = ("off", "bold", "underline", "reverseVideo", "foreground", "background")

    def __init__(
        self,
        off: bool = False,
        bold: bool = False,
        underline: bool = False,
        reverseVideo: bool = False,
        foreground: int | None = None,
        background: int | None = None,
    ) -> None:
        self.off = off
        self.bold = bold
        self.underline = underline
        self.reverseVideo = reverseVideo
        self.foreground = foreground
        self.background = background

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _FormattingState):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.compareAttributes)

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> _FormattingState:
        clone = type(self)()
        clone.__dict__.update(vars(self))
        return clone

    def _withAttribute(self, name: str, value: Any) -> _FormattingState:
        clone = self.copy()
        setattr(clone, name, value)
        return clone

    def toMIRCControlCodes(self) -> str:
        """``\\x0f`` followed by the codes that set up this state."""
        codes = [_OFF]
        codes.extend(_FLAG_CODES[flag] for flag in _FLAGS if getattr(self, flag))
        if self.foreground is not None or self.background is not None:
            color = _COLOR
            if self.foreground is not None:
                color += f"{self.foreground:02d}"
            if self.background is not None:
                color += f",{self.background:02d}"
            codes.append(color)
        return "".join(codes)

    def toPlainText(self) -> str:
        """No codes at all: what ``stripFormatting`` renders."""
        return ""


def _needsGuard(codes: str, text: str) -> bool:
    """True when ``text`` would extend a foreground-only colour code."""
    return (
        text[:1] == ","
        and text[1:2].isdigit()
        and len(codes) >= 3
        and codes[-3] == _COLOR
        and codes[-2:].isdigit()
    )


def assembleFormattedText(formatted: _Attribute) -> str:
    """mIRC control codes and text for the attribute tree ``formatted``.

    Every piece of text is preceded by ``\\x0f`` and the codes of its full
    formatting, e.g. ``assembleFormattedText(attributes.normal[
    attributes.bold["Time: "], attributes.fg.lightRed["Now!"]])`` gives
    ``"\\x0f\\x02Time: \\x0f\\x0304Now!"``.
    """
    writes: list[str] = []
    formatted.serialize(writes.append, _FormattingState(), "toMIRCControlCodes")
    # serialize writes the codes of a piece, then its text, alternately.
    out: list[str] = []
    for i in range(0, len(writes) - 1, 2):
        codes, text = writes[i], writes[i + 1]
        out.append(codes)
        if _needsGuard(codes, text):
            out.append(_BOLD + _BOLD)
        out.append(text)
    return "".join(out)


# -- parsing -----------------------------------------------------------------------------


class _ParseState(enum.Enum):
    TEXT = "text"
    FOREGROUND = "foreground digits"
    BACKGROUND = "background digits"


class _FormattingParser:
    """Control codes -> pieces of text with their formatting.

    Feed characters with ``process``; ``complete`` ends the input and
    returns the attribute tree.  ``pieces`` is the list of
    ``(flags, foreground, background, text)`` found so far.
    """

    def __init__(self) -> None:
        self.state = _ParseState.TEXT
        self._buffer: list[str] = []
        self._digits = ""
        self._flags: set[str] = set()
        self.foreground: int | None = None
        self.background: int | None = None
        self.pieces: list[tuple[tuple[str, ...], int | None, int | None, str]] = []

    def process(self, ch: str) -> None:
        """Handle one character of input."""
        if self.state is _ParseState.TEXT:
            self._text(ch)
        elif self.state is _ParseState.FOREGROUND:
            self._foregroundDigit(ch)
        else:
            self._backgroundDigit(ch)

    def feed(self, text: str) -> None:
        """Handle a whole string; plain stretches are copied in one go."""
        i, end = 0, len(text)
        while i < end:
            if self.state is _ParseState.TEXT:
                match = _PARSER_CODE_RE.search(text, i)
                j = end if match is None else match.start()
                if j > i:
                    self._buffer.append(text[i:j])
                    i = j
                    continue
            self.process(text[i])
            i += 1

    def _text(self, ch: str) -> None:
        if ch not in _PARSER_CODES:
            self._buffer.append(ch)
            return
        self.emit()
        if ch == _COLOR:
            self.state = _ParseState.FOREGROUND
        elif ch == _OFF:
            self._flags.clear()
            self.foreground = self.background = None
        else:
            self._flags ^= {_CODE_FLAGS[ch]}

    def _foregroundDigit(self, ch: str) -> None:
        if ch.isdigit() and ch.isascii() and len(self._digits) < 2:
            self._digits += ch
            return
        if not self._digits:
            # A bare \x03: colours off; the character after it is text.
            self.foreground = self.background = None
            self.state = _ParseState.TEXT
            self.process(ch)
            return
        self.foreground = int(self._digits) % len(_COLOR_NAMES)
        self._digits = ""
        if ch == ",":
            self.state = _ParseState.BACKGROUND
            return
        self.state = _ParseState.TEXT
        self.process(ch)

    def _backgroundDigit(self, ch: str) -> None:
        if ch.isdigit() and ch.isascii() and len(self._digits) < 2:
            self._digits += ch
            return
        self._endBackground()
        self.process(ch)

    def _endBackground(self) -> None:
        if self._digits:
            self.background = int(self._digits) % len(_COLOR_NAMES)
            self._digits = ""
        else:
            self._buffer.append(",")  # no digit after the comma: it was text
        self.state = _ParseState.TEXT

    def emit(self) -> None:
        """End the current piece of text (if any) with the current formatting."""
        if self._buffer:
            flags = tuple(flag for flag in _FLAGS if flag in self._flags)
            self.pieces.append((flags, self.foreground, self.background, "".join(self._buffer)))
            self._buffer = []

    def complete(self) -> _Attribute:
        """End of input: the attribute tree of everything processed."""
        if self.state is _ParseState.FOREGROUND:
            if self._digits:
                self.foreground = int(self._digits) % len(_COLOR_NAMES)
                self._digits = ""
            self.state = _ParseState.TEXT
        elif self.state is _ParseState.BACKGROUND:
            self._endBackground()
        self.emit()
        return _tree(self.pieces)


_PARSER_CODES = frozenset(_OFF + _BOLD + _COLOR + _REVERSE_VIDEO + _UNDERLINE)
_PARSER_CODE_RE = re.compile("[" + "".join(sorted(_PARSER_CODES)) + "]")
_CODE_FLAGS = {code: flag for flag, code in _FLAG_CODES.items()}


def _node(flags: tuple[str, ...], foreground: int | None, background: int | None, text: str) -> _Attribute:
    """One piece as nested nodes: flags outermost, then fg, then bg."""
    chain: list[_Attribute] = [getattr(attributes, flag) for flag in flags]
    if foreground is not None:
        chain.append(_ForegroundColorAttr(foreground))
    if background is not None:
        chain.append(_BackgroundColorAttr(background))
    if not chain:
        chain.append(_NormalAttr())
    inner: Any = text
    for node in reversed(chain):
        inner = node[inner]
    return chain[0]


def _tree(pieces: list[tuple[tuple[str, ...], int | None, int | None, str]]) -> _Attribute:
    # One piece is its own node; several are siblings under a plain root, so
    # that no piece inherits another's formatting when assembled again.
    if len(pieces) == 1:
        return _node(*pieces[0])
    return _NormalAttr()[[_node(*piece) for piece in pieces]]


def parseFormattedText(text: str) -> _Attribute:
    """The attribute tree of mIRC-formatted ``text``.

    Colour codes are mapped to 0-15, wrapping around above 15 as most
    clients do.  Text without any code gives ``attributes.normal[text]``.
    """
    parser = _FormattingParser()
    parser.feed(text)
    return parser.complete()


def stripFormatting(text: str) -> str:
    """``text`` without any formatting code (see the module docstring)."""
    parser = _FormattingParser()
    parser.feed(text)
    parser.complete()
    plain = "".join(piece[3] for piece in parser.pieces)
    return _OTHER_CODES.sub("", plain) if any(code in plain for code in "\x04\x11\x1d\x1e") else plain
