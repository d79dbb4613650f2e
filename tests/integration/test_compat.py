"""Compatibility mode: Twisted programs, imports unchanged, run on plait.

The howto examples in ``examples/`` are rewritten to Twisted's import names
(``from twisted.internet import reactor`` ...) and run with
``python -m plait.compat``, against the howto server, even though the real
Twisted is installed in the test environment: the alias finder must win.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_examples import ENV, EXAMPLES, ROOT, TIMEOUT, Server

TWISTED_NAMES = [
    ("from plait import reactor, protocol", "from twisted.internet import reactor, protocol"),
    ("from plait import reactor", "from twisted.internet import reactor"),
    ("from plait import log", "from twisted.python import log"),
    ("from plait.protocols import irc", "from twisted.words.protocols import irc"),
    ("from plait.protocols.basic import", "from twisted.protocols.basic import"),
    ("from plait.protocol import", "from twisted.internet.protocol import"),
    ("from plait.endpoints import", "from twisted.internet.endpoints import"),
]


def asTwistedProgram(source: Path, dest: Path) -> Path:
    """Rewrite a plait example's imports to Twisted's and save it as ``dest``."""
    text = source.read_text()
    for ours, theirs in TWISTED_NAMES:
        text = text.replace(ours, theirs)
    assert "plait" not in text.replace("plait.compat", ""), "an import was not rewritten"
    dest.write_text(text)
    return dest


def runCompat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plait.compat", *args],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=TIMEOUT,
        env=ENV,
    )


def test_twistedReactorIsPlaitsReactor(tmp_path: Path) -> None:
    """`from twisted.internet import reactor` gives plait's SelectorReactor."""
    program = tmp_path / "which.py"
    program.write_text(
        "from twisted.internet import reactor, protocol, defer\n"
        "from twisted.python.failure import Failure\n"
        "print(type(reactor).__module__, type(reactor).__name__)\n"
        "print(protocol.Protocol.__module__, defer.Deferred.__module__, Failure.__module__)\n"
    )
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "plait.selectreactor SelectorReactor",
        "plait.protocol plait.defer plait.failure",
    ]


def test_unsupportedTwistedModuleIsAClearImportError(tmp_path: Path) -> None:
    """A Twisted module plait does not provide fails loudly, naming it."""
    program = tmp_path / "web.py"
    program.write_text("import twisted.web.client\n")
    result = runCompat(str(program))
    assert result.returncode != 0
    # The import system asks for the parent package first, so that is what is named.
    assert "ImportError: twisted.web is not provided by plait's compatibility mode" in result.stderr


