"""Twisted's logging calls, carried by the standard library's ``logging``.

This module owns the legacy ``twisted.python.log`` calls a client script
uses (``msg``, ``err``, ``startLogging``, observers, ``callWithLogger``) and
the machinery both logging APIs share (event dicts, ``LogLevel``,
``formatEvent``, publishing through stdlib ``logging``).  The newer
``twisted.logger`` API (``Logger``, ``textFileLogObserver``,
``globalLogBeginner``) is in ``plait.logger``, built on this module.

Theory of operation: every event is a Twisted-style *event dict* that
travels inside a stdlib ``LogRecord`` on a logger named ``plait`` or
``plait.<something>``, so a user's ordinary ``logging`` configuration sees
plait's messages and plait installs nothing on the root logger.

* Legacy ``msg``/``err`` log on the ``plait`` logger; a ``Logger`` with
  namespace ``N`` logs on ``N`` when ``N`` already starts with ``plait``,
  otherwise on ``plait.N``; redirected ``print()`` output logs on
  ``plait.stdout``/``plait.stderr``.
* The record carries the event as attributes: ``record.logEvent`` (the dict),
  ``record.failure`` (a ``Failure`` or ``None``; the test suite's
  ``loggedErrors`` fixture reads it), ``record.system`` (the legacy prefix
  shown as ``[Echo,client]``), ``record.why`` and ``record.isError``.
* Levels: ``msg`` is INFO (``isError=True`` makes it ERROR, ``logLevel=`` picks
  a stdlib level); ``err`` is ERROR; ``Logger`` levels map onto DEBUG ...
  CRITICAL; ``Logger.failure`` defaults to CRITICAL; redirected stderr lines
  are events of level "error" as in Twisted but WARNING records (a
  ``print(file=sys.stderr)`` is not an unhandled failure and must not trip
  the ``loggedErrors`` check).
* Observers (``addObserver``, ``startLogging``) are fed by one handler
  attached to the ``plait`` logger while at least one observer exists; it
  also lowers that logger's level to INFO (restored when the last observer
  goes; ``globalLogBeginner`` lowers it to DEBUG, as twisted.logger shows
  debug events).  While no observer exists ``sys.stdout``/``sys.stderr`` are never
  left redirected.

Rules: nothing is formatted for a level that is disabled (``isEnabledFor``
is checked first, and the record's message is rendered lazily), importing
this module configures nothing, and ``err()`` is the single way library
code reports a failure.

Deliberate differences from Twisted: ``callWithLogger`` logs and swallows
``Exception`` but lets ``SystemExit``/``KeyboardInterrupt`` propagate;
``startLogging`` onto the log's own stdout stand-in raises ``TypeError``.

Tests: tests/unit/test_log.py
"""

from __future__ import annotations

import contextvars
import enum
import logging
import string
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from plait.failure import Failure

__all__ = [
    "FileLogObserver", "LogLevel", "PythonLoggingObserver", "addObserver",
    "callWithContext", "callWithLogger", "deferr", "discardLogs", "err", "formatEvent",
    "logerr", "logfile", "msg", "removeObserver",
    "startLogging", "startLoggingWithObserver", "textFromEventDict",
]

Event = dict[str, Any]
Observer = Callable[[Event], None]


class LogLevel(enum.IntEnum):
    """Twisted's five levels; the values are the stdlib levels they map to."""

    debug = logging.DEBUG
    info = logging.INFO
    warn = logging.WARNING
    error = logging.ERROR
    critical = logging.CRITICAL

    def __repr__(self) -> str:
        return f"<LogLevel={self.name}>"

    @classmethod
    def levelWithName(cls, name: str) -> LogLevel:
        """The level called ``name`` (``'info'``); ``ValueError`` if none is."""
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"no log level named {name!r}") from None


def _newEvent(**fields: Any) -> Event:
    """An event with every legacy key an observer may read, then ``fields``."""
    event: Event = {"message": (), "isError": False, "failure": None, "why": None,
                    "format": None, "system": "-"}
    event.update(fields)
    return event


def _levelFromStdlib(levelno: int) -> LogLevel:
    for level in reversed(LogLevel):
        if levelno >= level:
            return level
    return LogLevel.debug


# --- the legacy "system" prefix ----------------------------------------------

