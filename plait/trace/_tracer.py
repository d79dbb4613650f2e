"""The recorder: event records, lanes, filters and the text/JSON writers.

``Tracer`` knows nothing about the reactor: ``plait.trace._instrument``
calls ``begin``/``end`` around what it observes (a ``doRead``, a protocol
callback, a timer...) and ``instant`` for point events (a ``write``).  This
module turns those calls into records and writes them.

A record is a ``dict`` (the JSON format writes it as it is, one object a
line)::

    {"seq": 12, "t": 0.001234, "kind": "protocol", "name": "dataReceived",
     "lane": "conn 1", "depth": 2, "dur": 0.000051, "protocol": "Echo",
     "bytes": 7}

* ``t`` is seconds since the trace started, ``dur`` how long the event took
  (only for events that have a duration), ``depth`` how deeply it is nested
  in other events of the same thread (a ``dataReceived`` inside a
  ``doRead`` has depth 1), ``seq`` the record's number.
* ``kind`` is one of ``KINDS``; ``name`` says what happened.
* ``lane`` says where: ``"poll"`` (the reactor waiting for I/O),
  ``"reactor"`` (startup/shutdown triggers, wake-ups), ``"timers"``,
  ``"threads"``, ``"conn N"`` (one connection) or ``"listen N"`` (one
  listening port).  The first time a ``conn``/``listen`` lane is used, and
  whenever its label changes, a record of kind ``"lane"`` (name ``"label"``,
  ``seq`` 0) says what the lane is (``{"kind": "lane", "name": "label",
  "lane": "conn 1", "label": "Echo, peer 127.0.0.1:8000", ...}``).

Rules:

* Nested events are written in the order they *started*, once the
  outermost one has ended (so a ``doRead`` line, with the bytes it moved,
  comes before the ``dataReceived`` it caused).  Each thread has its own
  nesting; the loop's records come out at the latest before it blocks in
  the next poll.
* Filters (kinds, lanes) decide what is written; they never change what is
  recorded, so depths and sequence numbers stay those of the whole trace.
* Writing is serialised by one re-entrant lock: a signal handler may trace
  (``callFromThread``) while the main thread is writing.
* ``close`` writes what is pending, open events included (with the time
  they had run so far); after it nothing is written, so disabling the trace
  from inside a traced callback is safe.

Tests: tests/unit/test_trace.py, tests/integration/test_trace_real.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

__all__ = ["KINDS", "Tracer"]

#: Every kind of event, with what it covers.
KINDS: dict[str, str] = {
    "poll": "the reactor blocking in epoll/select: timeout asked, descriptors ready, time waited",
    "io": "doRead/doWrite on a descriptor (bytes in and out) and each transport.write",
    "protocol": "connectionMade, dataReceived, connectionLost... with the protocol's name",
    "factory": "startedConnecting, buildProtocol, clientConnectionLost... with the factory's name",
    "timer": "a callLater call running: what it calls, who scheduled it, how late",
    "deferred": "a Deferred callback or errback running: function, argument and result types",
    "thread": "thread-pool calls (queued, run in a worker) and callFromThread calls",
    "trigger": "system events (startup, shutdown) and each of their triggers",
}

Record = dict[str, Any]


class _ThreadState(threading.local):
    """Each thread's open events and the records waiting for the outermost one."""

    def __init__(self) -> None:
        self.stack: list[Record] = []
        self.pending: list[Record] = []


def _parseSelection(text: str | Iterable[str] | None) -> frozenset[str] | None:
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    chosen = frozenset(item.strip() for item in items if item.strip())
    return chosen or None


def checkKinds(kinds: str | Iterable[str] | None) -> frozenset[str] | None:
    """Parse a kinds filter (``"poll,io"`` or a list); ValueError names a bad kind."""
    chosen = _parseSelection(kinds)
    if chosen is not None:
        unknown = sorted(chosen - set(KINDS))
        if unknown:
            raise ValueError(
                f"unknown trace kind {unknown[0]!r}: choose from {', '.join(KINDS)}"
            )
    return chosen


def checkLanes(connections: str | Iterable[str | int] | None) -> frozenset[str] | None:
    """Parse a connection filter: ``"1,3"`` means lanes ``conn 1`` and ``conn 3``;
    a full lane name (``"listen 2"``, ``"timers"``) is taken as it is."""
    if connections is None:
        return None
    items = connections.split(",") if isinstance(connections, str) else list(connections)
    lanes = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if text.isdigit():
            lanes.add(f"conn {int(text)}")
        elif text in ("poll", "reactor", "timers", "threads") or (
            text.split(" ")[0] in ("conn", "listen") and text.split(" ")[-1].isdigit()
        ):
            lanes.add(text)
        else:
            raise ValueError(
                f"bad connection filter {text!r}: give connection numbers (1,3) "
                "or lane names (conn 1, listen 2, timers, threads, reactor, poll)"
            )
    return frozenset(lanes) or None


