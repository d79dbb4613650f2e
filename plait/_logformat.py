"""Log events as text: levels, ``{field}`` formatting, timestamps, flattening.

Part of ``plait.logger`` (which re-exports every public name here): the
pure functions that turn a Twisted-style event dict into text, with no
publishing and no global state.  ``plait.logger`` owns the event model
and the publisher and builds on this; ``plait.log`` builds on both.

What an event is (Twisted's keys): ``log_format`` (a PEP 3101 format whose
fields are other keys of the event; ``{name()}`` calls the value),
``log_level`` (a ``LogLevel``), ``log_namespace``, ``log_time`` (wall-clock
seconds), ``log_system``, ``log_failure`` (a ``Failure``), ``log_source``,
``log_logger``; legacy (``twisted.python.log``) events also carry
``message`` (a tuple), ``isError``, ``failure``, ``why``, ``system``,
``format`` (a ``%``-format) and ``time``.

Rules: formatting never raises (an event that cannot be formatted gives an
``Unable to format event`` text), and nothing here is computed until a
text is asked for.

Tests: tests/unit/test_log.py, tests/unit/test_logger.py.
"""

from __future__ import annotations

import enum
import logging
import string
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from plait.failure import Failure

__all__ = [
    "InvalidLogLevelError", "LogLevel", "eventAsText", "extractField", "formatEvent",
    "formatEventAsClassicLogText", "formatTime", "formatUnformattableEvent",
    "textFromEventDict", "timeFormatRFC3339",
]

#: ``formatTime``'s default: RFC 3339 with a numeric UTC offset.
timeFormatRFC3339 = "%Y-%m-%dT%H:%M:%S%z"


class InvalidLogLevelError(Exception):
    """Somebody asked about a log level that does not exist."""

    def __init__(self, level: object) -> None:
        super().__init__(str(level))
        self.level = level


class LogLevel(enum.IntEnum):
    """Twisted's five levels; the values are the stdlib levels they map to.

    Ordered (``LogLevel.info < LogLevel.error``) and named as Twisted's
    constants are (``LogLevel.levelWithName("warn")``).
    """

    debug = logging.DEBUG
    info = logging.INFO
    warn = logging.WARNING
    error = logging.ERROR
    critical = logging.CRITICAL

    def __repr__(self) -> str:
        return f"<LogLevel={self.name}>"

    @classmethod
    def levelWithName(cls, name: str) -> LogLevel:
        """The level called ``name`` (``'info'``); ``InvalidLogLevelError`` if none is."""
        try:
            return cls[name]
        except KeyError:
            raise InvalidLogLevelError(name) from None

    @classmethod
    def lookupByName(cls, name: str) -> LogLevel:
        """The level called ``name``; ``ValueError`` if none is (constantly's API)."""
        try:
            return cls[name]
        except KeyError:
            raise ValueError(name) from None

    @classmethod
    def iterconstants(cls) -> Iterator[LogLevel]:
        """The levels, least severe first."""
        return iter(cls)


def levelFromStdlib(levelno: int) -> LogLevel:
    """The Twisted level of a stdlib level number (rounding down)."""
    for level in reversed(LogLevel):
        if levelno >= level:
            return level
    return LogLevel.debug


def safeStr(obj: object) -> str:
    """``str(obj)``, UTF-8 bytes decoded, never raising (Twisted's ``safe_str``)."""
    if isinstance(obj, bytes):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return str(obj)
    except Exception:  # noqa: BLE001
        return (f"<{type(obj).__module__}.{type(obj).__qualname__} instance at 0x{id(obj):x} "
                f"with str error:\n {traceback.format_exc()}>")


def safeRepr(obj: object) -> str:
    """``repr(obj)``, never raising."""
    try:
        return repr(obj)
    except Exception:  # noqa: BLE001
        return (f"<{type(obj).__module__}.{type(obj).__qualname__} instance at 0x{id(obj):x} "
                f"with repr error:\n {traceback.format_exc()}>")


