"""Compatibility mode: run an unchanged Twisted client program on plait.

Usage::

    python -m plait.compat program.py [args...]
    python -m plait.compat -m package.module [args...]

or, from Python, ``plait.compat.install()`` before the program's first
``twisted`` import.

What it owns: an import hook (a ``sys.meta_path`` finder placed first, so it
wins even when the real Twisted is installed) that answers every
``twisted.*`` module name in ``ALIASES`` with the plait module of the same
role.  ``from twisted.internet import reactor`` therefore installs and
returns plait's ``SelectorReactor``; ``twisted.internet.protocol.Protocol``
*is* ``plait.protocol.Protocol``.  The packages on the way
(``twisted``, ``twisted.internet``, ...) are synthesised as empty packages
whose submodules are only the aliased ones.

Invariants:

* Only names in ``ALIASES`` (and their parent packages) are served.  A
  program that imports anything else from Twisted gets a clear
  ``ImportError`` naming the module and saying that plait does not provide
  it, rather than silently mixing in the real Twisted.
* The aliased module object is the plait module itself (no copies), so
  ``isinstance`` checks and monkeypatching behave the same under both names.

Tests: tests/integration/test_compat.py.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import runpy
import sys
import types
from collections.abc import Sequence

#: Twisted module name -> plait module name.
ALIASES: dict[str, str] = {
    "twisted.internet.reactor": "plait.reactor",
    "twisted.internet.protocol": "plait.protocol",
    "twisted.internet.defer": "plait.defer",
    "twisted.internet.endpoints": "plait.endpoints",
    "twisted.internet.error": "plait.error",
    "twisted.internet.address": "plait.address",
    "twisted.internet.interfaces": "plait.interfaces",
    "twisted.internet.task": "plait.task",
    "twisted.internet.threads": "plait.threads",
    "twisted.internet.base": "plait.base",
    "twisted.internet.abstract": "plait.abstract",
    "twisted.internet.tcp": "plait.tcp",
    "twisted.internet.selectreactor": "plait.selectreactor",
    "twisted.internet.testing": "plait.testing",
    "twisted.test.proto_helpers": "plait.testing",
    "twisted.python.failure": "plait.failure",
    "twisted.python.log": "plait.log",
    "twisted.logger": "plait.logger",
    "twisted.protocols.basic": "plait.protocols.basic",
    "twisted.words.protocols.irc": "plait.protocols.irc",
    # IRC (issue 13): ClientService for the reconnecting log bot.
    "twisted.application.internet": "plait.service",
}


def _packages() -> set[str]:
    """Every parent package of an aliased name (``twisted``, ``twisted.internet``...)."""
    parents = set()
    for name in ALIASES:
        parts = name.split(".")
        for i in range(1, len(parts)):
            parents.add(".".join(parts[:i]))
    return parents - set(ALIASES)


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by importing the plait module and returning it as is."""

    def __init__(self, target: str | None) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.target is None:
            module = types.ModuleType(spec.name, f"plait compatibility package for {spec.name}")
            module.__path__ = []
            return module
        # plait.reactor replaces itself in sys.modules with the reactor
        # instance, so import it and then read sys.modules, not the return value.
        importlib.import_module(self.target)
        return sys.modules[self.target]

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the plait module was executed when imported."""


class TwistedAliasFinder(importlib.abc.MetaPathFinder):
    """Serves ``twisted.*`` names from plait (see the module docstring)."""

    def __init__(self) -> None:
        self.packages = _packages()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in ALIASES:
            loader = _AliasLoader(ALIASES[fullname])
            return importlib.machinery.ModuleSpec(fullname, loader)
        if fullname in self.packages:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        if fullname == "twisted" or fullname.startswith("twisted."):
            raise ImportError(
                f"{fullname} is not provided by plait's compatibility mode "
                f"(plait provides: {', '.join(sorted(ALIASES))})",
                name=fullname,
            )
        return None


def install() -> TwistedAliasFinder:
    """Put the alias finder first on ``sys.meta_path`` (idempotent).

    Raises ``RuntimeError`` if a real Twisted module is already imported:
    mixing the two would give a program two reactors.
    """
    for finder in sys.meta_path:
        if isinstance(finder, TwistedAliasFinder):
            return finder
    already = sorted(n for n in sys.modules if n == "twisted" or n.startswith("twisted."))
    if already:
        raise RuntimeError(f"Twisted is already imported ({already[0]}); install plait.compat first")
    finder = TwistedAliasFinder()
    sys.meta_path.insert(0, finder)
    return finder


def main(argv: list[str] | None = None) -> None:
    """``python -m plait.compat program.py args`` / ``-m module args``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.split("\n\n")[1].strip())
        raise SystemExit(0 if args else 2)
    install()
    if args[0] == "-m":
        if len(args) < 2:
            raise SystemExit("plait.compat: -m needs a module name")
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
