"""Twisted's legacy logging calls (``twisted.python.log``), built on ``plait.logger``.

This module owns the calls a client script makes: ``msg``, ``err``,
``addObserver``/``removeObserver``, ``startLogging``, the legacy
``FileLogObserver`` (``2026-11-25 19:02:56+0000 [system] text`` lines),
``PythonLoggingObserver``, ``callWithContext``/``callWithLogger`` and the
``theLogPublisher`` they share.  The event model, the publisher, the log
context and the standard-library side are ``plait.logger``'s; this module
only builds legacy events and wraps legacy observers.

A legacy event is what Twisted's ``msg`` makes: the context (``system``),
the keywords given, ``message`` (the positional parts), ``time`` and
``isError`` (0 or 1), then the new-style keys every observer may read:
``log_time``, ``log_text`` + ``log_format="{log_text}"`` (the text),
``log_level`` (``critical`` for an error, as in Twisted; ``logLevel=`` picks
a stdlib level), ``log_namespace="log_legacy"`` and ``log_system``.  An
observer added with ``addObserver`` is wrapped in
``LegacyLogObserverWrapper``, so it also gets ``format``/``failure``/``why``
on new-style events.

Levels on the standard-library side: ``msg`` is INFO, an error is ERROR
(``logLevel=`` picks another), the record's ``failure`` attribute is the
failure.

Rules: nothing is built for an event nobody would see (``plait.logger``'s
gate is checked first); importing this module configures nothing; ``err()``
is the single way library code reports a failure.

Deliberate differences from Twisted: ``callWithLogger`` logs and swallows
``Exception`` but lets ``SystemExit``/``KeyboardInterrupt`` propagate;
``startLogging`` onto the log's own stdout stand-in raises ``TypeError``;
``defaultObserver`` is not installed (errors logged before ``startLogging``
go to the standard ``logging`` module, whose default handler prints them
to stderr as Twisted's default observer does).

Tests: tests/unit/test_log.py
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

from zope.interface import Interface

from plait import logger as _logger
from plait._logformat import LogLevel, formatEvent, levelFromStdlib, textFromEventDict
from plait._logobservers import LegacyLogObserverWrapper, STDLibLogObserver
from plait.failure import Failure
from plait.logger import (
    LoggingFile,
    _system,
    currentSystem,
    globalLogBeginner,
    globalLogPublisher,
    textFileLogObserver,
)

__all__ = [
    "DefaultObserver",
    "EventDict",
    "FileLogObserver",
    "ILogContext",
    "ILogObserver",
    # plait.logger's, kept importable from here:
    "LogLevel",
    "LogPublisher",
    "Logger",
    "NullFile",
    "PythonLoggingObserver",
    "StdioOnnaStick",
    "addObserver",
    "callWithContext",
    "callWithLogger",
    "defaultObserver",
    "deferr",
    "discardLogs",
    "err",
    "formatEvent",
    "globalLogBeginner",
    "globalLogPublisher",
    "logerr",
    "logfile",
    "msg",
    "removeObserver",
    "showwarning",
    "startLogging",
    "startLoggingWithObserver",
    "textFileLogObserver",
    "textFromEventDict",
    "theLogPublisher",
]

EventDict = dict[str, Any]
Observer = Callable[[EventDict], None]


class ILogContext:
    """The key under which the context dict lives (Twisted's marker class)."""


class ILogObserver(Interface):
    """A legacy observer: called with each event dict (see the module docstring)."""

    def __call__(eventDict: EventDict) -> None:
        """Handle one event."""


class Logger:
    """A base class for objects that give log lines a prefix (``logPrefix``)."""

    def logPrefix(self) -> str:
        """The prefix of log lines about this object; ``"-"`` by default."""
        return "-"


# --- the log context -------------------------------------------------------------


def callWithContext(ctx: Mapping[Any, Any], func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func`` with ``ctx["system"]`` (if given) as the ``system`` of events."""
    system = ctx.get("system")
    if system is None:
        return func(*args, **kw)
    token = _system.set(str(system))
    try:
        return func(*args, **kw)
    finally:
        _system.reset(token)


def callWithLogger(logger: Any, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func`` with ``logger.logPrefix()`` as the ``system`` of its events.

    Returns what ``func`` returns.  If ``func`` raises an ``Exception`` it is
    logged with ``err`` (under that prefix) and ``None`` is returned, as in
    Twisted; ``SystemExit`` and ``KeyboardInterrupt`` propagate.
    """
    try:
        prefix = str(logger.logPrefix())
    except Exception:  # noqa: BLE001
        prefix = "(buggy logPrefix method)"
        err(system=prefix)
    token = _system.set(prefix)
    try:
        return func(*args, **kw)
    except Exception:  # noqa: BLE001
        err(system=prefix)
        return None
    finally:
        _system.reset(token)


# --- the legacy publisher --------------------------------------------------------


def _legacyLevel(event: EventDict) -> tuple[LogLevel | None, int]:
    """(Twisted's ``log_level``, the stdlib level of the record)."""
    logLevel = event.get("logLevel")
    if logLevel is not None:
        return levelFromStdlib(int(logLevel)), int(logLevel)
    if event["isError"]:
        return LogLevel.critical, logging.ERROR
    return LogLevel.info, logging.INFO


class LogPublisher:
    """Twisted's legacy publisher: ``msg`` plus wrapped legacy observers.

    ``theLogPublisher`` is the one behind the module functions; it publishes
    to ``plait.logger.globalLogPublisher``.
    """

    def __init__(self, observerPublisher: Any = None) -> None:
        self._publisher: Any = globalLogPublisher if observerPublisher is None else observerPublisher
        self._wrapped: list[LegacyLogObserverWrapper] = []

    @property
    def observers(self) -> list[Observer]:
        """The legacy observers added, unwrapped."""
        return [w.legacyObserver for w in self._wrapped]

    def addObserver(self, other: Observer) -> None:
        """Call ``other(eventDict)`` for every event (see the module docstring)."""
        if not callable(other):
            raise TypeError(f"observer must be callable, not {other!r}")
        wrapped = LegacyLogObserverWrapper(other)
        self._wrapped.append(wrapped)
        self._publisher.addObserver(wrapped)

    def removeObserver(self, other: Observer) -> None:
        """Stop calling ``other``; unknown observers are ignored."""
        for wrapped in self._wrapped:
            if wrapped.legacyObserver == other:
                self._wrapped.remove(wrapped)
                self._publisher.removeObserver(wrapped)
                return

    def msg(self, *message: Any, **kw: Any) -> None:
        """Log ``message`` parts (joined by spaces) with ``kw`` as event keys."""
        levelno = kw.get("logLevel") or (logging.ERROR if kw.get("isError") else logging.INFO)
        isGlobal = self._publisher is globalLogPublisher
        if isGlobal and not _logger.isEnabled(levelno):
            return
        event: EventDict = {"system": currentSystem()}
        event.update(kw)
        event["message"] = message
        event["time"] = time.time()
        if "isError" not in event:
            event["isError"] = 0
        _addNewStyleKeys(event)
        if isGlobal:
            # stacklevel 3: msg <- the module function msg <- the user's call.
            _logger.publish(event, _legacyLevel(event)[1], _logger._stdLoggerFor("plait"), 3)
        else:
            self._publisher(event)


def _addNewStyleKeys(event: EventDict) -> None:
    """What Twisted adds to a legacy event for new-style observers."""
    event.setdefault("log_time", event["time"])
    if "log_format" not in event:
        text = textFromEventDict(event)
        if text is not None:
            event["log_text"] = text
            event["log_format"] = "{log_text}"
    if "log_level" not in event:
        level = _legacyLevel(event)[0]
        if level is not None:
            event["log_level"] = level
    event.setdefault("log_namespace", "log_legacy")
    if "log_system" not in event and "system" in event:
        event["log_system"] = event["system"]


theLogPublisher = LogPublisher()


def msg(*message: Any, **kw: Any) -> None:
    """Log the space-joined ``message`` parts (legacy ``log.msg``).

    Keywords become event keys: ``system=`` replaces the ``[-]`` prefix,
    ``format=`` is applied as ``format % event``, ``isError=True`` makes it
    an error and ``logLevel=`` picks a stdlib level.
    """
    theLogPublisher.msg(*message, **kw)


def err(_stuff: Any = None, _why: Any = None, **kw: Any) -> None:
    """Log a failure: the single way plait code reports one.

    ``_stuff`` is a ``Failure``, an exception, or ``None`` for the exception
    being handled (``NoCurrentExceptionError`` outside ``except``).  The text
    is ``_why`` (default ``Unhandled Error``) followed by the traceback.  Any
    other object is logged as its ``repr`` with ``isError=1``.
    """
    if _stuff is None:
        _stuff = Failure()
    elif isinstance(_stuff, Exception):
        _stuff = Failure(_stuff)
    if isinstance(_stuff, Failure):
        theLogPublisher.msg(failure=_stuff, why=_why, isError=1, **kw)
    else:
        theLogPublisher.msg(repr(_stuff), why=_why, isError=1, **kw)


deferr = err


def addObserver(observer: Observer) -> None:
    """Start calling ``observer(eventDict)`` for every event (legacy keys included)."""
    theLogPublisher.addObserver(observer)


def removeObserver(observer: Observer) -> None:
    """Stop calling ``observer``; unknown observers are ignored.

    Removing the last observer restores ``sys.stdout``/``sys.stderr`` and
    ``warnings.showwarning`` if logging had captured them.
    """
    theLogPublisher.removeObserver(observer)


def showwarning(message: Any, category: type[Warning], filename: str, lineno: int,
                file: IO[str] | None = None, line: str | None = None) -> None:
    """Log a warning as one ``file:line: category: text`` event (what logging installs)."""
    globalLogBeginner.showwarning(message, category, filename, lineno, file, line)


# --- files ----------------------------------------------------------------------------


class NullFile:
    """A file that swallows everything (what ``discardLogs`` installs)."""

    softspace = 0

    def write(self, bytes: str) -> None:
        """Discard."""

    def flush(self) -> None:
        """Nothing buffered."""

    def close(self) -> None:
        """Nothing to close."""


class StdioOnnaStick(LoggingFile):
    """A file whose lines are logged (Twisted's name for it): stderr-like if ``isError``."""

    def __init__(self, isError: int = 0, encoding: str | None = None) -> None:
        name, level = ("stderr", LogLevel.error) if isError else ("stdout", LogLevel.info)
        super().__init__(_logger.Logger(name), level, encoding)
        self.isError = isError


logfile: Any = StdioOnnaStick(0)
logerr: Any = StdioOnnaStick(1)


def discardLogs() -> None:
    """Throw away whatever is written to ``log.logfile`` and ``log.logerr``."""
    global logfile, logerr
    logfile = NullFile()
    logerr = NullFile()


def _writeLine(outFile: Any, stamp: str, system: object, text: str) -> None:
    # Continuation lines (tracebacks) are indented with a tab, as in Twisted.
    outFile.write(f"{stamp} [{system}] {text.replace(chr(10), chr(10) + chr(9))}\n")
    outFile.flush()


class _StartStopObserver:
    """``start()``/``stop()``: add and remove ``self.emit`` as a legacy observer."""

    def emit(self, eventDict: EventDict) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start observing the log."""
        addObserver(self.emit)

    def stop(self) -> None:
        """Stop observing the log (and undo stdio capture if it was the last)."""
        removeObserver(self.emit)


class FileLogObserver(_StartStopObserver):
    """Writes events as ``2026-11-25 19:02:56+0000 [system] text`` lines.

    Continuation lines of a multi-line text (tracebacks) are indented with a
    tab.  ``emit`` is the observer.
    """

    timeFormat: str | None = None

    def __init__(self, f: IO[str]) -> None:
        self.write = f.write
        self.flush = f.flush
        self._file = f

    def getTimezoneOffset(self, when: float) -> int:
        """Seconds west of UTC at ``when``, as ``time.timezone`` counts."""
        from datetime import datetime  # rarely used: see _logformat.formatTime

        offset = datetime.fromtimestamp(when).astimezone().utcoffset()
        return -int(offset.total_seconds()) if offset is not None else 0

    def formatTime(self, when: float) -> str:
        """``when`` as local time in ``timeFormat`` (default ``%Y-%m-%d %H:%M:%S%z``)."""
        from plait._logformat import formatTime

        return formatTime(when, self.timeFormat or "%Y-%m-%d %H:%M:%S%z")

    def emit(self, eventDict: EventDict) -> None:
        """Write one event (nothing if it has no text)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        stamp = self.formatTime(eventDict.get("time") or time.time())
        _writeLine(self._file, stamp, eventDict.get("system", "-"), text)


class DefaultObserver(_StartStopObserver):
    """Writes error events, and only those, to ``stderr``."""

    stderr: Any = sys.stderr

    def emit(self, eventDict: EventDict) -> None:
        if eventDict.get("isError"):
            text = textFromEventDict(eventDict)
            if text is not None:
                self.stderr.write(text)
            self.stderr.flush()


#: Twisted's default observer, for code that stops it; plait does not
#: start it (see the module docstring).
defaultObserver = DefaultObserver()


def startLoggingWithObserver(observer: Observer, setStdout: bool = True) -> None:
    """Add ``observer``; capture ``print()`` output (``setStdout``) and warnings; log ``Log opened.``."""
    wrapped = LegacyLogObserverWrapper(observer)
    theLogPublisher._wrapped.append(wrapped)
    globalLogBeginner.beginLoggingTo([wrapped], True, setStdout)
    msg("Log opened.")


def startLogging(file: IO[str], setStdout: bool = True) -> FileLogObserver:
    """Log everything to ``file`` in Twisted's legacy line format.

    With ``setStdout`` (the default) ``sys.stdout``/``sys.stderr`` are
    redirected into the log, so ``print("x")`` appears as ``[-] x``.  Returns
    the observer; its ``stop()`` ends logging to ``file``.
    """
    if isinstance(file, LoggingFile):
        raise TypeError("cannot start logging to the log's own stdout/stderr stand-in")
    observer = FileLogObserver(file)
    startLoggingWithObserver(observer.emit, setStdout)
    return observer


class PythonLoggingObserver(_StartStopObserver):
    """Forwards events to a stdlib logger of another name (e.g. ``'twisted'``).

    The record's level is the event's ``log_level`` (``log.err`` is
    CRITICAL, as in Twisted) and a new-style failure becomes its ``exc_info``.
    """

    def __init__(self, loggerName: str = "twisted") -> None:
        if loggerName == "plait" or loggerName.startswith("plait."):
            raise ValueError(f"{loggerName!r} would feed plait's log back into itself")
        self._newObserver = STDLibLogObserver(loggerName)

    def emit(self, eventDict: EventDict) -> None:
        """Forward one event (events without any text are skipped)."""
        if "log_format" not in eventDict:
            if "message" not in eventDict or "isError" not in eventDict:
                return
            eventDict.setdefault("time", time.time())
            _addNewStyleKeys(eventDict)
            if "log_format" not in eventDict:
                return
        self._newObserver(eventDict)
