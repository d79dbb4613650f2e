"""``twisted.internet.epollreactor``: install plait's reactor, polling with epoll.

Owns ``EPollReactor`` (a ``SelectorReactor`` that always polls with
``select.epoll`` itself) and ``install()``, so that a Twisted program's

    from twisted.internet import epollreactor
    epollreactor.install()

works unchanged under ``python3 -m plait.compat``.  plait has one reactor
class; this module only fixes its poller.

Rules:

* As in Twisted, importing this module on a platform without epoll raises
  ``ImportError`` (Twisted's module imports ``select.epoll``), so the usual
  ``try: from twisted.internet import epollreactor`` / ``except
  ImportError`` fallback keeps working.
* ``install()`` raises ``ReactorAlreadyInstalledError`` when a reactor is
  already installed, including after ``from plait import reactor``.
* Installer module: nothing in the library imports it.

Tests: tests/integration/test_reactor_choice.py.
"""

from __future__ import annotations

import select

from plait.main import installReactor
from plait.selectreactor import SelectorReactor

if not hasattr(select, "epoll"):  # pragma: no cover - Linux has epoll
    raise ImportError("epoll is not available on this platform: use plait.pollreactor or plait.selectreactor")

__all__ = ["EPollReactor", "install"]

# Twisted's module re-binds these from ``select`` at top level; programs
# (and Twisted's tests) read them as ``epollreactor.EPOLLIN``.
epoll = select.epoll
EPOLLERR, EPOLLHUP = select.EPOLLERR, select.EPOLLHUP
EPOLLIN, EPOLLOUT = select.EPOLLIN, select.EPOLLOUT


class EPollReactor(SelectorReactor):
    """plait's reactor on ``select.epoll`` itself (``SelectorReactor``'s
    default on Linux, named here so it stays epoll wherever it is used)."""

    def __init__(self) -> None:
        super().__init__(None)


def install() -> EPollReactor:
    """Make a new ``EPollReactor`` the global reactor and return it."""
    reactor = EPollReactor()
    installReactor(reactor)
    return reactor
