"""``python -m plait.trial``: finding tests by name, trial's report, the run itself.

Everything runs in this process on synchronous test cases written to
``tmp_path`` (so no reactor is involved); each test uses its own package
name, since imported modules stay imported.  Runs that need the global
reactor are in tests/integration/test_trial_global.py.
"""

from __future__ import annotations

import io
import sys
import textwrap
import unittest
from pathlib import Path

import pytest

from plait.trial import _runner
from plait.trial._reporter import TreeReporter

SAMPLE = """
from plait.trial import unittest

class Alpha(unittest.SynchronousTestCase):
    def test_b(self):
        pass

    def test_a(self):
        pass

class Beta(unittest.SynchronousTestCase):
    def test_fails(self):
        self.assertEqual(1, 2)

    def test_skips(self):
        pass
    test_skips.skip = "not today"

    def test_todo(self):
        self.fail("known")
    test_todo.todo = "bug 1"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """A package ``<unique>`` with ``test_sample``, ``sub/test_deep`` and ``helpers``."""
    name = "trialrunner_" + request.node.name.replace("[", "_").replace("]", "_")
    package = tmp_path / "src" / name
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "test_sample.py").write_text(SAMPLE)
    (package / "sub" / "test_deep.py").write_text(
        "from plait.trial import unittest\n"
        "class Deep(unittest.SynchronousTestCase):\n"
        "    def test_deep(self):\n        pass\n"
    )
    (package / "helpers.py").write_text("class NotATest:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path, name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def ids(suite: unittest.TestSuite) -> list[str]:
    return [t.id() for t in _runner._flatten(suite)]


def test_loadPackageRecursesIntoTestModules(project: tuple[Path, str]) -> None:
    _, name = project
    assert [i.removeprefix(name + ".") for i in ids(_runner.loadName(name))] == [
        "sub.test_deep.Deep.test_deep",
        "test_sample.Alpha.test_a", "test_sample.Alpha.test_b",
        "test_sample.Beta.test_fails", "test_sample.Beta.test_skips", "test_sample.Beta.test_todo",
    ]
    assert len(ids(_runner.loadName(name, recurse=False))) == 5


def test_loadModuleClassMethod(project: tuple[Path, str]) -> None:
    _, name = project
    assert len(ids(_runner.loadName(f"{name}.test_sample"))) == 5
    assert ids(_runner.loadName(f"{name}.test_sample.Alpha")) == [
        f"{name}.test_sample.Alpha.test_a", f"{name}.test_sample.Alpha.test_b",
    ]
    assert ids(_runner.loadName(f"{name}.test_sample.Beta.test_todo")) == [f"{name}.test_sample.Beta.test_todo"]


def test_loadFileAndDirectory(project: tuple[Path, str]) -> None:
    root, name = project
    assert len(ids(_runner.loadName(str(root / "src" / name / "test_sample.py")))) == 5
    assert len(ids(_runner.loadName(str(root / "src" / name)))) == 6


def test_badNamesBecomeErrors(project: tuple[Path, str]) -> None:
    _, name = project
    suite = _runner.loadNames(
        [f"{name}.nosuch", f"{name}.test_sample.Nope", f"{name}.helpers.NotATest", "missing_dir/", f"{name}.test_sample"]
    )
    holders = [t for t in _runner._flatten(suite) if isinstance(t, _runner.ErrorHolder)]
    assert [h.id() for h in holders] == [
        f"{name}.nosuch", f"{name}.test_sample.Nope", f"{name}.helpers.NotATest", "missing_dir/",
    ]
    messages = [h.error.getErrorMessage() for h in holders]
    assert "has no attribute 'nosuch'" in messages[0]
    assert "has no attribute 'Nope'" in messages[1]
    assert "is not a module, a test case class or a test method" in messages[2]
    assert "is not a Python file or a package directory" in messages[3]
    assert len(list(_runner._flatten(suite))) == 9  # the good name still loads


def test_importErrorInsideAModuleIsReportedAsIs(project: tuple[Path, str]) -> None:
    root, name = project
    (root / "src" / name / "test_broken.py").write_text("import no_such_dependency_here\n")
    (holder,) = _runner._flatten(_runner.loadNames([f"{name}.test_broken"]))
    assert holder.error.check(ModuleNotFoundError)
    assert "no_such_dependency_here" in holder.error.getErrorMessage()


def test_reporterPrintsTrialsTree(project: tuple[Path, str]) -> None:
    _, name = project
    stream = io.StringIO()
    result = TreeReporter(stream)
    _runner.loadName(f"{name}.test_sample").run(result)
    result.done()
    text = stream.getvalue()
    head = text.split("\n\n")[0].splitlines()

    def line(test: str, status: str) -> str:  # status flush with column 79
        return f"    {test} ...".ljust(79 - len(status)) + status

    assert head == [
        f"{name}.test_sample",
        "  Alpha",
        line("test_a", "[OK]"),
        line("test_b", "[OK]"),
        "  Beta",
        line("test_fails", "[FAIL]"),
        line("test_skips", "[SKIPPED]"),
        line("test_todo", "[TODO]"),
    ]
    blocks = text.split("=" * 79 + "\n")[1:]
    assert [b.splitlines()[0] for b in blocks] == ["[SKIPPED]", "[TODO]", "[FAIL]"]
    assert blocks[0] == f"[SKIPPED]\nnot today\n\n{name}.test_sample.Beta.test_skips\n"
    assert blocks[1].startswith("[TODO]\nReason: 'bug 1'\nTraceback (most recent call last):\n")
    assert "plait.trial.unittest.FailTest: 1 != 2\n\n" in blocks[2]
    assert "_assertions.py" not in blocks[2]  # trial's own frames are left out
    tail = blocks[2].split("-" * 79 + "\n")[1]
    assert tail.startswith("Ran 5 tests in ")
    assert tail.endswith("\n\nFAILED (skips=1, expectedFailures=1, failures=1, successes=2)\n")
    assert not result.wasSuccessful()


def runMain(*args: str) -> tuple[int, str]:
    stream = io.StringIO()
    options = _runner._parser().parse_args(list(args))
    return _runner.run(options, stream), stream.getvalue()


def test_runWritesTheLogInTheTempDirectory(project: tuple[Path, str]) -> None:
    root, name = project
    status, text = runMain(f"{name}.test_sample.Alpha")
    assert status == 0
    assert text.endswith("PASSED (successes=2)\n")
    log = (root / "_trial_temp" / "test.log").read_text()
    assert f"--> {name}.test_sample.Alpha.test_a <--" in log
    assert Path.cwd() == root  # back where it started


def test_runFailureStatusAndTempDirectoryOption(project: tuple[Path, str]) -> None:
    root, name = project
    status, text = runMain("--temp-directory", "elsewhere", "-l", "my.log", name)
    assert status == 1
    assert "FAILED (skips=1, expectedFailures=1, failures=1, successes=3)" in text
    assert (root / "elsewhere" / "my.log").exists()


def test_exitFirstDryRunRandom(project: tuple[Path, str]) -> None:
    _, name = project
    status, text = runMain("-x", f"{name}.test_sample.Beta")
    assert status == 1 and "Ran 1 tests" in text
    status, text = runMain("-n", f"{name}.test_sample.Alpha")
    assert (status, text) == (0, f"{name}.test_sample.Alpha.test_a\n{name}.test_sample.Alpha.test_b\n")
    status, first = runMain("-n", "-z", "3", name)
    status, second = runMain("-n", "-z", "3", name)
    assert first == second and first.startswith("Running tests shuffled with seed 3\n")


def test_forceGarbageCollection(project: tuple[Path, str], loggedErrors: object) -> None:
    """With --force-gc an error logged when a test's garbage is collected is that test's."""
    root, name = project
    (root / "src" / name / "test_garbage.py").write_text(textwrap.dedent(
        """
        from plait.defer import Deferred
        from plait.trial import unittest

        class Cycle:
            pass

        class Garbage(unittest.SynchronousTestCase):
            def test_leaves(self):
                d = Deferred()
                d.errback(ValueError("found by gc"))
                cycle = Cycle()
                cycle.me, cycle.d = cycle, d  # only the collector frees it
        """
    ))
    status, text = runMain("--force-gc", f"{name}.test_garbage")
    assert status == 1
    assert "ValueError: found by gc" in text and "errors=1" in text
    loggedErrors.flush(ValueError)  # type: ignore[attr-defined]


def test_mainNeedsAName(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _runner.main([])
    assert info.value.code == 2
    assert "name at least one test module" in capsys.readouterr().err


def test_badReactorName(project: tuple[Path, str]) -> None:
    _, name = project
    assert runMain("-r", "nonsense", name) == (
        2,
        (
            "python -m plait.trial: unknown selector 'nonsense': use one of default, epoll, poll, "
            "select, devpoll, kqueue or a dotted path to a selectors.BaseSelector subclass\n"
        ),
    )
