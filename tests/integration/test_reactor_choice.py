"""Choosing the reactor as Twisted programs do: ``epollreactor.install()``,
``pollreactor.install()``, ``default.install()``, ``main.installReactor``.

Installing a reactor is once per process, so each case runs in a fresh
interpreter, both under plait's own names and, through compatibility mode,
under Twisted's.  Each installed reactor also runs: a timer fires and a TCP
connection to a listener on 127.0.0.1 completes before it stops.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30

# Appended to every program: prove the installed reactor runs timers and TCP.
RUN_IT = """
from plait.protocol import ClientFactory, Factory, Protocol
from plait import reactor as globalReactor
assert globalReactor is installed, (globalReactor, installed)

class Hello(Protocol):
    def connectionMade(self):
        print("connected on", installed._poller.name)
        self.transport.loseConnection()

class Client(ClientFactory):
    protocol = Hello
    def clientConnectionLost(self, connector, reason):
        globalReactor.stop()
    clientConnectionFailed = clientConnectionLost

port = globalReactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
globalReactor.callLater(0, globalReactor.connectTCP, "127.0.0.1", port.getHost().port, Client())
globalReactor.callLater(10, globalReactor.stop)  # a bound, never reached when all is well
globalReactor.run()
"""


def runPython(code: str, *prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", *prefix, "-c", textwrap.dedent(code) + RUN_IT],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        cwd=ROOT,
    )


def runUnderCompat(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent(code) + RUN_IT.replace("from plait", "from twisted.internet"))
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "plait.compat", str(program)],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        cwd=ROOT,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="epoll is Linux's")
def test_epollReactorInstall() -> None:
    """plait.epollreactor.install() installs an EPollReactor on epoll itself."""
    result = runPython(
        """
        from plait import epollreactor
        installed = epollreactor.install()
        assert type(installed) is epollreactor.EPollReactor
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["connected on epoll"]


def test_pollReactorInstall() -> None:
    """plait.pollreactor.install() installs a PollReactor polling with poll()."""
    result = runPython(
        """
        from plait import pollreactor
        installed = pollreactor.install()
        assert type(installed) is pollreactor.PollReactor
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["connected on PollSelector"]


@pytest.mark.parametrize("module", ["epollreactor", "pollreactor"])
def test_secondInstallRaises(module: str) -> None:
    """install() after the default reactor was imported raises ReactorAlreadyInstalledError."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                f"from plait import reactor\nfrom plait import {module}\n"
                f"try:\n    {module}.install()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
                "reactor._close()\n"
            ),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ReactorAlreadyInstalledError reactor already installed"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="epoll is Linux's")
@pytest.mark.parametrize(
    ("code", "poller"),
    [
        (
            "from twisted.internet import epollreactor\nepollreactor.install()\n",
            "epoll",
        ),
        (
            "from twisted.internet import pollreactor\npollreactor.install()\n",
            "PollSelector",
        ),
        (
            "from twisted.internet import default\ndefault.install()\n",
            "epoll",
        ),
        (
            "from twisted.internet import selectreactor\nselectreactor.install()\n",
            "epoll",
        ),
        (
            (
                "from twisted.internet.main import installReactor\n"
                "from twisted.internet.pollreactor import PollReactor\n"
                "installReactor(PollReactor())\n"
            ),
            "PollSelector",
        ),
        (
            (
                "from twisted.internet.main import installReactor\n"
                "from twisted.internet.selectreactor import SelectReactor\n"
                "installReactor(SelectReactor())\n"
            ),
            "SelectSelector",
        ),
    ],
    ids=["epollreactor", "pollreactor", "default", "selectreactor", "main.installReactor",
         "SelectReactor"],
)
def test_twistedReactorInstallersUnderCompat(tmp_path: Path, code: str, poller: str) -> None:
    """Twisted's ways of choosing a reactor work unchanged under plait.compat."""
    code += "from twisted.internet import reactor as installed\n"
    result = runUnderCompat(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"connected on {poller}"]


def test_twistedMainConstantsUnderCompat(tmp_path: Path) -> None:
    """twisted.internet.main's CONNECTION_DONE/CONNECTION_LOST are plait's."""
    program = tmp_path / "consts.py"
    program.write_text(
        "from twisted.internet import main, error\n"
        "print(isinstance(main.CONNECTION_DONE, error.ConnectionDone), type(main.CONNECTION_LOST).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "plait.compat", str(program)],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True ConnectionLost"


def test_reactorClassesPollWithTheirPoller() -> None:
    """EPollReactor polls with epoll itself, PollReactor with poll(), SelectReactor with select(): all SelectorReactors."""
    from plait.selectreactor import SelectorReactor

    made = []
    if sys.platform.startswith("linux"):
        from plait.epollreactor import EPollReactor

        made.append((EPollReactor(), "epoll"))
    from plait.pollreactor import PollReactor

    made.append((PollReactor(), "PollSelector"))
    from plait.selectreactor import SelectReactor

    made.append((SelectReactor(), "SelectSelector"))
    for reactor, poller in made:
        try:
            assert isinstance(reactor, SelectorReactor)
            assert reactor._poller.name == poller
        finally:
            reactor._close()
