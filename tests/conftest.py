"""Fixtures for the whole suite.

* ``reactor``: a fresh ``SelectorReactor`` per test.  After the test it must
  be clean: no pending delayed calls, no registered readers or writers.  A
  dirty reactor fails the test that left it (trial's "dirty reactor" rule).
* ``clock``: a ``task.Clock``.
* ``loggedErrors``: errors logged through ``plait.log.err`` during the test.
  Every such error fails the test unless the test flushes it.  (The
  "Unhandled error in Deferred:" line logged before such a failure, as
  Twisted logs it, is not counted: the failure record after it is.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

_DEFERRED_HEADER = "Unhandled error in Deferred:"


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "logEvent", None)
        if event is not None and event.get("log_format") == _DEFERRED_HEADER:
            # Twisted's header line before an unhandled Deferred failure; the
            # failure itself is the next record (trial ignores it the same way).
            return
        self.records.append(record)

    def flush(self, *types: type) -> list[Any]:  # type: ignore[override]
        """Remove and return the logged failures matching ``types`` (all if none)."""
        kept, taken = [], []
        for record in self.records:
            failure = getattr(record, "failure", None)
            if failure is not None and (not types or failure.check(*types)):
                taken.append(failure)
            elif failure is None and not types:
                taken.append(record)
            else:
                kept.append(record)
        self.records = kept
        return taken


@pytest.fixture(autouse=True)
def loggedErrors() -> Iterator[_ErrorCollector]:
    collector = _ErrorCollector()
    logger = logging.getLogger("plait")
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
    if collector.records:
        lines = [collector.format(r) for r in collector.records]
        pytest.fail("errors were logged and not flushed:\n" + "\n".join(lines))


@pytest.fixture
def clock() -> Any:
    from plait.task import Clock

    return Clock()


SELECTORS = ["select", "poll", "epoll"]


def _selectorClass(name: str) -> Any:
    import selectors

    return {
        "select": selectors.SelectSelector,
        "poll": getattr(selectors, "PollSelector", None),
        "epoll": getattr(selectors, "EpollSelector", None),
    }[name]


@pytest.fixture
def reactor() -> Iterator[Any]:
    from plait.selectreactor import SelectorReactor

    r = SelectorReactor()
    try:
        yield r
        _assertClean(r)
    finally:
        r._close()


@pytest.fixture(params=SELECTORS)
def anyReactor(request: Any) -> Iterator[Any]:
    """A reactor for each selector class this platform has."""
    from plait.selectreactor import SelectorReactor

    cls = _selectorClass(request.param)
    if cls is None:
        pytest.skip(f"{request.param} is not available on this platform")
    r = SelectorReactor(selectorClass=cls)
    try:
        yield r
        _assertClean(r)
    finally:
        r._close()


def _assertClean(r: Any) -> None:
    pending = r.getDelayedCalls()
    readers, writers = r.getReaders(), r.getWriters()
    if pending or readers or writers:
        for dc in pending:
            dc.cancel()
        r.removeAll()
        pytest.fail(
            f"reactor left dirty: delayed calls {pending!r}, "
            f"readers {readers!r}, writers {writers!r}"
        )
