"""Tests for plait.log: legacy log calls, observers, stdio redirection, Logger."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from plait import log, logger
from plait.failure import Failure, NoCurrentExceptionError

LEGACY_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{4}"
NEW_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}"


@pytest.fixture(autouse=True)
def cleanLogState() -> Iterator[None]:
    """Leave no observer, redirection or discarded logfile behind."""
    savedFiles = log.logfile, log.logerr
    savedStdio = sys.stdout, sys.stderr
    try:
        yield
    finally:
        for observer in log.theLogPublisher.observers:
            log.removeObserver(observer)
        for observer in logger.globalLogPublisher.observers:
            logger.globalLogPublisher.removeObserver(observer)
        log.logfile, log.logerr = savedFiles
        assert (sys.stdout, sys.stderr) == savedStdio, "stdio left redirected"
        assert logging.getLogger("plait").level == logging.NOTSET


def stripTimes(text: str, pattern: str = LEGACY_TIME) -> str:
    """The log text with every leading timestamp removed (after checking it is there)."""
    lines = text.split("\n")
    for line in lines:
        if line and not line.startswith("\t"):
            assert re.match(pattern + " ", line), line
    return re.sub(f"^{pattern} ", "", text, flags=re.MULTILINE)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Legacy logging to a StringIO, without stdio redirection."""
    out = io.StringIO()
    observer = log.startLogging(out, setStdout=False)
    yield out
    observer.stop()


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    """The event dicts an observer receives."""
    received: list[dict[str, Any]] = []
    log.addObserver(received.append)
    yield received
    log.removeObserver(received.append)


class Prefixed:
    """Something with a log prefix, like a transport."""

    def logPrefix(self) -> str:
        return "Echo,client"


# --- legacy msg and the line format ---------------------------------------------


def test_startLoggingLineFormat(logged: io.StringIO) -> None:
    """Lines read '<date> <time><tz> [system] text', starting with 'Log opened.'."""
    log.msg("hello", "world")
    log.msg("x", system="mysys")
    lines = logged.getvalue().splitlines()
    assert re.fullmatch(LEGACY_TIME + r" \[-\] Log opened\.", lines[0])
    assert re.fullmatch(LEGACY_TIME + r" \[-\] hello world", lines[1])
    assert re.fullmatch(LEGACY_TIME + r" \[mysys\] x", lines[2])


def test_startLoggingReturnsTheObserver() -> None:
    """startLogging returns a FileLogObserver whose stop() ends the logging."""
    out = io.StringIO()
    observer = log.startLogging(out, setStdout=False)
    assert isinstance(observer, log.FileLogObserver)
    observer.stop()
    log.msg("after")
    assert "after" not in out.getvalue()


def test_msgFormatUsesKeywords(logged: io.StringIO) -> None:
    """format= is applied with %-formatting against the event's keys."""
    log.msg(format="%(a)s and %(b)s", a=1, b="two")
    log.msg(format="%(missing)s")
    text = stripTimes(logged.getvalue())
    assert "[-] 1 and two\n" in text
    assert "[-] Invalid format string or unformattable object in log message: '%(missing)s'" in text


def test_msgPartsAreStringified(logged: io.StringIO) -> None:
    """Non-string parts are joined with str() and no %-formatting is applied."""
    log.msg("dict %s", {"a": 1}, 3)
    assert "[-] dict %s {'a': 1} 3\n" in stripTimes(logged.getvalue())


def test_emptyMsgWritesNothing(logged: io.StringIO) -> None:
    """An event without any text produces no line."""
    before = logged.getvalue()
    log.msg()
    assert logged.getvalue() == before


def test_customTimeFormat() -> None:
    """FileLogObserver.timeFormat overrides the timestamp format."""
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.timeFormat = "T"
    observer.emit({"message": ("hi",), "time": 0.0, "system": "s"})
    assert out.getvalue() == "T [s] hi\n"
    assert isinstance(observer.getTimezoneOffset(0.0), int)


