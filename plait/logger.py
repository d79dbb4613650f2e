"""Twisted's ``twisted.logger`` API: ``Logger`` and the global log beginner.

This module owns the new-style logging calls a client uses:
``Logger(namespace=None, source=None, observer=None)`` with
``debug``/``info``/``warn``/``error``/``critical`` taking PEP 3101 ``{name}``
formats, ``failure``/``failureHandler``/``failuresHandled``,
``textFileLogObserver`` and ``globalLogBeginner``/``globalLogPublisher``.

It rides on ``plait.log``: events are the same Twisted-style dicts inside
stdlib ``LogRecord``s, published through ``plait.log``'s one path, so every
observer and the user's ``logging`` configuration see them.  A ``Logger``
with namespace ``N`` logs on the stdlib logger ``N`` when ``N`` already starts
with ``plait``, otherwise on ``plait.N``.  Nothing is formatted for a
disabled level.

Tests: tests/unit/test_log.py (the "new-style Logger" section).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any

from plait.failure import Failure
from plait.log import (
    Event,
    LogLevel,
    Observer,
    _localTime,
    _newEvent,
    _publish,
    _redirectStdio,
    _rootLogger,
    _stdLoggerFor,
    _writeLine,
    addObserver,
    formatEvent,
    removeObserver,
    textFromEventDict,
)

__all__ = ["LogLevel", "Logger", "formatEvent", "globalLogBeginner", "globalLogPublisher", "textFileLogObserver"]


class _Operation:
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
    Events go to ``observer`` if one is given, else through stdlib logging
    (and so to every global observer).
    """

    def __init__(
        self, namespace: str | None = None, source: object = None, observer: Observer | None = None
    ) -> None:
        if namespace is None:
            namespace = sys._getframe(1).f_globals.get("__name__", "<unknown>")
        self.namespace: str = namespace
        self.source = source
        self.observer = observer

    def __get__(self, instance: object, owner: type | None = None) -> Logger:
        if owner is None:
            owner = type(instance)
        source = owner if instance is None else instance
        return Logger(f"{owner.__module__}.{owner.__name__}", source, observer=self.observer)

    def __repr__(self) -> str:
        return f"<Logger {self.namespace!r}>"

    def emit(self, level: LogLevel, format: str | None = None, **kwargs: object) -> None:
        """Emit an event at ``level`` whose text is ``format.format(**event)``."""
        if not isinstance(level, LogLevel):
            raise TypeError(f"level must be a LogLevel, not {level!r}")
        stdLogger = None
        if self.observer is None:
            stdLogger = _stdLoggerFor(self.namespace)
            if not stdLogger.isEnabledFor(level):
                return
        event: Event = dict(kwargs)
        event.update(
            log_logger=self,
            log_level=level,
            log_namespace=self.namespace,
            log_source=self.source,
            log_format=format,
            log_time=time.time(),
        )
        # The legacy view of the same event, for observers written for log.msg.
        failure = event.get("log_failure")
        legacy = _newEvent(isError=level >= LogLevel.error, failure=failure,
                           system=event.get("log_system", "-"), time=event["log_time"])
        if failure is not None:
            legacy["why"] = formatEvent(event)
        event = {**legacy, **event}
        if stdLogger is None:
            assert self.observer is not None
            self.observer(event)
        else:
            _publish(stdLogger, level, event)

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

    def failure(
        self, format: str, failure: Failure | None = None, level: LogLevel = LogLevel.critical,
        **kwargs: object,
    ) -> None:
        """Emit ``failure`` (default: the exception being handled) with its traceback."""
        if failure is None:
            failure = Failure()
        self.emit(level, format, log_failure=failure, **kwargs)

    @contextmanager
    def failuresHandled(
        self, format: str, level: LogLevel = LogLevel.critical, **kwargs: object
    ) -> Iterator[_Operation]:
        """Run a block; log and swallow an ``Exception`` it raises.

        The yielded object tells afterwards whether the block ``succeeded``
        or ``failed`` (and with which ``failure``).
        """
        operation = _Operation()
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


def textFileLogObserver(outFile: IO[str], timeFormat: str | None = "%Y-%m-%dT%H:%M:%S%z") -> Observer:
    """An observer writing ``2026-11-25T19:06:48+0000 [my.ns#info] hello`` lines.

    The bracket holds ``log_system`` if the event has one (legacy events do),
    else ``namespace#level``; ``timeFormat=None`` prints ``-`` for the time.
    """

    def observe(event: Mapping[str, Any]) -> None:
        text = textFromEventDict(event)
        if text is None:
            return
        system = event.get("log_system")
        if system is None:
            level = event.get("log_level", LogLevel.info)
            system = f"{event.get('log_namespace', '-')}#{level.name}"
        when = event.get("log_time") or event.get("time") or time.time()
        _writeLine(outFile, _localTime(when, timeFormat) if timeFormat else "-", system, text)

    return observe


class _GlobalLog:
    """``globalLogPublisher`` and ``globalLogBeginner``: the global observers."""

    def addObserver(self, observer: Observer) -> None:
        addObserver(observer)

    def removeObserver(self, observer: Observer) -> None:
        removeObserver(observer)

    def beginLoggingTo(
        self, observers: Sequence[Observer], discardBuffer: bool = False,
        redirectStandardIO: bool = True,
    ) -> None:
        """Add every observer; with ``redirectStandardIO`` log ``print()`` output too.

        ``discardBuffer`` is accepted for compatibility: plait keeps no
        buffer of events logged before logging began.
        """
        for observer in observers:
            addObserver(observer)
        if not observers:
            return
        # twisted.logger shows debug events too; the legacy API stops at info.
        if _rootLogger.level > logging.DEBUG:
            _rootLogger.setLevel(logging.DEBUG)
        if redirectStandardIO:
            _redirectStdio()


globalLogPublisher = globalLogBeginner = _GlobalLog()
