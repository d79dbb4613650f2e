"""Tests for plait.failure.Failure: capture, matching, formatting, pickling."""

from __future__ import annotations

import io
import pickle
import sys
import traceback
from collections.abc import Generator
from typing import Any

import pytest

from plait.failure import Failure, NoCurrentExceptionError

HERE = __file__


def raiseKeyError() -> None:
    local = "value"  # noqa: F841 (inspected through captureVars)
    raise KeyError("k")


def callRaiser() -> None:
    raiseKeyError()


RAISE_LINE = raiseKeyError.__code__.co_firstlineno + 2
CALL_LINE = callRaiser.__code__.co_firstlineno + 1


def caughtFailure(captureVars: bool = False) -> tuple[Failure, int]:
    """A Failure of KeyError('k') raised two calls down; also the catching line."""
    try:
        callRaiser()
    except KeyError:
        return Failure(captureVars=captureVars), sys._getframe().f_lineno - 2
    raise AssertionError("not reached")


# --- construction ----------------------------------------------------------


def test_noArgumentsCapturesCurrentException() -> None:
    """Failure() inside except records type, value and traceback of that exception."""
    try:
        raise ValueError("bad")
    except ValueError as e:
        f = Failure()
        assert f.value is e
        assert f.type is ValueError
        assert f.tb is e.__traceback__


def test_noArgumentsOutsideExceptRaises() -> None:
    """Failure() with no exception being handled raises NoCurrentExceptionError."""
    with pytest.raises(NoCurrentExceptionError):
        Failure()


def test_fromFreshExceptionHasNoFrames() -> None:
    """A never-raised exception gives a Failure without traceback or frames."""
    f = Failure(ValueError("bad"))
    assert f.tb is None
    assert f.frames == []
    assert f.getTracebackObject() is None


def test_fromRaisedExceptionKeepsItsTraceback() -> None:
    """Failure(exc) keeps exc.__traceback__ when exc was raised."""
    try:
        callRaiser()
    except KeyError as e:
        caught = e
    f = Failure(caught)
    assert f.tb is caught.__traceback__
    assert [frame[0] for frame in f.frames] == [
        "test_fromRaisedExceptionKeepsItsTraceback", "callRaiser", "raiseKeyError"]


def test_explicitTypeAndTraceback() -> None:
    """Explicit exc_type and exc_tb are used as given."""
    try:
        raise KeyError("k")
    except KeyError:
        _, value, tb = sys.exc_info()
    f = Failure(value, LookupError, tb)
    assert f.type is LookupError
    assert f.tb is tb


def test_copyOfAnotherFailure() -> None:
    """Failure(otherFailure) copies its state, count included."""
    original, _ = caughtFailure()
    copy = Failure(original)
    assert copy is not original
    assert (copy.type, copy.value, copy.tb, copy.count) == (
        original.type, original.value, original.tb, original.count)


def test_raisedFailureIsCopiedWhenCaptured() -> None:
    """A Failure raised as an exception and captured with Failure() is a copy, not a wrapper."""
    original = Failure(ValueError("bad"))
    try:
        raise original
    except Failure:
        f = Failure()
    assert f.value is original.value
    assert f.type is ValueError


def test_nonExceptionValue() -> None:
    """Any object can be a Failure's value; its class is the type."""
    f = Failure(42)
    assert f.type is int
    assert repr(f) == "<plait.failure.Failure builtins.int: 42>"
    assert f.getTraceback() == "Traceback (most recent call last):\nFailure: builtins.int: 42\n"


def test_countIncreases() -> None:
    """Every new Failure gets a larger serial number."""
    first, second = Failure(ValueError()), Failure(ValueError())
    assert second.count > first.count


def test_parents() -> None:
    """parents lists the qualified names of the type's MRO."""
    assert Failure(KeyError("k")).parents == [
        "builtins.KeyError", "builtins.LookupError", "builtins.Exception",
        "builtins.BaseException", "builtins.object"]


def test_stackIsAlwaysEmpty() -> None:
    """The deprecated stack attribute is always an empty list."""
    f, _ = caughtFailure()
    assert f.stack == []


def test_defaultAttributes() -> None:
    """captureVars and pickled default to false."""
    f = Failure(ValueError())
    assert f.captureVars is False
    assert not f.pickled


