"""The documentation site's build hooks, and the code index the docs tests share.

``mkdocs build --strict`` (configured in ``mkdocs.yml``) loads this file as
a hook module.  It adds, at build time, pages that are generated from the
package rather than written by hand, so they can never fall behind:

* ``reference/<module>.md``: one API reference page per *public* module
  (no ``_private`` part in its name), rendered by mkdocstrings from the
  docstrings, plus ``reference/index.md`` listing them.  A module added to
  ``plait/`` appears on its next build, in the nav's "API reference".
* ``source/<module>.md``: every module's source (private ones too), with an
  anchor on each line (``#L42``) and on each class, function, method and
  module-level name (``#plait.tcp.Client.doWrite``).

and it rewrites every hand-written page: a dotted name in backticks
(`` `plait.tcp.Client.doWrite` ``) becomes a link to that definition's
source, so the guided path in ``docs/internals.md`` and the tour link to the
exact functions.  A name that does not resolve is a warning, which
``--strict`` makes an error; ``tests/unit/test_docs.py`` runs the same
resolution (``resolve``) without MkDocs.  So does a page in ``docs/`` that
``mkdocs.yml``'s nav forgets.

The code index is static (``ast``, no import), except for names a class
inherits, which are looked up by importing the module (never
``plait.reactor``, whose import installs a reactor).
"""

from __future__ import annotations

import ast
import functools
import html
import importlib
import inspect
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plait"
DOCS = ROOT / "docs"

#: A dotted reference to plait's code in a page: `plait.x.Y.z` in backticks.
REFERENCE = re.compile(r"`(plait(?:\.[A-Za-z_]\w*)+)`")
FENCE = re.compile(r"^\s*(```|~~~)")
#: A Markdown link, ``[text](target)``, kept whole by ``split``.
MARKDOWN_LINK = re.compile(r"(\[[^\]]*\]\([^)]*\))")

log = logging.getLogger("mkdocs.plugins.plait")


# -- the code index ---------------------------------------------------------------------


def moduleNames() -> list[str]:
    """Every module of the package (``plait``, ``plait.tcp``, ``plait.protocols.irc``...)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":
            names.append(".".join(parts))
    return names


def isPublic(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


def sourcePath(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@dataclass(frozen=True)
class Location:
    """Where a name is defined: its module, its qualified name, and the line."""

    module: str
    qualname: str  # "" for the module itself
    line: int

    @property
    def anchor(self) -> str:
        return f"{self.module}.{self.qualname}" if self.qualname else ""


class _Indexer(ast.NodeVisitor):
    """Qualified names (classes, functions, assigned names) to their lines."""

    def __init__(self) -> None:
        self.defs: dict[str, int] = {}
        self.imports: dict[str, str] = {}  # local name -> "plait.module.Name"
        self._scope: list[str] = []

    def _define(self, name: str, line: int) -> None:
        self.defs.setdefault(".".join([*self._scope, name]), line)

    def _visitScope(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._define(node.name, node.lineno)
        if isinstance(node, ast.ClassDef) or not self._scope:
            self._scope.append(node.name)
            for child in node.body:
                if isinstance(node, ast.ClassDef) or isinstance(child, ast.ClassDef):
                    self.visit(child)
            self._scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _visitScope

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    self._define(name.id, node.lineno)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._define(node.target.id, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not self._scope and node.module and node.module.startswith("plait"):
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_If(self, node: ast.If) -> None:
        for child in [*node.body, *node.orelse]:
            self.visit(child)

    def visit_Try(self, node: ast.Try) -> None:
        for child in [*node.body, *node.orelse, *node.finalbody]:
            self.visit(child)


@functools.cache
def index(module: str) -> _Indexer:
    """The definitions and plait imports of ``module`` (parsed once)."""
    path = sourcePath(module)
    indexer = _Indexer()
    indexer.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return indexer


def resolve(dotted: str, _depth: int = 0) -> Location:
    """Where ``dotted`` (``plait.tcp.Client.doWrite``) is defined.

    Follows re-exports (``plait.defer.Deferred`` is defined in
    ``plait._deferred``) and inherited methods.  Raises ``LookupError``
    naming the part that does not exist.
    """
    modules = set(moduleNames())
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in modules:
            return _resolveIn(module, parts[cut:], dotted, _depth)
    raise LookupError(f"{dotted}: no module of plait is named by it")


def _resolveIn(module: str, rest: list[str], dotted: str, depth: int) -> Location:
    if not rest:
        return Location(module, "", 1)
    entry = index(module)
    qualname = ".".join(rest)
    if qualname in entry.defs:
        return Location(module, qualname, entry.defs[qualname])
    head = rest[0]
    if head in entry.imports and depth < 10:  # a re-export: follow it
        return resolve(".".join([entry.imports[head], *rest[1:]]), depth + 1)
    return _inherited(dotted)


def _inherited(dotted: str) -> Location:
    """A name the source does not define where it is named: import and look."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module == "plait.reactor":
            break
        try:
            obj: Any = importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                raise LookupError(f"{dotted}: {'.'.join(parts[:cut])} has no {attribute!r} there")
            obj = getattr(obj, attribute)
        target = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
        home = getattr(target, "__module__", None)
        name = getattr(target, "__qualname__", None)
        if isinstance(home, str) and isinstance(name, str) and home.startswith("plait"):
            entry = index(home)
            if name in entry.defs:
                return Location(home, name, entry.defs[name])
        raise LookupError(f"{dotted}: found, but not defined in plait's source")
    raise LookupError(f"{dotted}: does not resolve")


