"""The POSIX reactor base class (``twisted.internet.posixbase``).

In Twisted, ``PosixReactorBase`` is the abstract base of the select, poll
and epoll reactors: it adds the TCP, UDP, UNIX, SSL and process methods to
``ReactorBase``, and each concrete reactor adds its own polling loop.  plait
has one concrete reactor, ``plait.selectreactor.SelectorReactor``, whose
poller is chosen per instance (epoll itself, or any ``selectors`` class),
and which already carries every one of those methods; the
select/poll/epoll reactors are its subclasses.  So ``PosixReactorBase`` is
that class under Twisted's name, not a copy: ``isinstance(reactor,
PosixReactorBase)`` holds for every plait reactor, and a subclass gets a
working reactor (see docs/differences.md, "Resource policies, descriptors,
the POSIX reactor base").

The module attributes say what the platform supports, as Twisted's do:

* ``unixEnabled``: true on POSIX (UNIX sockets);
* ``processEnabled``: true on POSIX (``spawnProcess``);
* ``ssl``/``tls``: the ``plait.ssl`` and ``plait.tls`` modules
  (``twisted.internet.ssl``/``twisted.protocols.tls``), or None when they
  cannot be imported;
* ``win32process``: None (only Windows has it).

Tests: tests/unit/test_posixbase.py.
"""

from __future__ import annotations

import os
from types import ModuleType

from plait.selectreactor import SelectorReactor

__all__ = ["PosixReactorBase"]

#: Twisted's base class of the POSIX reactors: plait's reactor class.
PosixReactorBase = SelectorReactor

unixEnabled: bool = os.name == "posix"
processEnabled: bool = unixEnabled
win32process: ModuleType | None = None

ssl: ModuleType | None
tls: ModuleType | None
try:
    from plait import tls as _tls
except ImportError:  # pragma: no cover - plait.tls needs only the stdlib's ssl
    tls = None
else:
    tls = _tls
try:
    from plait import ssl as _ssl
except ImportError:  # pragma: no cover
    ssl = None
else:
    ssl = _ssl
