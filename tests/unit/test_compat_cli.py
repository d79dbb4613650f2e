"""``python3 -m plait.compat``'s command line, in process.

tests/integration/test_compat.py runs the real command in subprocesses;
these check the argument handling itself, with the import hook's
``install()`` replaced so that this process never serves ``twisted.*``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from plait import compat


@pytest.fixture(autouse=True)
def noHook(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace install(), and give each test its own sys.argv and sys.path."""
    calls: list[str] = []
    monkeypatch.setattr(compat, "install", lambda: calls.append("install"))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    return calls


@pytest.mark.parametrize(
    ("argv", "ours", "theirs"),
    [
        ([], [], []),
        (["--list"], ["--list"], []),
        (["prog.py"], ["prog.py"], []),
        (["prog.py", "-m", "x", "--list"], ["prog.py"], ["-m", "x", "--list"]),
        (["-m", "pkg.mod", "-v", "--help"], ["-m", "pkg.mod"], ["-v", "--help"]),
        (["-mpkg.mod", "a"], ["-mpkg.mod"], ["a"]),
        (["--", "-dash.py", "a"], ["--", "-dash.py"], ["a"]),
        (["--list", "prog.py", "a"], ["--list", "prog.py"], ["a"]),
    ],
)
def test_splitArguments(argv: list[str], ours: list[str], theirs: list[str]) -> None:
    """The program (or -m MODULE) ends plait's own options, as with python3 itself."""
    assert compat._splitArguments(argv) == (ours, theirs)


def test_listIsSortedAndAligned(capsys: pytest.CaptureFixture[str], noHook: list[str]) -> None:
    """--list prints every alias in one aligned column, and installs nothing."""
    compat.main(["--list"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [[k, compat.ALIASES[k]] for k in sorted(compat.ALIASES)]
    assert len({line.index(" plait.") for line in lines}) == 1
    assert noHook == []


def test_noProgramIsAUsageError(capsys: pytest.CaptureFixture[str]) -> None:
    """No program and no -m: usage, one error line, exit status 2."""
    with pytest.raises(SystemExit) as info:
        compat.main([])
    assert info.value.code == 2
    assert "give a PROGRAM to run or -m MODULE" in capsys.readouterr().err


def test_missingFile(capsys: pytest.CaptureFixture[str], tmp_path: Path, noHook: list[str]) -> None:
    """A missing program: python3's one-line message, exit status 2, nothing installed."""
    missing = str(tmp_path / "gone.py")
    with pytest.raises(SystemExit) as info:
        compat.main([missing])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        f"python3 -m plait.compat: can't open file {missing!r}: [Errno 2] No such file or directory\n"
    )
    assert noHook == []


def test_programNamedLikeAnOptionAfterDoubleDash(capsys: pytest.CaptureFixture[str]) -> None:
    """After --, a program whose name starts with '-' is a program, not an option."""
    with pytest.raises(SystemExit) as info:
        compat.main(["--", "-dash.py"])
    assert info.value.code == 2
    assert "can't open file '-dash.py'" in capsys.readouterr().err


def test_missingModule(capsys: pytest.CaptureFixture[str]) -> None:
    """-m with an unknown module (or one inside an unknown package): one line, exit status 1."""
    for name, missing in [
        ("no_such_module_xyz", "no_such_module_xyz"),
        ("no_such_package_xyz.mod", "no_such_package_xyz"),
        ("plait.no_such_module_xyz", "plait.no_such_module_xyz"),
    ]:
        with pytest.raises(SystemExit) as info:
            compat.main(["-m", name])
        assert info.value.code == 1
        assert capsys.readouterr().err == f"python3 -m plait.compat: No module named {missing}\n"


def test_brokenParentPackageKeepsItsOwnError(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ImportError raised inside the program's own package is not hidden as 'No module named'."""
    package = tmp_path / "brokenpkg_xyz"
    package.mkdir()
    (package / "__init__.py").write_text("import no_such_dependency_xyz\n")
    (package / "mod.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        compat.main(["-m", "brokenpkg_xyz.mod"])
    monkeypatch.delitem(sys.modules, "brokenpkg_xyz", raising=False)


def test_programRunsAsMainWithItsArguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, noHook: list[str]
) -> None:
    """The program runs as __main__, with its own argv, its directory first on sys.path."""
    program = tmp_path / "show.py"
    program.write_text("import sys\nprint(__name__, sys.argv, sys.path[0])\n")
    compat.main([str(program), "--flag", "x"])
    assert capsys.readouterr().out.strip() == f"__main__ {[str(program), '--flag', 'x']} {tmp_path}"
    assert noHook == ["install"]


def test_moduleRunsAsMain(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-m MODULE runs the module as __main__ with the remaining arguments."""
    (tmp_path / "compat_cli_probe.py").write_text("import sys\nprint(__name__, sys.argv[1:])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    compat.main(["-m", "compat_cli_probe", "a", "-b"])
    assert capsys.readouterr().out.strip() == "__main__ ['a', '-b']"
    monkeypatch.delitem(sys.modules, "compat_cli_probe", raising=False)
