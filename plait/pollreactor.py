"""``twisted.internet.pollreactor``: install plait's reactor, polling with poll().

Owns ``PollReactor`` (a ``SelectorReactor`` over ``selectors.PollSelector``)
and ``install()``, so that a Twisted program's

    from twisted.internet import pollreactor
    pollreactor.install()

works unchanged under ``python3 -m plait.compat``.  plait has one reactor
class; this module only fixes its poller.

Rules:

* As in Twisted, importing this module where ``select.poll`` does not exist
  raises ``ImportError``.
* ``install()`` raises ``ReactorAlreadyInstalledError`` when a reactor is
  already installed, including after ``from plait import reactor``.
* Installer module: nothing in the library imports it.

Tests: tests/integration/test_reactor_choice.py.
"""

from __future__ import annotations

import select
import selectors

from plait.main import installReactor
from plait.selectreactor import SelectorReactor

if not hasattr(select, "poll"):  # pragma: no cover - every POSIX system has poll
    raise ImportError("poll() is not available on this platform: use plait.selectreactor")

__all__ = ["PollReactor", "install"]


class PollReactor(SelectorReactor):
    """plait's reactor, polling with ``poll()`` (``selectors.PollSelector``)."""

    def __init__(self) -> None:
        super().__init__(selectors.PollSelector)


def install() -> PollReactor:
    """Make a new ``PollReactor`` the global reactor and return it."""
    reactor = PollReactor()
    installReactor(reactor)
    return reactor