def test_startLoggingRefusesTheLogItself() -> None:
    """Logging into the log's own stdout stand-in is refused early."""
    with pytest.raises(TypeError, match="stand-in"):
        log.startLogging(log.logfile)


# --- err ------------------------------------------------------------------------


def test_errFormatsWhyAndTabIndentedTraceback(logged: io.StringIO, loggedErrors: Any) -> None:
    """err() writes the why line, then the traceback with each line tab-indented."""
    log.err(ValueError("v"))
    log.err(ValueError("v2"), "why2", system="zz")
    text = stripTimes(logged.getvalue())
    assert (
        "[-] Unhandled Error\n\tTraceback (most recent call last):\n"
        "\tFailure: builtins.ValueError: v\n\t\n"
    ) in text
    assert "[zz] why2\n\tTraceback (most recent call last):\n\tFailure: builtins.ValueError: v2\n" in text
    assert len(loggedErrors.flush(ValueError)) == 2


def test_errWithoutArgumentsUsesCurrentException(loggedErrors: Any) -> None:
    """err() inside except logs the exception being handled."""
    try:
        raise KeyError("k")
    except KeyError:
        log.err()
    [failure] = loggedErrors.flush(KeyError)
    assert failure.value.args == ("k",)


def test_errOutsideExceptRaises() -> None:
    """err() with nothing to report is a NoCurrentExceptionError."""
    with pytest.raises(NoCurrentExceptionError):
        log.err()


def test_errRecordCarriesTheFailure(loggedErrors: Any, caplog: pytest.LogCaptureFixture) -> None:
    """err() emits an ERROR record on 'plait' with failure, why and system attributes."""
    failure = Failure(ValueError("bad"))
    log.err(failure, "context")
    [record] = [r for r in caplog.records if r.name == "plait"]
    assert record.levelno == logging.ERROR
    assert record.failure is failure  # type: ignore[attr-defined]
    assert record.why == "context"  # type: ignore[attr-defined]
    assert record.system == "-"  # type: ignore[attr-defined]
    assert record.getMessage().startswith("context\nTraceback (most recent call last):\n")
    assert loggedErrors.flush(ValueError) == [failure]


def test_errWithNonExceptionLogsRepr(logged: io.StringIO, loggedErrors: Any) -> None:
    """err() with something that is not an exception logs its repr as an error."""
    log.err("a string")
    assert "[-] 'a string'\n" in stripTimes(logged.getvalue())
    [record] = loggedErrors.flush()
    assert record.isError is True


def test_deferrIsErr() -> None:
    """deferr is another name for err."""
    assert log.deferr is log.err


# --- observers ---------------------------------------------------------------------


def test_observerEventKeys(events: list[dict[str, Any]], loggedErrors: Any) -> None:
    """Observers get Twisted-style event dicts with the legacy keys."""
    log.msg("a", "b", extra=1)
    failure = Failure(ValueError("x"))
    log.err(failure, "why")
    first, second = events
    assert first["message"] == ("a", "b")
    assert first["isError"] == 0
    assert (first["system"], first["format"]) == ("-", "%(log_legacy)s")
    assert "failure" not in first and "why" not in first
    assert first["extra"] == 1
    assert isinstance(first["time"], float) and first["log_time"] == first["time"]
    assert (first["log_text"], first["log_format"]) == ("a b", "{log_text}")
    assert (first["log_namespace"], first["log_system"]) == ("log_legacy", "-")
    assert first["log_level"] is logger.LogLevel.info
    assert second["message"] == ()
    assert (second["isError"], second["failure"], second["why"]) == (1, failure, "why")
    assert second["log_level"] is logger.LogLevel.critical
    loggedErrors.flush(ValueError)


def test_addObserverRejectsNonCallable() -> None:
    """A non-callable observer is rejected when added."""
    with pytest.raises(TypeError):
        log.addObserver("not callable")  # type: ignore[arg-type]


