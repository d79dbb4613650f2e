"""Observers of log events: files, JSON, filters, history, stdlib, legacy wrapping.

Part of ``plait.logger`` (which re-exports every public name here).  Each
observer is a callable taking one event dict (``ILogObserver``); none of
them publishes anything or touches global state, so they work on any
publisher, plait's or a test's.

Tests: tests/unit/test_logger.py.
"""

from __future__ import annotations

import enum
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from zope.interface import Interface, implementer

from plait._logformat import (
    LogLevel,
    flattenEvent,
    formatEvent,
    formatEventAsClassicLogText,
    formatTime,
    timeFormatRFC3339,
)
from plait.failure import Failure

__all__ = [
    "EventLoggingObserver", "FileLogObserver", "FilteringLogObserver", "ILogFilterPredicate", "ILogObserver",
    "LegacyLogObserverWrapper", "LimitedHistoryLogObserver", "LogLevelFilterPredicate",
    "PredicateResult", "STDLibLogObserver", "eventAsJSON", "eventFromJSON",
    "eventsFromJSONLogFile", "jsonFileLogObserver", "textFileLogObserver",
]

LogEvent = dict[str, Any]


class ILogObserver(Interface):
    """Something that receives every log event: ``observer(event)``."""

    def __call__(event: LogEvent) -> None:
        """Handle ``event``; must not raise (a publisher reports it if it does)."""


# --- files ---------------------------------------------------------------------


@implementer(ILogObserver)
class FileLogObserver:
    """Writes ``formatEvent(event)`` to a file, if it is not empty.

    A binary file gets the text encoded as UTF-8.
    """

    def __init__(self, outFile: IO[Any], formatEvent: Callable[[LogEvent], str | None]) -> None:
        self._outFile = outFile
        self.formatEvent = formatEvent
        self._encoding: str | None = None if _isText(outFile) else "utf-8"

    def __call__(self, event: LogEvent) -> None:
        text = self.formatEvent(event)
        if not text:
            return
        self._outFile.write(text if self._encoding is None else text.encode(self._encoding))
        self._outFile.flush()


def _isText(outFile: IO[Any]) -> bool:
    import io

    if isinstance(outFile, (io.TextIOBase,)) or hasattr(outFile, "encoding"):
        return True
    mode = getattr(outFile, "mode", "")
    return not (isinstance(outFile, (io.BufferedIOBase, io.RawIOBase)) or "b" in str(mode))


def textFileLogObserver(outFile: IO[Any], timeFormat: str | None = timeFormatRFC3339) -> FileLogObserver:
    """An observer writing ``2026-11-25T19:06:48+0000 [system] text`` lines.

    The bracket holds ``log_system`` if the event has one (legacy events
    do), else ``namespace#level``; ``timeFormat=None`` prints ``-`` for the time.
    """

    def stamp(when: float | None) -> str:
        return formatTime(when, timeFormat)

    return FileLogObserver(outFile, lambda event: formatEventAsClassicLogText(event, formatTime=stamp))


# --- JSON ----------------------------------------------------------------------

# The class markers of Twisted's JSON log format, so that files written by
# either can be read by the other.
_LEVEL_UUID = uuid.UUID("02E59486-F24D-46AD-8224-3ACDF2A5732A")
_FAILURE_UUID = uuid.UUID("E76887E2-20ED-49BF-A8F8-BA25CC586F2D")


def _saveObject(obj: object) -> Any:
    if isinstance(obj, bytes):
        return obj.decode("charmap")
    if isinstance(obj, LogLevel):
        return {"name": obj.name, "__class_uuid__": str(_LEVEL_UUID)}
    if isinstance(obj, Failure):
        state = obj.__getstate__()
        state["type"] = {"__module__": obj.type.__module__, "__name__": obj.type.__name__}
        state["value"] = str(obj.value)
        state["__class_uuid__"] = str(_FAILURE_UUID)
        return state
    return {"unpersistable": True}


def _loadObject(mapping: dict[str, Any]) -> object:
    marker = mapping.get("__class_uuid__")
    if marker is None:
        return mapping
    if uuid.UUID(marker) == _LEVEL_UUID:
        return LogLevel.__members__.get(mapping["name"])
    if uuid.UUID(marker) == _FAILURE_UUID:
        failure = Failure.__new__(Failure)
        typeInfo = mapping.pop("type")
        mapping.pop("__class_uuid__")
        mapping["type"] = type(typeInfo["__name__"], (), dict(typeInfo))
        mapping.setdefault("parents", [])
        mapping.setdefault("stack", [])
        mapping.setdefault("pickled", True)
        failure.__setstate__(mapping)
        return failure
    return mapping


def eventAsJSON(event: LogEvent) -> str:
    """The event as one line of JSON; formatted fields are kept as text.

    Values JSON cannot hold become ``{"unpersistable": true}`` (their text
    survives in ``log_flattened``); levels and failures round-trip.
    """
    flattenEvent(event)
    return json.dumps(_levelsMarked(event), default=_saveObject, skipkeys=True)


