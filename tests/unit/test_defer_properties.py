"""Property-based tests: Deferred callback chains against a straight-line model.

A chain is a random list of steps (addCallback/addErrback/addBoth/
addCallbacks, each doing one of: return a value, compute from the input,
raise, return a Failure, return an already-fired Deferred, return an
unfired Deferred fired later, or trap-and-reraise).  Some steps are added
before the Deferred fires and some after; it may be paused meanwhile.  The
model walks the same list in plain Python; the outcome and the sequence of
calls must match.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plait import defer
from plait.defer import Deferred, DeferredList, FirstError
from plait.failure import Failure

#: A state in the model: ("ok", value) or ("fail", number carried by Boom).
State = tuple[str, int]


class Boom(Exception):
    """Carries a number so the model can follow failures."""


class Unrelated(Exception):
    """Never raised: ``trap`` with it re-raises the Boom."""


@dataclass(frozen=True)
class Action:
    kind: str  # value | add | raise | failure | fired | unfired | trap
    number: int
    failing: bool = False  # for fired/unfired: does the inner Deferred fail?


@dataclass(frozen=True)
class Step:
    method: str  # callback | errback | both | pair
    action: Action
    errAction: Action  # used by "pair" on the failure side


actions = st.builds(
    Action,
    kind=st.sampled_from(["value", "add", "raise", "failure", "fired", "unfired", "trap"]),
    number=st.integers(-5, 5),
    failing=st.booleans(),
)
steps = st.builds(
    Step,
    method=st.sampled_from(["callback", "errback", "both", "pair"]),
    action=actions,
    errAction=actions,
)


def modelAction(action: Action, state: State) -> State:
    """What one action turns ``state`` into."""
    status, number = state
    if action.kind == "value":
        return ("ok", action.number)
    if action.kind == "add":
        return ("ok", number + action.number if status == "ok" else action.number)
    if action.kind in ("raise", "failure"):
        return ("fail", action.number)
    if action.kind in ("fired", "unfired"):
        return ("fail" if action.failing else "ok", action.number)
    return state  # trap: a failure stays the same failure, a value passes


def model(chain: list[Step], start: State) -> tuple[State, list[tuple[int, State]]]:
    """Walk the chain the obvious way; return the outcome and the calls made."""
    state = start
    calls = []
    for index, step in enumerate(chain):
        failing = state[0] == "fail"
        if step.method == "callback" and failing or step.method == "errback" and not failing:
            continue
        action = step.errAction if step.method == "pair" and failing else step.action
        calls.append((index, state))
        state = modelAction(action, state)
    return state, calls


def stateOf(result: Any) -> State:
    """Translate a real result back into a model state."""
    if isinstance(result, Failure):
        assert result.check(Boom), result
        return ("fail", result.value.args[0])
    return ("ok", result)


class Harness:
    """Builds real callbacks for the steps and records what they see."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, State]] = []
        self.pending: list[tuple[Deferred[int], Action]] = []
        self.inners: list[Deferred[int]] = []

    def function(self, index: int, action: Action) -> Callable[..., Any]:
        def run(result: Any) -> Any:
            state = stateOf(result)
            self.calls.append((index, state))
            if action.kind == "value":
                return action.number
            if action.kind == "add":
                return state[1] + action.number if state[0] == "ok" else action.number
            if action.kind == "raise":
                raise Boom(action.number)
            if action.kind == "failure":
                return Failure(Boom(action.number))
            if action.kind == "fired":
                inner = defer.fail(Boom(action.number)) if action.failing else defer.succeed(action.number)
                self.inners.append(inner)
                return inner
            if action.kind == "unfired":
                inner: Deferred[int] = Deferred()
                self.pending.append((inner, action))
                self.inners.append(inner)
                return inner
            if isinstance(result, Failure):
                result.trap(Unrelated)
            return result

        return run

    def add(self, d: Deferred[int], index: int, step: Step) -> None:
        main = self.function(index, step.action)
        if step.method == "callback":
            d.addCallback(main)
        elif step.method == "errback":
            d.addErrback(main)
        elif step.method == "both":
            d.addBoth(main)
        else:
            d.addCallbacks(main, self.function(index, step.errAction))

    def firePending(self) -> None:
        while self.pending:
            inner, action = self.pending.pop(0)
            if action.failing:
                inner.errback(Boom(action.number))
            else:
                inner.callback(action.number)


