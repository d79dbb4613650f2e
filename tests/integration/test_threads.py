"""Threads and the real reactor: callFromThread, the pool, deferToThread, blockingCallFromThread."""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from plait._threadpool import ThreadPool
from plait.defer import Deferred
from plait.failure import Failure
from plait.selectreactor import SelectorReactor
from plait.threads import blockingCallFromThread, deferToThreadPool
from tests.helpers import runUntil

THREAD_WAIT = 10.0


def test_callFromThreadDeliversEveryCallOnceInPerThreadOrder(anyReactor: SelectorReactor) -> None:
    """8 threads x 20,000 callFromThread: every call runs exactly once, each thread's in its order."""
    threads, perThread = 8, 20_000
    received: list[list[int]] = [[] for _ in range(threads)]
    done: Deferred[None] = Deferred()
    total = [0]

    def record(thread: int, i: int) -> None:
        received[thread].append(i)
        total[0] += 1
        if total[0] == threads * perThread:
            done.callback(None)

    def produce(thread: int) -> None:
        for i in range(perThread):
            anyReactor.callFromThread(record, thread, i)

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    anyReactor.callWhenRunning(lambda: [w.start() for w in workers])
    runUntil(anyReactor, done, timeout=60)
    for w in workers:
        w.join(THREAD_WAIT)
    assert all(r == list(range(perThread)) for r in received)
    anyReactor.iterate(0)  # nothing further may arrive
    assert total[0] == threads * perThread


def test_callFromThreadWakesASleepingLoopWithinOnePass(anyReactor: SelectorReactor) -> None:
    """A call from a thread while the loop sleeps on a long timeout runs in the very next pass."""
    count = [0]
    asleep = threading.Event()
    original = anyReactor.doIteration

    def counting(timeout: float | None) -> None:
        count[0] += 1
        if timeout is not None and timeout > 1:  # runUntil's 5 s guard is the nearest timer
            asleep.set()
        original(timeout)

    anyReactor.doIteration = counting  # type: ignore[method-assign]
    longTimer = anyReactor.callLater(100, lambda: None)
    arrived: Deferred[int] = Deferred()
    sentDuring: list[int] = []

    def fromThread() -> None:
        assert asleep.wait(THREAD_WAIT)
        sentDuring.append(count[0])  # the loop is blocked inside this pass
        anyReactor.callFromThread(lambda: arrived.callback(count[0]))

    worker = threading.Thread(target=fromThread)
    worker.start()
    ranDuring = runUntil(anyReactor, arrived)
    worker.join(THREAD_WAIT)
    longTimer.cancel()
    assert ranDuring == sentDuring[0]  # no further select() before the call ran


def test_stopFromAThread(anyReactor: SelectorReactor) -> None:
    """callFromThread(reactor.stop) from another thread stops a sleeping reactor cleanly."""
    trace: list[str] = []
    anyReactor.addSystemEventTrigger("after", "shutdown", trace.append, "shut down")
    worker = threading.Thread(target=lambda: anyReactor.callFromThread(anyReactor.stop))
    anyReactor.callWhenRunning(worker.start)
    timer = anyReactor.callLater(30, lambda: None)
    anyReactor.run(installSignalHandlers=False)
    worker.join(THREAD_WAIT)
    timer.cancel()
    assert trace == ["shut down"]


def test_callInThreadRunsOutsideTheReactorThread(reactor: SelectorReactor) -> None:
    """callInThread runs the callable in a pool thread."""
    ran: Deferred[bool] = Deferred()
    main = threading.get_ident()
    reactor.callInThread(lambda: reactor.callFromThread(ran.callback, threading.get_ident() != main))
    assert runUntil(reactor, ran) is True


