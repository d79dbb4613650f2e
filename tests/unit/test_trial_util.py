"""``plait.trial.util`` and the reactor-free parts of ``plait.trial._spin``."""

from __future__ import annotations

import selectors
import traceback
from typing import Any

import pytest

from plait import log
from plait.defer import Deferred
from plait.failure import Failure
from plait.trial import _spin, util


def test_defaultTimeout() -> None:
    assert util.DEFAULT_TIMEOUT_DURATION == 120.0


def test_dirtyReactorAggregateErrorSaysWhatWasLeft() -> None:
    error = util.DirtyReactorAggregateError(["<DelayedCall a>"], ["<Client b>"], ["<Thread c>"])
    assert str(error) == (
        "Reactor was unclean.\n"
        "DelayedCalls: (set plait.base.DelayedCall.debug = True to see where each was created)\n"
        "<DelayedCall a>\nSelectables:\n<Client b>\nThreads:\n<Thread c>"
    )
    assert str(util.DirtyReactorAggregateError([], ["<Port>"])) == "Reactor was unclean.\nSelectables:\n<Port>"


def test_suppressAndAcquireAttribute() -> None:
    assert util.suppress(message="m", category=DeprecationWarning) == (
        ("ignore",), {"message": "m", "category": DeprecationWarning}
    )
    assert util.suppress("error") == (("error",), {})

    class A:
        x = 1

    class B:
        pass

    assert util.acquireAttribute([B(), A()], "x") == 1
    assert util.acquireAttribute([B()], "x", 7) == 7
    with pytest.raises(AttributeError, match="attribute 'x' not found"):
        util.acquireAttribute([B()], "x")


def test_excInfoOfAFailureThatWasNeverRaised() -> None:
    """pyunit results insist on a traceback; one is made, and it formats cleanly."""
    exceptionType, value, tb = util.excInfoOrFailureToExcInfo(Failure(KeyError("k")))
    assert exceptionType is KeyError and tb is not None
    text = "".join(traceback.format_exception(exceptionType, value, tb))
    assert text.endswith("KeyError: 'k'\n")
    info = (ValueError, ValueError(), None)
    assert util.excInfoOrFailureToExcInfo(info) is info  # type: ignore[arg-type]


def test_excInfoKeepsARealTraceback() -> None:
    try:
        {}["k"]
    except KeyError:
        failure = Failure()
    assert util.excInfoOrFailureToExcInfo(failure)[2] is failure.tb


def test_monkeyPatcher() -> None:
    class Target:
        a = 1

    patcher = util.MonkeyPatcher((Target, "a", 2))
    patcher.addPatch(Target, "b", 3)
    patcher.addPatch(Target, "a", 4)
    patcher.patch()
    assert (Target.a, Target.b) == (4, 3)  # type: ignore[attr-defined]
    patcher.restore()
    assert Target.a == 1 and not hasattr(Target, "b")
    assert patcher.runWithPatches(lambda: Target.a) == 4
    assert Target.a == 1


# -- selectors ------------------------------------------------------------------------


def test_selectorNames() -> None:
    assert _spin.selectorClassFromName("default") is None
    assert _spin.selectorClassFromName("select") is selectors.SelectSelector
    assert _spin.selectorClassFromName("poll") is selectors.PollSelector
    assert _spin.selectorClassFromName("selectors.PollSelector") is selectors.PollSelector
    assert _spin.selectorClassFromName("selectors:SelectSelector") is selectors.SelectSelector


def test_badSelectorNames() -> None:
    with pytest.raises(ValueError, match="unknown selector 'nope': use one of default, epoll"):
        _spin.selectorClassFromName("nope")
    with pytest.raises(ValueError, match="cannot import selector class 'no.such.Thing'"):
        _spin.selectorClassFromName("no.such.Thing")
    with pytest.raises(TypeError, match="'os.path' is not a selectors.BaseSelector subclass"):
        _spin.selectorClassFromName("os.path")
    if not hasattr(selectors, "KqueueSelector"):
        with pytest.raises(ValueError, match="the kqueue selector is not available on this platform"):
            _spin.selectorClassFromName("kqueue")


# -- what a test waits for -----------------------------------------------------------


def test_describeWaitForADeferred() -> None:
    d: Deferred[None] = Deferred()
    assert _spin.describeWait(d) == f"  waiting for {d!r}"


def test_describeWaitForANestedCoroutine() -> None:
    """Each suspended coroutine frame is named with its line, then the awaited Deferred."""
    inner: Deferred[None] = Deferred()

    async def helper() -> None:
        await inner

    async def test_something() -> None:
        await helper()

    coro = test_something()
    d = Deferred.fromCoroutine(coro)
    lines = _spin.describeWait(d, coro).splitlines()
    assert lines[0].startswith("  test_something is suspended at " + __file__)
    assert lines[1].startswith("  helper is suspended at " + __file__)
    assert lines[2] == f"  waiting for {inner!r}"
    d.cancel()
    d.addErrback(lambda _: None)


# -- logged errors -----------------------------------------------------------------


def test_loggedErrorsKeepsFailuresUntilFlushed(loggedErrors: Any) -> None:
    observer = _spin.LoggedErrors()
    observer.start()
    observer.start()  # idempotent
    try:
        log.err(ValueError("v"), "why")
        log.msg("not an error")
        log.msg("an error without a failure", isError=True)
        log.err(KeyError("k"))
    finally:
        observer.stop()
        observer.stop()
    log.err(TypeError("after stop"))
    assert [f.type for f in observer.errors] == [ValueError, KeyError]
    assert [f.type for f in observer.flush(KeyError)] == [KeyError]
    assert [f.type for f in observer.flush()] == [ValueError]
    assert observer.flush() == []
    assert len(loggedErrors.flush()) == 4


def test_loggedErrorsSeesNewStyleFailureEvents() -> None:
    """An event with ``log_failure`` (``Logger.failure``) counts, as in Twisted."""
    observer = _spin.LoggedErrors()
    failure = Failure(ValueError("x"))
    observer({"log_failure": failure, "isError": False})
    observer({"failure": None, "isError": True})
    assert observer.errors == [failure]


def test_openTestLogAppendsText(tmp_path: Any) -> None:
    from plait.trial.util import openTestLog

    path = tmp_path / "test.log"
    with openTestLog(str(path)) as f:
        f.write("one\n")
    with openTestLog(str(path)) as f:
        f.write("two \udcff\n")
    assert path.read_text(encoding="utf-8") == "one\ntwo ?\n"


def test_profiledDumpsOneFilePerCall(tmp_path: Any) -> None:
    import pstats

    from plait.trial.util import profiled

    out = str(tmp_path / "prof")
    wrapped = profiled(lambda x: x * 2, out)
    assert wrapped(2) == 4 and wrapped(3) == 6
    assert pstats.Stats(out + ".0") and pstats.Stats(out + ".1")
