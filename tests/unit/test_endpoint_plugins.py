"""Third-party endpoint description parsers found through entry points (plait.plugin).

A fake installed distribution (a ``.dist-info`` directory with
``entry_points.txt``, as pip would write) is put on ``sys.path``; its
parsers then serve ``clientFromString``/``serverFromString`` for their
prefix.  The Twisted-style ``twisted.plugins`` route, which needs the
compatibility mode, is tested in tests/integration/test_compat.py.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plait import _endpointgrammar, endpoints
from plait.plugin import IPlugin, entryPointObjects, getPlugins
from plait.testing import MemoryReactorClock

PLUGIN_MODULE = '''
from plait.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint


class LoopbackClientParser:
    """Connects to 127.0.0.1 on the port given: "loop:8080"."""

    prefix = "loop"

    def parseStreamClient(self, reactor, port, timeout="30"):
        return TCP4ClientEndpoint(reactor, "127.0.0.1", int(port), timeout=float(timeout))


class LoopbackServerParser:
    prefix = "loop"

    def parseStreamServer(self, reactor, port):
        return TCP4ServerEndpoint(reactor, int(port), interface="127.0.0.1")
'''

ENTRY_POINTS = """
[plait.endpoints.client]
loop = fakeloopplugin:LoopbackClientParser
brk = fakeloopplugin:missing

[plait.endpoints.server]
loop = fakeloopplugin:LoopbackServerParser
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fake distribution providing the 'loop' parsers, importable and discoverable."""
    (tmp_path / "fakeloopplugin.py").write_text(PLUGIN_MODULE)
    info = tmp_path / "fakeloopplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeloopplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    clients = dict(_endpointgrammar._clientParsers)
    servers = dict(_endpointgrammar._serverParsers)
    yield tmp_path
    _endpointgrammar._clientParsers.clear()
    _endpointgrammar._clientParsers.update(clients)
    _endpointgrammar._serverParsers.clear()
    _endpointgrammar._serverParsers.update(servers)
    sys.modules.pop("fakeloopplugin", None)


def test_clientParserFromAnEntryPoint(installed: Path) -> None:
    reactor = MemoryReactorClock()
    endpoint = endpoints.clientFromString(reactor, "LOOP:8080:timeout=5")
    assert isinstance(endpoint, endpoints.TCP4ClientEndpoint)
    assert (endpoint._host, endpoint._port, endpoint._timeout) == ("127.0.0.1", 8080, 5.0)
    # Registered once found: a second use does not scan again.
    assert "loop" in _endpointgrammar._clientParsers


def test_serverParserFromAnEntryPoint(installed: Path) -> None:
    endpoint = endpoints.serverFromString(MemoryReactorClock(), "loop:0")
    assert isinstance(endpoint, endpoints.TCP4ServerEndpoint)
    assert endpoint._interface == "127.0.0.1"


def test_argumentErrorsNameTheDescription(installed: Path) -> None:
    with pytest.raises(ValueError, match="in endpoint description 'loop:http'"):
        endpoints.clientFromString(MemoryReactorClock(), "loop:http")


def test_brokenEntryPointIsLoggedAndSkipped(installed: Path, loggedErrors: Any) -> None:
    with pytest.raises(ValueError, match="Unknown endpoint type: 'brk'"):
        endpoints.clientFromString(MemoryReactorClock(), "brk:1")
    [failure] = loggedErrors.flush(AttributeError)
    assert "missing" in failure.getErrorMessage()


def test_unknownPrefixStillFailsAsTwisted(installed: Path) -> None:
    with pytest.raises(ValueError, match="^Unknown endpoint type: 'nope' \\(known types: "):
        endpoints.clientFromString(MemoryReactorClock(), "nope:1")


def test_entryPointObjectsFiltersByName(installed: Path) -> None:
    found = list(entryPointObjects("plait.endpoints.server", "LOOP"))
    assert [type(p).__name__ for p in found] == ["LoopbackServerParser"]
    assert list(entryPointObjects("plait.endpoints.server", "other")) == []


def test_getPluginsWithoutCompatScansNothing() -> None:
    assert list(getPlugins(IPlugin)) == []


def test_getPluginsOfAPackage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loggedErrors: Any) -> None:
    """getPlugins(interface, package): module-level objects providing IPlugin and it."""
    package = tmp_path / "myplugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(
        "from zope.interface import implementer\n"
        "from plait.plugin import IPlugin\n"
        "from plait.interfaces import IStreamClientEndpointStringParserWithReactor as I\n"
        "@implementer(IPlugin, I)\nclass P:\n    prefix = 'p'\nplugin = P()\nother = object()\n")
    (package / "bad.py").write_text("raise ImportError('broken plugin module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import myplugins  # type: ignore[import-not-found]

    from plait.interfaces import IStreamClientEndpointStringParserWithReactor

    try:
        found = list(getPlugins(IStreamClientEndpointStringParserWithReactor, myplugins))
    finally:
        for name in [n for n in sys.modules if n.startswith("myplugins")]:
            del sys.modules[name]
    assert [p.prefix for p in found] == ["p"]
    [failure] = loggedErrors.flush(ImportError)  # the broken module: logged, skipped
    assert failure.getErrorMessage() == "broken plugin module"


def test_pluginPackagePathsAndOldSpelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plait import plugin

    (tmp_path / "pkg" / "plugins").mkdir(parents=True)
    (tmp_path / "pkg" / "plugins" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    paths = plugin.pluginPackagePaths("pkg.plugins")
    assert str(tmp_path / "pkg" / "plugins") not in paths  # the package itself
    assert all(p.endswith("/pkg/plugins") for p in paths)
    assert plugin.getPlugIns is plugin.getPlugins