def test_deferToThreadPoolDeliversResultsAndFailures(reactor: SelectorReactor) -> None:
    """deferToThreadPool fires in the reactor thread with the result, or fails with the exception."""
    pool = reactor.getThreadPool()
    where: list[bool] = []
    d = deferToThreadPool(reactor, pool, lambda a, b: a * b, 6, b=7)
    d.addCallback(lambda r: (where.append(threading.current_thread() is threading.main_thread()), r)[1])
    assert runUntil(reactor, d) == 42
    assert where == [True]
    bad = deferToThreadPool(reactor, pool, lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        runUntil(reactor, bad)


def test_blockingCallFromThreadReturnsValuesDeferredResultsAndErrors(reactor: SelectorReactor) -> None:
    """A worker gets f's value, a Deferred's eventual result, or the exception, from the reactor thread."""
    outcome: Deferred[list[Any]] = Deferred()

    def later() -> Deferred[str]:
        d: Deferred[str] = Deferred()
        reactor.callLater(0.01, d.callback, "later")
        return d

    def worker() -> None:
        got: list[Any] = [blockingCallFromThread(reactor, lambda: threading.current_thread().name)]
        got.append(blockingCallFromThread(reactor, later))
        try:
            blockingCallFromThread(reactor, lambda: {}["missing"])
        except KeyError as e:
            got.append(e)
        reactor.callFromThread(outcome.callback, got)

    reactor.callInThread(worker)
    name, late, err = runUntil(reactor, outcome)
    assert name == threading.main_thread().name
    assert late == "later"
    assert isinstance(err, KeyError)


def test_blockingCallFromThreadRefusesTheReactorThread(reactor: SelectorReactor) -> None:
    """Calling blockingCallFromThread in the reactor thread raises instead of deadlocking."""
    result: Deferred[Any] = Deferred()

    def inReactor() -> None:
        try:
            blockingCallFromThread(reactor, lambda: None)
        except RuntimeError as e:
            result.callback(e)

    reactor.callWhenRunning(inReactor)
    assert isinstance(runUntil(reactor, result), RuntimeError)


def test_threadPoolIsStoppedAtShutdown(anyReactor: SelectorReactor) -> None:
    """The reactor's pool is started when running and stopped (threads joined) at shutdown."""
    pool = anyReactor.getThreadPool()
    workers: list[threading.Thread] = []
    anyReactor.callInThread(lambda: workers.append(threading.current_thread()))
    anyReactor.callWhenRunning(lambda: anyReactor.callLater(0.05, anyReactor.stop))
    anyReactor.run(installSignalHandlers=False)
    assert pool.joined and not pool.started
    assert workers and not workers[0].is_alive()
    assert anyReactor.threadpool is None


# -- the pool on its own ------------------------------------------------------------------


@pytest.fixture
def pool() -> Any:
    p = ThreadPool(0, 4, "test")
    yield p
    p.stop()


def test_poolRunsQueuedWorkOnStartAndJoinsOnStop(pool: ThreadPool) -> None:
    """Work queued before start runs after start; stop joins every worker."""
    done = threading.Event()
    pool.callInThread(done.set)
    assert not pool.threads
    pool.start()
    assert done.wait(THREAD_WAIT)
    workers = list(pool.threads)
    pool.stop()
    assert pool.threads == [] and not any(w.is_alive() for w in workers)


def test_poolCallInThreadWithCallbackReportsSuccessAndFailure(pool: ThreadPool) -> None:
    """onResult gets (True, result) or (False, Failure), in the worker thread."""
    results: queue.SimpleQueue[tuple[bool, Any, bool]] = queue.SimpleQueue()

    def onResult(success: bool, result: Any) -> None:
        results.put((success, result, threading.current_thread() is threading.main_thread()))

    pool.start()
    pool.callInThreadWithCallback(onResult, lambda: "ok")
    assert results.get(timeout=THREAD_WAIT) == (True, "ok", False)
    pool.callInThreadWithCallback(onResult, lambda: 1 / 0)
    success, failure, inMain = results.get(timeout=THREAD_WAIT)
    assert success is False and not inMain
    assert isinstance(failure, Failure) and failure.check(ZeroDivisionError)


def test_poolLogsUnhandledWorkExceptions(pool: ThreadPool, loggedErrors: Any) -> None:
    """An exception from callInThread work is logged; the worker survives and runs more work."""
    after = threading.Event()
    pool.start()
    pool.callInThread(lambda: 1 / 0)
    pool.callInThread(after.set)
    assert after.wait(THREAD_WAIT)
    pool.stop()
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_poolGrowsUpToMaxAndAdjusts(pool: ThreadPool) -> None:
    """Blocked work makes the pool grow to max; adjustPoolsize validates and resizes."""
    gate = threading.Event()
    pool.start()
    started = threading.Semaphore(0)

    def block() -> None:
        started.release()
        gate.wait(THREAD_WAIT)

    for _ in range(6):
        pool.callInThread(block)
    for _ in range(4):
        assert started.acquire(timeout=THREAD_WAIT)
    assert len(pool.threads) == 4
    with pytest.raises(AssertionError, match="minimum is greater than maximum"):
        pool.adjustPoolsize(5, 2)
    with pytest.raises(AssertionError, match="minimum is negative"):
        pool.adjustPoolsize(-1, 2)
    pool.adjustPoolsize(maxthreads=6)
    for _ in range(2):
        assert started.acquire(timeout=THREAD_WAIT)
    assert len(pool.threads) == 6
    gate.set()
    pool.adjustPoolsize(minthreads=0, maxthreads=1)
    pool.stop()
    assert pool.threads == []


# -- the global-reactor helpers, in a fresh interpreter -------------------------------------


def test_deferToThreadAndCallMultipleInThreadUseTheGlobalReactor() -> None:
    """deferToThread and callMultipleInThread work on the global reactor (checked in a subprocess)."""
    code = """
        import threading
        from plait import reactor
        from plait.task import react
        from plait.threads import callMultipleInThread, deferToThread

        async def main(reactor):
            value = await deferToThread(lambda: threading.current_thread().name)
            print("deferToThread ran in", "pool" if value.startswith("PoolThread") else value)
            order = []
            done = threading.Event()
            callMultipleInThread([(order.append, (1,), {}), (order.append, (2,), {}), (done.set, (), {})])
            await deferToThread(done.wait, 10)
            print("callMultipleInThread", order)

        react(main)
    """
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True, text=True, check=False, timeout=30, cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["deferToThread ran in pool", "callMultipleInThread [1, 2]"]