def test_isABaseException() -> None:
    """Failure subclasses BaseException, as in Twisted."""
    assert issubclass(Failure, BaseException)


# --- frames ------------------------------------------------------------------


def test_framesAreOutermostFirst() -> None:
    """frames[-1] is where the exception was raised; frames[0] where it was caught."""
    f, catchLine = caughtFailure()
    assert [(name, fileName, line) for name, fileName, line, _, _ in f.frames] == [
        ("caughtFailure", HERE, catchLine),
        ("callRaiser", HERE, CALL_LINE),
        ("raiseKeyError", HERE, RAISE_LINE),
    ]
    assert all(localsItems == () and globalsItems == () for *_, localsItems, globalsItems in f.frames)


def test_captureVarsRecordsLocals() -> None:
    """With captureVars the frames carry the locals at capture time."""
    f, _ = caughtFailure(captureVars=True)
    assert ("local", "value") in f.frames[-1][3]
    assert f.frames[-1][4], "a function frame's globals are captured too"


def test_captureVarsOnModuleLevelFrameSkipsGlobals() -> None:
    """A module-level frame's locals are its globals, so globals are not repeated."""
    namespace: dict[str, Any] = {"Failure": Failure}
    code = "try:\n    raise KeyError('k')\nexcept KeyError:\n    f = Failure(captureVars=True)\n"
    exec(compile(code, "<module-level>", "exec"), namespace)  # noqa: S102
    frame = namespace["f"].frames[0]
    assert frame[0] == "<module>"
    assert ("Failure", Failure) in frame[3]
    assert "__builtins__" not in dict(frame[3])
    assert frame[4] == []


def test_framesCanBeAssigned() -> None:
    """frames is writable, as in Twisted."""
    f = Failure(ValueError())
    f.frames = [("g", "file.py", 3, (), ())]
    assert f.getBriefTraceback() == "Traceback: <class 'ValueError'>: \nfile.py:3:g\n"


# --- matching -----------------------------------------------------------------


def test_checkMatchesAlongTheMro() -> None:
    """check() returns the first matching class, matching base classes too."""
    f = Failure(KeyError("k"))
    assert f.check(ValueError, LookupError, KeyError) is LookupError
    assert f.check(ValueError) is None


def test_checkMatchesQualifiedNames() -> None:
    """check() accepts qualified names of the type or its bases."""
    f = Failure(KeyError("k"))
    assert f.check("builtins.KeyError") == "builtins.KeyError"
    assert f.check("builtins.ValueError", "builtins.Exception") == "builtins.Exception"
    assert f.check("KeyError") is None


def test_checkMatchesBaseExceptionSubclasses() -> None:
    """check(BaseException) matches a KeyboardInterrupt (a documented fix over Twisted)."""
    assert Failure(KeyboardInterrupt()).check(BaseException) is BaseException


def test_checkWithNonClassType() -> None:
    """A Failure whose type is not a class matches no class."""
    f = Failure("text", "not a class")  # type: ignore[arg-type]
    assert f.check(Exception) is None


def test_trapReturnsTheMatch() -> None:
    """trap() returns the matching type when there is one."""
    assert Failure(KeyError("k")).trap(ValueError, KeyError) is KeyError


def test_trapReraisesTheOriginalException() -> None:
    """trap() re-raises the original exception (not the Failure), traceback included."""
    f, _ = caughtFailure()
    with pytest.raises(KeyError) as caught:
        f.trap(ValueError)
    assert caught.value is f.value
    names = [entry.name for entry in traceback.extract_tb(caught.value.__traceback__)]
    assert names[-1] == "raiseKeyError"


def test_trapWithNonExceptionValueRaisesTheFailure() -> None:
    """A value that cannot be raised is propagated as the Failure itself."""
    f = Failure(42)
    with pytest.raises(Failure) as caught:
        f.trap(ValueError)
    assert caught.value is f


# --- raising ---------------------------------------------------------------------


def test_raiseExceptionKeepsTraceback() -> None:
    """raiseException re-raises the value with its original traceback."""
    f, _ = caughtFailure()
    with pytest.raises(KeyError) as caught:
        f.raiseException()
    assert caught.value is f.value
    assert traceback.extract_tb(caught.value.__traceback__)[-1].name == "raiseKeyError"


