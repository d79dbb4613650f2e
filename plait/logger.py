"""Twisted's ``twisted.logger``: the event model, the publisher, ``Logger``.

This module owns what every plait log event goes through, whichever API
made it (``plait.log``'s legacy ``msg``/``err`` build on this module):

* the event: a Twisted-shaped dict (keys in ``plait._logformat``'s
  docstring), built only if somebody will see it;
* the log context: the ``system`` a legacy event carries, from
  ``callWithContext``/``callWithLogger`` or, while the reactor dispatches an
  event to a transport, that transport's ``logPrefix()``;
* the publishers: ``LogPublisher`` and the global one, ``globalLogPublisher``,
  which hands each event to (1) its observers, (2) the standard ``logging``
  module and (3) the real Twisted's ``twisted.logger.globalLogPublisher``
  when Twisted's logger is loaded in the same process and is not aliased to
  plait (a program that mixes both, or trial driving plait code), so that
  Twisted's observers and ``flushLoggedErrors`` see plait's events;
* ``Logger``, ``LogBeginner``/``globalLogBeginner`` (start logging, capture
  ``print()`` and warnings), ``LoggingFile``, ``capturedLogs``.

The formatting functions live in ``plait._logformat`` and the observers in
``plait._logobservers``; both are re-exported here.

Theory of operation: the standard library side.  Every event also travels
as a ``LogRecord`` on the stdlib logger ``plait`` (legacy events) or
``plait.<namespace>`` (a ``Logger``'s; a namespace starting with ``plait``
is used as is), so an ordinary ``logging`` configuration sees plait's
messages.  The record carries ``logEvent`` (the dict), ``failure`` (a
``Failure`` or None: the test suite's ``loggedErrors`` fixture reads it),
``system``, ``why`` and ``isError``; its message is rendered lazily.

The gate: ``isEnabled(level)`` is the one check made before any event is
built: true when the ``plait`` stdlib logger is enabled for the level, or
Twisted's logger is loaded.  Adding a global observer lowers the ``plait``
logger's level to INFO (``beginLoggingTo`` to DEBUG) and removing the last
one restores it, so the check stays one cached stdlib lookup.

The dispatch context costs the reactor one store per event dispatched
(``_dispatchContext[0] = descriptor``); the descriptor's ``logPrefix()``
is only called when an event is actually built.

Deliberate differences from Twisted: no buffer of the events logged before
logging began (``discardBuffer`` is accepted and ignored); debug events
reach global observers only once ``beginLoggingTo`` was called.

Tests: tests/unit/test_log.py, tests/unit/test_logger.py,
tests/differential/ (event shapes against Twisted).
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from plait._logformat import (
    InvalidLogLevelError,
    LogLevel,
    eventAsText,
    extractField,
    formatEvent,
    formatEventAsClassicLogText,
    formatTime,
    formatUnformattableEvent,
    textFromEventDict,
    timeFormatRFC3339,
)
from plait._logobservers import (
    FileLogObserver,
    FilteringLogObserver,
    ILogFilterPredicate,
    ILogObserver,
    LegacyLogObserverWrapper,
    LimitedHistoryLogObserver,
    LogLevelFilterPredicate,
    PredicateResult,
    STDLibLogObserver,
    eventAsJSON,
    eventFromJSON,
    eventsFromJSONLogFile,
    jsonFileLogObserver,
    textFileLogObserver,
)
from plait.failure import Failure

__all__ = [
    "FileLogObserver", "FilteringLogObserver", "ILogFilterPredicate", "ILogObserver",
    "InvalidLogLevelError", "LegacyLogObserverWrapper", "LimitedHistoryLogObserver",
    "LogBeginner", "LogEvent", "LogLevel", "LogLevelFilterPredicate", "LogPublisher",
    "Logger", "LoggingFile", "Operation", "PredicateResult", "STDLibLogObserver",
    "_loggerFor", "capturedLogs", "eventAsJSON", "eventAsText", "eventFromJSON",
    "eventsFromJSONLogFile", "extractField", "formatEvent", "formatEventAsClassicLogText",
    "formatTime", "formatUnformattableEvent", "globalLogBeginner", "globalLogPublisher",
    "jsonFileLogObserver", "textFileLogObserver", "timeFormatRFC3339",
]

LogEvent = dict[str, Any]
Observer = Callable[[LogEvent], None]

# --- the log context -------------------------------------------------------------

#: The ``system`` set by ``plait.log.callWithContext``/``callWithLogger``
#: (a context variable: nested calls and threads each see their own).
_system: contextvars.ContextVar[str | None] = contextvars.ContextVar("plait.log.system", default=None)

#: ``[what the reactor is dispatching to, the reactor thread's id]``.  The
#: first item is a descriptor (its ``logPrefix()`` is the system) or a
#: ready string; the reactor writes it around each dispatch, and it is read
#: only when an event is built.
_dispatchContext: list[Any] = [None, None]


def _prefixOf(obj: Any) -> str:
    try:
        return str(obj.logPrefix())
    except Exception:  # noqa: BLE001 - a broken logPrefix must not lose the event
        return "(buggy logPrefix method)"


def currentSystem() -> str:
    """The ``system`` of a legacy event logged right now (``"-"`` if none)."""
    explicit = _system.get()
    if explicit is not None:
        return explicit
    current, thread = _dispatchContext
    if current is None or thread != threading.get_ident():
        return "-"
    return current if isinstance(current, str) else _prefixOf(current)


# --- the gate and the standard library ------------------------------------------------

_ROOT = "plait"
_gate = logging.getLogger(_ROOT)
_stdLoggers: dict[str, logging.Logger] = {}
# Set on a thread while it is inside a publish (see LoggingFile.write).
_publishing = threading.local()


def _stdLoggerFor(namespace: str) -> logging.Logger:
    """The stdlib logger for a namespace, cached (``getLogger`` takes a lock)."""
    found = _stdLoggers.get(namespace)
    if found is None:
        inside = namespace == _ROOT or namespace.startswith(_ROOT + ".")
        found = logging.getLogger(namespace if inside else f"{_ROOT}.{namespace}")
        _stdLoggers[namespace] = found
    return found


def _twistedPublisher() -> Any:
    """The real Twisted's global publisher, if its logger is loaded and not us."""
    module = sys.modules.get("twisted.logger")
    if module is None or module is sys.modules[__name__]:
        return None
    return getattr(module, "globalLogPublisher", None)


