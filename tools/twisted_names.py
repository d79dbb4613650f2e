"""Snapshot the public names of the Twisted modules and classes plait mirrors.

Run in an environment that has Twisted 26.10 with its ``tls`` extra
(pyOpenSSL adds TLS names to ``twisted.internet.tcp``'s classes and to
``twisted.internet.ssl``; never a plait dependency), for instance the one
``tox -e parity`` builds::

    python tools/twisted_names.py > tests/parity/twisted-26.10-names.json

What counts as public (issue 12's definition):

* a module's ``__all__`` where it has one; otherwise every top-level name
  its source *defines* (``def``, ``class``, assignment, also inside a
  top-level ``if``/``try``), not the names it imports, and not ``_private``;
* a class's public attributes: ``dir(cls)`` without ``_private`` names, plus
  the ``self.name = ...`` assignments in the source of its Twisted ancestors
  (instance attributes that ``dir`` on the class cannot see).

The output is the data the name-parity test (tests/parity) and the README's
"What is in plait" table read; regenerate it only when moving to a new
Twisted release.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import sys
import textwrap

MODULES = [
    "twisted.internet.abstract",
    "twisted.internet.address",
    "twisted.internet.base",
    "twisted.internet.default",
    "twisted.internet.defer",
    "twisted.internet.endpoints",
    "twisted.internet.epollreactor",
    "twisted.internet.error",
    "twisted.internet.fdesc",
    "twisted.internet.interfaces",
    "twisted.internet.main",
    "twisted.internet.pollreactor",
    "twisted.internet.posixbase",
    "twisted.internet.process",
    "twisted.internet.protocol",
    "twisted.internet.selectreactor",
    "twisted.internet.ssl",
    "twisted.internet.stdio",
    "twisted.internet.task",
    "twisted.internet.tcp",
    "twisted.internet.testing",
    "twisted.internet.threads",
    "twisted.internet.udp",
    "twisted.internet.unix",
    "twisted.internet.utils",
    "twisted.application.internet",
    "twisted.application.service",
    "twisted.logger",
    "twisted.plugin",
    "twisted.protocols.basic",
    "twisted.protocols.policies",
    "twisted.protocols.tls",
    "twisted.python.compat",
    "twisted.python.failure",
    "twisted.python.log",
    "twisted.test.proto_helpers",
    "twisted.trial",
    "twisted.trial.util",
    "twisted.trial.unittest",
    "twisted.words.protocols.irc",
]

CLASSES = [
    "twisted.internet.defer.Deferred",
    "twisted.python.failure.Failure",
    "twisted.internet.base.DelayedCall",
    "twisted.internet.base.ReactorBase",
    "twisted.internet.abstract.FileDescriptor",
    "twisted.internet.tcp.Connection",
    "twisted.internet.tcp.Client",
    "twisted.internet.tcp.Server",
    "twisted.internet.tcp.Port",
    "twisted.internet.tcp.Connector",
    "twisted.internet.protocol.Protocol",
    "twisted.internet.protocol.Factory",
    "twisted.internet.protocol.ClientFactory",
    "twisted.internet.protocol.ReconnectingClientFactory",
    "twisted.protocols.basic.LineReceiver",
    "twisted.protocols.basic.IntNStringReceiver",
    "twisted.words.protocols.irc.IRCClient",
    "twisted.internet.testing.StringTransport",
    "twisted.internet.testing.MemoryReactor",
    "twisted.internet.task.Clock",
    "twisted.application.service.Service",
    "twisted.application.service.MultiService",
    "twisted.application.internet.TimerService",
    "twisted.application.internet.StreamServerEndpointService",
    "twisted.application.internet.TCPServer",
    "twisted.application.internet.TCPClient",
]


def _topLevelDefinitions(tree: ast.Module) -> set[str]:
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            names.add(sub.id)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                if isinstance(node.target, ast.Name):
                    names.add(node.target.id)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return names


def moduleNames(name: str) -> dict[str, list[str] | None]:
    """``{"all": __all__ or None, "defined": public top-level definitions}``.

    The parity test checks ``all`` where it is not None, else ``defined``;
    ``defined`` is kept for modules whose ``__all__`` is narrower than what
    programs import (``twisted.internet.base`` exports nothing).
    """
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    tree = ast.parse(inspect.getsource(module))
    defined = sorted(n for n in _topLevelDefinitions(tree) if not n.startswith("_"))
    return {"all": None if exported is None else sorted(set(exported)), "defined": defined}


def _selfAssignments(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("twisted."):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                names.add(node.attr)
    return names


def classNames(path: str) -> list[str]:
    moduleName, _, className = path.rpartition(".")
    cls = getattr(importlib.import_module(moduleName), className)
    names = {n for n in dir(cls)} | _selfAssignments(cls)
    return sorted(n for n in names if not n.startswith("_"))


def main() -> None:
    import twisted

    snapshot = {
        "twisted": twisted.__version__,
        "modules": {name: moduleNames(name) for name in MODULES},
        "classes": {path: classNames(path) for path in CLASSES},
    }
    json.dump(snapshot, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