def _levelsMarked(value: Any) -> Any:
    """``value`` with every ``LogLevel`` replaced by its marker: an ``IntEnum``
    would otherwise be written as a bare number, never reaching ``default``."""
    if isinstance(value, LogLevel):
        return _saveObject(value)
    if isinstance(value, dict):
        return {k: _levelsMarked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_levelsMarked(v) for v in value]
    return value


def eventFromJSON(eventText: str) -> LogEvent:
    """The event ``eventAsJSON`` wrote."""
    return json.loads(eventText, object_hook=_loadObject)  # type: ignore[no-any-return]


def jsonFileLogObserver(outFile: IO[Any], recordSeparator: str = "\x1e") -> FileLogObserver:
    """An observer writing each event as ``recordSeparator + JSON + newline``."""
    return FileLogObserver(outFile, lambda event: f"{recordSeparator}{eventAsJSON(event)}\n")


def eventsFromJSONLogFile(
    inFile: IO[Any], recordSeparator: str | None = None, bufferSize: int = 4096
) -> Iterator[LogEvent]:
    """The events of a file ``jsonFileLogObserver`` wrote (records that cannot
    be read are skipped).  ``recordSeparator=None`` detects it: RS, else lines."""
    def asBytes(data: str | bytes) -> bytes:
        return data if isinstance(data, bytes) else data.encode("utf-8")

    first = b""
    if recordSeparator is None:
        first = asBytes(inFile.read(1))
        separator = b"\x1e" if first == b"\x1e" else b"\n"
    else:
        separator = asBytes(recordSeparator) or b"\n"
    needsNewline = separator != b"\n"
    buffer = bytearray(first)
    while True:
        data = inFile.read(bufferSize)
        records = bytes(buffer + asBytes(data)).split(separator) if data else [bytes(buffer)]
        complete, rest = (records[:-1], records[-1]) if data else (records, b"")
        for record in complete:
            event = _readRecord(record, needsNewline)
            if event is not None:
                yield event
        if not data:
            return
        buffer = bytearray(rest)