def test_throwExceptionIntoGenerator() -> None:
    """The original exception is thrown into the generator at its yield."""
    seen: list[BaseException] = []

    def gen() -> Generator[str, None, None]:
        try:
            yield "first"
        except KeyError as e:
            seen.append(e)
            yield "handled"

    g = gen()
    next(g)
    f, _ = caughtFailure()
    assert f.throwExceptionIntoGenerator(g) == "handled"
    assert seen == [f.value]


# --- formatting --------------------------------------------------------------------


def test_reprAndStrWithoutFrames() -> None:
    """repr and str use Twisted's formats (class shown as plait.failure.Failure)."""
    f = Failure(ValueError("bad"))
    assert repr(f) == "<plait.failure.Failure builtins.ValueError: bad>"
    assert str(f) == "[Failure instance: Traceback (failure with no frames): <class 'ValueError'>: bad\n]"


def test_reprUsesSubclassName() -> None:
    """A Failure subclass shows its own qualified name in repr."""

    class MyFailure(Failure):
        pass

    assert repr(MyFailure(ValueError("x"))).startswith(f"<{__name__}.MyFailure builtins.ValueError")


def test_getTracebackWithoutFrames() -> None:
    """The default traceback of a frameless failure names it a Failure."""
    f = Failure(ValueError("bad"))
    assert f.getTraceback() == "Traceback (most recent call last):\nFailure: builtins.ValueError: bad\n"


def test_getTracebackWithFrames() -> None:
    """The default traceback looks like Python's, ending with the qualified type."""
    f, catchLine = caughtFailure()
    assert f.getTraceback() == (
        "Traceback (most recent call last):\n"
        f'  File "{HERE}", line {catchLine}, in caughtFailure\n'
        "    callRaiser()\n"
        f'  File "{HERE}", line {CALL_LINE}, in callRaiser\n'
        "    raiseKeyError()\n"
        f'  File "{HERE}", line {RAISE_LINE}, in raiseKeyError\n'
        '    raise KeyError("k")\n'
        "builtins.KeyError: 'k'\n"
    )


def test_getTracebackWithoutSourceLeavesBlankLine() -> None:
    """A frame whose source is unavailable gets an empty source line."""
    f = Failure(OSError(2, "nf"))
    f.frames = [("q", "<nosource>", 2, (), ())]
    assert f.getTraceback() == (
        "Traceback (most recent call last):\n"
        '  File "<nosource>", line 2, in q\n'
        "    \n"
        "builtins.FileNotFoundError: [Errno 2] nf\n"
    )


def test_briefTraceback() -> None:
    """The brief traceback lists file:line:function, outermost first."""
    f, catchLine = caughtFailure()
    expected = (
        "Traceback: <class 'KeyError'>: 'k'\n"
        f"{HERE}:{catchLine}:caughtFailure\n"
        f"{HERE}:{CALL_LINE}:callRaiser\n"
        f"{HERE}:{RAISE_LINE}:raiseKeyError\n"
    )
    assert f.getBriefTraceback() == expected
    assert f.getTraceback(detail="brief") == expected
    assert str(f) == f"[Failure instance: {expected}]"


def test_verboseTracebackWithoutCapturedVars() -> None:
    """The verbose traceback frames the failure number and says capture is off."""
    f, catchLine = caughtFailure()
    assert f.getTraceback(detail="verbose") == (
        f"*--- Failure #{f.count} ---\n"
        f"{HERE}:{catchLine}: caughtFailure(...)\n"
        f"{HERE}:{CALL_LINE}: callRaiser(...)\n"
        f"{HERE}:{RAISE_LINE}: raiseKeyError(...)\n"
        " [Capture of Locals and Globals disabled (use captureVars=True)]\n"
        "builtins.KeyError: 'k'\n"
        f"*--- End of Failure #{f.count} ---\n"
    )


def test_verboseTracebackWithoutFrames() -> None:
    """A frameless verbose traceback has just the Failure line."""
    f = Failure(ValueError("bad"))
    assert f.getTraceback(detail="verbose") == (
        f"*--- Failure #{f.count} ---\nFailure: builtins.ValueError: bad\n"
        f"*--- End of Failure #{f.count} ---\n"
    )


