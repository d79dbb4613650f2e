"""mIRC formatting in plait.protocols.irc: examples and hypothesis properties.

The examples pin the wire format (Twisted's, byte for byte, where Twisted
round-trips) and each deliberate difference; the properties check that
``parseFormattedText(assembleFormattedText(x)) == x`` for every tree the
parser can produce (drawn either as pieces of formatted text or by parsing
random code soup), and that ``stripFormatting`` never leaves a formatting
control character and keeps exactly the text.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plait.protocols import irc
from plait.protocols._irc_format import FORMATTING_CODES

A = irc.attributes
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)
COLOURS = ["white", "black", "blue", "green", "lightRed", "red", "magenta", "orange",
           "yellow", "lightGreen", "cyan", "lightCyan", "lightBlue", "lightMagenta", "gray", "lightGray"]
FLAGS = ("bold", "underline", "reverseVideo")


# -- examples -------------------------------------------------------------------------


def test_assembleExamples() -> None:
    """Each piece of text gets \\x0f and its full formatting, in Twisted's format."""
    assert irc.assembleFormattedText(A.normal[A.bold["Time: "], A.fg.lightRed["Now!"]]) == (
        "\x0f\x02Time: \x0f\x0304Now!"
    )
    assert irc.assembleFormattedText(A.bold[A.underline[A.reverseVideo["x"]]]) == "\x0f\x02\x1f\x16x"
    assert irc.assembleFormattedText(A.fg.red[A.bg.blue["c"]]) == "\x0f\x0305,02c"
    assert irc.assembleFormattedText(A.bold["a", -A.bold["b"]]) == "\x0f\x02a\x0fb"
    assert irc.assembleFormattedText(A.normal) == ""
    assert irc.assembleFormattedText(A.bold[A.normal["plain"]]) == "\x0fplain"


def test_parseExamples() -> None:
    """Codes become nested attributes; several pieces are siblings under a plain root."""
    assert irc.parseFormattedText("plain") == A.normal["plain"]
    assert irc.parseFormattedText("") == A.normal
    assert irc.parseFormattedText("\x02bold\x02 plain") == A.normal[A.bold["bold"], A.normal[" plain"]]
    assert irc.parseFormattedText("\x0305,02c") == A.fg.red[A.bg.blue["c"]]
    assert irc.parseFormattedText("\x0320x") == A.fg.lightRed["x"]  # 20 wraps to 4
    assert irc.parseFormattedText("\x03x") == A.normal["x"]  # bare \x03: colours off
    assert irc.parseFormattedText("\x1f\x02\x16x") == A.bold[A.underline[A.reverseVideo["x"]]]
    assert irc.parseFormattedText("\x0304a\x02b") == A.normal[A.fg.lightRed["a"], A.bold[A.fg.lightRed["b"]]]


def test_attributesBehaveLikeTwisted() -> None:
    """Indexing appends and returns the node; negation flips a flag; bad names raise."""
    node = A.bold
    assert node["a"] is node and node["b", "c"] is node and node.children == ["a", "b", "c"]
    assert (-A.bold["x"]).attrvalue is False
    assert A.fg.red != A.bg.red and A.fg.red == A.fg.red
    with pytest.raises(AttributeError):
        _ = A.blink
    with pytest.raises(AttributeError):
        _ = A.fg.chartreuse
    with pytest.raises(TypeError, match="not int"):
        A.bold[3]


def test_danglingCommaIsText() -> None:
    """A comma after a foreground code with no digit after it is text (Twisted drops it)."""
    assert irc.parseFormattedText("\x0305,abc") == A.fg.red[",abc"]
    assert irc.stripFormatting("\x0305,abc") == ",abc"


def test_trailingColourCodeSetsNothing() -> None:
    """A colour code at the very end adds no text (Twisted turns its digits into text)."""
    assert irc.stripFormatting("hi\x0305") == "hi"
    assert irc.stripFormatting("hi\x0305,0") == "hi"
    assert irc.stripFormatting("hi\x0305,") == "hi,"


def test_commaDigitAfterForegroundIsGuarded() -> None:
    """Text starting ',<digit>' after a foreground-only code is kept apart by \\x02\\x02."""
    text = A.fg.red[",12 apples"]
    assert irc.assembleFormattedText(text) == "\x0f\x0305\x02\x02,12 apples"
    assert irc.parseFormattedText(irc.assembleFormattedText(text)) == text


