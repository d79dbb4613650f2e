"""RPL_ISUPPORT (005): ``ServerSupportedFeatures``.

This private module owns ``ServerSupportedFeatures``, re-exported by
``plait.protocols.irc``: what a server announced about itself
(draft-brocklesby-irc-isupport), with the RFC defaults for what it did not
announce.

Theory of operation: each token ``KEY=v1,v2`` of a 005 line is split into
its key and its ``\\xHH``-unescaped values and dispatched to
``isupport_KEY(values)``, whose return value becomes the feature's value
(``isupport_unknown`` keeps the values as a tuple).  A subclass teaches
the parser a new feature by adding an ``isupport_FOO`` method, exactly as
in Twisted; ``dispatch`` is the same prefix-based dispatcher Twisted's
``_CommandDispatcherMixin`` provides, written here as one method.

Rules:

* ``parse`` may be called many times (servers send several 005 lines);
  ``-FEATURE`` removes a feature.
* A token whose value cannot be parsed (a bad ``\\xHH`` escape, a
  malformed ``PREFIX``...) keeps the previous (or default) value and the
  other tokens of the line still apply.  Twisted lets the ``ValueError`` of
  a bad escape escape from ``parse``, losing the rest of the line.

Tests: tests/unit/test_irc.py, tests/unit/test_irc_server.py (ISUPPORT).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from plait.protocols._irc_text import UnhandledCommand

__all__ = ["ServerSupportedFeatures"]


def _intOrDefault(value: Any, default: Any = None) -> Any:
    """``int(value)``, or ``default`` for an empty or non-numeric value."""
    if value:
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    return default


_CHANMODE_KINDS = ("addressModes", "param", "setParam", "noParam")


class ServerSupportedFeatures:
    """What the server announced in RPL_ISUPPORT (005), with RFC defaults.

    Known features get typed values (ints, tuples, dicts); an unknown one
    maps to the tuple of its values.  ``getFeature(name)`` is None for a
    feature the server does not support.
    """

    prefix = "isupport"

    def __init__(self) -> None:
        self._features: dict[str, Any] = {
            "CHANNELLEN": 200,
            "CHANTYPES": tuple("#&"),
            "MODES": 3,
            "NICKLEN": 9,
            "PREFIX": self._parsePrefixParam("(ovh)@+%"),
            # Not an RFC default (the draft has none), but
            # IRCClient.getChannelModeParams needs a value when the server
            # never sends CHANMODES.
            "CHANMODES": self._parseChanModesParam(["b", "", "lk", ""]),
        }

    # -- Twisted's parsing helpers (class methods, as in Twisted) ----------------

    @classmethod
    def _splitParamArgs(cls, params: Iterable[str], valueProcessor: Callable[[str], Any] | None = None) -> list[tuple[str, Any]]:
        """``["A:1", "B"]`` -> ``[("A", process("1")), ("B", process(""))]``."""
        process = valueProcessor if valueProcessor is not None else (lambda value: value)
        pairs = []
        for param in params:
            key, _, value = param.partition(":")
            pairs.append((key, process(value)))
        return pairs

    @classmethod
    def _unescapeParamValue(cls, value: str) -> str:
        """Undo the draft's only escape, ``\\xHH``; ValueError for a bad one."""
        if "\\x" not in value:
            return value
        first, *rest = value.split("\\x")
        parts = [first]
        for part in rest:
            octet = part[:2]
            try:
                parts.append(chr(int(octet, 16)) + part[2:])
            except ValueError:
                raise ValueError(f"Invalid hex octet: {octet!r}") from None
        return "".join(parts)

    @classmethod
    def _splitParam(cls, param: str) -> tuple[str, list[str]]:
        """``"KEY=a,b"`` -> ``("KEY", ["a", "b"])`` (values unescaped)."""
        key, _, value = param.partition("=")
        return key, [cls._unescapeParamValue(v) for v in value.split(",")]

    @classmethod
    def _parsePrefixParam(cls, prefix: str) -> dict[str, tuple[str, int]] | None:
        """``"(ov)@+"`` -> ``{"o": ("@", 0), "v": ("+", 1)}`` (0 = most privileged)."""
        if not prefix:
            return None
        if not prefix.startswith("(") or ")" not in prefix:
            raise ValueError(f"Malformed PREFIX parameter: {prefix!r}")
        modes, symbols = prefix[1:].split(")", 1)
        return {mode: (symbol, rank) for rank, (mode, symbol) in enumerate(zip(modes, symbols))}

    @classmethod
    def _parseChanModesParam(cls, params: list[str]) -> dict[str, str]:
        """The four CHANMODES groups by name (see ``isupport_CHANMODES``)."""
        if len(params) > len(_CHANMODE_KINDS):
            raise ValueError(
                f"Expecting a maximum of {len(_CHANMODE_KINDS)} channel mode parameters, got {len(params)}"
            )
        return {kind: value or "" for kind, value in zip(_CHANMODE_KINDS, params)}

    # -- the public API -----------------------------------------------------------

    def getFeature(self, feature: str, default: Any = None) -> Any:
        """The feature's value, or ``default`` when it is not supported."""
        return self._features.get(feature, default)

    def hasFeature(self, feature: str) -> bool:
        """True if the feature is present with a value other than None."""
        return self.getFeature(feature) is not None

    def parse(self, params: Iterable[str]) -> None:
        """Update the features from the tokens of one RPL_ISUPPORT line."""
        for param in params:
            try:
                key, values = self._splitParam(param)
            except ValueError:
                continue  # a bad escape: keep what we had for this token
            if key.startswith("-"):
                self._features.pop(key[1:], None)
            else:
                self._features[key] = self.dispatch(key, values)

    def dispatch(self, commandName: str, *args: Any) -> Any:
        """Call ``isupport_<commandName>(*args)``, else ``isupport_unknown``.

        Raises ``UnhandledCommand`` when neither exists (only possible in a
        subclass that removed ``isupport_unknown``).
        """
        method = getattr(self, f"{self.prefix}_{commandName}", None)
        if method is not None:
            return method(*args)
        unknown = getattr(self, f"{self.prefix}_unknown", None)
        if unknown is None:
            raise UnhandledCommand(f"No handler for {self.prefix}_{commandName!r} could be found")
        return unknown(commandName, *args)

    # -- one handler per known feature ---------------------------------------------

    def isupport_unknown(self, command: str, params: list[str]) -> tuple[str, ...]:
        """An unknown feature: its values as they came."""
        return tuple(params)

    def isupport_CHANLIMIT(self, params: list[str]) -> list[tuple[str, Any]]:
        """How many channels of each type a user may join."""
        return self._splitParamArgs(params, _intOrDefault)

    def isupport_CHANMODES(self, params: list[str]) -> dict[str, str]:
        """Channel modes in four groups: ``addressModes`` (lists, always a
        parameter), ``param`` (always a parameter), ``setParam`` (a parameter
        only when set) and ``noParam``."""
        try:
            return self._parseChanModesParam(params)
        except ValueError:
            return self.getFeature("CHANMODES")  # type: ignore[no-any-return]

    def isupport_CHANNELLEN(self, params: list[str]) -> Any:
        """The longest channel name a client may create."""
        return _intOrDefault(params[0], self.getFeature("CHANNELLEN"))

    def isupport_CHANTYPES(self, params: list[str]) -> tuple[str, ...]:
        """The channel prefixes."""
        return tuple(params[0])

    def isupport_EXCEPTS(self, params: list[str]) -> str:
        """The mode letter of ban exceptions (``e`` by default)."""
        return params[0] or "e"

    def isupport_IDCHAN(self, params: list[str]) -> list[tuple[str, Any]]:
        """Safe channel identifiers."""
        return self._splitParamArgs(params)

    def isupport_INVEX(self, params: list[str]) -> str:
        """The mode letter of invite exceptions (``I`` by default)."""
        return params[0] or "I"

    def isupport_KICKLEN(self, params: list[str]) -> Any:
        """The longest kick message."""
        return _intOrDefault(params[0])

    def isupport_MAXLIST(self, params: list[str]) -> list[tuple[str, Any]]:
        """How many entries each list mode may hold."""
        return self._splitParamArgs(params, _intOrDefault)

    def isupport_MODES(self, params: list[str]) -> Any:
        """How many parameter-taking modes one MODE command may carry."""
        return _intOrDefault(params[0])

    def isupport_NETWORK(self, params: list[str]) -> str:
        """The network's name."""
        return params[0]

    def isupport_NICKLEN(self, params: list[str]) -> Any:
        """The longest nick."""
        return _intOrDefault(params[0], self.getFeature("NICKLEN"))

    def isupport_PREFIX(self, params: list[str]) -> Any:
        """Channel status modes and their prefix symbols, most privileged first."""
        try:
            return self._parsePrefixParam(params[0])
        except ValueError:
            return self.getFeature("PREFIX")

    def isupport_SAFELIST(self, params: list[str]) -> bool:
        """LIST does not flood the client off the server."""
        return True

    def isupport_STATUSMSG(self, params: list[str]) -> str:
        """Prefixes that address a message to the members of a given status."""
        return params[0]

    def isupport_TARGMAX(self, params: list[str]) -> dict[str, Any]:
        """How many targets each command accepts."""
        return dict(self._splitParamArgs(params, _intOrDefault))

    def isupport_TOPICLEN(self, params: list[str]) -> Any:
        """The longest topic."""
        return _intOrDefault(params[0])


def channelModeParams(features: ServerSupportedFeatures) -> list[str]:
    """``[takeParamWhenAdded, takeParamWhenRemoved]`` for channel modes."""
    # Status modes (PREFIX: o, v...) always take a nick.
    status = "".join(features.getFeature("PREFIX", {}) or {})
    chanmodes = features.getFeature("CHANMODES")
    if chanmodes is None:
        return [status, status]
    always = status + chanmodes.get("addressModes", "") + chanmodes.get("param", "")
    return [always + chanmodes.get("setParam", ""), always]