@pytest.mark.parametrize(
    "example",
    ["echo_client.py", "welcome_message.py", "greeter.py", "greeter_clientcreator.py"],
)
def test_howtoProgramsRunUnchangedUnderCompat(server: Server, tmp_path: Path, example: str) -> None:
    """Each howto client, written with Twisted imports, runs on plait."""
    program = asTwistedProgram(EXAMPLES / example, tmp_path / example)
    result = runCompat(str(program), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    assert "Connection was closed cleanly." in result.stdout


def test_compatModeRunsAModuleWithDashM(tmp_path: Path) -> None:
    """`python -m plait.compat -m module` runs a module as __main__."""
    (tmp_path / "twistedmod.py").write_text(
        "from twisted.internet import task\n"
        "def main(reactor):\n"
        "    return task.deferLater(reactor, 0.01, print, 'ran on', type(reactor).__name__)\n"
        "task.react(main)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "plait.compat", "-m", "twistedmod"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        text=True,
        timeout=TIMEOUT,
        env={**ENV, "PYTHONPATH": f"{ROOT}:{tmp_path}"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran on SelectorReactor"


# -- issue 12: plugins, twisted.internet.main, twisted.python.compat ------------------------

TWISTED_STYLE_PLUGIN = '''
from zope.interface import implementer
from twisted.plugin import IPlugin
from twisted.internet.interfaces import IStreamClientEndpointStringParserWithReactor
from twisted.internet.endpoints import TCP4ClientEndpoint


@implementer(IPlugin, IStreamClientEndpointStringParserWithReactor)
class LoopbackParser:
    prefix = "myloop"

    def parseStreamClient(self, reactor, port):
        return TCP4ClientEndpoint(reactor, "127.0.0.1", int(port))


parser = LoopbackParser()
'''


def test_twistedStylePluginUnderCompat(tmp_path: Path) -> None:
    """A program's own twisted/plugins/ module provides an endpoint parser, as with Twisted."""
    plugins = tmp_path / "twisted" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "myloop.py").write_text(TWISTED_STYLE_PLUGIN)
    program = tmp_path / "prog.py"
    program.write_text(
        "from twisted.internet import reactor\n"
        "from twisted.internet.endpoints import clientFromString\n"
        "endpoint = clientFromString(reactor, 'myloop:4321')\n"
        "print(type(endpoint).__name__, endpoint._host, endpoint._port)\n"
        "import twisted.plugins\n"
        "print(all('site-packages' not in p for p in twisted.plugins.__path__))\n"
    )
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["TCP4ClientEndpoint 127.0.0.1 4321", "True"]


def test_installReactorWithTheReactorSetAside(tmp_path: Path) -> None:
    """twisted.internet.main: installReactor refuses a second reactor, and works again
    once the reactor is set aside (Twisted's test helpers do that), as in Twisted."""
    program = tmp_path / "prog.py"
    program.write_text(
        "import sys\n"
        "from twisted.internet import main, reactor\n"
        "from twisted.internet.error import ReactorAlreadyInstalledError\n"
        "try:\n    main.installReactor(object())\n"
        "except ReactorAlreadyInstalledError as e:\n    print('refused:', e)\n"
        "import twisted.internet\n"
        "del sys.modules['twisted.internet.reactor'], twisted.internet.reactor\n"
        "alternate = object()\n"
        "main.installReactor(alternate)\n"
        "from twisted.internet import reactor as now\n"
        "print(now is alternate, twisted.internet.reactor is alternate)\n"
        "print(main.CONNECTION_DONE.__class__.__name__, main.CONNECTION_LOST.__class__.__name__)\n"
    )
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "refused: reactor already installed", "True True", "ConnectionDone ConnectionLost"]


def test_pythonCompatPieces(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(
        "from twisted.python.compat import nativeString, networkString, intToBytes, iterbytes\n"
        "print(nativeString(b'a'), networkString('b'), intToBytes(3), list(iterbytes(b'xy')))\n"
    )
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a b'b' b'3' [b'x', b'y']"


# -- the command line ---------------------------------------------------------------------


def test_noArgumentsPrintsUsageAndExits2() -> None:
    """Without a program, usage and a one-line error go to stderr, exit status 2."""
    result = runCompat()
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "usage: python3 -m plait.compat [-h] [--list] (PROGRAM | -m MODULE) [ARG ...]",
        "python3 -m plait.compat: error: give a PROGRAM to run or -m MODULE (--help explains)",
    ]


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_helpExplainsTheCommand(flag: str) -> None:
    """--help prints the usage, what the command does, its options and examples."""
    result = runCompat(flag)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("usage: python3 -m plait.compat [-h] [--list] (PROGRAM | -m MODULE) [ARG ...]\n")
    for expected in [
        "Run a Twisted program unchanged on plait",
        "--list      list the Twisted modules plait serves, and exit",
        "-m MODULE   run library module MODULE as a script",
        "python3 -m plait.compat echo_client.py 127.0.0.1 8000",
    ]:
        assert expected in out, out


def test_missingProgramIsOneLineAndExitStatus2(tmp_path: Path) -> None:
    """A program file that does not exist is reported in one line, as python does."""
    missing = tmp_path / "nosuch.py"
    result = runCompat(str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"python3 -m plait.compat: can't open file {str(missing)!r}: [Errno 2] No such file or directory\n"
    )


def test_missingModuleIsOneLineAndExitStatus1() -> None:
    """-m with a module that does not exist: one line, exit status 1 (python's)."""
    result = runCompat("-m", "no_such_module_here")
    assert result.returncode == 1
    assert result.stderr == "python3 -m plait.compat: No module named no_such_module_here\n"


def test_dashMWithoutAModuleIsAUsageError() -> None:
    """-m alone is a usage error (exit status 2) naming the option."""
    result = runCompat("-m")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "python3 -m plait.compat: error: argument -m: expected one argument"


def test_listNamesEveryServedModule() -> None:
    """--list prints one 'twisted.X  plait.Y' line per alias, sorted."""
    from plait.compat import ALIASES

    result = runCompat("--list")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows == [[name, ALIASES[name]] for name in sorted(ALIASES)]
    assert ["twisted.internet.epollreactor", "plait.epollreactor"] in rows


def test_argumentsAfterTheProgramAreTheProgramsEvenIfTheyLookLikeOptions(tmp_path: Path) -> None:
    """Everything after PROGRAM is the program's sys.argv[1:], --list and -m included."""
    program = tmp_path / "args.py"
    program.write_text("import sys\nprint(sys.argv)\n")
    result = runCompat(str(program), "--list", "-m", "x", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr([str(program), "--list", "-m", "x", "--help"])


def test_programImportsTheModulesBesideIt(tmp_path: Path) -> None:
    """As with python, the program's own directory is on sys.path."""
    (tmp_path / "helper_beside.py").write_text("VALUE = 'found beside the program'\n")
    program = tmp_path / "main.py"
    program.write_text("import helper_beside\nprint(helper_beside.VALUE)\n")
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "found beside the program"


def test_programExitStatusIsKept(tmp_path: Path) -> None:
    """The program's own exit status is the command's."""
    program = tmp_path / "fails.py"
    program.write_text("raise SystemExit(3)\n")
    assert runCompat(str(program)).returncode == 3


def test_dashMPassesItsArguments(tmp_path: Path) -> None:
    """-m MODULE ARG...: the arguments (options too) reach the module's sys.argv."""
    (tmp_path / "argsmod.py").write_text("import sys\nprint(sys.argv[1:])\n")
    result = subprocess.run(
        [sys.executable, "-m", "plait.compat", "-m", "argsmod", "-v", "x"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        text=True,
        timeout=TIMEOUT,
        env={**ENV, "PYTHONPATH": f"{ROOT}:{tmp_path}"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['-v', 'x']"


def test_unservedModuleOfAServedPackageIsAClearImportError(tmp_path: Path) -> None:
    """A module missing from ALIASES inside twisted.internet is refused by name."""
    program = tmp_path / "gtk.py"
    program.write_text("from twisted.internet import gireactor\n")
    result = runCompat(str(program))
    assert result.returncode == 1
    assert "twisted.internet.gireactor is not provided by plait's compatibility mode" in result.stderr
