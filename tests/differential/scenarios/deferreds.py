"""Deferred chains with errors, cancellation, timeouts, inlineCallbacks, DeferredList."""

from _harness import describe, main, scenario
from twisted.internet import defer, task
from twisted.python.failure import Failure


@scenario
def chainWithErrors():
    seen = []
    d = defer.Deferred()
    d.addCallback(lambda r: seen.append(("cb1", r)) or r + 1)
    d.addCallback(lambda r: 1 / 0)
    d.addCallback(lambda r: seen.append(("never", r)))
    d.addErrback(lambda f: seen.append(("eb", describe(f), f.check(ArithmeticError).__name__)) or "recovered")
    d.addBoth(lambda r: seen.append(("both", r)) or r)
    d.callback(1)
    seen.append(("result", d.result))
    return seen


@scenario
def trapReraises():
    seen = []
    d = defer.fail(KeyError("k"))
    d.addErrback(lambda f: f.trap(ValueError))
    d.addErrback(lambda f: seen.append(describe(f)))
    return seen


@scenario
def alreadyCalled():
    d = defer.succeed(1)
    try:
        d.callback(2)
    except defer.AlreadyCalledError as e:
        return [type(e).__name__, str(e)]
    return "not raised"


@scenario
def cancellation():
    seen = []
    plain = defer.Deferred()
    plain.addErrback(lambda f: seen.append(("plain", describe(f))))
    plain.cancel()
    custom = defer.Deferred(lambda d: d.callback("from canceller"))
    custom.addBoth(lambda r: seen.append(("custom", r)))
    custom.cancel()
    silent = defer.Deferred(lambda d: seen.append(("silent canceller", d.called)))
    silent.addErrback(lambda f: seen.append(("silent", describe(f))))
    silent.cancel()
    outer = defer.Deferred()
    inner = defer.Deferred()
    inner.addErrback(lambda f: seen.append(("inner", describe(f))) or f)
    outer.addCallback(lambda _: inner)
    outer.addErrback(lambda f: seen.append(("outer", describe(f))))
    outer.callback(None)
    outer.cancel()
    fired = defer.succeed(3)
    fired.cancel()
    seen.append(("fired", fired.result))
    return seen


@scenario
def timeouts():
    clock = task.Clock()
    seen = []
    d = defer.Deferred()
    d.addTimeout(5, clock)
    d.addErrback(lambda f: seen.append(("timed out", describe(f))))
    clock.advance(5)
    e = defer.Deferred()
    e.addTimeout(5, clock, onTimeoutCancel=lambda result, timeout: f"late after {timeout}")
    e.addBoth(lambda r: seen.append(("onTimeoutCancel", r)))
    clock.advance(5)
    f = defer.Deferred()
    f.addTimeout(5, clock)
    f.callback("in time")
    seen.append(("in time", f.result, len(clock.getDelayedCalls())))
    return seen


@scenario
def inlineCallbacksFlow():
    seen = []

    @defer.inlineCallbacks
    def worker():
        value = yield defer.succeed(1)
        try:
            yield defer.fail(ValueError("inner"))
        except ValueError as e:
            seen.append(("caught", str(e)))
        more = yield defer.succeed(value + 1)
        return more * 10

    @defer.inlineCallbacks
    def failing():
        yield defer.succeed(None)
        raise KeyError("outer")

    worker().addCallback(lambda r: seen.append(("worker", r)))
    failing().addErrback(lambda f: seen.append(("failing", describe(f))))

    @defer.inlineCallbacks
    def waits(d):
        result = yield d
        return result

    pending = defer.Deferred()
    waiting = waits(pending)
    waiting.cancel()
    waiting.addErrback(lambda f: seen.append(("cancelled", describe(f))))
    return seen


@scenario
def deferredLists():
    seen = []
    a, b, c = defer.Deferred(), defer.Deferred(), defer.Deferred()
    dl = defer.DeferredList([a, b, c], consumeErrors=True)
    dl.addCallback(lambda results: seen.append(("all", [(ok, describe(r) if not ok else r) for ok, r in results])))
    a.callback(1)
    b.errback(ValueError("b"))
    c.callback(3)
    x, y = defer.Deferred(), defer.Deferred()
    first = defer.DeferredList([x, y], fireOnOneErrback=True, consumeErrors=True)
    first.addErrback(lambda f: seen.append(("fireOnOneErrback", type(f.value).__name__, f.value.index,
                                            describe(f.value.subFailure))))
    y.errback(KeyError("y"))
    x.callback(None)
    g = defer.gatherResults([defer.succeed(1), defer.succeed(2)])
    g.addCallback(lambda r: seen.append(("gather", r)))
    h = defer.gatherResults([defer.succeed(1), defer.fail(ValueError("v"))], consumeErrors=True)
    h.addErrback(lambda f: seen.append(("gather failed", type(f.value).__name__)))
    return seen


@scenario
def loopingCallWithASlowCall():
    clock = task.Clock()
    calls = []

    def slow():
        calls.append(clock.seconds())
        if len(calls) == 2:
            clock.advance(2.5)  # this call overruns two intervals

    loop = task.LoopingCall(slow)
    loop.clock = clock
    d = loop.start(1.0)
    for _ in range(6):
        clock.advance(1)
    loop.stop()
    counts = []
    counted = task.LoopingCall.withCount(counts.append)
    counted.clock = clock
    counted.start(1, now=False)
    clock.advance(3.5)
    clock.advance(1)
    counted.stop()
    return {"calls": calls, "stopped": d.called, "counts": counts, "repr": repr(loop)[:13]}


@scenario
def loopingCallErrors():
    clock = task.Clock()
    seen = []
    loop = task.LoopingCall(lambda: 1 / 0)
    loop.clock = clock
    loop.start(1).addErrback(lambda f: seen.append(describe(f)))
    seen.append(loop.running)
    try:
        task.LoopingCall(lambda: None).stop()
    except AssertionError as e:
        seen.append(str(e))
    try:
        task.LoopingCall(lambda: None).start(-1)
    except ValueError as e:
        seen.append(str(e))
    return seen


@scenario
def failureBasics():
    try:
        {}["missing"]
    except KeyError:
        f = Failure()
    return {"message": f.getErrorMessage(), "check": f.check(LookupError).__name__,
            "type": f.type.__name__, "repr": repr(f).split(" ", 1)[1],
            "brief": f.getTraceback(detail="brief").splitlines()[0]}


if __name__ == "__main__":
    main()
