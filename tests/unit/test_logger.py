"""Tests for plait.logger: Twisted-shaped events, publishers, observers, log context.

The legacy calls (msg, err, startLogging...) are in test_log.py; the shapes
compared with the real Twisted are in tests/differential/test_logevents.py.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from plait import log, logger, protocol
from plait.failure import Failure
from plait.logger import LogLevel


@pytest.fixture(autouse=True)
def cleanLogState() -> Iterator[None]:
    savedStdio = sys.stdout, sys.stderr
    savedShow = warnings.showwarning
    yield
    warnings.showwarning = savedShow  # monkeypatch's undo may come after this fixture
    for observer in log.theLogPublisher.observers:
        log.removeObserver(observer)
    for observer in logger.globalLogPublisher.observers:
        logger.globalLogPublisher.removeObserver(observer)
    assert (sys.stdout, sys.stderr) == savedStdio
    assert warnings.showwarning is savedShow
    assert logging.getLogger("plait").level == logging.NOTSET


@pytest.fixture
def captured() -> Iterator[list[dict[str, Any]]]:
    with logger.capturedLogs() as events:
        yield events


# --- event shapes ---------------------------------------------------------------


def test_newStyleEventHasOnlyTwistedsKeys(captured: list[dict[str, Any]]) -> None:
    """A Logger event is kwargs plus the six log_* keys, nothing legacy."""
    made = logger.Logger(namespace="my.ns", source="src")
    made.info("hi {x}", x=1)
    [event] = captured
    assert set(event) == {"x", "log_logger", "log_level", "log_namespace", "log_source",
                          "log_format", "log_time"}
    assert (event["log_level"], event["log_namespace"], event["log_source"]) == (LogLevel.info, "my.ns", "src")


def test_factoryStartAndStopAreStructuredEvents(captured: list[dict[str, Any]]) -> None:
    """doStart/doStop log "Starting factory {factory!r}" with the factory as a key."""
    factory = protocol.Factory()
    factory.doStart()
    factory.doStop()
    starting, stopping = captured
    assert starting["log_format"] == "Starting factory {factory!r}"
    assert stopping["log_format"] == "Stopping factory {factory!r}"
    assert starting["factory"] is factory and starting["log_source"] is factory
    assert starting["log_namespace"] == "plait.protocol.Factory"
    assert logger.formatEvent(starting) == f"Starting factory {factory!r}"


def test_quietFactoryLogsNothing(captured: list[dict[str, Any]]) -> None:
    factory = protocol.Factory()
    factory.noisy = False
    factory.doStart()
    factory.doStop()
    assert captured == []


def test_loggerFor() -> None:
    """_loggerFor(obj): namespace is obj's class, source obj."""
    factory = protocol.ClientFactory()
    made = logger._loggerFor(factory)
    assert (made.namespace, made.source) == ("plait.protocol.ClientFactory", factory)


def test_logTraceRecordsTheObservers() -> None:
    received: list[dict[str, Any]] = []
    made = logger.Logger(namespace="t", observer=received.append)
    trace: list[Any] = []
    made.info("x", log_trace=trace)
    assert trace == [(made, received.append)]


# --- publishers -----------------------------------------------------------------------


def test_logPublisherFansOutAndReportsBrokenObservers() -> None:
    seen: list[dict[str, Any]] = []

    def broken(event: dict[str, Any]) -> None:
        raise ValueError("nope")

    publisher = logger.LogPublisher(seen.append, broken)
    publisher({"log_format": "one"})
    assert [logger.formatEvent(e) for e in seen] == [
        "one", f"Temporarily disabling observer {broken} due to exception"]
    assert seen[1]["log_failure"].check(ValueError)
    publisher.removeObserver(broken)
    publisher.removeObserver(broken)  # unknown: ignored
    with pytest.raises(TypeError):
        publisher.addObserver(42)  # type: ignore[arg-type]
    assert publisher.observers == [seen.append]


def test_gateStaysClosedWithoutObservers() -> None:
    """Nothing is built for an event nobody would see."""
    assert not logger.isEnabled(logging.INFO)
    built: list[int] = []

    class Costly:
        def __repr__(self) -> str:
            built.append(1)
            return "costly"

    logger.Logger(namespace="q").info("{c!r}", c=Costly())
    log.msg(Costly())
    assert built == []