def test_removeUnknownObserverIsIgnored() -> None:
    """Removing an observer that was never added does nothing."""
    log.removeObserver(lambda event: None)


def test_observersRaiseThePlaitLoggerLevelOnlyWhileInstalled() -> None:
    """Adding an observer enables INFO on 'plait'; removing the last restores NOTSET."""
    plaitLogger = logging.getLogger("plait")
    assert not plaitLogger.isEnabledFor(logging.INFO) or logging.getLogger().level <= logging.INFO
    seen: list[dict[str, Any]] = []
    log.addObserver(seen.append)
    assert plaitLogger.level == logging.INFO
    log.removeObserver(seen.append)
    assert plaitLogger.level == logging.NOTSET


def test_brokenObserverIsReportedToTheOthers(events: list[dict[str, Any]]) -> None:
    """An observer that raises keeps its place; its failure goes to the other observers
    (Twisted's "Temporarily disabling observer")."""

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("observer bug")

    log.addObserver(broken)
    log.msg("first")
    assert broken in log.theLogPublisher.observers
    texts = [log.textFromEventDict(e) for e in events]
    assert texts[0] == "first"
    report = events[1]
    assert report["log_failure"].getErrorMessage() == "observer bug"
    assert report["log_format"] == "Temporarily disabling observer {observer} due to exception"
    assert report["isError"] == 1 and report["why"].startswith("Temporarily disabling observer")
    log.removeObserver(broken)


def test_userLoggingConfigSeesPlaitMessages(caplog: pytest.LogCaptureFixture) -> None:
    """With no plait observer, an ordinary logging setup still receives msg() records."""
    caplog.set_level(logging.INFO, logger="plait")
    log.msg("visible", system="sys")
    [record] = [r for r in caplog.records if r.name == "plait"]
    assert record.getMessage() == "visible"
    assert record.system == "sys"  # type: ignore[attr-defined]
    assert record.levelno == logging.INFO


def test_msgLevelKeywords(caplog: pytest.LogCaptureFixture, loggedErrors: Any) -> None:
    """isError=True logs at ERROR and logLevel= at the given stdlib level."""
    caplog.set_level(logging.DEBUG, logger="plait")
    log.msg("warned", logLevel=logging.WARNING)
    log.msg("failed", isError=True)
    levels = [r.levelno for r in caplog.records if r.name == "plait"]
    assert levels == [logging.WARNING, logging.ERROR]
    loggedErrors.flush()


def test_msgDoesNotFormatWhenNothingListens() -> None:
    """With INFO disabled, msg() never renders its arguments."""
    rendered: list[int] = []

    class Expensive:
        def __str__(self) -> str:
            rendered.append(1)
            return "expensive"

    assert not logging.getLogger("plait").isEnabledFor(logging.INFO)
    log.msg(Expensive())
    logger.Logger(namespace="plait.quiet").info("{x}", x=Expensive())
    assert rendered == []


def test_importingConfiguresNothing() -> None:
    """plait.log installs no handler on the root logger and sets no level."""
    root = logging.getLogger()
    assert not any(type(h).__module__ == "plait.log" for h in root.handlers)
    assert logging.getLogger("plait").level == logging.NOTSET
    assert not any(type(h).__module__.startswith("plait") for h in logging.getLogger("plait").handlers)


# --- stdio redirection ---------------------------------------------------------------


def test_printIsRedirectedIntoTheLog() -> None:
    """With setStdout, print() output appears as '[-] text' lines, one per line."""
    out = io.StringIO()
    observer = log.startLogging(out)
    try:
        print("printed line")
        print("partial", end="")
        print(" rest\nsecond")
        sys.stderr.write("err line\n")
    finally:
        observer.stop()
    text = stripTimes(out.getvalue())
    assert "[-] printed line\n[-] partial rest\n[-] second\n[-] err line\n" in text


