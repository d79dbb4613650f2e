"""The gate of the tests that need the real Twisted 26.10 beside plait.

Twisted is never a dependency of plait, nor of its normal test run: the
name-snapshot check (tests/parity/test_snapshot.py) and the differential
tests (tests/differential/) run only in a separate environment that has
Twisted 26.10 installed and sets ``PLAIT_WITH_TWISTED=1`` (``tox -e
parity``; the parity step of ``.ci/run``).  Elsewhere they are skipped
without importing Twisted, even on a machine where it happens to be
installed.  Where the variable is set, a missing or different Twisted is a
failure, not a skip, so that CI cannot pass by running nothing.
"""

from __future__ import annotations

import os

import pytest

TWISTED_VERSION = "26.10.0"
ENABLED = os.environ.get("PLAIT_WITH_TWISTED") == "1"
SKIP_REASON = "needs the Twisted 26.10 test environment (tox -e parity; PLAIT_WITH_TWISTED=1)"


def requireTwisted() -> None:
    """Skip unless enabled; once enabled, fail unless Twisted 26.10 imports."""
    if not ENABLED:
        pytest.skip(SKIP_REASON)
    try:
        import twisted
    except ImportError as e:  # pragma: no cover - a misconfigured environment
        pytest.fail(f"PLAIT_WITH_TWISTED=1 but Twisted does not import: {e}")
    if twisted.__version__ != TWISTED_VERSION:  # pragma: no cover
        pytest.fail(f"the Twisted environment has Twisted {twisted.__version__}, not {TWISTED_VERSION}")