def test_stdlibRecordCarriesTheEvent(caplog: pytest.LogCaptureFixture, loggedErrors: Any) -> None:
    caplog.set_level(logging.INFO, logger="plait")
    made = logger.Logger(namespace="some.where")
    try:
        raise KeyError("k")
    except KeyError:
        made.failure("it broke {n}", n=2, level=LogLevel.error)
    [record] = [r for r in caplog.records if r.name == "plait.some.where"]
    assert record.levelno == logging.ERROR
    assert record.failure.check(KeyError)  # type: ignore[attr-defined]
    assert record.getMessage().startswith("it broke 2\nTraceback (most recent call last):")
    assert record.logEvent["n"] == 2  # type: ignore[attr-defined]
    assert record.pathname == __file__  # the user's line, not plait's
    loggedErrors.flush(KeyError)


# --- the dispatch context ---------------------------------------------------------------


class Prefixed:
    def logPrefix(self) -> str:
        return "Echo,3,127.0.0.1"


def test_dispatchContextIsTheSystem(captured: list[dict[str, Any]]) -> None:
    """While the reactor dispatches to a descriptor, legacy events carry its prefix."""
    import threading

    context = logger._dispatchContext
    saved = list(context)
    context[:] = [Prefixed(), threading.get_ident()]
    try:
        log.msg("inside")
        assert logger.currentSystem() == "Echo,3,127.0.0.1"
        log.callWithContext({"system": "explicit"}, log.msg, "nested")
    finally:
        context[:] = saved
    log.msg("outside")
    assert [e["system"] for e in captured] == ["Echo,3,127.0.0.1", "explicit", "-"]


def test_dispatchContextIsPerThread(captured: list[dict[str, Any]]) -> None:
    """Another thread logging during a dispatch does not get the descriptor's prefix."""

    context = logger._dispatchContext
    saved = list(context)
    context[:] = [Prefixed(), -1]  # some other thread is dispatching
    try:
        log.msg("elsewhere")
    finally:
        context[:] = saved
    assert captured[0]["system"] == "-"


def test_realDispatchCarriesTheConnectionPrefix(reactor: Any, loggedErrors: Any) -> None:
    """log.msg/log.err inside dataReceived show [Proto,0,127.0.0.1]; the accept
    runs under the port's [module.Factory] prefix, as Twisted prints them."""
    from plait.defer import Deferred
    from tests.helpers import runUntil

    out = io.StringIO()
    observer = log.startLogging(out, setStdout=False)
    done: Deferred[None] = Deferred()
    clientDone: Deferred[None] = Deferred()

    class Server(protocol.Protocol):
        def connectionMade(self) -> None:
            log.msg("made")

        def dataReceived(self, data: bytes) -> None:
            log.msg("got", data)
            raise ValueError("boom")

        def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
            done.callback(None)

    class Client(protocol.Protocol):
        def connectionMade(self) -> None:
            log.msg("client made")
            self.transport.write(b"hi")

        def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
            log.msg("client lost")
            clientDone.callback(None)

    factory = protocol.Factory.forProtocol(Server)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    protocol.ClientCreator(reactor, Client).connectTCP("127.0.0.1", port.getHost().port)
    try:
        runUntil(reactor, done)
        runUntil(reactor, clientDone)
        runUntil(reactor, port.stopListening())
    finally:
        observer.stop()
    text = out.getvalue()
    assert "[plait.protocol.Factory] made\n" in text
    assert "[Uninitialized] client made\n" in text
    assert "[Server,0,127.0.0.1] got hi\n" in text
    assert "[Server,0,127.0.0.1] Unhandled Error\n\tTraceback" in text
    assert "[Client,client] client lost\n" in text
    assert len(loggedErrors.flush(ValueError)) == 1


# --- beginner, warnings, stdio ----------------------------------------------------------


def test_warningIsOneLineInTwistedsForm() -> None:
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        observer = log.startLogging(out, setStdout=False)
        try:
            warnings.warn_explicit("text", UserWarning, "prog.py", 21)
        finally:
            observer.stop()
    lines = [line.split(" ", 2)[2] for line in out.getvalue().splitlines()]
    assert "[-] prog.py:21: builtins.UserWarning: text" in lines


