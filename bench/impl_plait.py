"""plait's side of the benchmarks: ``impl_twisted.py`` itself, run on plait.

plait's API is Twisted's, so plait runs the very same user code: this module
installs plait's compatibility mode (``plait.compat``), after which
``from twisted.internet import reactor, protocol`` in ``impl_twisted`` gives
plait's ``SelectorReactor`` and ``plait.protocol``.  Both frameworks do the
same work because it is the same code.  See ``bench/common.py`` for the
child process protocol.
"""

from __future__ import annotations

import sys

from plait import compat

compat.install()

# Only now, with the alias hook in place, may anything import twisted names.
from bench import impl_twisted
from bench.common import childMain

if __name__ == "__main__":
    childMain(impl_twisted.serve, impl_twisted.client, impl_twisted.local)
    sys.exit(0)
