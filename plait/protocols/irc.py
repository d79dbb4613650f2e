"""Internet Relay Chat, client and server (``twisted.words.protocols.irc``).

This module is the public import point for everything IRC; every public
name of Twisted's module is importable from here.  The code lives in
private modules, one concern each:

* ``_irc_client``: ``IRCClient``, the client protocol (registration,
  commands, ``irc_*`` handlers, CTCP, DCC requests, flood control with
  ``lineRate``, the per-connection decoding policy);
* ``_irc_server``: ``IRC``, the protocol a server or bouncer subclasses;
* ``_irc_text``: ``parsemsg``, ``split``, low-level and CTCP quoting
  (``lowQuote``, ``ctcpExtract``...), ``parseModes``, the exceptions;
* ``_irc_isupport``: ``ServerSupportedFeatures`` (RPL_ISUPPORT);
* ``_irc_dcc``: DCC file transfers and chats (``DccFileReceive``,
  ``DccSendFactory``, ``DccChat``, ``dccParseAddress``...);
* ``_irc_format``: mIRC formatting (``attributes``,
  ``assembleFormattedText``, ``parseFormattedText``, ``stripFormatting``);
* ``_irc_constants``: the control characters, limits and the RFC numerics
  (``RPL_WELCOME``... with ``symbolic_to_numeric``/``numeric_to_symbolic``).

Where plait deliberately differs from Twisted (lenient decoding by
default, safe DCC, short lines to ``badMessage``...), the owning module's
docstring says so, and docs/differences.md lists it all.

Tests: tests/unit/test_irc.py, tests/unit/test_irc_input.py,
tests/unit/test_irc_server.py, tests/unit/test_irc_dcc.py,
tests/unit/test_irc_format.py,
tests/integration/test_irc_servers.py, tests/integration/test_irc_dcc.py.
"""

from __future__ import annotations

from plait.protocols import (
    _irc_client,
    _irc_constants,
    _irc_dcc,
    _irc_format,
    _irc_isupport,
    _irc_server,
    _irc_text,
)
from plait.protocols._irc_client import *
from plait.protocols._irc_constants import *
from plait.protocols._irc_dcc import *
from plait.protocols._irc_format import *
from plait.protocols._irc_isupport import *
from plait.protocols._irc_server import *
from plait.protocols._irc_text import *

__all__: list[str] = []
for _module in (_irc_client, _irc_server, _irc_text, _irc_isupport, _irc_dcc, _irc_format, _irc_constants):
    __all__ += _module.__all__
del _module