def test_verboseTracebackShowsCapturedVars() -> None:
    """With captureVars the verbose traceback lists locals and globals per frame."""
    f, _ = caughtFailure(captureVars=True)
    text = f.getTraceback(detail="verbose")
    assert f"{HERE}:{RAISE_LINE}: raiseKeyError(...)\n [ Locals ]\n  local : 'value'\n ( Globals )\n" in text
    assert "Capture of Locals and Globals disabled" not in text


def test_unknownDetailIsRejected() -> None:
    """An unknown detail level is a ValueError, not silently the default."""
    with pytest.raises(ValueError, match="detail"):
        Failure(ValueError()).getTraceback(detail="everything")


def test_printTracebackVariants() -> None:
    """printTraceback/printBriefTraceback/printDetailedTraceback write the matching text."""
    f, _ = caughtFailure()
    for method, detail in [(f.printTraceback, "default"), (f.printBriefTraceback, "brief"),
                           (f.printDetailedTraceback, "verbose")]:
        out = io.StringIO()
        method(out)
        assert out.getvalue() == f.getTraceback(detail=detail)


def test_printTracebackDefaultsToStderr(capsys: pytest.CaptureFixture[str]) -> None:
    """printTraceback() without a file writes to sys.stderr."""
    f = Failure(ValueError("bad"))
    f.printTraceback()
    assert capsys.readouterr().err == f.getTraceback()


def test_getErrorMessage() -> None:
    """getErrorMessage is str(value) and looks through a wrapped Failure."""
    assert Failure(ValueError("bad")).getErrorMessage() == "bad"
    outer = Failure(ValueError("outer"))
    outer.value = Failure(KeyError("k"))
    assert outer.getErrorMessage() == "'k'"


def test_parentsCanBeAssigned() -> None:
    """parents is writable, as in Twisted, and check() by name follows it."""
    f = Failure(ValueError())
    f.parents = ["my.Error"]
    assert f.check("my.Error") == "my.Error"