def isEnabled(levelno: int) -> bool:
    """Whether an event at stdlib level ``levelno`` would be seen by anyone."""
    return _gate.isEnabledFor(levelno) or (
        "twisted.logger" in sys.modules and _twistedPublisher() is not None
    )


class _RecordText:
    """A record's message, rendered only if some handler formats it."""

    __slots__ = ("_text", "event")

    def __init__(self, event: LogEvent) -> None:
        self.event = event
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            event = self.event
            if event.get("log_namespace") == "log_legacy" and "message" in event:
                self._text = textFromEventDict(event) or ""
            else:
                self._text = eventAsText(event, includeTimestamp=False, includeSystem=False)
        return self._text


def _toStdlib(stdLogger: logging.Logger, levelno: int, event: LogEvent, stacklevel: int) -> None:
    if not stdLogger.isEnabledFor(levelno):
        return
    failure = event.get("failure", event.get("log_failure"))
    extra = {
        "logEvent": event,
        "failure": failure,
        "system": event.get("log_system", event.get("system", "-")),
        "why": event.get("why"),
        "isError": bool(event.get("isError", failure is not None)),
    }
    stdLogger.log(levelno, _RecordText(event), extra=extra, stacklevel=stacklevel + 1)


def _toTwisted(publisher: Any, event: LogEvent) -> None:
    """Give Twisted's publisher a copy in Twisted's own types: its level
    constant, and its ``Failure`` (trial reports logged errors with it)."""
    module = sys.modules["twisted.logger"]
    copy = dict(event)
    level = event.get("log_level")
    if isinstance(level, LogLevel):
        copy["log_level"] = module.LogLevel.levelWithName(level.name)
    for key in ("failure", "log_failure"):
        failure = copy.get(key)
        if isinstance(failure, Failure):
            copy[key] = _twistedFailure(failure)
    publisher(copy)


def _twistedFailure(failure: Failure) -> Any:
    """The real Twisted's ``Failure`` for one of plait's (same value, same frames)."""
    # Looked up, not imported: Twisted is loaded (that is why we are here)
    # but is no dependency of plait, for type checkers either.
    TwistedFailure: Any = sys.modules["twisted.python.failure"].Failure
    value = failure.value if isinstance(failure.value, BaseException) else Exception(failure.value)
    converted = TwistedFailure(value, failure.type, failure.tb)
    converted.frames = list(failure.frames)
    return converted


# --- publishers ------------------------------------------------------------------------


