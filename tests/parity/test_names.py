"""Name parity: every public name of a mapped Twisted module exists in plait.

For each ``twisted.*`` -> ``plait.*`` pair of ``plait.compat.ALIASES`` (read
at run time), every public name Twisted 26.10's module has (from the
committed snapshot ``twisted-26.10-names.json``) must exist in the plait
module, or be listed with its reason in docs/differences.md ("Names plait
leaves out").  The same for the public methods and attributes of the main
classes.  A failure lists every name missing without a reason.

The snapshot was produced from a real Twisted by ``tools/twisted_names.py``;
``test_snapshot.py`` (run only where Twisted 26.10 is installed: ``tox -e
parity`` and the parity step of ``.ci/run``) checks that it still matches.
This file never imports Twisted.
"""

from __future__ import annotations

import pytest

from tests.parity import names

MODULE_PAIRS = sorted(
    (tw, pl) for tw, pl in names.aliases().items() if tw not in names.NOT_MODULES
)
CLASSES = sorted(names.snapshot()["classes"])


def _report(what: str, missing: list[str]) -> str:
    return (
        f"{what}: {len(missing)} public name(s) of Twisted 26.10 missing from plait "
        f"with no reason in docs/differences.md ({names.SECTION!r}):\n  "
        + "\n  ".join(missing)
    )


@pytest.mark.parametrize(("twistedName", "plaitName"), MODULE_PAIRS)
def test_moduleNames(twistedName: str, plaitName: str) -> None:
    """Each public name of the Twisted module is in plait, or has a documented reason."""
    assert twistedName in names.snapshot()["modules"], (
        f"{twistedName} is mapped in plait.compat.ALIASES but not in the snapshot: "
        f"add it to MODULES in tools/twisted_names.py and regenerate "
        f"tests/parity/twisted-26.10-names.json"
    )
    missing = names.missingFromModule(twistedName, plaitName)
    undocumented = names.undocumented(twistedName, missing)
    assert not undocumented, _report(f"{twistedName} (plait: {plaitName})", undocumented)


@pytest.mark.parametrize("twistedName", sorted({tw for tw, _ in MODULE_PAIRS}))
def test_moduleOmissionsAreCurrent(twistedName: str) -> None:
    """A name documented as left out really is missing (no stale reasons)."""
    if twistedName not in names.snapshot()["modules"]:
        pytest.fail(f"{twistedName} is not in the snapshot (see test_moduleNames)")
    plaitName = names.aliases()[twistedName]
    missing = names.missingFromModule(twistedName, plaitName)
    assert names.stale(twistedName, missing) == []


@pytest.mark.parametrize("twistedPath", CLASSES)
def test_classNames(twistedPath: str) -> None:
    """Each public method/attribute of a main Twisted class is on plait's."""
    cls = names.plaitClassFor(twistedPath)
    assert cls is not None, (
        f"{twistedPath}: its module is not mapped in plait.compat.ALIASES, or the "
        f"plait module has no class of that name"
    )
    missing = names.missingFromClass(twistedPath, cls)
    undocumented = names.undocumented(twistedPath, missing)
    assert not undocumented, _report(f"{twistedPath} (plait: {cls.__module__}.{cls.__qualname__})", undocumented)
    assert names.stale(twistedPath, missing) == []


def test_documentedTablesNameKnownModulesAndClasses() -> None:
    """Every table in the doc is for a module or class of the snapshot (no typos),
    and every row has a reason."""
    known = set(names.snapshot()["modules"]) | set(names.snapshot()["classes"])
    tables = names.documentedOmissions()
    assert set(tables) - known == set()
    empty = [f"{key}.{name}" for key, rows in tables.items() for name, why in rows.items() if not why]
    assert empty == []


def test_parserReadsTheTableFormat(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The doc parser reads only its own section, headings and rows."""
    doc = tmp_path / "d.md"  # type: ignore[operator]
    doc.write_text(
        "## Other\n### `twisted.internet.defer`\n| `Nope` | not this section |\n"
        f"{names.SECTION}\n\ntext\n\n### `twisted.internet.defer` (`plait.defer`)\n\n"
        "| name | reason |\n|---|---|\n| `DebugInfo` | internal |\n| `Empty` | |\n"
        "## After\n| `Late` | no |\n"
    )
    monkeypatch.setattr(names, "DIFFERENCES", doc)
    names.documentedOmissions.cache_clear()
    try:
        tables = names.documentedOmissions()
    finally:
        names.documentedOmissions.cache_clear()
    assert tables == {"twisted.internet.defer": {"DebugInfo": "internal", "Empty": ""}}
    assert names.undocumented("twisted.internet.defer", ["DebugInfo", "Empty", "X"]) != []


def test_missingNamesAreFound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a name absent from plait is reported."""
    fake = {"modules": {"twisted.x": {"all": ["Deferred", "NotInPlait"], "defined": ["succeed"]}},
            "classes": {"twisted.x.Deferred": ["addCallback", "noSuchMethod", "result"]}}
    monkeypatch.setattr(names, "snapshot", lambda: fake)
    assert names.missingFromModule("twisted.x", "plait.defer") == ["NotInPlait"]
    from plait.defer import Deferred

    # ``result`` is assigned in Deferred's source (self.result = ...).
    assert names.missingFromClass("twisted.x.Deferred", Deferred) == ["noSuchMethod"]
