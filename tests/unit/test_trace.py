"""plait.trace without sockets: the recorder, the probes, and leaving no trace.

The reactor here is a ``MemoryReactorClock`` (timers run by ``advance``) and
transports are ``StringTransport``s; the real loop, polls and byte counts on
real sockets are in tests/integration/test_trace_real.py.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import plait.base
import plait.main
import plait.selectreactor
from plait import _threadpool, abstract, protocol, trace
from plait._deferred import Deferred
from plait.failure import Failure
from plait.testing import MemoryReactorClock, StringTransport
from plait.trace._html import renderPage
from plait.trace._instrument import FACTORY_CALLBACKS, PROTOCOL_CALLBACKS
from plait.trace._probes import describe, typeName
from plait.trace._tracer import Tracer, checkKinds, checkLanes, formatText


@pytest.fixture(autouse=True)
def _noTraceLeft() -> Iterator[None]:
    yield
    trace.disable()


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in _records(stream) if r["kind"] != "lane"]


class Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


# -- the recorder ------------------------------------------------------------------


def test_nestedEventsAreWrittenInStartOrderOnceTheOutermostEnds() -> None:
    """A parent line comes first, with what only its end knew, and children are indented."""
    out = io.StringIO()
    tracer = Tracer([(out, "json")])
    outer = tracer.begin("io", "doRead", "conn 1")
    tracer.instant("io", "write", "conn 1", bytes=3)
    inner = tracer.begin("protocol", "dataReceived", "conn 1")
    tracer.end(inner)
    assert out.getvalue() == ""  # nothing until the outermost event ends
    tracer.end(outer, bytesIn=3)
    records = _records(out)
    assert [(r["name"], r["depth"]) for r in records] == [
        ("doRead", 0), ("write", 1), ("dataReceived", 1)
    ]
    assert records[0]["bytesIn"] == 3 and records[0]["dur"] >= records[2]["dur"] >= 0
    assert [r["seq"] for r in records] == [1, 2, 3]


def test_textFormatShowsTimeLaneKindNameAndDetails() -> None:
    record = {"seq": 1, "t": 1.5, "kind": "io", "name": "doRead", "lane": "conn 2",
              "depth": 1, "dur": 0.000042, "bytesIn": 7, "fds": []}
    line = formatText(record)
    assert line == "   1.500000  conn 2      io doRead bytesIn=7 (42us)"
    lane = {"seq": 0, "t": 0.25, "kind": "lane", "lane": "conn 2", "label": "Echo, peer 127.0.0.1:1"}
    assert formatText(lane).endswith("conn 2    is Echo, peer 127.0.0.1:1")


def test_filtersKeepChosenKindsAndLanesOnly() -> None:
    out = io.StringIO()
    tracer = Tracer([(out, "json")], kinds=frozenset({"io"}), lanes=frozenset({"conn 2"}))
    tracer.label("conn 1", "one")
    tracer.label("conn 2", "two")
    tracer.instant("io", "write", "conn 1")
    tracer.instant("io", "write", "conn 2")
    tracer.instant("timer", "fired", "conn 2")
    records = _records(out)
    assert [(r["kind"], r["lane"]) for r in records] == [("lane", "conn 2"), ("io", "conn 2")]
    assert tracer.counts["io"] == 1 and tracer.counts["timer"] == 0


def test_badFiltersAndFormatsAreRejectedWithTheirName() -> None:
    with pytest.raises(ValueError, match="unknown trace kind 'polls'"):
        checkKinds("poll,polls")
    with pytest.raises(ValueError, match="bad connection filter 'bob'"):
        checkLanes("1,bob")
    assert checkLanes("1, listen 2,timers") == frozenset({"conn 1", "listen 2", "timers"})
    assert checkKinds(["io"]) == frozenset({"io"}) and checkKinds(None) is None
    with pytest.raises(ValueError, match="unknown trace format 'xml'"):
        trace.enable(io.StringIO(), format="xml")
    with pytest.raises(ValueError, match="unknown trace kind"):
        trace.enable(io.StringIO(), kinds="nope")
    with pytest.raises(TypeError, match="path or a text stream"):
        trace.enable(42)  # type: ignore[arg-type]
    assert not trace.isEnabled()


def test_onlyOneTraceAtATime() -> None:
    trace.enable(io.StringIO(), reactor=MemoryReactorClock())
    with pytest.raises(RuntimeError, match="already enabled"):
        trace.enable(io.StringIO())
    trace.disable()
    trace.disable()  # idempotent
    assert not trace.isEnabled()


def test_namesAsALearnerReadsThem() -> None:
    def gotProtocol(p: object) -> None:
        """A local function."""

    assert describe(gotProtocol) == "test_namesAsALearnerReadsThem.gotProtocol"
    assert describe(Echo().dataReceived) == "Echo.dataReceived"
    assert describe(len) == "len"
    assert typeName(Failure(KeyError("k"))) == "Failure(KeyError)"
    assert typeName(3) == "int"


# -- zero cost when off: every probe goes away ---------------------------------------


def _state(targets: list[Any]) -> list[dict[str, Any]]:
    return [dict(vars(t)) for t in targets]


class Sink(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        pass


class SinkFactory(protocol.ClientFactory):
    protocol = Sink


def test_disableRestoresEveryPatchedObjectExactly() -> None:
    """After enable + use + disable, classes, modules and the reactor are as before."""
    reactor = MemoryReactorClock()
    targets: list[Any] = [
        protocol.BaseProtocol, protocol.AbstractDatagramProtocol, protocol.Factory,
        abstract.FileDescriptor, Deferred, _threadpool.ThreadPool, plait.base, plait.main,
        plait.selectreactor, Sink, SinkFactory,
    ]
    before = _state(targets)
    trace.enable(io.StringIO(), reactor=reactor)
    assert _state(targets) != before  # the probes are really in place
    factory = SinkFactory()
    factory.doStart()
    sink = factory.buildProtocol(None)
    sink.makeConnection(StringTransport())
    sink.dataReceived(b"x")
    reactor.callLater(0, lambda: None)
    trace.disable()
    reactor.advance(0)
    assert _state(targets) == before
    assert {"callLater", "callFromThread", "fireSystemEvent"}.isdisjoint(vars(reactor))
    for name in PROTOCOL_CALLBACKS + FACTORY_CALLBACKS + ("makeConnection", "doStart"):
        for cls in (Sink, SinkFactory, protocol.Protocol, protocol.BaseProtocol, protocol.Factory):
            assert not getattr(getattr(cls, name, None), "_plaitTraceProbe", False)


def test_probesHandedOutGoQuietAfterDisable() -> None:
    """A Deferred callback and a timer added while tracing run untraced afterwards."""
    out = io.StringIO()
    reactor = MemoryReactorClock()
    trace.enable(out, format="json", reactor=reactor)
    d: Deferred[int] = Deferred()
    results: list[int] = []
    d.addCallback(results.append)
    reactor.callLater(1, results.append, 2)
    trace.disable()
    d.callback(1)
    reactor.advance(1)
    assert results == [1, 2]
    assert _events(out) == []


# -- what is recorded ------------------------------------------------------------------


def test_deferredCallbacksWithArgumentAndResultTypes() -> None:
    out = io.StringIO()
    trace.enable(out, format="json", reactor=MemoryReactorClock())

    def double(x: int) -> int:
        return x * 2

    def broken(x: int) -> int:
        raise KeyError(x)

    def recover(f: Failure) -> str:
        return "recovered"

    d: Deferred[Any] = Deferred()
    d.addCallback(double).addCallbacks(broken, None).addErrback(recover).addBoth(str.upper)
    d.callback(21)
    assert d.result == "RECOVERED"
    trace.disable()
    events = [(r["name"], r["func"], r["arg"], r.get("result"), r.get("raised")) for r in _events(out)]
    assert events == [
        ("callback", "test_deferredCallbacksWithArgumentAndResultTypes.double", "int", "int", None),
        ("callback", "test_deferredCallbacksWithArgumentAndResultTypes.broken", "int", None, "KeyError"),
        ("errback", "test_deferredCallbacksWithArgumentAndResultTypes.recover", "Failure(KeyError)", "str", None),
        ("callback", "str.upper", "str", "str", None),
    ]


def test_timersSayWhatScheduledThemAndHowLate() -> None:
    out = io.StringIO()
    reactor = MemoryReactorClock()
    trace.enable(out, format="json", reactor=reactor)
    fired: list[str] = []
    call = reactor.callLater(2, fired.append, "x")
    assert call.func.__wrapped__ == fired.append  # the documented probe
    reactor.advance(3)
    trace.disable()
    (timer,) = _events(out)
    assert fired == ["x"]
    assert timer["kind"] == "timer" and timer["name"] == "fired" and timer["lane"] == "timers"
    assert timer["func"] == "list.append" and timer["delay"] == 2 and timer["late"] == 1
    assert timer["scheduledBy"].startswith(f"{__name__}.test_timersSayWhatScheduledThemAndHowLate:")


def test_protocolCallbacksGetTheirConnectionsLane() -> None:
    out = io.StringIO()
    trace.enable(out, format="json", reactor=MemoryReactorClock())
    transport = StringTransport()
    echo = Echo()
    echo.makeConnection(transport)
    echo.dataReceived(b"hello")
    echo.connectionLost(Failure(KeyError("gone")))
    trace.disable()
    records = _records(out)
    assert records[0] == {**records[0], "kind": "lane", "lane": "conn 1"}
    assert "Echo" in records[0]["label"]
    events = [(r["kind"], r["name"], r["lane"], r.get("bytes"), r.get("reason")) for r in _events(out)]
    assert events == [
        ("protocol", "connectionMade", "conn 1", None, None),
        ("protocol", "dataReceived", "conn 1", 5, None),
        ("protocol", "connectionLost", "conn 1", None, "Failure(KeyError)"),
    ]
    assert transport.value() == b"hello"


def test_aMethodCallingItsTracedSuperIsOneEvent() -> None:
    out = io.StringIO()
    trace.enable(out, format="json", reactor=MemoryReactorClock())

    class Loud(Echo):
        def dataReceived(self, data: bytes) -> None:
            super().dataReceived(data.upper())

    first, second = Echo(), Loud()
    first.makeConnection(StringTransport())
    second.makeConnection(StringTransport())
    second.dataReceived(b"a")
    trace.disable()
    names = [r["name"] for r in _events(out) if r["kind"] == "protocol"]
    assert names == ["connectionMade", "connectionMade", "dataReceived"]


def test_pageEmbedsRecordsSafely() -> None:
    """A hostile name in a trace cannot end the data element or the page's script."""
    records = [{"seq": 1, "t": 0.0, "kind": "timer", "name": "fired", "lane": "timers",
                "depth": 0, "func": "</script><script>alert(1)</script>&"}]
    page = renderPage(records, title="<b>__DATA__</b>")
    assert "alert(1)</script>" not in page
    assert "&lt;b&gt;__DATA__&lt;/b&gt;" in page
    start = page.index('<script id="trace-data" type="application/json">') + len(
        '<script id="trace-data" type="application/json">'
    )
    embedded = page[start : page.index("</script>", start)]
    assert json.loads(embedded) == records