class LogPublisher:
    """Hands each event to every observer added (Twisted's ``LogPublisher``).

    An observer that raises keeps receiving events; the failure is reported
    to the other observers as "Temporarily disabling observer ... due to
    exception".
    """

    def __init__(self, *observers: Observer) -> None:
        self._observers: tuple[Observer, ...] = tuple(observers)

    @property
    def observers(self) -> list[Observer]:
        return list(self._observers)

    def addObserver(self, observer: Observer) -> None:
        """Add ``observer`` (``TypeError`` if not callable; idempotent)."""
        if not callable(observer):
            raise TypeError(f"Observer is not callable: {observer!r}")
        if observer not in self._observers:
            self._observers += (observer,)

    def removeObserver(self, observer: Observer) -> None:
        """Remove ``observer``; unknown observers are ignored."""
        self._observers = tuple(o for o in self._observers if o != observer)

    def __call__(self, event: LogEvent) -> None:
        self._deliver(self._observers, event)

    def _deliver(self, observers: Sequence[Observer], event: LogEvent) -> None:
        broken = []
        for observer in observers:
            try:
                observer(event)
            except Exception:  # noqa: BLE001 - reported to the others below
                broken.append((observer, Failure()))
        for observer, failure in broken:
            others = [o for o in observers if o is not observer]
            report = Logger(observer=LogPublisher(*others))
            report.failure("Temporarily disabling observer {observer} due to exception",
                           failure, observer=observer)


_observed = logging.NullHandler()


class _GlobalLogPublisher(LogPublisher):
    """``globalLogPublisher``: observers, then stdlib logging, then Twisted."""

    def __init__(self) -> None:
        super().__init__()
        self._savedLevel = logging.NOTSET

    def addObserver(self, observer: Observer) -> None:
        first = not self._observers
        super().addObserver(observer)
        if first:
            self._savedLevel = _gate.level
            if _gate.level == logging.NOTSET or _gate.level > logging.INFO:
                _gate.setLevel(logging.INFO)
            # Somebody observes the log now: an unconfigured ``logging``
            # must not print every warning and error a second time through
            # its last-resort handler.
            _gate.addHandler(_observed)

    def removeObserver(self, observer: Observer) -> None:
        before = self._observers
        super().removeObserver(observer)
        if before and not self._observers:
            _gate.setLevel(self._savedLevel)
            _gate.removeHandler(_observed)
            globalLogBeginner._stopRedirecting()

    def __call__(self, event: LogEvent) -> None:
        level = event.get("log_level", LogLevel.info)
        publish(event, int(level), _stdLoggerFor(event.get("log_namespace") or _ROOT), 1)


globalLogPublisher = _GlobalLogPublisher()


def publish(event: LogEvent, levelno: int, stdLogger: logging.Logger, stacklevel: int) -> None:
    """Deliver ``event`` everywhere (the caller checked ``isEnabled``).

    ``stacklevel`` counts the frames between the user's log call and this
    function, so the stdlib record points at the user's line.
    """
    wasPublishing = getattr(_publishing, "active", False)
    _publishing.active = True
    try:
        observers = globalLogPublisher._observers
        if observers:
            globalLogPublisher._deliver(observers, event)
        _toStdlib(stdLogger, levelno, event, stacklevel + 1)
        twisted = _twistedPublisher()
        if twisted is not None:
            _toTwisted(twisted, event)
    finally:
        _publishing.active = wasPublishing


# --- Logger ----------------------------------------------------------------------------


class Operation:
    """What ``Logger.failuresHandled`` yields: how the block ended."""

    def __init__(self) -> None:
        self.succeeded = False
        self.failed = False
        self.failure: Failure | None = None


