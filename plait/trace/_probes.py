"""Value probes and helpers for ``plait.trace._instrument``.

The probes here are handed out *in place of* a user's callable: a timer's
function (``_TimerProbe``), a Deferred callback (``_CallbackProbe``), a
function run in the thread pool (``_ThreadProbe``) or queued with
``callFromThread`` (``_FromThreadProbe``).  They may outlive the trace, so
each checks ``inst.active`` and calls straight through once tracing is off.
Also here: ``_Patches`` (attribute replacements and their undo), ``_Conn``
(the tracer's per-transport counters) and the naming helpers ``describe``
and ``typeName``.

Tests: tests/unit/test_trace.py.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plait.failure import Failure

if TYPE_CHECKING:
    from plait.trace._instrument import Instrumentation

_MISSING = object()


class _Patches:
    """Attribute replacements, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, object]] = []

    def set(self, target: Any, name: str, value: object) -> None:
        old = vars(target).get(name, _MISSING)
        setattr(target, name, value)
        self._undo.append((target, name, old))

    def undoAll(self) -> None:
        while self._undo:
            target, name, old = self._undo.pop()
            if old is _MISSING:
                if name in vars(target):
                    delattr(target, name)
            else:
                setattr(target, name, old)


class _Conn:
    """What the tracer knows about one transport (or port)."""

    __slots__ = ("closed", "discarded", "lane", "obj", "received", "written")

    def __init__(self, obj: object, lane: str) -> None:
        self.obj = obj  # held, so that its id() cannot be reused meanwhile
        self.lane = lane
        self.received = 0
        self.written = 0
        self.discarded = 0
        self.closed = False


def describe(func: object) -> str:
    """A short name for a callable: ``Echo.dataReceived``, ``gotProtocol``."""
    wrapped = getattr(func, "__wrapped__", None)
    if isinstance(func, _Probe) and wrapped is not None:
        return describe(wrapped)
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", None)
    if owner is not None and name is not None and not isinstance(owner, types.ModuleType):
        return f"{type(owner).__name__}.{name}"
    qualname = getattr(func, "__qualname__", None)
    if isinstance(qualname, str):
        return qualname.replace("<locals>.", "")
    inner = getattr(func, "func", None)  # functools.partial
    if inner is not None:
        return f"partial({describe(inner)})"
    return type(func).__name__


def typeName(value: object) -> str:
    """The type of a result as a learner wants to see it (``Failure(KeyError)``)."""
    if isinstance(value, Failure):
        kind = value.type
        return f"Failure({getattr(kind, '__name__', kind)})"
    return type(value).__name__


def _address(addr: object) -> str:
    host, port = getattr(addr, "host", None), getattr(addr, "port", None)
    if host is not None and port is not None:
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    name = getattr(addr, "name", None)
    return str(name if name is not None else addr)


class _Probe:
    """Base of the callables handed out in place of the user's own."""

    def __init__(self, inst: Instrumentation, func: Callable[..., Any]) -> None:
        self.inst = inst
        self.__wrapped__ = func
        self.__qualname__ = getattr(func, "__qualname__", describe(func))
        self.__name__ = getattr(func, "__name__", self.__qualname__)

    def __repr__(self) -> str:
        return f"<traced {self.__wrapped__!r}>"


class _TimerProbe(_Probe):
    """Stands in for a ``callLater`` function: traces it when it runs."""

    def __init__(self, inst: Instrumentation, func: Callable[..., Any], site: str, delay: float) -> None:
        super().__init__(inst, func)
        self.site = site
        self.delay = delay
        self.call: Any = None

    def __call__(self, *args: Any, **kw: Any) -> Any:
        inst, func = self.inst, self.__wrapped__
        if not inst.active:
            return func(*args, **kw)
        owner = inst.ownerOf(func)
        lane = inst.laneOf(owner) if owner is not None else "timers"
        late = inst.reactorSeconds() - self.call.getTime() if self.call is not None else 0.0
        before = inst.snapshot(owner)
        record = inst.tracer.begin(
            "timer", "fired", lane, func=describe(func), scheduledBy=self.site,
            delay=round(self.delay, 6), late=round(max(late, 0.0), 6),
        )
        try:
            return func(*args, **kw)
        finally:
            inst.tracer.end(record, **inst.moved(owner, before))


class _CallbackProbe(_Probe):
    """Stands in for a Deferred callback/errback: traces each run."""

    def __call__(self, result: Any, *args: Any, **kw: Any) -> Any:
        inst, func = self.inst, self.__wrapped__
        if not inst.active:
            return func(result, *args, **kw)
        tracer = inst.tracer
        record = tracer.begin(
            "deferred", "errback" if isinstance(result, Failure) else "callback",
            tracer.currentLane("reactor"), func=describe(func), arg=typeName(result),
        )
        try:
            out = func(result, *args, **kw)
        except BaseException as e:
            tracer.end(record, raised=type(e).__name__)
            raise
        tracer.end(record, result=typeName(out))
        return out


class _ThreadProbe(_Probe):
    """Stands in for a function run in a worker thread."""

    def __call__(self, *args: Any, **kw: Any) -> Any:
        inst, func = self.inst, self.__wrapped__
        if not inst.active:
            return func(*args, **kw)
        record = inst.tracer.begin(
            "thread", "run", "threads", func=describe(func),
            thread=threading.current_thread().name,
        )
        try:
            out = func(*args, **kw)
        except BaseException as e:
            inst.tracer.end(record, raised=type(e).__name__)
            raise
        inst.tracer.end(record, result=typeName(out))
        return out


class _FromThreadProbe(_Probe):
    """Stands in for a ``callFromThread`` function, run later by the loop."""

    def __call__(self, *args: Any, **kw: Any) -> Any:
        inst, func = self.inst, self.__wrapped__
        if not inst.active:
            return func(*args, **kw)
        record = inst.tracer.begin("thread", "runFromThread", "threads", func=describe(func))
        try:
            return func(*args, **kw)
        finally:
            inst.tracer.end(record)


def _markProbe(probe: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    """Give a class probe the original's name and docstring, and mark it."""
    functools.update_wrapper(probe, original)
    probe._plaitTraceProbe = True  # type: ignore[attr-defined]
    return probe


def _isProbe(value: object) -> bool:
    return getattr(value, "_plaitTraceProbe", False) is True


def _callerSite(depth: int = 2) -> str:
    """``module.function:line`` of the code ``depth`` frames up."""
    frame = sys._getframe(depth)
    module = frame.f_globals.get("__name__", "?")
    qualname = frame.f_code.co_qualname.replace("<locals>.", "")
    return f"{module}.{qualname}:{frame.f_lineno}"
