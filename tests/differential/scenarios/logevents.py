"""The event dicts observers receive, and the text startLogging writes."""

import io
import warnings

from _harness import main, normalise, scenario
from twisted.internet import defer, protocol
from twisted.logger import Logger, globalLogPublisher
from twisted.python import log
from twisted.python.failure import Failure

# What an event's values may legitimately differ in between plait and
# Twisted (times, the objects themselves, the traceback's frames).
_VOLATILE = {"time", "log_time", "log_logger", "log_source", "log_legacy", "log_text", "why",
             "failure", "log_failure", "factory", "log_trace", "log_flattened"}


def shape(event):
    """An event as (sorted keys, comparable values)."""
    values = {}
    for key, value in sorted(event.items()):
        if key in _VOLATILE:
            values[key] = "present" if key == "log_legacy" else type(value).__name__
        elif key == "log_namespace":
            # plait's namespaces name plait's modules (documented): compare
            # the class or module name only.
            values[key] = str(value).rsplit(".", 1)[-1]
        elif key == "log_level":
            values[key] = value.name
        elif key == "message":
            values[key] = [str(part) for part in value]
        else:
            values[key] = normalise(str(value))
    return values


class Observers:
    def __init__(self):
        self.legacy, self.new = [], []

    def __enter__(self):
        log.addObserver(self.legacy.append)
        globalLogPublisher.addObserver(self.new.append)
        return self

    def __exit__(self, *exc):
        log.removeObserver(self.legacy.append)
        globalLogPublisher.removeObserver(self.new.append)


@scenario
def legacyMsgAndErr():
    with Observers() as seen:
        log.msg("hello", "world", system="sys", extra=1)
        log.msg(format="%(a)s-%(b)s", a=1, b=2)
        log.err(Failure(KeyError("k")), "while testing")
        log.err(ValueError("v"))
        log.err("a string")
    return {"legacy": [shape(e) for e in seen.legacy], "new": [shape(e) for e in seen.new],
            "texts": [(log.textFromEventDict(e) or "").splitlines()[0] for e in seen.legacy]}


@scenario
def newStyleLogger():
    newLog = Logger(namespace="my.ns")
    with Observers() as seen:
        newLog.info("hi {who}", who="there")
        newLog.warn("careful")
        try:
            _ = 1 / 0
        except ZeroDivisionError:
            newLog.failure("it failed {n}", n=3)
    return {"legacy": [shape(e) for e in seen.legacy], "new": [shape(e) for e in seen.new]}


@scenario
def factoryStartStop():
    factory = protocol.Factory()
    with Observers() as seen:
        factory.doStart()
        factory.doStop()
    return {"legacy": [shape(e) for e in seen.legacy], "new": [shape(e) for e in seen.new],
            "factory key": [type(e.get("factory")).__name__ for e in seen.new]}


@scenario
def unhandledErrorInDeferred():
    import gc

    with Observers() as seen:
        d = defer.fail(RuntimeError("nobody handled me"))
        del d
        gc.collect()
    return {"legacy": [shape(e) for e in seen.legacy], "new": [shape(e) for e in seen.new],
            "texts": [(log.textFromEventDict(e) or "").splitlines()[0] for e in seen.legacy]}


@scenario
def startLoggingText():
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.formatTime = lambda when: "TIME"
    log.startLoggingWithObserver(observer.emit, setStdout=True)
    try:
        print("printed line")
        log.msg("plain")
        log.msg("with system", system="Echo,0,127.0.0.1")
        Logger(namespace="ns").info("new {x}", x=1)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn_explicit("text", UserWarning, "prog.py", 21)
        log.err(Failure(ValueError("boom")), "failed here")
    finally:
        log.removeObserver(observer.emit)
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("\t")]
    return [normalise(line) for line in lines]


if __name__ == "__main__":
    main()
