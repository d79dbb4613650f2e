"""Finding plugins: entry points, and Twisted-style ``twisted.plugins`` modules.

What it owns: ``IPlugin`` and ``getPlugins(interface, package)`` as
``twisted.plugin`` has them (the compatibility mode maps that name here),
and ``entryPointObjects(group)``, plait's own way to find plugins: the
``importlib.metadata`` entry points of installed distributions.

Two ways, because two kinds of code use them:

* a distribution written for plait declares, in its packaging metadata, an
  entry point in a group plait reads (``plait.endpoints.client``,
  ``plait.endpoints.server`` for endpoint description parsers);
* a program written for Twisted ships ``twisted/plugins/<name>.py``
  modules whose module-level objects provide ``IPlugin`` and the plugin's
  interface.  Under the compatibility mode ``twisted.plugins`` is a package
  whose path is every such directory on ``sys.path`` except the real
  Twisted's own, and ``getPlugins`` imports its modules.

Rules: nothing is imported or scanned until somebody asks for a plugin; a
plugin module or entry point that fails to load is logged and skipped,
never fatal; scanning is repeated on each request (callers cache what they
found), so a distribution installed while the program runs is seen.

Tests: tests/unit/test_endpoint_plugins.py,
tests/integration/test_compat.py (a Twisted-style plugin under compat).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from typing import Any

from zope.interface import Interface

from plait import log

__all__ = ["IPlugin", "entryPointObjects", "getPlugIns", "getPlugins", "pluginPackagePaths"]


class IPlugin(Interface):
    """Marks a module-level object of a ``twisted.plugins`` module as a plugin."""


def entryPointObjects(group: str, name: str | None = None) -> Iterator[Any]:
    """The objects of the entry points in ``group`` (only those called ``name``,
    case-insensitively, if given).  A class is instantiated with no arguments."""
    from importlib.metadata import entry_points

    for entryPoint in entry_points(group=group):
        if name is not None and entryPoint.name.lower() != name.lower():
            continue
        try:
            loaded = entryPoint.load()
            yield loaded() if isinstance(loaded, type) else loaded
        except Exception:  # noqa: BLE001 - one broken plugin must not hide the others
            log.err(None, f"Could not load the {group} entry point {entryPoint.value!r}")


def _defaultPackage() -> Any:
    """``twisted.plugins`` when the compatibility mode serves it, else None."""
    if not any(getattr(f, "plaitCompat", False) for f in sys.meta_path):
        return None
    try:
        return importlib.import_module("twisted.plugins")
    except ImportError:
        return None


def getPlugins(interface: Any, package: Any = None) -> Iterator[Any]:
    """The module-level objects of ``package``'s modules that provide
    ``IPlugin`` and ``interface`` (Twisted's ``getPlugins``).

    ``package`` defaults to ``twisted.plugins`` under the compatibility
    mode; without it there is nothing to scan.
    """
    if package is None:
        package = _defaultPackage()
        if package is None:
            return
    for info in pkgutil.iter_modules(getattr(package, "__path__", []), package.__name__ + "."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a broken plugin module is skipped
            log.err(None, f"Could not import the plugin module {info.name}")
            continue
        for value in list(vars(module).values()):
            if IPlugin.providedBy(value) and interface.providedBy(value):
                yield value


#: Twisted's old spelling.
getPlugIns = getPlugins


def pluginPackagePaths(name: str) -> list[str]:
    """Where else package ``name``'s plugin modules may be: that package's
    directory under every ``sys.path`` entry that is not the package itself
    (no ``__init__.py``), existing or not, as Twisted computes it."""
    import os

    package = name.split(".")
    return [
        os.path.abspath(os.path.join(entry, *package))
        for entry in sys.path
        if not os.path.exists(os.path.join(entry, *package, "__init__.py"))
    ]
