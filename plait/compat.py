"""Compatibility mode: run an unchanged Twisted client program on plait.

Run a program with ``python3 -m plait.compat program.py [args...]`` or
``python3 -m plait.compat -m package.module [args...]`` (``--help`` and
``--list`` say more), or, from Python, call ``plait.compat.install()``
before the program's first ``twisted`` import.

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
* ``twisted.plugins`` is the one package served with a real path: the
  program's own ``twisted/plugins`` directories on ``sys.path`` (never the
  real Twisted's), so Twisted-style plugin modules load (``plait.plugin``).
* A program runs as ``python program.py`` would run it: absolute
  ``__file__``, its directory first on ``sys.path``.

Tests: tests/integration/test_compat.py (the command, in subprocesses),
tests/unit/test_compat_cli.py (its arguments), tests/integration/test_reactor_choice.py
(Twisted's reactor installers).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
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
    "twisted.internet.epollreactor": "plait.epollreactor",
    "twisted.internet.pollreactor": "plait.pollreactor",
    "twisted.internet.default": "plait.selectreactor",
    "twisted.internet.main": "plait.main",
    "twisted.internet.testing": "plait.testing",
    # processes (issue 15)
    "twisted.internet.process": "plait.process",
    "twisted.internet.utils": "plait.utils",
    "twisted.internet.stdio": "plait.stdio",
    "twisted.test.proto_helpers": "plait.testing",
    "twisted.python.failure": "plait.failure",
    "twisted.python.log": "plait.log",
    "twisted.logger": "plait.logger",
    "twisted.protocols.basic": "plait.protocols.basic",
    "twisted.words.protocols.irc": "plait.protocols.irc",
    # -- fidelity (issue 12) --
    "twisted.python.compat": "plait.pycompat",
    "twisted.plugin": "plait.plugin",
    "twisted.application.service": "plait.application.service",
    "twisted.application.internet": "plait.application.internet",
    # TLS (issue 10)
    "twisted.internet.ssl": "plait.ssl",
    "twisted.protocols.tls": "plait.tls",
    # plait.trial (issue 14): trial's test cases and helpers
    "twisted.trial": "plait.trial",
    "twisted.trial.unittest": "plait.trial.unittest",
    "twisted.trial.util": "plait.trial.util",
    # UNIX sockets and UDP (issue 11)
    "twisted.internet.unix": "plait.unix",
    "twisted.internet.udp": "plait.udp",
    # resource policies, descriptors, the POSIX reactor base (issue: policies)
    "twisted.protocols.policies": "plait.protocols.policies",
    "twisted.internet.fdesc": "plait.fdesc",
    "twisted.internet.posixbase": "plait.posixbase",
}

#: ``twisted.plugins`` is served as a package whose path is every
#: ``twisted/plugins`` directory on ``sys.path`` but the real Twisted's, so
#: a program's own Twisted-style plugin modules load (``plait.plugin``).
PLUGINS_PACKAGE = "twisted.plugins"


def _packages() -> set[str]:
    """Every parent package of an aliased name (``twisted``, ``twisted.internet``...)."""
    parents = set()
    for name in ALIASES:
        parts = name.split(".")
        for i in range(1, len(parts)):
            parents.add(".".join(parts[:i]))
    return parents - set(ALIASES)


def _pluginDirectories() -> list[str]:
    """``twisted/plugins`` directories on ``sys.path``, the real Twisted's excluded."""
    real = importlib.machinery.PathFinder.find_spec("twisted")
    excluded = set()
    # Only a regular package (with an __init__.py) is the real Twisted: with
    # Twisted not installed, PathFinder finds the program's own twisted/
    # directory as a namespace package, and that one must stay.
    if real is not None and real.origin not in (None, "namespace") and real.submodule_search_locations:
        excluded = {os.path.join(p, "plugins") for p in real.submodule_search_locations}
    found = []
    for entry in sys.path:
        candidate = os.path.join(entry or os.getcwd(), "twisted", "plugins")
        if os.path.isdir(candidate) and candidate not in excluded and candidate not in found:
            found.append(candidate)
    return found


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by importing the plait module and returning it as is."""

    def __init__(self, target: str | None) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name == PLUGINS_PACKAGE:
            module = types.ModuleType(spec.name, "Twisted-style plugin modules (plait.plugin)")
            module.__path__ = _pluginDirectories()
            return module
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

    #: How library code (``plait.main``, ``plait.plugin``) tells that the
    #: compatibility mode is on without importing this module.
    plaitCompat = True

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
        if fullname in self.packages or fullname == PLUGINS_PACKAGE:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        if fullname.startswith(PLUGINS_PACKAGE + "."):
            return None  # a plugin module: found on the package's path as usual
        if fullname == "twisted" or fullname.startswith("twisted."):
            raise ImportError(
                f"{fullname} is not provided by plait's compatibility mode "
                f"('python3 -m plait.compat --list' shows the {len(ALIASES)} Twisted modules it serves)",
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


_PROG = "python3 -m plait.compat"

_DESCRIPTION = """\
Run a Twisted program unchanged on plait: every 'twisted.*' module the
program imports is served by the plait module of the same role (see --list);
any other Twisted module is refused with an ImportError that names it.
Everything after PROGRAM (or -m MODULE) is passed to the program as its
sys.argv, as with python3 itself."""

_EPILOG = """\
examples:
  python3 -m plait.compat echo_client.py 127.0.0.1 8000
  python3 -m plait.compat -m mypackage.client --verbose
  python3 -m plait.compat --list"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        usage=f"{_PROG} [-h] [--list] (PROGRAM | -m MODULE) [ARG ...]",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--list", action="store_true", help="list the Twisted modules plait serves, and exit")
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run library module MODULE as a script")
    parser.add_argument("program", nargs="?", metavar="PROGRAM", help="the program file to run")
    parser.add_argument("args", nargs="*", metavar="ARG", help="passed to the program in sys.argv[1:]")
    return parser