def test_setStdoutFalseKeepsPrintsRaw(capsys: pytest.CaptureFixture[str]) -> None:
    """setStdout=False leaves sys.stdout alone."""
    out = io.StringIO()
    observer = log.startLogging(out, setStdout=False)
    try:
        print("raw")
    finally:
        observer.stop()
    assert capsys.readouterr().out == "raw\n"
    assert "raw" not in out.getvalue()


def test_stopRestoresStdio() -> None:
    """Removing the last observer puts the original sys.stdout/stderr back."""
    before = sys.stdout, sys.stderr
    observer = log.startLogging(io.StringIO())
    assert sys.stdout is not before[0]
    observer.stop()
    assert (sys.stdout, sys.stderr) == before


def test_redirectedStderrIsNotAnUnhandledError(events: list[dict[str, Any]]) -> None:
    """A stderr line is an isError event but not an ERROR record (no failure to flush)."""
    log.startLoggingWithObserver(lambda event: None)
    sys.stderr.write("complaint\n")
    [event] = [e for e in events if e.get("log_io") == "complaint"]
    assert event["isError"] == 1
    assert event["log_level"] is log.LogLevel.error
    assert event["log_namespace"] == "stderr"


def test_observerThatPrintsDoesNotRecurse(capsys: pytest.CaptureFixture[str]) -> None:
    """An observer printing to the redirected stdout writes to the real stream."""
    seen: list[str] = []

    def printer(event: dict[str, Any]) -> None:
        seen.append(log.textFromEventDict(event) or "")
        print("from observer")

    log.startLoggingWithObserver(printer)
    print("hello")
    log.removeObserver(printer)
    assert seen == ["Log opened.", "hello"]
    assert capsys.readouterr().out == "from observer\nfrom observer\n"


