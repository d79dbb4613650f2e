"""Installing the global reactor (``twisted.internet.main``).

Owns ``installReactor``: the one place that makes a reactor instance *the*
reactor, by binding it as ``plait.reactor`` (both the attribute of the
``plait`` package and the ``sys.modules["plait.reactor"]`` entry).  Also holds
the two shared connection-loss constants Twisted keeps here.

Rules:

* A process has at most one global reactor.  A second ``installReactor``
  raises ``ReactorAlreadyInstalledError("reactor already installed")``; this
  includes calling an explicit ``install()`` after ``from plait import
  reactor`` already installed the default one.
* Nothing in the library calls this at import time; ``plait/reactor.py`` (the
  installer module users import) and ``plait.selectreactor.install`` do.

Tests: tests/integration/test_reactor_real.py (subprocess install checks).
"""

from __future__ import annotations

import sys

from plait import error

__all__ = ["CONNECTION_DONE", "CONNECTION_LOST", "installReactor"]

#: Reason handed to ``connectionLost`` for a clean close (Twisted's constant).
CONNECTION_DONE = error.ConnectionDone("Connection done")

#: Reason handed to ``connectionLost`` for an unclean close, and by
#: ``disconnectAll`` at reactor shutdown.
CONNECTION_LOST = error.ConnectionLost("Connection lost")


def installReactor(reactor: object) -> None:
    """Make ``reactor`` the global reactor (``from plait import reactor``).

    Raises ``ReactorAlreadyInstalledError`` if one is already installed.
    """
    if "plait.reactor" in sys.modules:
        raise error.ReactorAlreadyInstalledError("reactor already installed")
    import plait

    # The module object ``plait.reactor`` is replaced by the instance, so
    # ``from plait import reactor`` and ``import plait.reactor`` both give it.
    plait.reactor = reactor  # type: ignore[attr-defined]
    sys.modules["plait.reactor"] = reactor  # type: ignore[assignment]
