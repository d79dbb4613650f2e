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

from tests.integration.test_examples import ENV, EXAMPLES, ROOT, TIMEOUT, Server, server  # noqa: F401

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
def test_howtoProgramsRunUnchangedUnderCompat(server: Server, tmp_path: Path, example: str) -> None:  # noqa: F811
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
