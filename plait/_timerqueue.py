"""``_TimerQueue``: the reactor's pending ``DelayedCall``s, in due order.

Split out of ``plait.base`` (which owns ``DelayedCall`` and the reactor);
the queue only needs a call's ``time``, ``delayed_time``, ``called``,
``cancelled``, ``func``, ``args`` and ``kw``.

Theory of operation of ``_TimerQueue``: an entry is a time and a call, filed
under the call's ``time``.  It is *live* while the call has neither run nor
been cancelled and the entry's time is still the call's ``time``.  Cancelling
a call, or moving it earlier (``reset``/``delay``/``activate_delay`` call the
``rescheduled`` hook, which files a fresh entry), just leaves its old entry
dead, to be skipped when reached (lazy cancellation), and everything is
rebuilt once dead entries are more than half.  Moving a call *later* touches
nothing here: ``DelayedCall`` only adds to ``delayed_time`` (as Twisted's
does), and when the live entry comes due with a non-zero ``delayed_time``
the queue folds it into ``time`` and files the call again, on the heap.  An
idle timeout reset on every packet therefore costs two attribute writes,
and the queue sees the call once per expiry of the *original* time, not
once per reset.  ``nextTime`` does the same folding at the fronts, so the
reactor never wakes up for a call that was moved later.  Discussion: with
many pending timers the cost of
``callLater`` is garbage-collector traversal and cache misses, not the data
structure, and CPython schedules full collections by counting allocations of
tracked objects.  So on the common path entries are not tuples: they live in
parallel columns (times, calls).  ``callLater`` only appends to the ``_new``
columns; the next pass merges them, either into the sorted ``_run`` columns
(a batch of ``_SORT_BATCH`` or more and a quarter of all entries: timsort
merges sorted stretches in linear time; pops are then O(1)) or into ``_heap``
(fewer, as tuples: O(log n) each).  Due entries are taken from whichever
front is earlier, equal times in scheduling order, and calls scheduled during
a pass land in ``_new``, so they wait for the next pass.  The one
shortcut: a lone new entry, due and earlier than every filed one (a
client's ``callLater(0)``), runs straight from ``_new`` (``_runFirstNew``).

Tests: tests/unit/test_delayedcall.py, tests/unit/test_base_reactor.py.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING

from plait import log
from plait.failure import Failure

if TYPE_CHECKING:
    from plait.base import DelayedCall

__all__: list[str] = []


def _isLive(when: float, call: DelayedCall) -> bool:
    """Whether the entry ``(when, call)`` is the one filed for ``call``.

    A live entry may still be early: ``call.delayed_time`` says by how much.
    """
    return not (call.called or call.cancelled) and call.time == when


class _TimerQueue:
    """The reactor's pending ``DelayedCall``s; see the module docstring."""

    _SORT_BATCH = 16  # smaller batches of new entries go to the heap (_merge)

    def __init__(self, seconds: Callable[[], float]) -> None:
        self._seconds = seconds
        # Appended by callLater, not yet merged.  Never rebound (only cleared
        # in place), so that the reactor can keep their bound ``append``s.
        self._newTimes: list[float] = []
        self._newCalls: list[DelayedCall] = []
        self._runTimes: deque[float] = deque()  # sorted, consumed from the left
        self._runCalls: deque[DelayedCall] = deque()
        self._heap: list[tuple[float, int, DelayedCall]] = []  # small merges
        self._heapSeq = itertools.count()  # heap tie-break: scheduling order
        self._dead = 0  # entries that will be skipped (cancelled or moved calls)

    def add(self, call: DelayedCall, when: float) -> None:
        """File ``call`` under ``when`` (its ``time``); for new and moved calls."""
        self._newTimes.append(when)
        self._newCalls.append(call)

    def cancelled(self, call: DelayedCall) -> None:
        """``DelayedCall.cancel`` hook (and ``rescheduled``'s): an entry died."""
        self._dead += 1
        # Rebuild once dead entries are more than half of all entries.  That
        # costs O(entries), paid for by the > live deaths since the last
        # rebuild: amortised O(1) per cancellation.  (len(self), inlined.)
        if self._dead * 2 > len(self._newTimes) + len(self._runTimes) + len(self._heap):
            self._compact()

    def rescheduled(self, call: DelayedCall) -> None:
        """``DelayedCall.resetter``: ``call.time`` moved earlier.

        The old entry dies, a new one is filed.  (Moves to a later time never
        get here: see the module docstring.)
        """
        self.add(call, call.time)
        self.cancelled(call)

    def __len__(self) -> int:
        return len(self._newTimes) + len(self._runTimes) + len(self._heap)

    def _compact(self) -> None:
        # In place: runDue holds local references to these containers.
        for times, calls in ((self._newTimes, self._newCalls), (self._runTimes, self._runCalls)):
            kept = [(t, c) for t, c in zip(times, calls) if _isLive(t, c)]
            times.clear()
            calls.clear()
            times.extend([t for t, _ in kept])
            calls.extend([c for _, c in kept])
        self._heap[:] = [e for e in self._heap if _isLive(e[0], e[2])]
        heapq.heapify(self._heap)
        self._dead = 0

    def _merge(self) -> None:
        newTimes, newCalls, heap = self._newTimes, self._newCalls, self._heap
        runTimes, runCalls = self._runTimes, self._runCalls
        batch = len(newTimes)
        # Why a floor: a re-sort costs a few microseconds, and the usual batch
        # is a callLater(0) or two (a transport's flush or connect) with a few
        # timers pending, which the ratio test alone would re-sort each pass.
        if batch >= self._SORT_BATCH and batch * 4 >= len(runTimes) + len(heap):
            # A big batch: sort run + heap + batch into a new run.  They are
            # concatenated oldest first and the sort is stable, so equal
            # times keep scheduling order; sorting positions by time compares
            # plain floats; and timsort merges already-sorted stretches in
            # linear time (a batch of equal delays costs one pass).
            heap.sort()
            times = [*runTimes, *[e[0] for e in heap], *newTimes]
            calls = [*runCalls, *[e[2] for e in heap], *newCalls]
            order = sorted(range(len(times)), key=times.__getitem__)
            heap.clear()
            runTimes.clear()
            runCalls.clear()
            # One C call each, no bytecode per entry (order has at least
            # _SORT_BATCH > 1 items, so itemgetter returns a tuple).
            pick = itemgetter(*order)
            runTimes.extend(pick(times))
            runCalls.extend(pick(calls))
        else:
            # A few entries: every one is newer than every run entry, so the
            # run wins ties against the heap (see runDue).
            seq = self._heapSeq
            for when, call in zip(newTimes, newCalls):
                heapq.heappush(heap, (when, next(seq), call))
        newTimes.clear()
        newCalls.clear()

    def runDue(self) -> None:
        """Run every live call due at the current time, in due order."""
        newTimes = self._newTimes
        runTimes, runCalls, heap = self._runTimes, self._runCalls, self._heap
        if newTimes:
            if len(newTimes) == 1 and self._runFirstNew(newTimes[0]):
                # Ran it (see _runFirstNew).  Calls it scheduled wait in the
                # _new columns for the next pass, so no merge here.
                if not runTimes and not heap:
                    return
            else:
                self._merge()
        if not runTimes and not heap:
            return  # the common idle pass: no clock read
        now = self._seconds()
        popTime, popCall, pushTime = runTimes.popleft, runCalls.popleft, runTimes.appendleft
        heappop, heappush = heapq.heappop, heapq.heappush
        # This loop is where every timer in plait runs.  The next entry is the
        # earlier of the run's front and the heap's top.  Calls scheduled
        # while it runs land in the _new columns and wait for the next pass.
        while True:
            if heap and (not runTimes or heap[0][0] < runTimes[0]):
                when = heap[0][0]
                if when > now:
                    break
                call = heappop(heap)[2]
            elif runTimes:
                when = popTime()
                if when > now:
                    pushTime(when)  # once per pass: cheaper than peeking every time
                    break
                call = popCall()
            else:
                break
            if call.called or call.cancelled or call.time != when:
                self._dead -= 1
                continue  # cancelled, or moved earlier (its live entry is elsewhere)
            if call.delayed_time:
                # Moved later since it was filed: file it at its due time.
                # Onto the heap, so that it still runs in this pass if due.
                when = call.time = when + call.delayed_time
                call.delayed_time = 0.0
                heappush(heap, (when, next(self._heapSeq), call))
                continue
            call.called = True
            try:
                if call.kw:
                    call.func(*call.args, **call.kw)
                else:
                    call.func(*call.args)  # no copy of an empty kw dict
            except Exception:  # noqa: BLE001 - logged; the loop goes on
                log.err(Failure(), "while handling timed call")

    def _runFirstNew(self, when: float) -> bool:
        """The only new entry, filed at ``when``: run it now, if it is due and
        earlier than everything filed before it; return whether it was taken.

        The usual full pass of a network client: one ``callLater(0)`` (a
        connect's first step, a scheduled flush or close), with perhaps a
        timeout or two further off.  Taken straight from the _new columns,
        it skips the heap (filing, a tuple, a merge, a pop): about a third
        of what that ``callLater`` costs the queue.  Strictly earlier,
        because equal times run in scheduling order and the others were
        filed first.  A call moved later since it was filed goes the
        general way.
        """
        runTimes, heap = self._runTimes, self._heap
        if (runTimes and runTimes[0] <= when) or (heap and heap[0][0] <= when):
            return False
        call = self._newCalls[0]
        if call.delayed_time or when > self._seconds():
            return False
        self._newTimes.clear()
        self._newCalls.clear()
        if call.called or call.cancelled or call.time != when:
            self._dead -= 1  # cancelled: nothing to run
            return True
        call.called = True
        try:
            if call.kw:
                call.func(*call.args, **call.kw)
            else:
                call.func(*call.args)
        except Exception:  # noqa: BLE001 - logged; the loop goes on
            log.err(Failure(), "while handling timed call")
        return True

    def nextTime(self) -> float | None:
        """Return the due time of the earliest live call, or None."""
        if self._newTimes:
            self._merge()
        runTimes, runCalls, heap = self._runTimes, self._runCalls, self._heap
        # Drop dead entries at the fronts, and re-file live ones that were
        # moved later (_isLive, inlined: this runs every pass).
        while runTimes:
            call = runCalls[0]
            if not (call.called or call.cancelled) and call.time == runTimes[0]:
                if not call.delayed_time:
                    break
                self._refile(call)
            else:
                self._dead -= 1
            runTimes.popleft()
            runCalls.popleft()
        while heap:
            when, _, call = heap[0]
            if not (call.called or call.cancelled) and call.time == when:
                if not call.delayed_time:
                    break
                heapq.heapreplace(heap, self._refiled(call))
                continue
            heapq.heappop(heap)
            self._dead -= 1
        if runTimes and heap:
            return min(runTimes[0], heap[0][0])
        if runTimes:
            return runTimes[0]
        return heap[0][0] if heap else None

    def _refiled(self, call: DelayedCall) -> tuple[float, int, DelayedCall]:
        """Fold ``call.delayed_time`` into ``call.time``; return its new heap entry."""
        when = call.time = call.time + call.delayed_time
        call.delayed_time = 0.0
        return (when, next(self._heapSeq), call)

    def _refile(self, call: DelayedCall) -> None:
        heapq.heappush(self._heap, self._refiled(call))

    def pending(self) -> list[DelayedCall]:
        """Return the live (neither run nor cancelled) calls."""
        entries = itertools.chain(
            zip(self._runTimes, self._runCalls),
            ((e[0], e[2]) for e in self._heap),
            zip(self._newTimes, self._newCalls),
        )
        # A call reset to its own due time has two live-looking entries.
        return list(dict.fromkeys(c for t, c in entries if _isLive(t, c)))
