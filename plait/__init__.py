"""plait: Twisted's client-side API on a small, readable selectors reactor.

A tour in one paragraph: ``plait.selectreactor.SelectorReactor`` blocks in
``selector.select()``, runs due timers, and calls ``doRead``/``doWrite`` on
ready descriptors (``plait.tcp`` transports), which hand bytes to your
``plait.protocol.Protocol``.  ``plait.defer.Deferred`` carries results that
arrive later.  ``from plait import reactor`` installs the default reactor.

The module map mirrors Twisted: ``twisted.internet.X`` is ``plait.X``.
"""

__version__ = "0.1.0"