# --- {field} formatting --------------------------------------------------------


class _EventFormatter(string.Formatter):
    """PEP 3101 formatting against an event dict; ``{name()}`` calls ``name``."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        call = field_name.endswith("()")
        value, key = super().get_field(field_name[:-2] if call else field_name, args, kwargs)
        return (value() if call else value), key


_formatter = _EventFormatter()


def formatUnformattableEvent(event: Mapping[str, Any], error: BaseException) -> str:
    """The text shown for an event whose format failed with ``error``."""
    try:
        return f"Unable to format event {event!r}: {error}"
    except Exception:  # noqa: BLE001 - the event's own repr is broken too
        recoverable = ", ".join(f"{safeRepr(k)} = {safeRepr(v)}" for k, v in event.items())
        return (f"MESSAGE LOST: unformattable object logged: {safeRepr(error)}\n"
                f"Recoverable data: {recoverable}\n"
                f"Exception during formatting:\n{traceback.format_exc()}")


def _formatBody(event: Mapping[str, Any]) -> str:
    try:
        if "log_flattened" in event:
            return _flatFormat(event)
        logFormat = event.get("log_format")
        if logFormat is None:
            return ""
        if isinstance(logFormat, bytes):
            logFormat = logFormat.decode("utf-8")
        elif not isinstance(logFormat, str):
            raise TypeError(f"Log format must be str, not {logFormat!r}")
        return _formatter.vformat(logFormat, (), event)
    except Exception as e:  # noqa: BLE001
        return formatUnformattableEvent(event, e)


def formatEvent(event: Mapping[str, Any]) -> str:
    """The text of an event's ``log_format``, without traceback, time or system.

    ``""`` for an event with no ``log_format``.
    """
    return _formatBody(event)


def _formatSystem(event: Mapping[str, Any]) -> str:
    system = event.get("log_system")
    if system is not None:
        try:
            return str(system)
        except Exception:  # noqa: BLE001
            return "UNFORMATTABLE"
    level = event.get("log_level")
    levelName = "-" if level is None else level.name
    return f"{event.get('log_namespace', '-')}#{levelName}"


def _failureText(failure: Any) -> str:
    try:
        return str(failure.getTraceback())
    except Exception as e:  # noqa: BLE001
        return f"(UNABLE TO OBTAIN TRACEBACK FROM EVENT):{e}"


def formatTime(when: float | None, timeFormat: str | None = timeFormatRFC3339, default: str = "-") -> str:
    """``when`` (wall-clock seconds) as local time in ``timeFormat``, or ``default``."""
    if timeFormat is None or when is None:
        return default
    # Imported here: datetime is only needed once something writes a time,
    # and importing it up front would slow every ``import plait``.
    from datetime import datetime

    return datetime.fromtimestamp(when).astimezone().strftime(timeFormat)


def eventAsText(
    event: Mapping[str, Any],
    includeTraceback: bool = True,
    includeTimestamp: bool = True,
    includeSystem: bool = True,
    formatTime: Callable[[float | None], str] = formatTime,
) -> str:
    """``2026-11-25T19:06:48+0000 [system] text``, with the traceback of ``log_failure``.

    The system is ``log_system``, else ``namespace#level``.  An event with
    no text gives ``""``.
    """
    text = _formatBody(event)
    if includeTraceback and "log_failure" in event:
        text = "\n".join((text, _failureText(event["log_failure"])))
    if not text:
        return text
    stamp = f"{formatTime(event.get('log_time'))} " if includeTimestamp else ""
    system = f"[{_formatSystem(event)}] " if includeSystem else ""
    return f"{stamp}{system}{text}"


def formatEventAsClassicLogText(
    event: Mapping[str, Any], formatTime: Callable[[float | None], str] = formatTime
) -> str | None:
    """One classic log line (continuation lines tab-indented, newline-ended), or None."""
    text = eventAsText(event, formatTime=formatTime)
    if not text:
        return None
    return text.replace("\n", "\n\t") + "\n"


def textFromEventDict(eventDict: Mapping[str, Any]) -> str | None:
    """The text of a legacy (``log.msg``) event; ``None`` if it has none.

    ``message`` parts joined by spaces; else, for an error, ``why`` (default
    ``Unhandled Error``) and the failure's traceback; else ``format % event``.
    """
    message = eventDict.get("message") or ()
    if message:
        return " ".join(safeStr(part) for part in message)
    if eventDict.get("isError") and "failure" in eventDict:
        why = eventDict.get("why")
        why = safeStr(why) if why else "Unhandled Error"
        try:
            tb = eventDict["failure"].getTraceback()
        except Exception as e:  # noqa: BLE001
            tb = f"(unable to obtain traceback): {e}"
        return f"{why}\n{tb}"
    if "format" in eventDict:
        fmt = eventDict["format"]
        try:
            return str(fmt % eventDict)
        except Exception:  # noqa: BLE001
            try:
                return (f"Invalid format string or unformattable object in log message: "
                        f"{fmt!r}, {eventDict!r}")
            except Exception:  # noqa: BLE001
                return f"UNFORMATTABLE OBJECT WRITTEN TO LOG with fmt {fmt!r}, MESSAGE LOST"
    return None


# --- flattening: an event's fields as text, for JSON and extractField ------------


class _KeyFlattener:
    """Names a format field uniquely: ``name!conversion:spec``, ``/2`` for a repeat."""

    def __init__(self) -> None:
        self.seen: defaultdict[str, int] = defaultdict(int)

    def flatKey(self, fieldName: str, formatSpec: str | None, conversion: str | None) -> str:
        key = f"{fieldName}!{conversion or ''}:{formatSpec or ''}"
        self.seen[key] += 1
        count = self.seen[key]
        return key if count == 1 else f"{key}/{count}"


def flattenEvent(event: dict[str, Any]) -> None:
    """Add ``log_flattened``: each format field's value and its text.

    Then the event can be formatted without its original objects (after a
    JSON round trip, say).
    """
    logFormat = event.get("log_format")
    if logFormat is None:
        return
    fields: dict[str, Any] = event.get("log_flattened") or {}
    keys = _KeyFlattener()
    for _, fieldName, formatSpec, conversion in _formatter.parse(logFormat):
        if fieldName is None:
            continue
        textual = keys.flatKey(fieldName, formatSpec, "r" if conversion == "r" else "s")
        structured = keys.flatKey(fieldName, formatSpec, "")
        if textual in fields:
            continue
        value, _ = _formatter.get_field(fieldName, (), event)
        fields[textual] = repr(value) if conversion == "r" else str(value)
        fields[structured] = value
    if fields:
        event["log_flattened"] = fields


def _flatFormat(event: Mapping[str, Any]) -> str:
    fields = event["log_flattened"]
    keys = _KeyFlattener()
    parts = []
    for literal, fieldName, formatSpec, conversion in _formatter.parse(event["log_format"]):
        parts.append(literal)
        if fieldName is not None:
            parts.append(str(fields[keys.flatKey(fieldName, formatSpec, conversion or "s")]))
    return "".join(parts)


def extractField(field: str, event: dict[str, Any]) -> Any:
    """The value a format field (``"a.b"``, ``"x!r"``...) has in ``event``.

    Works on a live event and on one restored from JSON (``log_flattened``).
    """
    [(_, fieldName, formatSpec, conversion)] = list(_formatter.parse("{" + field + "}"))
    assert fieldName is not None
    key = _KeyFlattener().flatKey(fieldName, formatSpec, conversion)
    if "log_flattened" not in event:
        flattenEvent(event)
    return event["log_flattened"][key]


def failureText(failure: Failure) -> str:
    """A failure's default traceback, never raising (for observers)."""
    return _failureText(failure)