def test_stdioStandInBehavesLikeAFile() -> None:
    """The stdout stand-in accepts writelines, ignores flush/close, is no tty and rejects bytes."""
    stick = log.StdioOnnaStick()
    stick.writelines(["a", "b\n"])
    stick.flush()
    stick.close()
    assert stick.isatty() is False
    with pytest.raises(TypeError):
        stick.write(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(OSError):
        stick.fileno()


def test_logfileLogsLines(events: list[dict[str, Any]]) -> None:
    """log.logfile turns written lines into events."""
    log.logfile.write("through logfile\n")
    assert [e["log_io"] for e in events] == ["through logfile"]


def test_discardLogs(events: list[dict[str, Any]]) -> None:
    """After discardLogs, logfile and logerr swallow what is written."""
    log.discardLogs()
    log.logfile.write("gone\n")
    log.logerr.write("gone too\n")
    log.logerr.flush()
    assert events == []


# --- callWithLogger -------------------------------------------------------------------


def test_callWithLoggerSetsThePrefix(logged: io.StringIO) -> None:
    """Messages logged inside callWithLogger carry logger.logPrefix() as system."""
    def inside() -> int:
        log.msg("inside")
        return 42

    assert log.callWithLogger(Prefixed(), inside) == 42
    log.msg("outside")
    text = stripTimes(logged.getvalue())
    assert "[Echo,client] inside\n[-] outside\n" in text


def test_callWithLoggerLogsAndSwallowsExceptions(logged: io.StringIO, loggedErrors: Any) -> None:
    """An exception from the function is logged under the prefix and None returned."""

    def boom() -> None:
        raise KeyError("kk")

    assert log.callWithLogger(Prefixed(), boom) is None
    assert "[Echo,client] Unhandled Error\n\tTraceback" in stripTimes(logged.getvalue())
    assert len(loggedErrors.flush(KeyError)) == 1


def test_callWithLoggerLetsSystemExitThrough() -> None:
    """SystemExit raised inside callWithLogger propagates."""
    with pytest.raises(SystemExit):
        log.callWithLogger(Prefixed(), sys.exit, 3)


def test_callWithLoggerBuggyLogPrefix(events: list[dict[str, Any]], loggedErrors: Any) -> None:
    """A logPrefix that raises is reported and replaced by a marker prefix."""

    class Buggy:
        def logPrefix(self) -> str:
            raise RuntimeError("no prefix")

    log.callWithLogger(Buggy(), log.msg, "still logged")
    assert events[-1]["system"] == "(buggy logPrefix method)"
    assert len(loggedErrors.flush(RuntimeError)) == 1


def test_callWithContext(events: list[dict[str, Any]]) -> None:
    """callWithContext sets the system from ctx, and without one changes nothing."""
    log.callWithContext({"system": "ctx"}, log.msg, "a")
    log.callWithContext({}, log.msg, "b")
    assert [e["system"] for e in events] == ["ctx", "-"]


# --- new-style Logger ----------------------------------------------------------------


class Owner:
    log = logger.Logger()


def test_loggerDefaultNamespaceIsCallerModule() -> None:
    """Logger() takes the calling module's name as namespace."""
    made = logger.Logger()
    assert made.namespace == __name__
    assert repr(made) == f"<Logger {__name__!r}>"


def test_classAttributeLoggerNamespace() -> None:
    """A Logger class attribute has namespace module.Class and the instance as source."""
    assert Owner.log.namespace == f"{__name__}.Owner"
    assert Owner.log.source is Owner
    owner = Owner()
    assert owner.log.source is owner
    assert Owner.__dict__["log"].__get__(owner).namespace == f"{__name__}.Owner"


def test_loggerFormatsPep3101(events: list[dict[str, Any]]) -> None:
    """Logger methods format {name}, {name!r}, attributes, items and calls from the event."""
    logger.Logger(namespace="plait.test").info("hello {who} {who!r} {obj.real} {d[k]} {f()}", who="world", obj=3, d={"k": "v"},
                f=lambda: "called")
    [event] = events
    assert log.formatEvent(event) == "hello world 'world' 3 v called"
    assert event["log_level"] is log.LogLevel.info
    assert event["log_namespace"] == "plait.test"
    assert event["isError"] == 0  # added by the legacy wrapper of log.addObserver


def test_loggerBadFormatIsReportedNotRaised(events: list[dict[str, Any]]) -> None:
    """A format that cannot be applied gives an 'Unable to format event' text."""
    logger.Logger(namespace="plait.test").warn("bad {0}")
    assert log.formatEvent(events[0]).startswith("Unable to format event {")
    assert log.formatEvent(events[0]).endswith(": tuple index out of range")


def test_loggerLevelsMapToStdlib(caplog: pytest.LogCaptureFixture, loggedErrors: Any) -> None:
    """Each Logger level becomes the matching stdlib level, on plait.<namespace>."""
    caplog.set_level(logging.DEBUG, logger="plait")
    made = logger.Logger(namespace="my.ns")
    for name in ["debug", "info", "warn", "error", "critical"]:
        getattr(made, name)("at {which}", which=name)
    records = [r for r in caplog.records if r.name == "plait.my.ns"]
    assert [r.levelno for r in records] == [10, 20, 30, 40, 50]
    assert records[0].getMessage() == "at debug"
    assert len(loggedErrors.flush()) == 2


def test_loggerInsidePlaitKeepsItsName(caplog: pytest.LogCaptureFixture) -> None:
    """A namespace already under plait is used as the stdlib logger name as is."""
    caplog.set_level(logging.INFO, logger="plait")
    logger.Logger(namespace="plait.protocol").info("x")
    assert [r.name for r in caplog.records] == ["plait.protocol"]


def test_loggerFailure(events: list[dict[str, Any]], loggedErrors: Any) -> None:
    """failure() logs the current exception at critical with its traceback."""
    made = logger.Logger(namespace="ns2")
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        made.failure("failed {x}", x=3)
    [event] = events
    assert event["log_level"] is log.LogLevel.critical
    assert event["why"] == "failed 3"
    text = log.textFromEventDict(event)
    assert text is not None and text.startswith("failed 3\nTraceback (most recent call last):\n")
    [failure] = loggedErrors.flush(ZeroDivisionError)
    assert failure is event["log_failure"]


def test_loggerWithOwnObserver() -> None:
    """A Logger given an observer sends events only there."""
    received: list[dict[str, Any]] = []
    logger.Logger(namespace="x", observer=received.append).debug("direct {n}", n=1)
    assert log.formatEvent(received[0]) == "direct 1"
    assert Owner.log.observer is logger.globalLogPublisher


def test_loggerReportsBadLevel() -> None:
    """emit() with something that is not a LogLevel logs that as a failure (Twisted)."""
    received: list[dict[str, Any]] = []
    logger.Logger(namespace="x", observer=received.append).emit("info", "text")  # type: ignore[arg-type]
    [event] = received
    assert event["log_failure"].check(logger.InvalidLogLevelError)
    assert log.formatEvent(event) == "Got invalid log level 'info' in <Logger 'x'>.emit()."


def test_failuresHandled() -> None:
    """failuresHandled logs and swallows an exception and says how the block ended."""
    received: list[dict[str, Any]] = []
    made = logger.Logger(namespace="x", observer=received.append)
    with made.failuresHandled("op {a}", a=1) as op:
        raise ValueError("q")
    assert (op.succeeded, op.failed) == (False, True)
    assert op.failure is not None and op.failure.check(ValueError)
    with made.failuresHandled("op2") as fine:
        pass
    assert (fine.succeeded, fine.failed, fine.failure) == (True, False, None)
    assert [log.formatEvent(e) for e in received] == ["op 1"]


def test_failureHandler() -> None:
    """failureHandler logs an exception with a static message and swallows it."""
    received: list[dict[str, Any]] = []
    made = logger.Logger(namespace="x", observer=received.append)
    with made.failureHandler("static"):
        raise KeyError("z")
    with made.failureHandler("unused"):
        pass
    [event] = received
    assert event["log_failure"].check(KeyError)
    assert event["log_level"] is log.LogLevel.critical


def test_logLevel() -> None:
    """LogLevel has Twisted's names, repr and lookup, and is ordered."""
    assert repr(log.LogLevel.info) == "<LogLevel=info>"
    assert log.LogLevel.levelWithName("warn") is log.LogLevel.warn
    assert log.LogLevel.info < log.LogLevel.warn
    with pytest.raises(logger.InvalidLogLevelError):
        log.LogLevel.levelWithName("loud")
    from plait._logformat import levelFromStdlib

    assert levelFromStdlib(5) is log.LogLevel.debug
    assert levelFromStdlib(45) is log.LogLevel.error


# --- twisted.logger observers and beginner -----------------------------------------------


def test_textFileLogObserverFormat() -> None:
    """textFileLogObserver lines read '<iso time> [namespace#level] text'."""
    out = io.StringIO()
    log.globalLogBeginner.beginLoggingTo([log.textFileLogObserver(out)], redirectStandardIO=True)
    try:
        logger.Logger(namespace="my.ns").info("hello {who}", who="world")
        logger.Logger(namespace="my.ns").debug("dbg")
        print("printed")
        log.msg("legacy", system="sys1")
        logger.Logger(namespace="my.ns").info("with system", log_system="abc")
    finally:
        for observer in log.globalLogPublisher.observers:
            log.globalLogPublisher.removeObserver(observer)
    assert stripTimes(out.getvalue(), NEW_TIME) == (
        "[my.ns#info] hello world\n"
        "[my.ns#debug] dbg\n"
        "[stdout#info] printed\n"
        "[sys1] legacy\n"
        "[abc] with system\n"
    )


def test_textFileLogObserverWithoutTimeAndText() -> None:
    """timeFormat=None prints '-' for the time; events without text print nothing."""
    out = io.StringIO()
    observer = log.textFileLogObserver(out, timeFormat=None)
    observer({"log_format": "x", "log_namespace": "n", "log_level": log.LogLevel.warn})
    observer({"message": ()})
    assert out.getvalue() == "- [n#warn] x\n"


def test_beginLoggingToNothing() -> None:
    """beginLoggingTo([]) changes nothing."""
    before = sys.stdout
    log.globalLogBeginner.beginLoggingTo([])
    assert sys.stdout is before
    assert log.globalLogPublisher.observers == []


def test_pythonLoggingObserver(caplog: pytest.LogCaptureFixture, loggedErrors: Any) -> None:
    """PythonLoggingObserver forwards event text to another stdlib logger."""
    caplog.set_level(logging.INFO, logger="twisted")
    forwarder = log.PythonLoggingObserver()
    forwarder.start()
    try:
        log.msg("forwarded")
        logger.Logger(namespace="plait.x").warn("warned")
        forwarder.emit({"message": ("custom",), "logLevel": logging.DEBUG})
        forwarder.emit({"message": ()})
    finally:
        forwarder.stop()
    twisted = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "twisted"]
    assert twisted == [(logging.INFO, "forwarded"), (logging.WARNING, "warned")]