def test_stripRemovesCodesTwistedKeeps() -> None:
    """Italics, strike-through, monospace and hex colours are stripped too."""
    assert irc.stripFormatting("\x1dit\x1d \x1es\x1e \x11m\x11 \x04FF0000,00FF00hex\x04") == "it s m hex"
    assert irc.stripFormatting("\x02b\x02\x0304,05c\x03\x16r\x1fu\x0fo") == "bcruo"


def test_parserDoesNotShareNodes() -> None:
    """A colour kept across a format change is copied, never shared (Twisted's tree loops)."""
    tree = irc.parseFormattedText("\x0304a\x02b")
    assert tree.children[0].children == ["a"]
    tree = irc.parseFormattedText("\x0304a\x02b\x1fc")
    assert irc.stripFormatting("\x0304a\x02b\x1fc") == "abc"
    assert irc.assembleFormattedText(tree) == "\x0f\x0304a\x0f\x02\x0304b\x0f\x02\x1f\x0304c"


# -- properties ----------------------------------------------------------------------------

plainText = st.text(
    alphabet=st.characters(blacklist_characters="".join(FORMATTING_CODES), blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
pieces = st.lists(
    st.tuples(
        st.lists(st.sampled_from(FLAGS), unique=True),
        st.one_of(st.none(), st.integers(0, 15)),
        st.one_of(st.none(), st.integers(0, 15)),
        plainText,
    ),
    max_size=8,
)


def canonical(drawn: list[tuple[list[str], int | None, int | None, str]]) -> Any:
    """The tree the parser builds for these pieces (documented in _irc_format)."""
    nodes = []
    for flags, fg, bg, text in drawn:
        if fg is None:
            bg = None  # mIRC codes cannot express a background alone
        chain: list[Any] = [getattr(A, flag) for flag in FLAGS if flag in flags]
        if fg is not None:
            chain.append(getattr(A.fg, COLOURS[fg]))
        if bg is not None:
            chain.append(getattr(A.bg, COLOURS[bg]))
        chain = chain or [A.normal]
        inner: Any = text
        for node in reversed(chain):
            inner = node[inner]
        nodes.append(chain[0])
    if len(nodes) == 1:
        return nodes[0]
    return A.normal[nodes]


@PROPERTY_SETTINGS
@given(pieces)
def test_parseAssembleRoundTrip(drawn: list[tuple[list[str], int | None, int | None, str]]) -> None:
    """parse(assemble(x)) == x for any sequence of formatted pieces."""
    x = canonical(drawn)
    assert irc.parseFormattedText(irc.assembleFormattedText(x)) == x


codeSoup = st.text(alphabet=st.sampled_from(list("ab ,0123456789\x02\x03\x0f\x16\x1f\x1d\x04")), max_size=40)


@PROPERTY_SETTINGS
@given(codeSoup)
def test_parseAssembleRoundTripOfParsedText(text: str) -> None:
    """parse(assemble(x)) == x where x is whatever the parser made of arbitrary text."""
    x = irc.parseFormattedText(text)
    assert irc.parseFormattedText(irc.assembleFormattedText(x)) == x


@PROPERTY_SETTINGS
@given(codeSoup)
def test_stripNeverLeavesAFormattingCode(text: str) -> None:
    """stripFormatting's result holds no formatting control character."""
    assert not FORMATTING_CODES.intersection(irc.stripFormatting(text))


@PROPERTY_SETTINGS
@given(pieces)
def test_stripKeepsExactlyTheText(drawn: list[tuple[list[str], int | None, int | None, str]]) -> None:
    """Stripping assembled text gives back the concatenated plain text."""
    x = canonical(drawn)
    assert irc.stripFormatting(irc.assembleFormattedText(x)) == "".join(text for *_, text in drawn)


def test_laterPiecesDoNotInheritTheFirstOnesFormatting() -> None:
    """Re-assembling parsed text gives back the same formatting (Twisted colours 'b' here)."""
    assert irc.assembleFormattedText(irc.parseFormattedText("\x0300a\x0f\x02b")) == "\x0f\x0300a\x0f\x02b"