def _splitArguments(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(ours, theirs)``: the options before the program, and the rest.

    As with ``python`` itself, the first argument that is not an option (the
    program), or the argument after ``-m``, ends plait's own options: all
    that follows belongs to the program, even if it looks like an option.
    """
    for i, arg in enumerate(argv):
        if arg == "-m":
            return list(argv[: i + 2]), list(argv[i + 2 :])
        if arg.startswith("-m") and not arg.startswith("--"):
            return list(argv[: i + 1]), list(argv[i + 1 :])
        if arg == "--":  # argparse understands "--" too: keep it
            return list(argv[: i + 2]), list(argv[i + 2 :])
        if not arg.startswith("-") or arg == "-":
            return list(argv[: i + 1]), list(argv[i + 1 :])
    return list(argv), []


def listAliases() -> str:
    """The ``--list`` text: one ``twisted.X  plait.Y`` line per served module."""
    width = max(len(name) for name in ALIASES)
    return "\n".join(f"{name:<{width}}  {ALIASES[name]}" for name in sorted(ALIASES))


def main(argv: Sequence[str] | None = None) -> None:
    """``python3 -m plait.compat [--list] (PROGRAM | -m MODULE) [ARG ...]``.

    Runs the program as ``__main__`` with the alias finder installed.  Exit
    status 2 for a usage error or a program file that cannot be opened
    (as ``python`` does), 1 for a module ``-m`` cannot find; otherwise the
    program's own.
    """
    parser = _parser()
    ours, theirs = _splitArguments(list(sys.argv[1:] if argv is None else argv))
    options = parser.parse_args(ours)
    if options.list:
        print(listAliases())
        return
    if options.module is None and options.program is None:
        parser.print_usage(sys.stderr)
        parser.exit(2, f"{_PROG}: error: give a PROGRAM to run or -m MODULE (--help explains)\n")
    arguments = [*options.args, *theirs]
    if options.module is not None:
        _runModule(options.module, arguments)
    else:
        _runProgram(options.program, arguments)


def _runProgram(program: str, arguments: list[str]) -> None:
    try:
        # Open it the way python does, to report the same one-line error.
        with open(program, "rb"):
            pass
    except IsADirectoryError:
        pass  # a directory with __main__.py, as python runs it
    except OSError as e:
        print(f"{_PROG}: can't open file {program!r}: [Errno {e.errno}] {e.strerror}", file=sys.stderr)
        raise SystemExit(2) from None
    install()
    sys.argv = [program, *arguments]
    if not os.path.isdir(program):  # run_path puts a directory on sys.path itself
        # As ``python program.py`` does: ``__file__`` is absolute (warnings
        # and tracebacks name the file as under Twisted) and the program's
        # own directory is first on sys.path (its sibling modules, its
        # twisted/plugins/).  The directory ``-m`` put there stays after it:
        # plait itself may be importable only from there.
        program = os.path.abspath(program)
        sys.path.insert(0, os.path.dirname(program))
    runpy.run_path(program, run_name="__main__")


def _runModule(module: str, arguments: list[str]) -> None:
    install()
    missing: str | None = module
    try:
        if importlib.util.find_spec(module) is not None:
            missing = None
    except ModuleNotFoundError as e:
        # A parent package that is missing; any other error while importing
        # the parents is the program's own and keeps its traceback.
        if not e.name or not (module == e.name or module.startswith(e.name + ".")):
            raise
        missing = e.name
    except ValueError:  # an empty or relative name
        pass
    if missing is not None:
        print(f"{_PROG}: No module named {missing}", file=sys.stderr)
        raise SystemExit(1)
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