class Logger:
    """A new-style logger: ``log.info("connected to {host}", host=h)``.

    ``namespace`` defaults to the calling module's name.  As a class
    attribute (``log = Logger()``) it is a descriptor: ``self.log`` is a
    logger with namespace ``module.Class`` and ``source`` the instance.
    Events go to ``observer`` if one is given, else to ``globalLogPublisher``.
    """

    def __init__(self, namespace: str | None = None, source: object = None,
                 observer: Observer | None = None) -> None:
        if namespace is None:
            namespace = sys._getframe(1).f_globals.get("__name__", "<unknown>")
        self.namespace: str = namespace
        self.source = source
        self.observer: Observer = globalLogPublisher if observer is None else observer

    def __get__(self, instance: object, owner: type | None = None) -> Logger:
        if owner is None:
            owner = type(instance)
        source = owner if instance is None else instance
        return type(self)(f"{owner.__module__}.{owner.__name__}", source, observer=self.observer)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.namespace!r}>"

    def emit(self, level: LogLevel, format: str | None = None, **kwargs: object) -> None:
        """Emit an event at ``level`` whose text is ``format.format(**event)``.

        An invalid level is itself logged, as a failure, instead of raising.
        """
        if not isinstance(level, LogLevel):
            self.failure("Got invalid log level {invalidLevel!r} in {logger}.emit().",
                         Failure(InvalidLogLevelError(level)), invalidLevel=level, logger=self)
            return
        observer = self.observer
        isGlobal = observer is globalLogPublisher
        if isGlobal and not isEnabled(level):
            return
        event: LogEvent = kwargs
        event.update(log_logger=self, log_level=level, log_namespace=self.namespace,
                     log_source=self.source, log_format=format, log_time=time.time())
        if "log_trace" in event:
            event["log_trace"].append((self, observer))
        if isGlobal:
            # stacklevel 3: emit <- info/warn... <- the user's call.
            publish(event, level, _stdLoggerFor(self.namespace), 3)
        else:
            observer(event)

    def debug(self, format: str | None = None, **kwargs: object) -> None:
        """Emit at ``LogLevel.debug``."""
        self.emit(LogLevel.debug, format, **kwargs)

    def info(self, format: str | None = None, **kwargs: object) -> None:
        """Emit at ``LogLevel.info``."""
        self.emit(LogLevel.info, format, **kwargs)

    def warn(self, format: str | None = None, **kwargs: object) -> None:
        """Emit at ``LogLevel.warn``."""
        self.emit(LogLevel.warn, format, **kwargs)

    def error(self, format: str | None = None, **kwargs: object) -> None:
        """Emit at ``LogLevel.error``."""
        self.emit(LogLevel.error, format, **kwargs)

    def critical(self, format: str | None = None, **kwargs: object) -> None:
        """Emit at ``LogLevel.critical``."""
        self.emit(LogLevel.critical, format, **kwargs)

    def failure(self, format: str, failure: Failure | None = None,
                level: LogLevel = LogLevel.critical, **kwargs: object) -> None:
        """Emit ``failure`` (default: the exception being handled) with its traceback."""
        if failure is None:
            failure = Failure()
        self.emit(level, format, log_failure=failure, **kwargs)

    @contextmanager
    def failuresHandled(self, format: str, level: LogLevel = LogLevel.critical,
                        **kwargs: object) -> Iterator[Operation]:
        """Run a block; log and swallow an ``Exception`` it raises.

        The yielded ``Operation`` tells afterwards whether the block
        ``succeeded`` or ``failed`` (and with which ``failure``).
        """
        operation = Operation()
        try:
            yield operation
        except Exception:  # noqa: BLE001
            operation.failed = True
            operation.failure = Failure()
            self.failure(format, operation.failure, level, **kwargs)
        else:
            operation.succeeded = True

    @contextmanager
    def failureHandler(self, staticMessage: str, level: LogLevel = LogLevel.critical) -> Iterator[None]:
        """Run a block; log an ``Exception`` it raises as ``staticMessage`` and swallow it."""
        try:
            yield None
        except Exception:  # noqa: BLE001
            self.failure(staticMessage, Failure(), level)


_log = Logger()


def _loggerFor(obj: object) -> Logger:
    """A ``Logger`` for ``obj``: namespace its class's qualified name, source ``obj``."""
    return _log.__get__(obj, obj.__class__)


# --- print() and warnings into the log --------------------------------------------------


class LoggingFile:
    """A text file whose complete lines become log events (``{log_io}``).

    ``print()`` output is buffered until a newline.  A line written while
    an observer is publishing goes to ``passthrough`` (the real stream)
    instead, so an observer that prints cannot loop.
    """

    softspace = 0
    closed = False
    mode = "w"

    def __init__(self, logger: Logger, level: LogLevel = LogLevel.info, encoding: str | None = None) -> None:
        self.log = logger
        self.level = level
        # stderr lines are "error" events as in Twisted, but only WARNING
        # records: a print(file=sys.stderr) is not an unhandled failure.
        self._stdLevel = logging.WARNING if level >= LogLevel.error else int(level)
        self.encoding = encoding or sys.getdefaultencoding()
        self.errors = "strict"
        self._buffer = ""
        self._lock = threading.Lock()
        self.passthrough: IO[str] | None = None

    def write(self, data: str) -> int:
        if not isinstance(data, str):
            raise TypeError(f"write() argument must be str, not {type(data).__name__}")
        if getattr(_publishing, "active", False) and self.passthrough is not None:
            return self.passthrough.write(data)
        with self._lock:
            lines = (self._buffer + data).split("\n")
            self._buffer = lines.pop()
        for line in lines:
            self._logLine(line)
        return len(data)

    def _logLine(self, line: str) -> None:
        logger = self.log
        if logger.observer is not globalLogPublisher:
            logger.emit(self.level, "{log_io}", log_io=line)
            return
        if not isEnabled(self._stdLevel):
            return
        event: LogEvent = {"log_io": line, "log_logger": logger, "log_level": self.level,
                           "log_namespace": logger.namespace, "log_source": logger.source,
                           "log_format": "{log_io}", "log_time": time.time()}
        publish(event, self._stdLevel, _stdLoggerFor(logger.namespace), 3)

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

    def readline(self, size: int = -1) -> str:
        raise OSError("the log's stdio stand-in cannot be read")


