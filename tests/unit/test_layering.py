"""Imports only flow downward: the layer rules of docs/internals.md.

Every module under ``plait/`` is parsed with ``ast`` (never imported), and its
``plait.*`` imports are checked against the table below, which mirrors the
"Layers" table of docs/internals.md.  Keep the two in step: a new module must
be added to both.

What counts:

* A *module-level* import is any import that runs when the module is first
  imported: top-level statements, class bodies, and ``if``/``try`` blocks,
  but not function bodies.  These must go to a lower layer, or to the same
  layer where ``SAME_LAYER`` allows it.
* Imports under ``if TYPE_CHECKING:`` never run; they exist for annotations
  and are exempt from the layer rule (``plait.interfaces`` names
  ``Deferred`` that way).
* Imports inside functions may go anywhere (``selectreactor`` imports
  ``plait.tcp`` inside ``connectTCP``), with one exception: no library
  module imports the unlayered modules (``reactor``, ``testing``, ...)
  anywhere, except for the documented call-time fallbacks to the global
  reactor in ``GLOBAL_REACTOR_FALLBACKS`` (where Twisted's own signature
  defaults to the global reactor).
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from pathlib import Path

import pytest

import plait

PACKAGE_DIR = Path(plait.__file__).parent

# The layer of each library module (names relative to ``plait``; keys may be
# fnmatch patterns: "protocols.*" covers every module of plait.protocols).
LAYERS: dict[str, int] = {
    "error": 0,
    "failure": 0,
    "address": 0,
    "interfaces": 0,
    "_ipaddress": 0,  # isIPAddress/isIPv6Address, re-exported by abstract
    "pycompat": 0,  # twisted.python.compat's pieces
    "log": 1,
    "logger": 1,  # twisted.logger: the event model and the publisher
    "_log*": 1,  # the parts of plait.logger (_logformat, _logobservers)
    "defer": 1,
    "_defer*": 1,  # the parts of plait.defer (_deferred, _defer_helpers...)
    "main": 1,  # installReactor + CONNECTION_DONE/LOST (twisted.internet.main)
    "protocol": 2,
    "base": 2,
    "abstract": 2,
    "connector": 2,
    "_threadpool": 2,  # the reactor's thread pool, used by base
    "plugin": 2,  # entry points and twisted.plugins scanning (twisted.plugin)
    "_resolver": 2,  # GAIResolver and the resolver adapters, used by base
    "_timerqueue": 2,  # the heap behind callLater, used by base
    "_baseport": 2,  # Twisted's BasePort, handed out by base on demand
    "_pollers": 2,  # the epoll and selectors pollers, used by selectreactor
    "tcp": 3,
    "_tcpconnection": 3,  # the socket I/O shared by tcp's Client and Server
    "_tcpclient": 3,  # tcp's Client, re-exported by tcp
    "task": 3,
    "threads": 3,
    "unix": 3,
    "_unixdatagram": 3,  # unix's DatagramPort/ConnectedDatagramPort, re-exported by unix
    "udp": 3,
    "_multicast": 3,  # udp's MulticastPort, served by udp
    "tls": 3,
    "_tlsprotocol": 3,  # TLSMemoryBIOProtocol, re-exported by tls
    "_tlstransport": 3,  # what TLSMemoryBIOProtocol hands to the transport below
    "ssl": 3,
    "_ssl*": 3,  # the parts of plait.ssl (_sslcert, _sslkeys, _sslverify, _sslclient), used by tls too
    "process": 3,  # child processes: transports and reaping
    "_processpipes": 3,  # the pipe descriptors process and stdio share
    "_processspawn": 3,  # posix_spawn / fork+exec, with the checks
    "utils": 3,  # getProcessOutput & co. (twisted.internet.utils)
    "stdio": 3,  # StandardIO over the program's own stdin/stdout
    "selectreactor": 4,
    "endpoints": 4,
    "_endpointgrammar": 4,  # description strings: grammar and parser registry
    "_adoptedendpoint": 4,  # AdoptedStreamServerEndpoint, re-exported by endpoints
    "_tlsendpoints": 4,  # SSL4*/wrap*TLS endpoints and the ssl:/tls: strings
    "_processendpoints": 4,  # ProcessEndpoint, StandardIOEndpoint, "stdio:"
    "_unixendpoints": 4,  # UNIX*Endpoint and the unix:/systemd: strings
    "service": 4,
    "protocols": 4,
    "protocols.*": 4,
    "protocols.policies": 4,  # twisted.protocols.policies: wrappers, limits, timeouts
    "fdesc": 2,  # twisted.internet.fdesc: non-blocking fd helpers over plait.main
    "posixbase": 4,  # twisted.internet.posixbase: PosixReactorBase (SelectorReactor)
    "application": 3,  # the package: twisted.application
    "application.service": 3,  # Service, MultiService, Application
    "application.internet": 4,  # TCPServer..., TimerService, endpoint services
}

# Modules outside the layers: they may import anything, and no library
# module may import them.  ``_iosim`` is the part of ``testing`` that lives
# in its own file; ``epollreactor``/``pollreactor`` are installers, like
# ``reactor``.  ``__init__`` is the ``plait`` package itself.
UNLAYERED: frozenset[str] = frozenset(
    {"__init__", "reactor", "testing", "_iosim", "demo", "compat", "epollreactor", "pollreactor"}
    # plait.trial (issue 14): test cases, runner, pytest plugin
    | {
        "trial", "trial.unittest", "trial.util", "trial._assertions", "trial._synctest",
        "trial._asynctest", "trial._spin", "trial._reporter", "trial._runner",
        "trial.__main__", "pytest_plugin",
        "trace", "trace.__main__", "trace._tracer", "trace._instrument", "trace._probes", "trace._html",
    }
)

# Same-layer imports that internals.md allows: (importer, imported) fnmatch
# patterns.  Layer 0 modules import each other; ``defer`` (with its private
# parts ``_defer*``) uses ``log``; ``base`` is built from its private helpers;
# the protocol implementations build on each other (``irc`` extends
# ``basic.LineReceiver``).
SAME_LAYER: frozenset[tuple[str, str]] = frozenset(
    {
        ("error", "*"),
        ("failure", "*"),
        ("address", "*"),
        ("interfaces", "*"),
        ("defer", "log"),
        ("defer", "_defer*"),
        ("_defer*", "_defer*"),
        ("_defer*", "log"),
        ("_defer*", "logger"),
        ("logger", "_log*"),
        ("_log*", "_log*"),
        ("log", "logger"),
        ("log", "_log*"),
        ("base", "_threadpool"),
        ("base", "_resolver"),
        ("base", "_timerqueue"),
        ("base", "connector"),
        ("base", "_baseport"),
        ("_baseport", "abstract"),
        ("tcp", "_tcpconnection"),
        ("tcp", "_tcpclient"),
        ("_tcpclient", "_tcpconnection"),
        ("endpoints", "_endpointgrammar"),
        ("endpoints", "_adoptedendpoint"),
        ("_adoptedendpoint", "_endpointgrammar"),
        ("endpoints", "_tlsendpoints"),
        ("_tlsendpoints", "_endpointgrammar"),
        ("ssl", "_ssl*"),
        ("ssl", "tcp"),  # ssl.Connector/Port: TCP's with a TLS factory
        ("ssl", "tls"),
        ("_ssl*", "_ssl*"),
        ("tls", "_ssl*"),
        ("tls", "_tlsprotocol"),
        ("_tlsprotocol", "_ssl*"),
        ("_tlsprotocol", "_tlstransport"),
        ("endpoints", "_processendpoints"),
        ("_processendpoints", "_endpointgrammar"),
        ("process", "_process*"),
        ("_processpipes", "_processspawn"),
        ("stdio", "_processpipes"),
        ("protocols.*", "protocols.*"),
        ("unix", "tcp"),  # UNIX streams are tcp's Connection, Server and Port with a path
        ("unix", "_tcp*"),
        ("unix", "_unixdatagram"),
        ("_unixdatagram", "udp"),  # UNIX datagram ports are udp's Port with a path
        ("_multicast", "udp"),  # MulticastPort is udp's Port with group membership
        ("endpoints", "_unixendpoints"),
        ("_unixendpoints", "_endpointgrammar"),
        ("_unixendpoints", "_adoptedendpoint"),
        ("application.internet", "service"),  # re-exports ClientService
        ("application.internet", "application.service"),
        ("posixbase", "selectreactor"),  # PosixReactorBase is SelectorReactor
    }
)

# Library functions that import the global reactor at call time because
# Twisted's API defaults to it: (module, qualified name of the function).
GLOBAL_REACTOR_FALLBACKS: frozenset[tuple[str, str]] = frozenset(
    {
        ("abstract", "FileDescriptor.__init__"),  # FileDescriptor(reactor=None)
        ("protocol", "ReconnectingClientFactory.retry"),  # RCF.clock
        ("protocols._irc_client", "IRCClient._getClock"),  # lineRate, the heartbeat, DCC
        ("task", "LoopingCall.clock"),  # LoopingCall.clock
        ("_defer_lock", "DeferredFilesystemLock.__init__"),  # (name, scheduler=None)
        ("task", "react"),  # react(main, argv=(), _reactor=None)
        ("task", "_defaultScheduler"),  # Cooperator(scheduler=...) default
        ("tcp", "Port.__init__"),  # Port(..., reactor=None)
        ("tcp", "Connector.__init__"),  # Connector(..., reactor=None)
        ("unix", "Port.__init__"),  # Port(..., reactor=None)
        ("unix", "Connector.__init__"),  # Connector(address, factory, timeout, reactor, ...)
        ("udp", "Port.__init__"),  # Port(..., reactor=None)
        ("threads", "deferToThread"),  # deferToThread(f, *args, **kwargs)
        ("threads", "callMultipleInThread"),  # callMultipleInThread(tupleList)
        ("utils", "_spawnWithDeferred"),  # getProcessOutput(..., reactor=None) & co.
        ("stdio", "StandardIO.__init__"),  # StandardIO(proto, stdin, stdout, reactor=None)
        ("service", "ClientService.__init__"),  # ClientService(..., clock=None)
        ("application.internet", "_reactorOf"),  # TCPServer(..., reactor=None) & co.
        ("_tlsprotocol", "_globalClock"),
        ("protocols.policies", "_globalCallLater"),  # TimeoutMixin/ThrottlingFactory/TimeoutFactory.callLater  # TLSMemoryBIOFactory(clock=None) over a transport without a reactor
    }
)


@dataclass(frozen=True)
class ImportSite:
    """One ``plait.*`` import found in a module."""

    target: str  # module name relative to plait, "" for the package itself
    line: int
    moduleLevel: bool
    typeCheckingOnly: bool
    function: str  # qualified name of the enclosing function, "" at module level


def _moduleName(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR).with_suffix("")
    parts = list(relative.parts)
    if parts == ["__init__"]:
        return "__init__"
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _allModules() -> list[str]:
    return sorted(_moduleName(path) for path in PACKAGE_DIR.rglob("*.py"))


def _sourcePath(name: str) -> Path:
    if name == "__init__":
        return PACKAGE_DIR / "__init__.py"
    base = PACKAGE_DIR.joinpath(*name.split("."))
    package = base / "__init__.py"
    return package if package.exists() else base.with_suffix(".py")


def _isSubmodule(name: str) -> bool:
    """True if ``plait.<name>`` is a module, written already or planned in the table."""
    base = PACKAGE_DIR.joinpath(*name.split("."))
    exists = base.with_suffix(".py").exists() or (base / "__init__.py").exists()
    return exists or _tableKey(name) is not None


def _packageOf(name: str) -> list[str]:
    """The package a module lives in, as parts relative to plait."""
    if name == "__init__":
        return []
    parts = name.split(".")
    return parts if _sourcePath(name).name == "__init__.py" else parts[:-1]


def _relativeToPlait(absolute: str) -> str | None:
    if absolute == "plait":
        return ""
    if absolute.startswith("plait."):
        return absolute[len("plait.") :]
    return None


class _ImportCollector(ast.NodeVisitor):
    """Collects the plait imports of one module, with their context."""

    def __init__(self, moduleName: str) -> None:
        self.moduleName = moduleName
        self.sites: list[ImportSite] = []
        self._scope: list[str] = []  # enclosing class/function names
        self._functionDepth = 0
        self._typeChecking = 0

    # -- context tracking -------------------------------------------------

    def _visitFunction(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._scope.append(node.name)
        self._functionDepth += 1
        self.generic_visit(node)
        self._functionDepth -= 1
        self._scope.pop()

    visit_FunctionDef = _visitFunction
    visit_AsyncFunctionDef = _visitFunction

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._functionDepth += 1
        self.generic_visit(node)
        self._functionDepth -= 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        isTypeChecking = (
            isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
        ) or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if not isTypeChecking:
            self.generic_visit(node)
            return
        self.visit(node.test)
        self._typeChecking += 1
        for child in node.body:
            self.visit(child)
        self._typeChecking -= 1
        for child in node.orelse:
            self.visit(child)

    # -- imports ------------------------------------------------------------

    def _record(self, absolute: str, line: int) -> None:
        target = _relativeToPlait(absolute)
        if target is None:
            return
        self.sites.append(
            ImportSite(
                target=target,
                line=line,
                moduleLevel=self._functionDepth == 0,
                typeCheckingOnly=self._typeChecking > 0,
                function=".".join(self._scope) if self._functionDepth else "",
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._record(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = ["plait", *_packageOf(self.moduleName)]
            if node.level > 1:
                package = package[: -(node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        relative = _relativeToPlait(base)
        if relative is None:
            return
        for alias in node.names:
            # "from plait import tcp" imports the submodule plait.tcp; "from
            # plait.tcp import Client" imports plait.tcp.
            candidate = f"{relative}.{alias.name}" if relative else alias.name
            if alias.name != "*" and _isSubmodule(candidate):
                self._record(f"plait.{candidate}", node.lineno)
            else:
                self._record(base, node.lineno)


def _importsOf(name: str) -> list[ImportSite]:
    path = _sourcePath(name)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    collector = _ImportCollector(name)
    collector.visit(tree)
    return collector.sites


def _tableKey(name: str) -> str | None:
    """The LAYERS/UNLAYERED key that covers module ``name``, if any."""
    if name in LAYERS or name in UNLAYERED:
        return name
    for pattern in LAYERS:
        if fnmatch.fnmatchcase(name, pattern):
            return pattern
    return None


def _matches(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)


def _sameLayerAllowed(importer: str, imported: str) -> bool:
    return any(
        _matches(src, importer) and _matches(dst, imported) for src, dst in SAME_LAYER
    )


def _layeringViolations(name: str) -> list[str]:
    """Describe every module-level import of ``name`` that breaks the layers."""
    key = _tableKey(name)
    if key is None or key in UNLAYERED:
        return []
    layer = LAYERS[key]
    problems = []
    for site in _importsOf(name):
        if not site.moduleLevel or site.typeCheckingOnly or site.target == "":
            continue
        targetKey = _tableKey(site.target)
        where = f"plait/{_sourcePath(name).relative_to(PACKAGE_DIR)}:{site.line}"
        if targetKey is None:
            problems.append(f"{where}: imports unknown module plait.{site.target}")
        elif targetKey in UNLAYERED:
            problems.append(f"{where}: imports unlayered plait.{site.target}")
        elif LAYERS[targetKey] > layer:
            problems.append(
                f"{where}: layer {layer} module plait.{name} imports "
                f"plait.{site.target} from layer {LAYERS[targetKey]}"
            )
        elif (
            LAYERS[targetKey] == layer
            and site.target != name
            and not _sameLayerAllowed(name, site.target)
        ):
            problems.append(
                f"{where}: plait.{name} imports plait.{site.target} from its own "
                f"layer {layer}, which docs/internals.md does not allow"
            )
    return problems


def _forbiddenImports(name: str) -> list[str]:
    """Describe every import (any level) of an unlayered module by library code."""
    key = _tableKey(name)
    if key is None or key in UNLAYERED:
        return []
    problems = []
    for site in _importsOf(name):
        targetKey = _tableKey(site.target)
        if targetKey is None or targetKey not in UNLAYERED or site.target == "":
            continue
        if (
            site.target == "reactor"
            and (name, site.function) in GLOBAL_REACTOR_FALLBACKS
        ):
            continue
        where = f"plait/{_sourcePath(name).relative_to(PACKAGE_DIR)}:{site.line}"
        problems.append(
            f"{where}: library module plait.{name} imports plait.{site.target}"
            + (f" inside {site.function}()" if site.function else "")
        )
    return problems


MODULES = _allModules()


@pytest.mark.parametrize("name", MODULES)
def test_moduleIsInTheLayerTable(name: str) -> None:
    """Every module under plait/ has a place in the layer table."""
    assert _tableKey(name) is not None, (
        f"plait.{name} is not in the layer table: add it to LAYERS or UNLAYERED in "
        f"tests/unit/test_layering.py and to the Layers table in docs/internals.md"
    )


@pytest.mark.parametrize("name", MODULES)
def test_moduleLevelImportsFlowDownward(name: str) -> None:
    """A module imports, at module level, only from lower layers (or as allowed)."""
    assert _layeringViolations(name) == []


@pytest.mark.parametrize("name", MODULES)
def test_libraryNeverImportsUnlayeredModules(name: str) -> None:
    """No library module imports plait.reactor, plait.testing & co., even lazily."""
    assert _forbiddenImports(name) == []


def test_tableNamesOnlyExistingOrPlannedModules() -> None:
    """The fallback allow-list points at functions that really import the reactor."""
    for module, function in GLOBAL_REACTOR_FALLBACKS:
        if not _sourcePath(module).exists():
            continue  # the module has not been written yet
        sites = [s for s in _importsOf(module) if s.target == "reactor"]
        assert function in {s.function for s in sites}, (
            f"GLOBAL_REACTOR_FALLBACKS lists {module}.{function}, which does not "
            f"import plait.reactor: remove the entry"
        )


# -- the checker itself, on synthetic modules ------------------------------


def _checkSource(
    monkeypatch: pytest.MonkeyPatch, name: str, source: str
) -> tuple[list[str], list[str]]:
    tree = ast.parse(source)

    def fakeImports(moduleName: str) -> list[ImportSite]:
        collector = _ImportCollector(moduleName)
        collector.visit(tree)
        return collector.sites

    monkeypatch.setitem(globals(), "_importsOf", fakeImports)
    return _layeringViolations(name), _forbiddenImports(name)


def test_checkerFlagsUpwardImport(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upward module-level import is reported with file and line."""
    layering, _ = _checkSource(
        monkeypatch, "defer", "x = 1\nfrom plait.tcp import Client\n"
    )
    assert len(layering) == 1
    assert "defer.py:2" in layering[0] and "plait.tcp from layer 3" in layering[0]


