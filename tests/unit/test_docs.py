"""The documentation's references to code still point at real code.

``docs/tour.md`` and ``docs/deferreds.md`` walk through plait naming
functions as dotted paths in backticks (``plait.tcp.Client.doWrite``); every
such name must resolve, so a rename that forgets a page fails here.  Importing ``plait.reactor`` would
install a global reactor, so that module is never imported.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
REFERENCE = re.compile(r"`(plait(?:\.[A-Za-z_]\w*)+)`")


def _references(name: str) -> list[str]:
    return sorted(set(REFERENCE.findall((DOCS / name).read_text())))


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        moduleName = ".".join(parts[:cut])
        if moduleName == "plait.reactor":
            return None
        try:
            obj: object = importlib.import_module(moduleName)
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(dotted)


def test_tourNamesSomething() -> None:
    """The tour references code at all (so the check below is not vacuous)."""
    assert len(_references("tour.md")) > 30


@pytest.mark.parametrize("dotted", _references("tour.md"))
def test_tourReferenceExists(dotted: str) -> None:
    """Each dotted name in docs/tour.md resolves to a module, class or function."""
    _resolve(dotted)


def test_deferredsChapterNamesSomething() -> None:
    """The Deferreds chapter references code too."""
    assert len(_references("deferreds.md")) > 10


@pytest.mark.parametrize("dotted", _references("deferreds.md"))
def test_deferredsReferenceExists(dotted: str) -> None:
    """Each dotted name in docs/deferreds.md resolves to a module, class or function."""
    _resolve(dotted)
