"""Small pieces shared by the test cases, the runner and the pytest plugin.

This module (``twisted.trial.util``) owns the default timeout, the
``suppress`` helper for the ``suppress`` attribute, ``acquireAttribute`` (how
``skip``/``todo``/``timeout``/``suppress`` are looked up: the test method,
then the test case, then its module), ``DirtyReactorAggregateError`` (what a
test that leaves the reactor dirty fails with) and ``MonkeyPatcher`` (behind
``TestCase.patch``, Twisted's ``twisted.python.monkey.MonkeyPatcher``).

Rules: nothing here touches a reactor; the code that inspects and cleans
one is ``plait.trial._spin``.

Tests: tests/unit/test_trial_util.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from plait.failure import Failure

# Frames of this module are left out of test failure tracebacks (by pyunit's
# result classes and by pytest), as the standard library's unittest does.
__unittest = True

__all__ = [
    "DEFAULT_TIMEOUT_DURATION",
    "DirtyReactorAggregateError",
    "MonkeyPatcher",
    "acquireAttribute",
    "excInfoOrFailureToExcInfo",
    "suppress",
]

#: Seconds an asynchronous test (or one of its fixtures) may run before it
#: fails with a timeout; a ``timeout`` attribute overrides it.
DEFAULT_TIMEOUT_DURATION = 120.0

#: Twisted's sentinel for "use the default timeout" (an opaque object).
DEFAULT_TIMEOUT = object()

_DEFAULT = object()


def openTestLog(path: Any) -> Any:
    """Open the test log at ``path`` (a path, or an object with ``.path``)
    for appending text; undecodable characters are replaced, never raised."""
    return open(getattr(path, "path", path), "a", encoding="utf-8", errors="replace")


def profiled(f: Callable[..., Any], outputFile: str) -> Callable[..., Any]:
    """Wrap ``f`` so each call runs under ``cProfile``; the statistics of
    call N go to ``outputFile`` with ``.N`` appended (N from 0)."""
    import cProfile
    import functools
    import itertools

    counter = itertools.count()

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        profiler = cProfile.Profile()
        try:
            return profiler.runcall(f, *args, **kwargs)
        finally:
            profiler.dump_stats(f"{outputFile}.{next(counter)}")

    return run

#: One ``suppress`` entry: the positional and keyword arguments of
#: ``warnings.filterwarnings``.
Suppression = tuple[tuple[Any, ...], dict[str, Any]]


class DirtyReactorAggregateError(Exception):
    """A test left work behind in the reactor; says exactly what.

    ``delayedCalls`` and ``selectables`` are the text of the pending
    ``DelayedCall``s and of the readers/writers still registered, ``threads``
    describes threads still running.  By the time this is reported, the
    calls were cancelled and the selectables disconnected, so the next test
    starts on a clean reactor.
    """

    def __init__(
        self,
        delayedCalls: Sequence[str],
        selectables: Sequence[str] | None = None,
        threads: Sequence[str] | None = None,
    ) -> None:
        super().__init__(delayedCalls, selectables, threads)
        self.delayedCalls = list(delayedCalls)
        self.selectables = list(selectables or [])
        self.threads = list(threads or [])

    def __str__(self) -> str:
        lines = ["Reactor was unclean."]
        if self.delayedCalls:
            lines.append(
                "DelayedCalls: (set plait.base.DelayedCall.debug = True to see "
                "where each was created)"
            )
            lines.extend(self.delayedCalls)
        if self.selectables:
            lines.append("Selectables:")
            lines.extend(self.selectables)
        if self.threads:
            lines.append("Threads:")
            lines.extend(self.threads)
        return "\n".join(lines)


def suppress(action: str = "ignore", **kwarg: Any) -> Suppression:
    """One entry of a ``suppress`` list: ``warnings.filterwarnings(action, **kwarg)``.

    ``test_old.suppress = [util.suppress(message="old is deprecated")]``
    silences that warning while ``test_old`` (and its fixtures) run.
    """
    return ((action,), kwarg)


def acquireAttribute(objects: Iterable[object], attr: str, default: Any = _DEFAULT) -> Any:
    """Return ``attr`` of the first of ``objects`` that has it.

    Raises ``AttributeError`` if none has it and no ``default`` was given.
    """
    objects = list(objects)
    for obj in objects:
        if hasattr(obj, attr):
            return getattr(obj, attr)
    if default is not _DEFAULT:
        return default
    raise AttributeError(f"attribute {attr!r} not found in {objects!r}")


ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


def excInfoOrFailureToExcInfo(err: Failure | ExcInfo) -> ExcInfo:
    """The ``sys.exc_info()``-style triple of a ``Failure`` (others unchanged).

    A failure that was never raised (trial makes some, such as the dirty
    reactor report) has no traceback; it is raised here once so that every
    pyunit result, which insists on a real traceback, can show it.
    """
    if not isinstance(err, Failure):
        return err
    value = err.value if isinstance(err.value, BaseException) else err
    tb = err.tb if err.tb is not None else value.__traceback__
    if tb is None:
        try:
            raise value
        except BaseException:  # noqa: BLE001 - re-captured, never swallowed
            tb = sys.exc_info()[2]
            value.__traceback__ = None  # keep the value free of our frame
    assert tb is not None  # raised above
    return (type(value), value, tb)


class MonkeyPatcher:
    """Set attributes now and put the old values back later.

    ``MonkeyPatcher((obj, "name", value), ...)``; ``patch()`` applies every
    patch (remembering the originals once), ``restore()`` undoes them in
    reverse order; an attribute that did not exist is deleted again.
    """

    def __init__(self, *patches: tuple[object, str, object]) -> None:
        self._patchesToApply: list[tuple[object, str, object]] = list(patches)
        self._originals: list[tuple[object, str, object]] = []

    def addPatch(self, obj: object, name: str, value: object) -> None:
        """Add a patch, applied by the next ``patch()``."""
        self._patchesToApply.append((obj, name, value))

    def _alreadyPatched(self, obj: object, name: str) -> bool:
        return any(o is obj and n == name for o, n, _ in self._originals)

    def patch(self) -> None:
        """Apply every patch."""
        for obj, name, value in self._patchesToApply:
            if not self._alreadyPatched(obj, name):
                self._originals.append((obj, name, getattr(obj, name, _DEFAULT)))
            setattr(obj, name, value)

    def restore(self) -> None:
        """Put back every original value (deleting attributes that were new)."""
        while self._originals:
            obj, name, value = self._originals.pop()
            if value is _DEFAULT:
                delattr(obj, name)
            else:
                setattr(obj, name, value)

    def runWithPatches(self, f: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Call ``f`` with the patches applied, restoring them afterwards."""
        self.patch()
        try:
            return f(*args, **kw)
        finally:
            self.restore()