@settings(max_examples=300, deadline=None)
@given(
    chain=st.lists(steps, max_size=12),
    startFailing=st.booleans(),
    startNumber=st.integers(-5, 5),
    addedBefore=st.integers(0, 12),
    paused=st.booleans(),
)
def test_chainMatchesTheStraightLineModel(
    chain: list[Step], startFailing: bool, startNumber: int, addedBefore: int, paused: bool
) -> None:
    """Whatever the callbacks do and whenever they are added, the outcome is the model's."""
    start: State = ("fail" if startFailing else "ok", startNumber)
    expected, expectedCalls = model(chain, start)
    harness = Harness()
    d: Deferred[int] = Deferred()
    if paused:
        d.pause()
    for index, step in enumerate(chain[:addedBefore]):
        harness.add(d, index, step)
    if startFailing:
        d.errback(Boom(startNumber))
    else:
        d.callback(startNumber)
    for index, step in enumerate(chain[addedBefore:], start=addedBefore):
        harness.add(d, index, step)
    if paused:
        assert harness.calls == []
        d.unpause()
    harness.firePending()
    outcome: list[Any] = []
    d.addBoth(outcome.append)  # consumes a final failure: nothing is left unhandled
    assert stateOf(outcome[0]) == expected
    assert harness.calls == expectedCalls
    assert all(inner.result is None for inner in harness.inners)


@settings(max_examples=200, deadline=None)
@given(st.permutations(range(12)), st.integers(-3, 3))
def test_chainedDeferredsResolveInAnyFiringOrder(order: list[int], value: int) -> None:
    """Deferreds each returning the next give the last one's value, whatever fires first."""
    ds: list[Deferred[int]] = [Deferred() for _ in range(12)]
    for here, there in itertools.pairwise(ds):
        here.addCallback(lambda ignored, there=there: there)
        here.addCallback(lambda r: r + 1)
    for index in order:
        ds[index].callback(value if index == 11 else 1000)
    results: list[int] = []
    ds[0].addCallback(results.append)
    assert results == [value + 11]


@settings(max_examples=200, deadline=None)
@given(
    outcomes=st.lists(st.tuples(st.booleans(), st.integers(-5, 5)), max_size=8),
    order=st.randoms(use_true_random=False),
    fireOnOneErrback=st.booleans(),
)
def test_deferredListMatchesItsModel(
    outcomes: list[tuple[bool, int]], order: Any, fireOnOneErrback: bool
) -> None:
    """DeferredList's result follows the input order, whatever the firing order."""
    ds: list[Deferred[int]] = [Deferred() for _ in outcomes]
    dl = DeferredList(ds, fireOnOneErrback=fireOnOneErrback, consumeErrors=True)
    firing = list(range(len(ds)))
    order.shuffle(firing)
    for index in firing:
        ok, number = outcomes[index]
        if ok:
            ds[index].callback(number)
        else:
            ds[index].errback(Boom(number))
    seen: list[Any] = []
    dl.addBoth(seen.append)
    failedIndexes = [i for i in firing if not outcomes[i][0]]
    if fireOnOneErrback and failedIndexes:
        failure = seen[0]
        assert failure.check(FirstError)
        assert failure.value.index == failedIndexes[0]
    else:
        assert [(ok, stateOf(r) if not ok else r) for ok, r in seen[0]] == [
            (ok, number if ok else ("fail", number)) for ok, number in outcomes
        ]
    assert all(d.result is None or outcomes[i][0] for i, d in enumerate(ds))