def references(text: str) -> list[str]:
    """The dotted names a page refers to, outside fenced code blocks."""
    return sorted({name for line in _proseLines(text) for name in REFERENCE.findall(line)})


def _proseLines(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


# -- generated pages ------------------------------------------------------------------------


def referencePage(module: str) -> str:
    return f"# `{module}`\n\n[Source](../source/{module}.md)\n\n::: {module}\n"


def referenceIndex() -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings of every public module (this list is",
        "built from the package, so a new module appears here by itself).",
        "Each page links to the module's source.",
        "",
        "| module | what it owns |",
        "|---|---|",
    ]
    for module in moduleNames():
        if isPublic(module):
            lines.append(f"| [`{module}`]({module}.md) | {_summary(module)} |")
    return "\n".join(lines) + "\n"


def _summary(module: str) -> str:
    tree = ast.parse(sourcePath(module).read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.replace("|", "\\|")


def sourcePage(module: str) -> str:
    """The module's source with an anchor on each line and each definition."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    path = sourcePath(module)
    text = path.read_text(encoding="utf-8")
    highlighted = highlight(text, PythonLexer(), HtmlFormatter(nowrap=True)).split("\n")
    byLine: dict[int, list[str]] = {}
    for qualname, line in index(module).defs.items():
        byLine.setdefault(line, []).append(f"{module}.{qualname}")
    out = []
    for number, code in enumerate(highlighted[: len(text.splitlines())], start=1):
        anchors = "".join(f'<span id="{html.escape(a)}"></span>' for a in byLine.get(number, []))
        out.append(
            f'<span class="line" id="L{number}">{anchors}'
            f'<a class="lineno" href="#L{number}">{number:>4}</a> {code}</span>'
        )
    relative = path.relative_to(ROOT).as_posix()
    header = f"# `{relative}`\n\n"
    if isPublic(module):
        header += f"[API reference](../reference/{module}.md)\n\n"
    return header + '<div class="plait-source highlight"><pre>' + "\n".join(out) + "</pre></div>\n"


def linkReferences(markdown: str, pagePath: str) -> tuple[str, list[str]]:
    """Turn each `plait.x.y` in prose into a link to its source; return the
    new text and the names that did not resolve."""
    depth = pagePath.count("/")
    prefix = "../" * depth
    problems: list[str] = []

    def link(match: re.Match[str]) -> str:
        dotted = match.group(1)
        try:
            where = resolve(dotted)
        except LookupError as e:
            problems.append(str(e))
            return match.group(0)
        target = f"{prefix}source/{where.module}.md"
        if where.anchor:
            target += f"#{where.anchor}"
        return f"[`{dotted}`]({target})"

    out, fenced = [], False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and not line.startswith("#"):  # headings stay plain
            # Names inside an existing link's text are left alone: no nested links.
            pieces = MARKDOWN_LINK.split(line)
            line = "".join(
                piece if MARKDOWN_LINK.fullmatch(piece) else REFERENCE.sub(link, piece)
                for piece in pieces
            )
        out.append(line)
    return "\n".join(out), problems


# -- the MkDocs hooks -------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Add the generated API reference to the nav (after the hand-written pages)."""
    reference: list[Any] = [{"Overview": "reference/index.md"}]
    reference += [{module: f"reference/{module}.md"} for module in moduleNames() if isPublic(module)]
    config["nav"] = [*(config.get("nav") or []), {"API reference": reference}]
    return config


def on_files(files: Any, config: Any) -> Any:
    """Generate the reference and source pages; check the nav lists every page."""
    from mkdocs.structure.files import File

    def add(path: str, content: str) -> None:
        files.append(File.generated(config, path, content=content))

    add("reference/index.md", referenceIndex())
    for module in moduleNames():
        add(f"source/{module}.md", sourcePage(module))
        if isPublic(module):
            add(f"reference/{module}.md", referencePage(module))
    listed = set(_navPages(config.get("nav") or []))
    for page in sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")):
        if page not in listed:
            log.warning(f"docs/{page} is not in the nav of mkdocs.yml: add a line for it")
    return files


def _navPages(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _navPages(value)]
    if isinstance(nav, list):
        return [p for item in nav for p in _navPages(item)]
    return []


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Link the dotted names of a hand-written page to their source."""
    path = page.file.src_uri
    if path.startswith(("reference/", "source/")):
        return markdown
    text, problems = linkReferences(markdown, path)
    for problem in problems:
        log.warning(f"docs/{path}: {problem}")
    return text
