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