def test_showwarningWithAFileUsesTheOriginal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning meant for a file goes to the showwarning logging replaced."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(warnings, "showwarning", lambda *args: calls.append(args))
    out = io.StringIO()
    observer = log.startLogging(io.StringIO(), setStdout=False)
    try:
        log.showwarning("msg", DeprecationWarning, "f.py", 3, file=out)
    finally:
        observer.stop()
    assert calls == [("msg", DeprecationWarning, "f.py", 3, out, None)]


def test_loggingFileToItsOwnObserver() -> None:
    received: list[dict[str, Any]] = []
    stick = logger.LoggingFile(logger.Logger("out", observer=received.append), LogLevel.warn)
    stick.write("a\nb")
    stick.write("c\n")
    assert [(e["log_io"], e["log_level"]) for e in received] == [("a", LogLevel.warn), ("bc", LogLevel.warn)]
    with pytest.raises(OSError):
        stick.readline()


# --- observers ------------------------------------------------------------------------------


def test_filteringByLevelPerNamespace() -> None:
    shown: list[str] = []
    hidden: list[str] = []
    predicate = logger.LogLevelFilterPredicate(LogLevel.warn)
    predicate.setLogLevelForNamespace("noisy.sub", LogLevel.debug)
    filtering = logger.FilteringLogObserver(
        lambda e: shown.append(e["log_format"]), [predicate], lambda e: hidden.append(e["log_format"]))
    for namespace, level, text in [("a", LogLevel.info, "a-info"), ("a.b", LogLevel.error, "a-error"),
                                   ("noisy.sub.x", LogLevel.debug, "noisy-debug"),
                                   ("noisy", LogLevel.info, "noisy-info")]:
        filtering({"log_namespace": namespace, "log_level": level, "log_format": text})
    filtering({"log_format": "no level"})
    assert shown == ["a-error", "noisy-debug"]
    assert hidden == ["a-info", "noisy-info", "no level"]
    assert predicate.logLevelForNamespace("noisy.sub.y") is LogLevel.debug
    predicate.clearLogLevels()
    assert predicate.logLevelForNamespace("noisy.sub.y") is LogLevel.warn
    with pytest.raises(logger.InvalidLogLevelError):
        predicate.setLogLevelForNamespace("x", "loud")  # type: ignore[arg-type]
    bad = logger.FilteringLogObserver(shown.append, [lambda e: "perhaps"])  # type: ignore[list-item, return-value]
    with pytest.raises(TypeError):
        bad({"log_format": "x"})


def test_filteringYesWins() -> None:
    shown: list[dict[str, Any]] = []
    filtering = logger.FilteringLogObserver(
        shown.append, [lambda e: logger.PredicateResult.yes, lambda e: logger.PredicateResult.no])
    filtering({})
    assert shown == [{}]


def test_limitedHistoryReplays() -> None:
    history = logger.LimitedHistoryLogObserver(2)
    for n in range(3):
        history({"n": n})
    replayed: list[dict[str, Any]] = []
    history.replayTo(replayed.append)
    assert replayed == [{"n": 1}, {"n": 2}]


def test_jsonRoundTrip() -> None:
    out = io.StringIO()
    observer = logger.jsonFileLogObserver(out)
    observer({"log_format": "hello {who!r} {n}", "who": "w", "n": 3, "log_level": LogLevel.warn,
              "log_namespace": "j", "raw": b"\xff", "obj": object(), "log_time": 1.0})
    try:
        raise ZeroDivisionError("zero")
    except ZeroDivisionError:
        observer({"log_format": "f", "log_failure": Failure(), "log_level": LogLevel.critical})
    assert out.getvalue().startswith("\x1e{")
    first, second = logger.eventsFromJSONLogFile(io.StringIO(out.getvalue()))
    assert first["log_level"] is LogLevel.warn
    assert logger.formatEvent(first) == "hello 'w' 3"
    assert first["obj"] == {"unpersistable": True}
    assert logger.extractField("who", first) == "w"
    assert second["log_failure"].getErrorMessage() == "zero"
    assert "ZeroDivisionError" in second["log_failure"].getTraceback()
    assert json.loads(logger.eventAsJSON({"a": 1})) == {"a": 1}


