"""Importing this module installs the default reactor and *is* that reactor.

``from plait import reactor`` (or ``import plait.reactor``) runs this body
once: it removes its own ``sys.modules`` entry, then
``plait.selectreactor.install()`` creates a ``SelectorReactor`` (epoll on
Linux) and puts the *instance* in its place, so every later import gets the
instance.  To pick a selector, call ``plait.selectreactor.install(cls)``
before anything imports this module.

Rules: library modules never import this at module level; code that defaults
to the global reactor (``LoopingCall.clock``, ``deferToThread``) imports it
at call time.  ``PLAIT_TRACE=1`` in the environment starts ``plait.trace`` on
the reactor installed here (read once, now: nothing else looks at it).

Tests: tests/integration/test_reactor_real.py (run in a subprocess).
"""

import sys

# Let installReactor see "no reactor yet" and bind the instance in our place.
del sys.modules[__name__]

import os

from plait import selectreactor

_installed = selectreactor.install()
if os.environ.get("PLAIT_TRACE", "") not in ("", "0"):
    from plait import trace

    trace.enableFromEnvironment(os.environ, _installed)