def test_pythonLoggingObserverRefusesPlaitLoggers() -> None:
    """Forwarding plait events to a plait logger would loop, so it is refused."""
    with pytest.raises(ValueError):
        log.PythonLoggingObserver("plait.x")


def test_formatEventOfLegacyEvent() -> None:
    """formatEvent formats log_format only: a bare legacy event has no text (Twisted)."""
    assert log.formatEvent({"message": ("a", 1)}) == ""
    assert log.formatEvent({"message": ("a", 1), "log_text": "a 1", "log_format": "{log_text}"}) == "a 1"


def test_fileLogObserverStartAndPublisher() -> None:
    """FileLogObserver.start() and globalLogPublisher.addObserver both subscribe."""
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.start()
    seen: list[dict[str, Any]] = []
    log.globalLogPublisher.addObserver(seen.append)
    log.msg("both")
    observer.stop()
    log.globalLogPublisher.removeObserver(seen.append)
    assert stripTimes(out.getvalue()) == "[-] both\n"
    assert [e["message"] for e in seen] == [("both",)]


def test_explicitPlaitLevelIsKept() -> None:
    """A plait logger level the user set below INFO survives adding and removing observers."""
    plaitLogger = logging.getLogger("plait")
    plaitLogger.setLevel(logging.DEBUG)
    try:
        seen: list[dict[str, Any]] = []
        log.addObserver(seen.append)
        logger.Logger(namespace="plait.x").debug("dbg")
        log.removeObserver(seen.append)
        assert plaitLogger.level == logging.DEBUG
        assert [log.formatEvent(e) for e in seen] == ["dbg"]
    finally:
        plaitLogger.setLevel(logging.NOTSET)


def test_redirectingTwiceKeepsTheFirstOriginals() -> None:
    """A second redirection does not capture the stand-ins as the 'originals'."""
    before = sys.stdout, sys.stderr
    first = log.startLogging(io.StringIO())
    second = log.startLogging(io.StringIO())
    first.stop()
    assert sys.stdout is not before[0], "still redirected while an observer remains"
    second.stop()
    assert (sys.stdout, sys.stderr) == before


def test_replacedStandInsAreNotRestoredOver() -> None:
    """If someone replaced sys.stdout after redirection, restoring leaves theirs alone."""
    before = sys.stdout
    observer = log.startLogging(io.StringIO())
    theirs = io.StringIO()
    sys.stdout = theirs
    try:
        observer.stop()
        assert sys.stdout is theirs
    finally:
        sys.stdout = before
