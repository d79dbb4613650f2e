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


def _compatActive() -> bool:
    """Whether the compatibility mode serves ``twisted.*`` names in this process."""
    return any(getattr(finder, "plaitCompat", False) for finder in sys.meta_path)


def installReactor(reactor: object) -> None:
    """Make ``reactor`` the global reactor (``from plait import reactor``).

    Raises ``ReactorAlreadyInstalledError`` if one is already installed.
    Under the compatibility mode the reactor is also installed as
    ``twisted.internet.reactor``, and "installed" means what Twisted means:
    that name is in ``sys.modules`` (so Twisted's test helpers that set the
    reactor aside, removing that entry, can install another).
    """
    import plait

    compat = _compatActive()
    name = "twisted.internet.reactor" if compat else "plait.reactor"
    if name in sys.modules:
        raise error.ReactorAlreadyInstalledError("reactor already installed")
    # The module object ``plait.reactor`` is replaced by the instance, so
    # ``from plait import reactor`` and ``import plait.reactor`` both give it.
    plait.reactor = reactor  # type: ignore[attr-defined]
    sys.modules["plait.reactor"] = reactor  # type: ignore[assignment]
    if compat:
        sys.modules["twisted.internet.reactor"] = reactor  # type: ignore[assignment]
        package = sys.modules.get("twisted.internet")
        if package is not None:
            package.reactor = reactor  # type: ignore[attr-defined]