def test_jsonLinesWithoutSeparatorAndTruncatedRecords() -> None:
    lines = io.BytesIO(b'{"a": 1}\nnot json\n{"b": 2}\n')
    assert list(logger.eventsFromJSONLogFile(lines)) == [{"a": 1}, {"b": 2}]
    truncated = io.StringIO('\x1e{"a": 1}\n\x1e{"b": ')
    assert list(logger.eventsFromJSONLogFile(truncated, "\x1e", bufferSize=3)) == [{"a": 1}]


def test_extractFieldOfLiveEvent() -> None:
    event = {"log_format": "{a.real} {b[0]}", "a": 5, "b": ["x"]}
    assert logger.extractField("a.real", event) == 5
    assert logger.extractField("b[0]", event) == "x"
    with pytest.raises(KeyError):
        logger.extractField("b[0]!r", event)  # only the fields of the format are kept


def test_formatHelpers() -> None:
    assert logger.formatTime(None) == "-"
    assert logger.formatTime(0.0, None) == "-"
    assert logger.formatTime(86400.0, "%Y") == "1970"
    text = logger.eventAsText({"log_format": "t", "log_namespace": "n", "log_level": LogLevel.info},
                              includeTimestamp=False)
    assert text == "[n#info] t"
    assert logger.eventAsText({}, includeTimestamp=False) == ""
    assert logger.formatEventAsClassicLogText({"log_format": "a\nb", "log_system": "s"},
                                              formatTime=lambda t: "T") == "T [s] a\n\tb\n"
    assert logger.formatEventAsClassicLogText({}) is None
    assert logger.formatEvent({"log_format": b"bytes {x}", "x": 1}) == "bytes 1"
    assert logger.formatEvent({"log_format": 3}).startswith("Unable to format event")


def test_stdlibObserverForwards(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="elsewhere")
    observer = logger.STDLibLogObserver("elsewhere")
    observer({"log_format": "w {x}", "x": 1, "log_level": LogLevel.warn})
    try:
        raise KeyError("k")
    except KeyError:
        observer({"log_format": "f", "log_failure": Failure(), "log_level": LogLevel.error})
    first, second = caplog.records
    assert (first.levelno, first.getMessage()) == (logging.WARNING, "w 1")
    assert second.exc_info is not None and second.exc_info[0] is KeyError


def test_legacyWrapperAddsTheLegacyKeys() -> None:
    received: list[dict[str, Any]] = []
    wrapper = logger.LegacyLogObserverWrapper(received.append)
    failure = Failure(KeyError("k"))
    wrapper({"log_format": "oops {n}", "n": 1, "log_failure": failure, "log_time": 2.0,
             "log_level": LogLevel.error})
    [event] = received
    assert (event["message"], event["time"], event["system"]) == ((), 2.0, "-")
    assert (event["failure"], event["isError"], event["why"]) == (failure, 1, "oops 1")
    assert event["format"] % event == "oops 1"
    assert repr(wrapper) == f"LegacyLogObserverWrapper({received.append})"


def test_fileLogObserverEncodesForBinaryFiles() -> None:
    out = io.BytesIO()
    logger.FileLogObserver(out, lambda event: "é\n")({})
    assert out.getvalue() == "é\n".encode()


def test_eventLoggingObserver(loggedErrors: Any) -> None:
    """testing.EventLoggingObserver: a sequence of what it saw; createWithCleanup."""
    from plait.testing import EventLoggingObserver

    cleanups: list[Any] = []

    class FakeCase:
        def addCleanup(self, f: Any) -> None:
            cleanups.append(f)

    observer = EventLoggingObserver.createWithCleanup(FakeCase(), logger.globalLogPublisher)
    logger.Logger(namespace="t").info("one")
    logger.Logger(namespace="t").error("two")
    assert len(observer) == 2
    assert [logger.formatEvent(e) for e in observer] == ["one", "two"]
    assert observer[-1]["log_level"] is LogLevel.error
    for cleanup in cleanups:
        cleanup()
    assert observer not in logger.globalLogPublisher.observers
    loggedErrors.flush()  # the "two" error event