def _readRecord(record: bytes, needsNewline: bool) -> LogEvent | None:
    if not record.strip():
        return None
    if needsNewline and not record.endswith(b"\n"):
        return None  # truncated: the writer died mid-record
    try:
        return eventFromJSON(record.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


# --- collecting (for tests) -----------------------------------------------------


@implementer(ILogObserver)
class EventLoggingObserver(Sequence[LogEvent]):
    """Collects the events it observes; a sequence of them (``twisted.internet.testing``'s).

    ``createWithCleanup(testCase, publisher)`` adds one to ``publisher`` and
    removes it when the test case cleans up.
    """

    def __init__(self) -> None:
        self._events: list[LogEvent] = []

    def __len__(self) -> int:
        return len(self._events)

    def __getitem__(self, index: Any) -> Any:
        return self._events[index]

    def __iter__(self) -> Iterator[LogEvent]:
        return iter(self._events)

    def __call__(self, event: LogEvent) -> None:
        self._events.append(event)

    @classmethod
    def createWithCleanup(cls, testInstance: Any, publisher: Any) -> EventLoggingObserver:
        observer = cls()
        publisher.addObserver(observer)
        testInstance.addCleanup(lambda: publisher.removeObserver(observer))
        return observer


# --- filtering and history ---------------------------------------------------------


class PredicateResult(enum.Enum):
    """A filter predicate's verdict: show, drop, or let the next one decide."""

    yes = "yes"
    no = "no"
    maybe = "maybe"


class ILogFilterPredicate(Interface):
    """Decides whether an event is shown: ``predicate(event) -> PredicateResult``."""

    def __call__(event: LogEvent) -> PredicateResult:
        """The verdict on ``event``."""


@implementer(ILogObserver)
class FilteringLogObserver:
    """Passes an event to ``observer`` unless a predicate says ``no``.

    Predicates are asked in order; the first ``yes`` or ``no`` decides, all
    ``maybe`` means yes.  Refused events go to ``negativeObserver``.
    """

    def __init__(
        self,
        observer: Callable[[LogEvent], None],
        predicates: Iterable[Callable[[LogEvent], PredicateResult]],
        negativeObserver: Callable[[LogEvent], None] = lambda event: None,
    ) -> None:
        self._observer = observer
        self._predicates = list(predicates)
        self._negativeObserver = negativeObserver

    def _shouldShow(self, event: LogEvent) -> bool:
        for predicate in self._predicates:
            verdict = predicate(event)
            if verdict == PredicateResult.yes:
                return True
            if verdict == PredicateResult.no:
                return False
            if verdict != PredicateResult.maybe:
                raise TypeError(f"Invalid predicate result: {verdict!r}")
        return True

    def __call__(self, event: LogEvent) -> None:
        (self._observer if self._shouldShow(event) else self._negativeObserver)(event)


@implementer(ILogFilterPredicate)
class LogLevelFilterPredicate:
    """Shows events at or above a level set per namespace (inherited by sub-namespaces)."""

    def __init__(self, defaultLogLevel: LogLevel = LogLevel.info) -> None:
        self.defaultLogLevel = defaultLogLevel
        self._levels: dict[str, LogLevel] = {}
        self._cache: dict[str, LogLevel] = {}

    def logLevelForNamespace(self, namespace: str | None) -> LogLevel:
        """The level set for ``namespace`` or its nearest parent, else the default."""
        if not namespace:
            return self._levels.get("", self.defaultLogLevel)
        cached = self._cache.get(namespace)
        if cached is not None:
            return cached
        parts = namespace.split(".")
        for i in range(len(parts), 0, -1):
            level = self._levels.get(".".join(parts[:i]))
            if level is not None:
                break
        else:
            level = self._levels.get("", self.defaultLogLevel)
        self._cache[namespace] = level
        return level

    def setLogLevelForNamespace(self, namespace: str, level: LogLevel) -> None:
        """Show ``namespace`` (and below) from ``level`` up."""
        if not isinstance(level, LogLevel):
            from plait._logformat import InvalidLogLevelError

            raise InvalidLogLevelError(level)
        self._levels[namespace] = level
        self._cache.clear()

    def clearLogLevels(self) -> None:
        """Forget every level set."""
        self._levels.clear()
        self._cache.clear()

    def __call__(self, event: LogEvent) -> PredicateResult:
        level = event.get("log_level")
        namespace = event.get("log_namespace")
        if level is None or namespace is None:
            return PredicateResult.no
        if level < self.logLevelForNamespace(namespace):
            return PredicateResult.no
        return PredicateResult.maybe


@implementer(ILogObserver)
class LimitedHistoryLogObserver:
    """Keeps the last ``size`` events, to be replayed to another observer."""

    def __init__(self, size: int = 2**16) -> None:
        self._buffer: deque[LogEvent] = deque(maxlen=size)

    def __call__(self, event: LogEvent) -> None:
        self._buffer.append(event)

    def replayTo(self, otherObserver: Callable[[LogEvent], None]) -> None:
        """Give every kept event, oldest first, to ``otherObserver``."""
        for event in self._buffer:
            otherObserver(event)


# --- bridges: stdlib logging and legacy observers ------------------------------------


@implementer(ILogObserver)
class STDLibLogObserver:
    """Forwards events to a stdlib logger (``name``, default ``"twisted"``)."""

    def __init__(self, name: str = "twisted", stackDepth: int = 5) -> None:
        self.logger = logging.getLogger(name)
        self.stackDepth = stackDepth

    def __call__(self, event: LogEvent) -> None:
        level = event.get("log_level", LogLevel.info)
        levelno = int(level) if isinstance(level, LogLevel) else logging.INFO
        failure = event.get("log_failure")
        excInfo = None
        if failure is not None and isinstance(failure.value, BaseException):
            excInfo = (failure.type, failure.value, failure.getTracebackObject())
        self.logger.log(levelno, _StdlibText(event), exc_info=excInfo)


class _StdlibText:
    """The event's text, rendered only if a handler formats the record."""

    __slots__ = ("event",)

    def __init__(self, event: LogEvent) -> None:
        self.event = event

    def __str__(self) -> str:
        return formatEvent(self.event)


class _LegacyText:
    """``%(log_legacy)s``: the text of a new-style event, for legacy formats."""

    __slots__ = ("event",)

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    def __str__(self) -> str:
        return formatEvent(self.event)


@implementer(ILogObserver)
class LegacyLogObserverWrapper:
    """Gives a ``log.addObserver``-style observer the keys it expects.

    Adds ``message``, ``time``, ``system``, ``format`` (``%(log_legacy)s``
    for a new-style event), ``isError``, ``failure`` and ``why`` where
    missing, in the event itself, as Twisted does.
    """

    def __init__(self, legacyObserver: Callable[[LogEvent], None]) -> None:
        self.legacyObserver = legacyObserver

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.legacyObserver})"

    def __call__(self, event: LogEvent) -> None:
        if "message" not in event:
            event["message"] = ()
        if "time" not in event:
            event["time"] = event["log_time"]
        if "system" not in event:
            event["system"] = event.get("log_system", "-")
        if "format" not in event and event.get("log_format") is not None:
            event["format"] = "%(log_legacy)s"
            event["log_legacy"] = _LegacyText(dict(event))
            if not isinstance(event["message"], tuple):
                event["message"] = ()
        if "log_failure" in event:
            event.setdefault("failure", event["log_failure"])
            event.setdefault("isError", 1)
            if "why" not in event:
                event["why"] = formatEvent(event)
        elif "isError" not in event:
            event["isError"] = 1 if event.get("log_level") in (LogLevel.error, LogLevel.critical) else 0
        self.legacyObserver(event)
