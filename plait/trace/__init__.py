"""Watch the reactor work: a timeline of every poll, dispatch and callback.

Three ways to turn it on::

    python -m plait.trace prog.py [args]          # run a program, trace to stderr
    PLAIT_TRACE=1 python prog.py                  # any program using plait.reactor
    plait.trace.enable(file="trace.txt")          # from code; disable() stops

One line per event, with the time since the trace started: each poll
(timeout asked, descriptors ready, time waited), each ``doRead``/``doWrite``
and the bytes it moved, ``connectionMade``/``dataReceived``/``connectionLost``
with the protocol's name, every timer that fires (and what scheduled it),
each Deferred callback (function, argument and result types), thread-pool
calls and startup/shutdown triggers.  ``KINDS`` lists the kinds of event;
``format="json"`` writes one JSON object a line instead (the record layout is
in ``plait.trace._tracer``), and ``html=`` draws the timeline as one
self-contained page (``plait.trace._html``).

Rules:

* Zero cost when off: no library module imports this package, and nothing
  in the reactor, the transports or Deferreds checks whether tracing is on.
  ``enable`` wraps what it watches (``plait.trace._instrument`` lists every
  probe) and ``disable`` puts the originals back.
* One trace at a time (``enable`` while enabled raises ``RuntimeError``).
* ``PLAIT_TRACE`` is read when the global reactor is installed
  (``plait/reactor.py``): ``1`` traces to stderr; ``PLAIT_TRACE_FILE``,
  ``PLAIT_TRACE_FORMAT``, ``PLAIT_TRACE_KINDS``, ``PLAIT_TRACE_CONN`` and
  ``PLAIT_TRACE_HTML`` mirror ``enable``'s arguments.  A reactor created
  directly (``SelectorReactor()``) is traced by ``enable(reactor=...)``.
* Deliberate difference from an untraced run: while tracing, a
  ``DelayedCall``'s ``func`` and the callables in a Deferred's callback list
  are probes wrapping yours (``__wrapped__``), which is how they are timed.

Tests: tests/unit/test_trace.py, tests/integration/test_trace_real.py,
tests/integration/test_trace_html.py (in headless Chromium).
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from plait.trace._instrument import Instrumentation
from plait.trace._tracer import KINDS, Record, Tracer, checkKinds, checkLanes

__all__ = ["KINDS", "Tracer", "disable", "enable", "enableFromEnvironment", "isEnabled"]

PathOrStream = str | os.PathLike[str] | IO[str]


class _Session:
    """An enabled trace: the tracer, its probes and what to close."""

    def __init__(
        self, tracer: Tracer, instrumentation: Instrumentation, owned: list[IO[str]],
        html: Path | None, records: list[Record] | None, title: str,
    ) -> None:
        self.tracer = tracer
        self.instrumentation = instrumentation
        self.owned = owned
        self.html = html
        self.records = records
        self.title = title


_session: _Session | None = None
_atexitRegistered = False


def _openOutput(file: PathOrStream | None) -> tuple[IO[str], bool]:
    if file is None:
        return sys.stderr, False
    if isinstance(file, (str, os.PathLike)):
        return open(file, "w", encoding="utf-8"), True
    if not hasattr(file, "write"):
        raise TypeError(f"file must be a path or a text stream, not {file!r}")
    return file, False


def enable(
    file: PathOrStream | None = None,
    *,
    format: str = "text",
    kinds: str | Iterable[str] | None = None,
    connections: str | Iterable[str | int] | None = None,
    html: str | os.PathLike[str] | None = None,
    reactor: Any = None,
    title: str = "plait trace",
) -> Tracer:
    """Start tracing; return the ``Tracer``.

    ``file`` is a path or a text stream (default: stderr); ``format`` is
    ``"text"`` or ``"json"``.  ``kinds`` (``"poll,io"`` or a list; see
    ``KINDS``) and ``connections`` (``"1,3"``: lanes ``conn 1`` and
    ``conn 3``; or lane names) keep only those events.  ``html`` names a page
    to draw when tracing stops.  ``reactor`` is the reactor to watch: by
    default the global one, now if it is installed, else as soon as it is.

    Raises ``ValueError`` for an unknown format, kind or connection,
    ``RuntimeError`` if tracing is already on.
    """
    global _session, _atexitRegistered
    if _session is not None:
        raise RuntimeError("tracing is already enabled; call plait.trace.disable() first")
    if format not in ("text", "json"):
        raise ValueError(f"unknown trace format {format!r}: use 'text' or 'json'")
    kindFilter = checkKinds(kinds)
    laneFilter = checkLanes(connections)
    stream, owned = _openOutput(file)
    records: list[Record] | None = [] if html is not None else None
    tracer = Tracer([(stream, format)], kindFilter, laneFilter, collect=records)
    instrumentation = Instrumentation(tracer)
    instrumentation.install(reactor)
    _session = _Session(
        tracer, instrumentation, [stream] if owned else [],
        None if html is None else Path(html), records, title,
    )
    if not _atexitRegistered:
        atexit.register(disable)
        _atexitRegistered = True
    return tracer


def disable() -> None:
    """Stop tracing: remove every probe, write what is pending, draw the page."""
    global _session
    session, _session = _session, None
    if session is None:
        return
    session.instrumentation.remove()
    session.tracer.close()
    for stream in session.owned:
        stream.close()
    if session.html is not None and session.records is not None:
        from plait.trace._html import writePage

        writePage(session.html, session.records, session.title)


def isEnabled() -> bool:
    """Whether a trace is running."""
    return _session is not None


def enableFromEnvironment(
    environ: Mapping[str, str] = os.environ, reactor: Any = None
) -> Tracer | None:
    """Enable tracing as the ``PLAIT_TRACE*`` variables say (see the module
    docstring); None when ``PLAIT_TRACE`` is unset, empty or ``0``.  Bad
    values raise ``ValueError`` naming the variable."""
    if environ.get("PLAIT_TRACE", "") in ("", "0"):
        return None
    if _session is not None:
        return _session.tracer
    try:
        return enable(
            environ.get("PLAIT_TRACE_FILE") or None,
            format=environ.get("PLAIT_TRACE_FORMAT") or "text",
            kinds=environ.get("PLAIT_TRACE_KINDS") or None,
            connections=environ.get("PLAIT_TRACE_CONN") or None,
            html=environ.get("PLAIT_TRACE_HTML") or None,
            reactor=reactor,
        )
    except (ValueError, TypeError) as e:
        raise ValueError(f"PLAIT_TRACE settings: {e}") from e