def formatText(record: Record) -> str:
    """One line of the text format (no newline)."""
    kind = record["kind"]
    if kind == "lane":
        return f"{record['t']:11.6f}  {record['lane']:<9} is {record['label']}"
    details = [
        f"{key}={_show(value)}"
        for key, value in record.items()
        if key not in _NOT_DETAILS and value != []
    ]
    dur = record.get("dur")
    if dur is not None:
        details.append(f"({dur * 1e6:.0f}us)")
    indent = "  " * record["depth"]
    return (
        f"{record['t']:11.6f}  {record['lane']:<9} {indent}{kind} {record['name']}"
        + (" " + " ".join(details) if details else "")
    )


_NOT_DETAILS = frozenset({"seq", "t", "kind", "name", "lane", "depth", "dur"})


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, list):
        return ",".join(_show(v) for v in value)
    return str(value)


class Tracer:
    """Records events and writes those that pass the filters.

    ``outputs`` are ``(stream, format)`` pairs, format ``"text"`` or
    ``"json"``; ``collect`` (a list) also receives every written record (the
    HTML view is drawn from it).  ``kinds`` and ``lanes`` are the filters
    (None: everything).
    """

    def __init__(
        self,
        outputs: list[tuple[IO[str], str]],
        kinds: frozenset[str] | None = None,
        lanes: frozenset[str] | None = None,
        collect: list[Record] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        for _, fmt in outputs:
            if fmt not in ("text", "json"):
                raise ValueError(f"unknown trace format {fmt!r}: use 'text' or 'json'")
        self._outputs = outputs
        self._kinds = kinds
        self._lanes = lanes
        self._collect = collect
        self._clock = clock
        self._start = clock()
        self._seq = 0
        self._lock = threading.RLock()
        self._local = _ThreadState()
        self._labels: dict[str, str] = {}
        self._closed = False
        #: Records written per kind (lane records not included).
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)

    # -- recording -----------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the trace started."""
        return self._clock() - self._start

    def _new(self, kind: str, name: str, lane: str, fields: dict[str, Any]) -> Record:
        local = self._local
        with self._lock:
            self._seq += 1
            seq = self._seq
        record: Record = {
            "seq": seq, "t": round(self.now(), 6), "kind": kind, "name": name,
            "lane": lane, "depth": len(local.stack),
        }
        record.update(fields)
        local.pending.append(record)
        return record

    def begin(self, kind: str, name: str, lane: str, **fields: Any) -> Record:
        """Open an event that will be closed by ``end``; returns its record."""
        record = self._new(kind, name, lane, fields)
        self._local.stack.append(record)
        return record

    def end(self, record: Record, **fields: Any) -> None:
        """Close ``record`` (the innermost open event of this thread)."""
        record["dur"] = round(self.now() - record["t"], 6)
        record.update(fields)
        local = self._local
        if local.stack and local.stack[-1] is record:
            local.stack.pop()
        else:  # closed out of order (an exception skipped an end): repair
            while local.stack and local.stack.pop() is not record:
                pass
        if not local.stack:
            self._writePending()

    def instant(self, kind: str, name: str, lane: str, **fields: Any) -> None:
        """Record an event that has no duration."""
        self._new(kind, name, lane, fields)
        if not self._local.stack:
            self._writePending()

    def current(self) -> Record | None:
        """The innermost open event of this thread, if any."""
        stack = self._local.stack
        return stack[-1] if stack else None

    def currentLane(self, default: str) -> str:
        """The lane of the innermost open event, else ``default``."""
        stack = self._local.stack
        return stack[-1]["lane"] if stack else default

    def label(self, lane: str, label: str) -> None:
        """Say what ``lane`` is (written once, and again when it changes)."""
        with self._lock:
            if self._labels.get(lane) == label:
                return
            self._labels[lane] = label
        self._local.pending.append(
            {"seq": 0, "t": round(self.now(), 6), "kind": "lane", "name": "label",
             "lane": lane, "depth": 0, "label": label}
        )
        if not self._local.stack:
            self._writePending()

    # -- writing -------------------------------------------------------------------

    def _wanted(self, record: Record) -> bool:
        if record["kind"] == "lane":
            return self._lanes is None or record["lane"] in self._lanes
        if self._kinds is not None and record["kind"] not in self._kinds:
            return False
        return self._lanes is None or record["lane"] in self._lanes

    def _writePending(self) -> None:
        pending = self._local.pending
        if not pending or self._closed:
            return
        self._local.pending = []
        with self._lock:
            for record in pending:
                if not self._wanted(record):
                    continue
                if record["kind"] != "lane":
                    self.counts[record["kind"]] += 1
                if self._collect is not None:
                    self._collect.append(record)
                for stream, fmt in self._outputs:
                    if fmt == "json":
                        stream.write(json.dumps(record) + "\n")
                    else:
                        stream.write(formatText(record) + "\n")

    def flush(self) -> None:
        """Write what this thread has finished and flush the streams."""
        if self._closed:
            return
        if not self._local.stack:
            self._writePending()
        with self._lock:
            for stream, _ in self._outputs:
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass  # a closed or broken stream: nothing more to say

    def close(self) -> None:
        """Write everything still pending, open events included, and flush."""
        local = self._local
        for record in local.stack:
            record.setdefault("dur", round(self.now() - record["t"], 6))
        local.stack = []
        self._writePending()
        self.flush()
        # Events still open (tracing was disabled from inside one) end later,
        # into a tracer that writes nothing more: its streams may be closed.
        self._closed = True