def test_unprintableValueDoesNotBreakFormatting() -> None:
    """A value whose __str__ raises is described instead of breaking repr."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("nope")

    f = Failure(Unprintable())
    assert "with str error" in f.getErrorMessage()
    assert "RuntimeError: nope" in repr(f)


def test_unreprableCapturedVariable() -> None:
    """A captured variable whose __repr__ raises is described, not fatal."""

    class Unreprable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    def raiser(thing: object) -> None:
        raise KeyError("k")

    try:
        raiser(Unreprable())
    except KeyError:
        f = Failure(captureVars=True)
    assert "with repr error" in f.getTraceback(detail="verbose")


def test_getTracebackObjectIsTheRealOne() -> None:
    """getTracebackObject returns the traceback while it is held."""
    f, _ = caughtFailure()
    assert f.getTracebackObject() is f.tb


# --- cleaning and pickling ------------------------------------------------------------


def test_cleanFailureDropsTracebackButKeepsFormatting() -> None:
    """cleanFailure drops tb and value.__traceback__; the text is unchanged."""
    f, _ = caughtFailure()
    before = f.getTraceback(), f.getBriefTraceback()
    f.cleanFailure()
    assert f.tb is None
    assert f.value.__traceback__ is None
    assert (f.getTraceback(), f.getBriefTraceback()) == before
    assert f.pickled


def test_cleanFailureStringifiesCapturedVars() -> None:
    """After cleanFailure captured variables are kept as their reprs."""
    f, _ = caughtFailure(captureVars=True)
    f.cleanFailure()
    assert ("local", "'value'") in f.frames[-1][3]
    assert "(pickled)" in f.getTraceback(detail="verbose")


def test_cleanedTracebackObjectWorksWithTracebackModule() -> None:
    """After cleanFailure, getTracebackObject rebuilds something traceback can print."""
    f, catchLine = caughtFailure()
    f.cleanFailure()
    entries = traceback.extract_tb(f.getTracebackObject())
    assert [(e.name, e.lineno) for e in entries] == [
        ("caughtFailure", catchLine), ("callRaiser", CALL_LINE), ("raiseKeyError", RAISE_LINE)]
    assert entries[-1].line == 'raise KeyError("k")'


def test_pickleRoundTrip() -> None:
    """A pickled Failure keeps type, value, count, parents and formatted traceback."""
    f, _ = caughtFailure()
    copy = pickle.loads(pickle.dumps(f))
    assert isinstance(copy, Failure)
    assert copy.type is KeyError
    assert copy.value.args == ("k",)
    assert copy.count == f.count
    assert copy.parents == f.parents
    assert copy.tb is None
    assert copy.pickled
    assert copy.getTraceback() == f.getTraceback()
    assert f.tb is not None, "pickling does not clean the original"


def test_pickleWithCapturedVars() -> None:
    """Captured variables are pickled as reprs, so unpicklable locals are fine."""
    def raiser(thing: object) -> None:
        raise KeyError("k")

    try:
        raiser(lambda: None)
    except KeyError:
        f = Failure(captureVars=True)
    copy = pickle.loads(pickle.dumps(f))
    assert copy.frames[-1][3][0][0] == "thing"
    assert copy.frames[-1][3][0][1].startswith("<function")


def test_setstateRejectsNone() -> None:
    """Restoring a Failure from no state is a TypeError."""
    with pytest.raises(TypeError):
        Failure(ValueError()).__setstate__(None)


# -- Twisted 26.10's module-level names (issue 12) ----------------------------------


def test_briefTracebackSurvivesATypeWhoseStrRaises() -> None:
    """getTraceback(detail="brief") of an exception whose class has a broken __str__."""
    from plait import failure as failureModule

    class BrokenMeta(type):
        def __str__(cls) -> str:
            raise RuntimeError("no str for the class")

    class Odd(Exception, metaclass=BrokenMeta):
        def __str__(self) -> str:
            raise RuntimeError("no str for the value")

    try:
        raise Odd()
    except Odd:
        f = failureModule.Failure()
    text = f.getTraceback(detail="brief")
    assert text.startswith("Traceback: <")
    assert "with str error" in text
    f.getTraceback(detail="default")  # also survives


def test_formatFrames() -> None:
    from plait import failure as failureModule

    try:
        raise ValueError("x")
    except ValueError:
        f = failureModule.Failure(captureVars=True)
    out: list[str] = []
    failureModule.format_frames(f.frames, out.append, "brief")
    assert out[0].endswith(":test_formatFrames\n")
    out.clear()
    failureModule.format_frames(f.frames, out.append)
    assert out[0].startswith('  File "') and out[1].strip() == 'raise ValueError("x")'
    out.clear()
    failureModule.format_frames(f.frames, out.append, "verbose")
    assert out[0].endswith(": test_formatFrames(...)\n [ Locals ]\n")
    with pytest.raises(ValueError, match="Detail must be default, brief, or verbose"):
        failureModule.format_frames([], out.append, "loud")


def test_countAndConstants() -> None:
    from plait import failure as failureModule

    before = failureModule.count
    failureModule.Failure(ValueError())
    assert failureModule.count == before + 1
    assert failureModule.EXCEPTION_CAUGHT_HERE == "--- <exception caught here> ---"
    assert failureModule.traceupLength == 4 and failureModule.DO_POST_MORTEM is True
    assert issubclass(failureModule.DefaultException, Exception)
    with pytest.raises(AttributeError):
        failureModule.nothingHere  # noqa: B018


def test_debugModeRunsPostMortem(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """startDebugMode: a Failure of a caught exception enters pdb.post_mortem; stop ends it."""
    import pdb  # noqa: T100 - monkeypatched, never entered

    from plait import failure as failureModule

    seen: list[object] = []
    monkeypatch.setattr(pdb, "post_mortem", seen.append)
    failureModule.startDebugMode()
    try:
        try:
            raise KeyError("k")
        except KeyError:
            f = failureModule.Failure()
        failureModule.Failure(ValueError("given"))  # not a caught exception: no debugger
    finally:
        failureModule.stopDebugMode()
    assert len(seen) == 1 and f.check(KeyError)
    assert "Jumping into debugger for post-mortem of exception ''k'':" in capsys.readouterr().out
    try:
        raise KeyError("after")
    except KeyError:
        failureModule.Failure()
    assert len(seen) == 1