class LogBeginner:
    """Starts logging: adds the observers, captures ``print()`` and warnings.

    ``globalLogBeginner`` is the one for the global publisher.
    """

    def __init__(self, publisher: LogPublisher, errorStream: IO[str] | None = None,
                 stdio: Any = sys, warningsModule: Any = warnings) -> None:
        self._publisher = publisher
        self._stdio = stdio
        self._warningsModule = warningsModule
        self._oldShowwarning: Any = None
        self._savedStdio: tuple[Any, Any] | None = None
        self._log = Logger(observer=publisher, namespace="plait.logger._global")

    def beginLoggingTo(self, observers: Sequence[Observer], discardBuffer: bool = False,
                       redirectStandardIO: bool = True) -> None:
        """Add every observer; with ``redirectStandardIO`` log ``print()`` output too.

        Warnings are logged from now on (one ``file:line: category: text``
        event each).  ``discardBuffer`` is accepted for compatibility:
        plait keeps no buffer of earlier events.
        """
        for observer in observers:
            self._publisher.addObserver(observer)
        if not observers:
            return
        # twisted.logger shows debug events too; the legacy API stops at info.
        if self._publisher is globalLogPublisher and _gate.level > logging.DEBUG:
            _gate.setLevel(logging.DEBUG)
        if self._oldShowwarning is None:
            self._oldShowwarning = self._warningsModule.showwarning
            self._warningsModule.showwarning = self.showwarning
        if redirectStandardIO:
            self._redirect()

    def showwarning(self, message: Any, category: type[Warning], filename: str, lineno: int,
                    file: IO[str] | None = None, line: str | None = None) -> None:
        """Log a warning as Twisted does, or print it to ``file`` if one is given."""
        if file is None:
            self._log.warn("{filename}:{lineno}: {category}: {warning}", warning=message,
                           category=f"{category.__module__}.{category.__qualname__}",
                           filename=filename, lineno=lineno)
        else:
            original: Any = self._oldShowwarning or warnings.showwarning
            original(message, category, filename, lineno, file, line)

    def _redirect(self) -> None:
        if self._savedStdio is not None:
            return
        stdio = self._stdio
        self._savedStdio = (stdio.stdout, stdio.stderr)
        out = LoggingFile(Logger("stdout", observer=self._publisher), LogLevel.info,
                          getattr(stdio.stdout, "encoding", None))
        err = LoggingFile(Logger("stderr", observer=self._publisher), LogLevel.error,
                          getattr(stdio.stderr, "encoding", None))
        out.passthrough, err.passthrough = self._savedStdio
        stdio.stdout, stdio.stderr = out, err

    def _stopRedirecting(self) -> None:
        """Undo stdio and warning capture (when the last observer went)."""
        if self._oldShowwarning is not None:
            if self._warningsModule.showwarning == self.showwarning:
                self._warningsModule.showwarning = self._oldShowwarning
            self._oldShowwarning = None
        if self._savedStdio is None:
            return
        # Only undo our own redirection: streams set by somebody since stay.
        if isinstance(self._stdio.stdout, LoggingFile):
            self._stdio.stdout = self._savedStdio[0]
        if isinstance(self._stdio.stderr, LoggingFile):
            self._stdio.stderr = self._savedStdio[1]
        self._savedStdio = None


globalLogBeginner = LogBeginner(globalLogPublisher)


@contextmanager
def capturedLogs() -> Iterator[list[LogEvent]]:
    """Collect the events published globally inside the block (debug too) into a list."""
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    level = _gate.level
    _gate.setLevel(logging.DEBUG)
    try:
        yield events
    finally:
        _gate.setLevel(level)
        globalLogPublisher.removeObserver(events.append)