def test_checkerFlagsSameLayerImport(monkeypatch: pytest.MonkeyPatch) -> None:
    """A same-layer import not allowed by internals.md is reported."""
    layering, _ = _checkSource(monkeypatch, "log", "from plait import defer\n")
    assert len(layering) == 1 and "own layer 1" in layering[0]
    layering, _ = _checkSource(monkeypatch, "defer", "from plait import log\n")
    assert layering == []


def test_checkerIgnoresFunctionAndTypeCheckingImports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Imports in function bodies or under TYPE_CHECKING are not layer violations."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from plait.defer import Deferred\n"
        "def f():\n"
        "    import plait.tcp\n"
        "class C:\n"
        "    def m(self):\n"
        "        from plait import selectreactor\n"
    )
    layering, forbidden = _checkSource(monkeypatch, "error", source)
    assert layering == [] and forbidden == []


def test_checkerCountsClassBodiesAndRelativeImports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Class bodies run at import time, and relative imports are resolved."""
    source = "class C:\n    from . import tcp\nfrom .protocols import basic\n"
    layering, _ = _checkSource(monkeypatch, "base", source)
    assert len(layering) == 2
    assert "plait.tcp" in layering[0] and "plait.protocols.basic" in layering[1]


def test_checkerFlagsLazyReactorImport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the global reactor or the test doubles, even lazily, is reported."""
    source = (
        "def f():\n    from plait import reactor\ndef g():\n    import plait.testing\n"
    )
    _, forbidden = _checkSource(monkeypatch, "tcp", source)
    assert len(forbidden) == 2
    assert "plait.reactor inside f()" in forbidden[0]
    assert "plait.testing inside g()" in forbidden[1]


def test_checkerAllowsListedReactorFallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allow-listed call-time fallback to the global reactor is accepted."""
    source = (
        "class ReconnectingClientFactory:\n"
        "    def retry(self):\n"
        "        from plait import reactor\n"
        "    def other(self):\n"
        "        from plait import reactor\n"
    )
    _, forbidden = _checkSource(monkeypatch, "protocol", source)
    assert len(forbidden) == 1 and "ReconnectingClientFactory.other" in forbidden[0]


def test_unknownModuleIsNotInTable() -> None:
    """A module missing from the table has no key, so the first test fails for it."""
    assert _tableKey("brandnew") is None
    assert _tableKey("protocols.brandnew") == "protocols.*"
