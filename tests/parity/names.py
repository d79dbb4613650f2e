"""Shared machinery of the name-parity tests.

The data: ``twisted-26.10-names.json`` (written by ``tools/twisted_names.py``
from a real Twisted 26.10), plait's compatibility map
(``plait.compat.ALIASES``, read at run time so a module mapped tomorrow is
checked tomorrow), and the tables of ``docs/differences.md``'s section
"Names plait leaves out", which give every missing name its reason.

What "present in plait" means, mirroring what the snapshot tool counts as
public in Twisted:

* for a module, ``hasattr(module, name)`` (a lazily provided name counts);
* for a class, ``hasattr(cls, name)``, or an instance attribute that the
  source of one of its plait ancestors assigns (``self.name = ...``), which
  ``dir`` on the class cannot see.

This module never imports Twisted.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import sys
import textwrap
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("twisted-26.10-names.json")
DIFFERENCES = ROOT / "docs" / "differences.md"

#: The heading of the section of docs/differences.md that the tables live in.
SECTION = "## Names plait leaves out"

#: Mapped names that are not modules with names of their own: the reactor
#: "module" is the reactor instance (its names are ReactorBase's, checked as
#: a class).
NOT_MODULES = frozenset({"twisted.internet.reactor"})

_HEADING = re.compile(r"^### `(twisted(?:\.\w+)+)`")
_ROW = re.compile(r"^\|\s*`(\w+)`\s*\|(.*)\|\s*$")


@cache
def snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def aliases() -> dict[str, str]:
    from plait.compat import ALIASES

    return dict(ALIASES)


@cache
def documentedOmissions() -> dict[str, dict[str, str]]:
    """``{"twisted.x.y" or "twisted.x.y.Class": {name: reason}}`` from the doc.

    Only the section headed ``SECTION`` is read; inside it every
    ``### `twisted.dotted.name``` heading opens a table of
    ``| `name` | reason |`` rows.
    """
    tables: dict[str, dict[str, str]] = {}
    inSection = False
    current: dict[str, str] | None = None
    for line in DIFFERENCES.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inSection = line.strip() == SECTION
            current = None
            continue
        if not inSection:
            continue
        heading = _HEADING.match(line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        row = _ROW.match(line)
        if row and current is not None:
            current[row.group(1)] = row.group(2).strip()
    return tables


def twistedModuleNames(twistedName: str) -> list[str]:
    """The public names of a Twisted module: ``__all__`` plus what it defines.

    Both, because some modules' ``__all__`` is narrower than what programs
    import (``twisted.internet.base`` exports nothing, yet
    ``from twisted.internet.base import DelayedCall`` is common).
    """
    entry = snapshot()["modules"][twistedName]
    return sorted(set(entry["all"] or ()) | set(entry["defined"]))


def plaitModule(plaitName: str) -> ModuleType:
    importlib.import_module(plaitName)
    # plait.reactor replaces itself in sys.modules; every other module is
    # the module object.
    return sys.modules[plaitName]


def _functionsOf(klass: type) -> list[Any]:
    """The functions defined in a class body (methods, properties' accessors...)."""
    found = []
    for value in vars(klass).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            found.extend(f for f in (value.fget, value.fset, value.fdel) if f is not None)
        elif inspect.isfunction(value):
            found.append(value)
    return found


def _selfAssignments(cls: type) -> set[str]:
    """``self.name = ...`` targets in the methods of ``cls`` and its plait bases.

    Read function by function (a function knows its own source file), so a
    class whose ``__module__`` is its public module, not the private one it
    is written in, is still read.
    """
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("plait"):
            continue
        for function in _functionsOf(klass):
            try:
                source = textwrap.dedent(inspect.getsource(function))
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


def missingFromModule(twistedName: str, plaitName: str) -> list[str]:
    module = plaitModule(plaitName)
    return [n for n in twistedModuleNames(twistedName) if not hasattr(module, n)]


def plaitClassFor(twistedPath: str) -> type | None:
    """The plait class playing a Twisted class's role, via the module map."""
    moduleName, _, className = twistedPath.rpartition(".")
    plaitName = aliases().get(moduleName)
    if plaitName is None:
        return None
    cls = getattr(plaitModule(plaitName), className, None)
    return cls if isinstance(cls, type) else None


def missingFromClass(twistedPath: str, cls: type) -> list[str]:
    expected = snapshot()["classes"][twistedPath]
    assigned = _selfAssignments(cls)
    return [n for n in expected if not hasattr(cls, n) and n not in assigned]


def undocumented(key: str, missing: list[str]) -> list[str]:
    reasons = documentedOmissions().get(key, {})
    return [n for n in missing if not reasons.get(n)]


def stale(key: str, missing: list[str]) -> list[str]:
    """Names the doc says are left out but that plait now has."""
    reasons = documentedOmissions().get(key, {})
    return sorted(set(reasons) - set(missing))