# The bracketed prefix of legacy lines.  A context variable (not a global)
# so that nested callWithLogger calls and threads each see their own.
_system: contextvars.ContextVar[str] = contextvars.ContextVar("plait.log.system", default="-")


def callWithContext(ctx: Mapping[str, Any], func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func`` with ``ctx["system"]`` (if given) as the legacy log prefix."""
    system = ctx.get("system")
    if system is None:
        return func(*args, **kw)
    token = _system.set(str(system))
    try:
        return func(*args, **kw)
    finally:
        _system.reset(token)


def callWithLogger(logger: Any, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func`` with ``logger.logPrefix()`` as the prefix of messages it logs.

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


# --- turning events into text ------------------------------------------------


class _EventFormatter(string.Formatter):
    """PEP 3101 formatting against an event dict; ``{name()}`` calls ``name``."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        call = field_name.endswith("()")
        value, key = super().get_field(field_name[:-2] if call else field_name, args, kwargs)
        return (value() if call else value), key


_formatter = _EventFormatter()


def formatEvent(event: Mapping[str, Any]) -> str:
    """The human text of an event, without any traceback.

    New-style events use ``log_format`` with ``{key}`` fields taken from the
    event; legacy ones join ``message`` or apply ``format % event``.  A
    format that cannot be applied yields an ``Unable to format event`` text
    instead of raising.
    """
    logFormat = event.get("log_format")
    if logFormat is None:
        return _legacyText(event) or ""
    try:
        return _formatter.vformat(logFormat, (), event)
    except Exception as e:  # noqa: BLE001
        return f"Unable to format event {event!r}: {e}"


def _legacyText(event: Mapping[str, Any]) -> str | None:
    message = event.get("message") or ()
    if message:
        return " ".join(str(part) for part in message)
    failure = event.get("failure")
    if event.get("isError") and failure is not None:
        why = event.get("why") or "Unhandled Error"
        return f"{why}\n{failure.getTraceback()}"
    fmt = event.get("format")
    if fmt is not None:
        try:
            return str(fmt) % event
        except Exception as e:  # noqa: BLE001
            return f"Invalid format string or unformattable object in log message: {fmt!r}: {e}"
    return None


def textFromEventDict(eventDict: Mapping[str, Any]) -> str | None:
    """The full text an observer prints for an event (``None``: print nothing).

    A failure's traceback follows the message on the next lines.
    """
    if eventDict.get("log_format") is None:
        return _legacyText(eventDict)
    text = formatEvent(eventDict)
    failure = eventDict.get("log_failure")
    if failure is not None:
        text = f"{text}\n{failure.getTraceback()}"
    return text


class _LazyText:
    """A record message rendered only if some handler actually formats it."""

    __slots__ = ("_text", "event")

    def __init__(self, event: Event) -> None:
        self.event = event
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = textFromEventDict(self.event) or ""
        return self._text


# --- publishing through stdlib logging ---------------------------------------

_ROOT = "plait"
# Set on a thread while it is inside a plait log call (see _publish).
_dispatching = threading.local()
_rootLogger = logging.getLogger(_ROOT)
_stdLoggers: dict[str, logging.Logger] = {}


def _stdLoggerFor(namespace: str) -> logging.Logger:
    """The stdlib logger for a namespace, cached (``getLogger`` takes a lock)."""
    found = _stdLoggers.get(namespace)
    if found is None:
        inside = namespace == _ROOT or namespace.startswith(_ROOT + ".")
        found = logging.getLogger(namespace if inside else f"{_ROOT}.{namespace}")
        _stdLoggers[namespace] = found
    return found


def _publish(stdLogger: logging.Logger, levelno: int, event: Event) -> None:
    """Hand ``event`` to stdlib logging; the caller checked ``isEnabledFor``."""
    extra = {
        "logEvent": event,
        "failure": event.get("failure"),
        "system": event.get("system", "-"),
        "why": event.get("why"),
        "isError": event.get("isError", False),
    }
    # While a record is being handled, whatever a handler or observer writes
    # to a redirected sys.stdout/stderr goes straight to the real stream
    # instead of becoming another record (which would recurse forever).
    wasDispatching = getattr(_dispatching, "active", False)
    _dispatching.active = True
    try:
        # stacklevel 3: the record's location is the caller of msg/Logger.x.
        stdLogger.log(levelno, _LazyText(event), extra=extra, stacklevel=3)
    finally:
        _dispatching.active = wasDispatching


def msg(*message: Any, **kw: Any) -> None:
    """Log the space-joined ``message`` parts (legacy ``log.msg``).

    Keywords become event keys: ``system=`` replaces the ``[-]`` prefix,
    ``format=`` is applied as ``format % event``, ``isError=True`` logs at
    ERROR and ``logLevel=`` at a given stdlib level.
    """
    levelno = kw.get("logLevel") or (logging.ERROR if kw.get("isError") else logging.INFO)
    if not _rootLogger.isEnabledFor(levelno):
        return
    event = _newEvent(message=message, system=_system.get(), log_namespace="log_legacy")
    event.update(kw)
    event["time"] = time.time()
    event["log_level"] = _levelFromStdlib(levelno)
    event.setdefault("log_system", event["system"])
    _publish(_rootLogger, levelno, event)


def err(_stuff: Any = None, _why: Any = None, **kw: Any) -> None:
    """Log a failure at ERROR: the single way plait code reports one.

    ``_stuff`` is a ``Failure``, an exception, or ``None`` for the exception
    being handled (``NoCurrentExceptionError`` outside ``except``).  The text
    is ``_why`` (default ``Unhandled Error``) followed by the traceback.  Any
    other object is logged as its ``repr`` with ``isError=True``.
    """
    if _stuff is None:
        _stuff = Failure()
    elif isinstance(_stuff, BaseException) and not isinstance(_stuff, Failure):
        _stuff = Failure(_stuff)
    if isinstance(_stuff, Failure):
        msg(failure=_stuff, why=_why, isError=True, **kw)
    else:
        msg(repr(_stuff), why=_why, isError=True, **kw)


deferr = err


# --- observers -----------------------------------------------------------------

def _eventFromRecord(record: logging.LogRecord) -> Event:
    """A legacy+new event dict for a record some plait module logged directly."""
    event: Event | None = getattr(record, "logEvent", None)
    if event is not None:
        return event
    failure = getattr(record, "failure", None)
    if failure is None and record.exc_info and record.exc_info[1] is not None:
        failure = Failure(record.exc_info[1], record.exc_info[0], record.exc_info[2])
    text = record.getMessage()
    return _newEvent(
        message=() if failure is not None else (text,),
        isError=record.levelno >= logging.ERROR,
        failure=failure,
        why=text if failure is not None else None,
        system=getattr(record, "system", "-"),
        time=record.created,
        log_level=_levelFromStdlib(record.levelno),
        log_namespace=record.name,
    )


class _ObserverHandler(logging.Handler):
    """Feeds every ``plait.*`` record to the registered observers."""

    def __init__(self) -> None:
        super().__init__()
        self.observers: tuple[Observer, ...] = ()

    def emit(self, record: logging.LogRecord) -> None:
        event = _eventFromRecord(record)
        wasDispatching = getattr(_dispatching, "active", False)
        _dispatching.active = True
        try:
            for observer in self.observers:
                try:
                    observer(event)
                except Exception:  # noqa: BLE001
                    # A broken observer is dropped, as in Twisted, so one bad
                    # sink cannot silence (or loop) all the others.
                    removeObserver(observer)
                    err(None, f"Temporarily disabling observer {observer!r} due to exception")
        finally:
            _dispatching.active = wasDispatching


_handler = _ObserverHandler()
_savedLevel = logging.NOTSET


def addObserver(observer: Observer) -> None:
    """Start calling ``observer(eventDict)`` for every plait log event.

    The event carries at least ``message`` (a tuple), ``isError``,
    ``system``, ``failure``, ``why``, ``time`` and ``format``, plus the
    ``log_*`` keys of new-style events.
    """
    global _savedLevel
    if not callable(observer):
        raise TypeError(f"observer must be callable, not {observer!r}")
    if not _handler.observers:
        _savedLevel = _rootLogger.level
        if _rootLogger.level == logging.NOTSET or _rootLogger.level > logging.INFO:
            _rootLogger.setLevel(logging.INFO)
        _rootLogger.addHandler(_handler)
    _handler.observers += (observer,)


def removeObserver(observer: Observer) -> None:
    """Stop calling ``observer``; unknown observers are ignored.

    Removing the last one detaches the handler, restores the ``plait``
    logger's level and undoes any stdout/stderr redirection.
    """
    remaining = tuple(o for o in _handler.observers if o != observer)
    if remaining == _handler.observers:
        return
    _handler.observers = remaining
    if not remaining:
        _rootLogger.removeHandler(_handler)
        _rootLogger.setLevel(_savedLevel)
        _restoreStdio()


# --- print() into the log ------------------------------------------------------


class _LogFile:
    """A text file whose complete lines become log events (Twisted's LoggingFile).

    ``print()`` output is buffered until a newline, then each line is logged
    on ``plait.stdout``/``plait.stderr`` as ``{log_io}``.
    """

    softspace = 0
    closed = False
    mode = "w"

    def __init__(self, namespace: str, isError: bool, encoding: str = "utf-8") -> None:
        self.namespace = namespace
        self.isError = isError
        # The event says "error" as Twisted's does, but the stdlib record is
        # only a WARNING: see the module docstring.
        self.level = LogLevel.error if isError else LogLevel.info
        self.stdLevel = logging.WARNING if isError else logging.INFO
        self.encoding = encoding
        self.errors = "strict"
        self._buffer = ""
        self._lock = threading.Lock()
        # Where to write if an observer itself prints (see _dispatching).
        self.passthrough: IO[str] | None = None

    def write(self, data: str) -> int:
        if not isinstance(data, str):
            raise TypeError(f"write() argument must be str, not {type(data).__name__}")
        if getattr(_dispatching, "active", False) and self.passthrough is not None:
            return self.passthrough.write(data)
        with self._lock:
            lines = (self._buffer + data).split("\n")
            self._buffer = lines.pop()
        for line in lines:
            self._log(line)
        return len(data)

    def _log(self, line: str) -> None:
        stdLogger = _stdLoggerFor(self.namespace)
        if not stdLogger.isEnabledFor(self.stdLevel):
            return
        event = _newEvent(isError=self.isError, time=time.time(), printed=True, log_io=line,
                          log_format="{log_io}", log_level=self.level, log_namespace=self.namespace)
        _publish(stdLogger, self.stdLevel, event)

    def writelines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Nothing to flush: incomplete lines wait for their newline."""

    def close(self) -> None:
        """Closing the log's stdout is meaningless; ignored."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("the log's stdio stand-in has no file descriptor")


class _NullFile:
    """A file that swallows everything (what ``discardLogs`` installs)."""

    def write(self, data: str) -> int:
        return len(data)

    def flush(self) -> None:
        """Nothing buffered."""


logfile: Any = _LogFile("stdout", isError=False)
logerr: Any = _LogFile("stderr", isError=True)

# (sys.stdout, sys.stderr) as they were before redirection, or None.
_savedStdio: tuple[Any, Any] | None = None


def _redirectStdio() -> None:
    global _savedStdio
    if _savedStdio is not None:
        return
    _savedStdio = (sys.stdout, sys.stderr)
    out = _LogFile("stdout", isError=False, encoding=getattr(sys.stdout, "encoding", "utf-8"))
    error = _LogFile("stderr", isError=True, encoding=getattr(sys.stderr, "encoding", "utf-8"))
    out.passthrough, error.passthrough = _savedStdio
    sys.stdout, sys.stderr = out, error


def _restoreStdio() -> None:
    global _savedStdio
    if _savedStdio is None:
        return
    # Only undo our own redirection: if someone replaced our stand-ins since,
    # their streams stay.
    if isinstance(sys.stdout, _LogFile):
        sys.stdout = _savedStdio[0]
    if isinstance(sys.stderr, _LogFile):
        sys.stderr = _savedStdio[1]
    _savedStdio = None


def discardLogs() -> None:
    """Throw away whatever is written to ``log.logfile`` and ``log.logerr``."""
    global logfile, logerr
    logfile = _NullFile()
    logerr = _NullFile()


# --- legacy file observer --------------------------------------------------------


def _localTime(when: float, timeFormat: str) -> str:
    # Imported here: datetime is only needed once a file observer writes,
    # and importing it up front would slow every ``import plait``.
    from datetime import datetime

    return datetime.fromtimestamp(when).astimezone().strftime(timeFormat)


def _writeLine(outFile: IO[str], stamp: str, system: object, text: str) -> None:
    # Continuation lines (tracebacks) are indented with a tab, as in Twisted.
    outFile.write(f"{stamp} [{system}] {text.replace(chr(10), chr(10) + chr(9))}\n")
    outFile.flush()


class FileLogObserver:
    """Writes events as ``2026-11-25 19:02:56+0000 [system] text`` lines.

    Continuation lines of a multi-line text (tracebacks) are indented with a
    tab.  ``emit`` is the observer; ``start()``/``stop()`` add and remove it.
    """

    timeFormat: str | None = None

    def __init__(self, f: IO[str]) -> None:
        self.write = f.write
        self.flush = f.flush
        self._file = f

    def getTimezoneOffset(self, when: float) -> int:
        """Seconds west of UTC at ``when``, as ``time.timezone`` counts."""
        from datetime import datetime  # rarely used: see _localTime

        offset = datetime.fromtimestamp(when).astimezone().utcoffset()
        return -int(offset.total_seconds()) if offset is not None else 0

    def formatTime(self, when: float) -> str:
        """``when`` as local time in ``timeFormat`` (default ``%Y-%m-%d %H:%M:%S%z``)."""
        return _localTime(when, self.timeFormat or "%Y-%m-%d %H:%M:%S%z")

    def emit(self, eventDict: Mapping[str, Any]) -> None:
        """Write one event (nothing if it has no text)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        stamp = self.formatTime(eventDict.get("time") or time.time())
        _writeLine(self._file, stamp, eventDict.get("system", "-"), text)

    def start(self) -> None:
        """Start observing the log."""
        addObserver(self.emit)

    def stop(self) -> None:
        """Stop observing the log (and undo stdio redirection if it was the last)."""
        removeObserver(self.emit)


def startLoggingWithObserver(observer: Observer, setStdout: bool = True) -> None:
    """Add ``observer``, optionally send ``print()`` output to the log, log ``Log opened.``."""
    addObserver(observer)
    if setStdout:
        _redirectStdio()
    msg("Log opened.")


def startLogging(file: IO[str], setStdout: bool = True) -> FileLogObserver:
    """Log everything to ``file`` in Twisted's legacy line format.

    With ``setStdout`` (the default) ``sys.stdout``/``sys.stderr`` are
    redirected into the log, so ``print("x")`` appears as ``[-] x``.  Returns
    the observer; its ``stop()`` ends logging to ``file``.
    """
    if isinstance(file, _LogFile):
        raise TypeError("cannot start logging to the log's own stdout/stderr stand-in")
    observer = FileLogObserver(file)
    startLoggingWithObserver(observer.emit, setStdout)
    return observer


class PythonLoggingObserver:
    """Forwards events to a stdlib logger of another name (e.g. ``'twisted'``)."""

    def __init__(self, loggerName: str = "twisted") -> None:
        if loggerName == _ROOT or loggerName.startswith(_ROOT + "."):
            raise ValueError(f"{loggerName!r} would feed plait's log back into itself")
        self._logger = logging.getLogger(loggerName)

    def emit(self, eventDict: Mapping[str, Any]) -> None:
        """Log the event's text at its level (``logLevel=``, else by isError)."""
        level = eventDict.get("logLevel") or eventDict.get("log_level")
        if level is None:
            level = logging.ERROR if eventDict.get("isError") else logging.INFO
        text = textFromEventDict(eventDict)
        if text is not None:
            self._logger.log(int(level), "%s", text)

    def start(self) -> None:
        """Start forwarding."""
        addObserver(self.emit)

    def stop(self) -> None:
        """Stop forwarding."""
        removeObserver(self.emit)


# ``Logger`` and friends live in plait.logger (as in Twisted, where
# twisted.logger is a separate package); these names stay reachable from
# here for code written against an older plait.
_MOVED_TO_LOGGER = frozenset({"Logger", "textFileLogObserver", "globalLogBeginner", "globalLogPublisher"})


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_LOGGER:
        from plait import logger

        return getattr(logger, name)
    raise AttributeError(f"module 'plait.log' has no attribute {name!r}")

