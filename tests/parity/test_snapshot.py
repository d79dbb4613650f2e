"""The committed name snapshot still matches the installed Twisted 26.10.

Runs only in the Twisted test environment (see tests/twistedenv.py): it
recomputes the snapshot with ``tools/twisted_names.py`` and compares it
with ``twisted-26.10-names.json`` module by module and class by class, so
a stale or hand-edited snapshot cannot make the name-parity test pass.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from tests.parity import names
from tests.twistedenv import requireTwisted


def _tool() -> ModuleType:
    path = names.ROOT / "tools" / "twisted_names.py"
    spec = importlib.util.spec_from_file_location("twisted_names", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    requireTwisted()
    return _tool()


def test_snapshotVersion(tool: ModuleType) -> None:
    import twisted

    assert names.snapshot()["twisted"] == twisted.__version__


@pytest.mark.parametrize("moduleName", sorted(names.snapshot()["modules"]))
def test_moduleSnapshotMatchesTwisted(tool: ModuleType, moduleName: str) -> None:
    assert tool.moduleNames(moduleName) == names.snapshot()["modules"][moduleName]


@pytest.mark.parametrize("classPath", sorted(names.snapshot()["classes"]))
def test_classSnapshotMatchesTwisted(tool: ModuleType, classPath: str) -> None:
    assert tool.classNames(classPath) == names.snapshot()["classes"][classPath]


def test_snapshotCoversTheToolsLists(tool: ModuleType) -> None:
    """Every module and class the tool lists is in the snapshot, and nothing else."""
    assert sorted(tool.MODULES) == sorted(names.snapshot()["modules"])
    assert sorted(tool.CLASSES) == sorted(names.snapshot()["classes"])
