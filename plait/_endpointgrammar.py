"""Endpoint description strings: the grammar and the parser registry.

What it owns: splitting a description such as ``tcp:host=h:80:timeout=5``
into positional and keyword arguments (``\\`` escapes the next character;
the first unescaped ``=`` of a segment separates key from value), turning
argument text into numbers with errors that name the argument, and the
registry mapping a prefix (``tcp``, ``tcp6``...) to the parser object that
builds the endpoint.  ``plait.endpoints`` defines the parsers for its own
endpoint types and the public ``clientFromString``/``serverFromString``.

Rules: a malformed description raises ``ValueError``/``TypeError`` whose
message names the bad part and ends with ``in endpoint description '...'``;
an unknown prefix gives Twisted's ``Unknown endpoint type: 'xyz'``
followed by the registered types (``(known types: tcp, ...)``).

Plugins: a prefix the registry does not know is looked up, once, among the
entry points of installed distributions (groups ``plait.endpoints.client``
and ``plait.endpoints.server``; the entry point's name is the prefix and
its object, or an instance of its class, the parser) and, under the
compatibility mode, among Twisted-style ``twisted.plugins`` objects
(``plait.plugin``).  What is found is registered like a built-in parser.

Tests: tests/unit/test_endpoint_strings.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["quoteStringArgument"]


def quoteStringArgument(argument: str) -> str:
    """Escape ``argument`` for use as a *keyword value* in a description.

    Backslashes and colons get a backslash; ``=`` needs no escape after a
    keyword's own ``=``.  (A positional argument containing ``=`` still
    needs ``\\=``, which this does not add, as in Twisted.)
    """
    return argument.replace("\\", "\\\\").replace(":", "\\:")


def _parse(description: str) -> tuple[list[str], dict[str, str]]:
    """Split a description into positional and keyword arguments.

    ``"a:b:d=1:c"`` -> ``(["a", "b", "c"], {"d": "1"})``.  A backslash
    escapes the next character; the first unescaped ``=`` of a segment
    separates key from value; later ``=`` belong to the value.
    """
    args: list[str] = []
    kwargs: dict[str, str] = {}
    key: str | None = None
    current: list[str] = []

    def endSegment() -> None:
        value = "".join(current)
        if key is None:
            args.append(value)
        elif key in kwargs:
            raise ValueError(f"Duplicate keyword argument {key!r} in endpoint description {description!r}")
        else:
            kwargs[key] = value

    chars = iter(description)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise ValueError(f"Endpoint description {description!r} ends with a lone backslash")
            current.append(escaped)
        elif char == ":":
            endSegment()
            key, current = None, []
        elif char == "=" and key is None:
            key, current = "".join(current), []
        else:
            current.append(char)
    endSegment()
    return args, kwargs


def _toInt(name: str, value: str, *, isPort: bool = False) -> int:
    """``int(value)``, with an error naming the argument."""
    try:
        number = int(value)
    except ValueError as e:
        raise ValueError(f"{e} (the {name})") from None
    if isPort and not 0 <= number <= 65535:
        raise ValueError(f"port {number} is out of range 0-65535")
    return number


def _takePositional(names: Sequence[str], args: Sequence[str], kwargs: dict[str, str]) -> dict[str, str]:
    """Merge positional arguments into ``kwargs`` under ``names``, in order.

    Positional arguments fill the names not already given as keywords
    (``tcp:host=h:80`` gives the port positionally).
    """
    free = [name for name in names if name not in kwargs]
    if len(args) > len(free):
        raise TypeError(
            f"too many positional arguments {list(args)!r}: expected at most "
            f"{', '.join(free)} (besides keywords {sorted(kwargs)!r})"
        )
    merged = dict(kwargs)
    merged.update(zip(free, args))
    return merged


def _requireArguments(params: dict[str, Any], names: Sequence[str], example: str) -> None:
    """Raise Twisted's ``TypeError`` for missing arguments, plus an example.

    Twisted lets the endpoint's constructor complain (``__init__() missing
    1 required positional argument: 'port'``); that names a class the user
    never wrote, so plait keeps the words and adds what a description of
    this type looks like.
    """
    missing = [name for name in names if name not in params]
    if missing:
        count = len(missing)
        listed = " and ".join(repr(name) for name in missing)
        plural = "s" if count > 1 else ""
        raise TypeError(f"missing {count} required positional argument{plural}: {listed} ({example})")


_clientParsers: dict[str, Any] = {}
_serverParsers: dict[str, Any] = {}


def _registerClientParser(parser: Any) -> None:
    """Make ``clientFromString`` handle ``parser.prefix`` (case-insensitive)."""
    _clientParsers[parser.prefix.lower()] = parser


def _registerServerParser(parser: Any) -> None:
    """Make ``serverFromString`` handle ``parser.prefix`` (case-insensitive)."""
    _serverParsers[parser.prefix.lower()] = parser


#: Entry-point groups a distribution uses to add description parsers.
CLIENT_PARSERS_GROUP = "plait.endpoints.client"
SERVER_PARSERS_GROUP = "plait.endpoints.server"


def _findPlugin(kind: str, method: str) -> Any:
    """A third-party parser for prefix ``kind``: an entry point first, then
    (under the compatibility mode) a Twisted-style ``twisted.plugins`` object.

    Only asked for prefixes the registry does not know, so the built-in
    parsers never pay for a scan; what is found is registered.
    """
    from plait import plugin
    from plait.interfaces import (
        IStreamClientEndpointStringParserWithReactor,
        IStreamServerEndpointStringParser,
    )

    client = method == "parseStreamClient"
    group = CLIENT_PARSERS_GROUP if client else SERVER_PARSERS_GROUP
    interface = IStreamClientEndpointStringParserWithReactor if client else IStreamServerEndpointStringParser
    for found in plugin.entryPointObjects(group, kind):
        if hasattr(found, method):
            return found
    for found in plugin.getPlugins(interface):
        if str(getattr(found, "prefix", "")).lower() == kind:
            return found
    return None


def _fromString(parsers: dict[str, Any], method: str, reactor: Any, description: str) -> Any:
    if not isinstance(description, str):
        raise TypeError(f"endpoint description must be str, not {type(description).__name__}")
    args, kwargs = _parse(description)
    kind = args.pop(0).lower() if args else ""
    parser = parsers.get(kind)
    if parser is None and kind:
        parser = _findPlugin(kind, method)
        if parser is not None:
            parsers[kind] = parser
    if parser is None:
        # Twisted's message, then the types that do exist: read at call
        # time, so parsers registered by other modules are listed too.
        known = ", ".join(sorted(parsers))
        raise ValueError(f"Unknown endpoint type: {kind!r} (known types: {known})")
    try:
        return getattr(parser, method)(reactor, *args, **kwargs)
    except (TypeError, ValueError) as e:
        if type(e) not in (TypeError, ValueError):
            raise  # a subclass may not take a plain message; leave it alone
        # Say which description was bad; the message itself names the part.
        raise type(e)(f"{e} in endpoint description {description!r}") from e


def _clientFromString(reactor: Any, description: str) -> Any:
    """``clientFromString``'s work, reading the registry at call time."""
    return _fromString(_clientParsers, "parseStreamClient", reactor, description)


def _serverFromString(reactor: Any, description: str) -> Any:
    """``serverFromString``'s work, reading the registry at call time."""
    return _fromString(_serverParsers, "parseStreamServer", reactor, description)
