"""The documentation's references to code still point at real code.

Every page in ``docs/`` names functions as dotted paths in backticks
(``plait.tcp.Client.doWrite``): the tour, the guided path in
``docs/internals.md``, the howto pages.  Each such name must resolve, so a
rename that forgets a page fails here.  The resolution is the one the site
build uses to link each name to its source (``tools/docsite.py``:
``references`` finds the names, ``resolve`` finds where each is defined,
following re-exports and inherited methods, and never imports
``plait.reactor``, which would install a global reactor).

The pages' Python code blocks are excerpts of programs under ``examples/``
that the test suite runs, so the docs cannot rot: each block names its file
(```` ```python title="examples/greeter.py" ````), its text must appear in
that file verbatim, and the file must be run by a test under
``tests/integration/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.docsite import (
    DOCS,
    ROOT,
    isPublic,
    linkReferences,
    moduleNames,
    referenceIndex,
    references,
    resolve,
    sourcePage,
)

PAGES = sorted(p.name for p in DOCS.glob("*.md"))
#: The pages that exist to walk through the code: they must name plenty of it.
WALKS = {"tour.md": 30, "internals.md": 40}

FENCE = re.compile(r"^```(\w*)(.*)$")
TITLE = re.compile(r'title="([^"]+)"')


def _references(page: str) -> list[str]:
    return references((DOCS / page).read_text(encoding="utf-8"))


def _allReferences() -> list[tuple[str, str]]:
    return [(page, name) for page in PAGES for name in _references(page)]


@pytest.mark.parametrize(("page", "minimum"), sorted(WALKS.items()))
def test_walkthroughsNameCode(page: str, minimum: int) -> None:
    """The tour and the guided path reference code at all (so the check below is not vacuous)."""
    assert len(_references(page)) >= minimum


@pytest.mark.parametrize(("page", "dotted"), _allReferences())
def test_referenceExists(page: str, dotted: str) -> None:
    """Each dotted name in docs/*.md resolves to a module, class, function or name."""
    location = resolve(dotted)
    assert location.line >= 1


def test_resolutionFollowsReExportsAndInheritance() -> None:
    deferred = resolve("plait.defer.Deferred")
    assert (deferred.module, deferred.qualname) == ("plait._deferred", "Deferred")
    doRead = resolve("plait.tcp.Client.doRead")  # inherited from Connection
    assert (doRead.module, doRead.qualname) == ("plait._tcpconnection", "Connection.doRead")
    assert resolve("plait.tcp").qualname == ""
    assert resolve("plait.reactor").module == "plait.reactor"  # never imported
    with pytest.raises(LookupError, match="has no 'doNothing'"):
        resolve("plait.tcp.Client.doNothing")
    with pytest.raises(LookupError, match="plait has no 'nowhere'"):
        resolve("plait.nowhere.thing")


def test_namesInProseBecomeLinksToTheirSource() -> None:
    text = "See `plait.tcp.Port.doRead`, not `plait.nope.x`.\n```\n`plait.tcp.Port`\n```\n"
    linked, problems = linkReferences(text, "guides/page.md")
    line = resolve("plait.tcp.Port.doRead").line
    assert line > 1
    assert linked.splitlines()[0] == (
        "See [`plait.tcp.Port.doRead`](../source/plait.tcp.md#plait.tcp.Port.doRead), "
        "not `plait.nope.x`."
    )
    assert linked.splitlines()[2] == "`plait.tcp.Port`"  # code blocks are left alone
    inLink = "the [`plait.defer` reference](reference/plait.defer.md)"
    assert linkReferences(inLink, "page.md") == (inLink, [])  # no link inside a link
    assert problems == ["plait.nope.x: plait has no 'nope' there"]


def test_apiReferenceListsEveryPublicModuleFromThePackage() -> None:
    """The reference is generated from the package: every public module, no private one."""
    modules = moduleNames()
    assert {"plait.tcp", "plait.trace", "plait.protocols.irc", "plait._deferred"} <= set(modules)
    table = referenceIndex()
    for module in modules:
        assert (f"[`{module}`]({module}.md)" in table) == isPublic(module)


def test_sourcePagesAnchorEachLineAndDefinition() -> None:
    """The link targets exist: the definition's anchor sits on its own line."""
    where = resolve("plait.tcp.Port.doRead")
    page = sourcePage("plait.tcp")
    assert f'<span class="line" id="L{where.line}"><span id="plait.tcp.Port.doRead"></span>' in page
    assert page.count('<span class="line" id="L') == len((ROOT / "plait" / "tcp.py").read_text().splitlines())
    assert "[API reference](../reference/plait.tcp.md)" in page
    assert "API reference" not in sourcePage("plait._tcpconnection")  # private: no reference page


# -- code blocks are examples that run ------------------------------------------------------


#: A block that shows a whole example file names it on its first line
#: (tests/integration/test_doc_samples.py runs those blocks as programs).
FILE_LINE = re.compile(r"# (examples/[\w/]+\.py)$")
#: A snippet that is not a program says so on the line before its fence.
NOT_A_PROGRAM = re.compile(r"<!-- not a program: .+ -->")


def _pythonBlocks(page: str) -> list[tuple[str, str, int]]:
    """(title, code, line) of each ```python block of a page.

    The title is the fence's ``title="examples/..."`` or, for a block that
    is a whole file, its ``# examples/...`` first line.  Blocks marked
    ``<!-- not a program: REASON -->`` are left out.
    """
    blocks, current, title, start = [], None, "", 0
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        fence = FENCE.match(line.strip())
        if current is None and fence and fence.group(1) == "python":
            if number > 1 and NOT_A_PROGRAM.fullmatch(lines[number - 2].strip()):
                continue
            match = TITLE.search(fence.group(2))
            current, title, start = [], match.group(1) if match else "", number
        elif current is not None and line.strip() == "```":
            fileLine = FILE_LINE.match(current[0]) if current else None
            if not title and fileLine:
                title = fileLine.group(1)
            blocks.append((title, "\n".join(current), start))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _blocks() -> list[tuple[str, str, str, int]]:
    return [(page, *block) for page in PAGES for block in _pythonBlocks(page)]


def _runByATest(example: str) -> bool:
    tests = (ROOT / "tests" / "integration").glob("test_*.py")
    return any(example in path.read_text(encoding="utf-8") for path in tests)


@pytest.mark.parametrize(("page", "title", "code", "line"), _blocks())
def test_codeBlockIsAnExampleThatRuns(page: str, title: str, code: str, line: int) -> None:
    where = f"docs/{page}:{line}"
    assert title.startswith("examples/"), f'{where}: give the block title="examples/<file>.py"'
    path = ROOT / title
    assert path.is_file(), f"{where}: {title} does not exist"
    assert code.strip() and code in path.read_text(encoding="utf-8"), (
        f"{where}: the block is not a verbatim excerpt of {title}"
    )
    # A whole-file block (first line "# examples/...") is run from its page
    # by tests/integration/test_doc_samples.py.
    wholeFile = code.startswith(f"# {title}\n")
    assert wholeFile or _runByATest(Path(title).name), f"{where}: no test under tests/integration runs {title}"


def test_pagesHaveCodeBlocksToCheck() -> None:
    assert len(_blocks()) >= 8