# -- PLAIT_TRACE ----------------------------------------------------------------------


def test_environmentTurnsTracingOn(tmp_path: Any) -> None:
    assert trace.enableFromEnvironment({}) is None
    assert trace.enableFromEnvironment({"PLAIT_TRACE": "0"}) is None
    path = tmp_path / "t.jsonl"
    tracer = trace.enableFromEnvironment(
        {"PLAIT_TRACE": "1", "PLAIT_TRACE_FILE": str(path), "PLAIT_TRACE_FORMAT": "json",
         "PLAIT_TRACE_KINDS": "deferred"},
        reactor=MemoryReactorClock(),
    )
    assert tracer is not None and trace.isEnabled()
    Deferred().addCallback(lambda r: r).callback(None)
    trace.disable()
    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert record["kind"] == "deferred"


def test_environmentErrorsNameTheSetting() -> None:
    with pytest.raises(ValueError, match="PLAIT_TRACE settings: unknown trace format 'yaml'"):
        trace.enableFromEnvironment({"PLAIT_TRACE": "1", "PLAIT_TRACE_FORMAT": "yaml"})
    assert not trace.isEnabled()


def test_traceIsNeverImportedByTheLibrary() -> None:
    """Importing plait's modules does not import plait.trace (tests/unit/test_layering.py
    checks the sources; this checks a fresh interpreter)."""
    import subprocess

    code = (
        "import sys, plait.selectreactor, plait.endpoints, plait.service, plait.task, "
        "plait.threads, plait.protocols.irc, plait.testing; "
        "print(any(m.startswith('plait.trace') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_anExceptionFromACallbackIsRecordedAndPropagates() -> None:
    out = io.StringIO()
    trace.enable(out, format="json", reactor=MemoryReactorClock())

    class Broken(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            raise ValueError(data)

    broken = Broken()
    broken.makeConnection(StringTransport())
    with pytest.raises(ValueError, match="x"):
        broken.dataReceived(b"x")
    trace.disable()
    (received,) = [r for r in _events(out) if r["name"] == "dataReceived"]
    assert received["raised"] == "ValueError" and received["bytes"] == 1


def test_disablingFromInsideATracedCallbackIsSafe(tmp_path: Any) -> None:
    """The open event is written with the time it had run; nothing after."""
    path = tmp_path / "t.txt"
    trace.enable(path, reactor=MemoryReactorClock())

    class Quitter(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            trace.disable()
            self.transport.write(data)

    quitter = Quitter()
    transport = StringTransport()
    quitter.makeConnection(transport)
    quitter.dataReceived(b"bye")
    assert transport.value() == b"bye" and not trace.isEnabled()
    lines = path.read_text().splitlines()
    assert "protocol dataReceived protocol=Quitter bytes=3" in lines[-1]
