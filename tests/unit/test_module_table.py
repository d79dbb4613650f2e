"""README.md's "What is in plait" table is exactly what tools/module_table.py generates.

The table is computed from ``plait.compat.ALIASES``, the Twisted name
snapshot in tests/parity and the plait modules themselves, so it cannot
claim more (or less) than plait has.  When a module or an alias is added,
this test fails until ``python3 tools/module_table.py --write`` is run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("module_table", ROOT / "tools" / "module_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readmeTableIsTheGeneratedOne(tool: ModuleType) -> None:
    """The README holds the generated table, unedited (regenerate with --write)."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index(tool.BEGIN)
    end = readme.index(tool.END) + len(tool.END) + 1
    assert readme[start:end] == tool.table(), "run: python3 tools/module_table.py --write"


def test_everyAliasAndEverySnapshotModuleHasARow(tool: ModuleType) -> None:
    """One row per Twisted module named by the aliases or the snapshot."""
    import json

    from plait.compat import ALIASES

    rows = [line for line in tool.table().splitlines() if line.startswith("| `")]
    snapshot = json.loads(tool.SNAPSHOT.read_text())["modules"]
    assert [row.split("`")[1] for row in rows] == sorted(set(ALIASES) | set(snapshot))


def test_providedWhenEveryNameExists(tool: ModuleType) -> None:
    """plait.main has all three of twisted.internet.main's names."""
    entry = {"all": ["CONNECTION_DONE", "CONNECTION_LOST", "installReactor"], "defined": []}
    assert tool.status("t.main", {"t.main": "plait.main"}, {"t.main": entry}) == (
        "plait.main",
        "provided",
        "all 3 names",
    )


def test_partialListsTheMissingNames(tool: ModuleType) -> None:
    """Missing names are counted, the first few spelt out."""
    names = ["installReactor", *(f"missing{i}" for i in range(7))]
    entry = {"all": names, "defined": []}
    assert tool.status("t.main", {"t.main": "plait.main"}, {"t.main": entry}) == (
        "plait.main",
        "partial",
        "1 of 8 names; missing `missing0`, `missing1`, `missing2`, `missing3`, `missing4` and 2 more",
    )


def test_definedNamesWhenAllIsEmptyAndPrivateNamesIgnored(tool: ModuleType) -> None:
    """An empty __all__ falls back to the defined names; _private names never count."""
    entry = {"all": [], "defined": ["installReactor", "_hidden"]}
    assert tool.status("t.main", {"t.main": "plait.main"}, {"t.main": entry}) == (
        "plait.main",
        "provided",
        "its 1 name",
    )


def test_notYetWithoutAnAlias(tool: ModuleType) -> None:
    """A Twisted module no plait module serves is 'not yet'."""
    entry = {"all": ["x"], "defined": []}
    assert tool.status("t.ssl", {}, {"t.ssl": entry}) == ("", "not yet", "")


def test_theReactorIsNeverImported(tool: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table says the reactor is provided without importing it (that would install one)."""
    imported: list[str] = []
    realImport = tool.importlib.import_module

    def recordingImport(name: str) -> ModuleType:
        imported.append(name)
        return realImport(name)  # type: ignore[no-any-return]

    monkeypatch.setattr(tool.importlib, "import_module", recordingImport)
    assert tool.status("twisted.internet.reactor", {"twisted.internet.reactor": "plait.reactor"}, {}) == (
        "plait.reactor",
        "provided",
        "the installed reactor",
    )
    tool.table()
    assert "plait.reactor" not in imported
    assert "plait.main" in imported  # (the check above is not vacuous)
