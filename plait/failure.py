"""``Failure``: an exception captured as a value, with its traceback.

This module owns ``Failure`` (Twisted's ``twisted.python.failure.Failure``)
and ``NoCurrentExceptionError``.  A Deferred turns every exception raised
in a callback into a Failure and hands it to the errbacks; transports hand
one to ``connectionLost``; ``plait.log.err`` logs one.

Rules:

* Construction is cheap: it records ``type``, ``value`` and the traceback
  object and takes a serial number, nothing else.  The ``frames`` list and
  the ``parents`` list are built the first time somebody reads them.  Only
  ``captureVars=True`` (Deferred debug mode) copies frame locals eagerly,
  because locals change after the fact.
* ``frames`` is outermost first: ``frames[-1]`` is where the exception was
  raised (Twisted's docstring says the opposite; its behaviour is this).
* ``trap`` re-raises the *original* exception, with its traceback, so an
  errback that traps the wrong type lets the real error propagate.
* Output formats (``repr``, ``str``, ``getTraceback`` in its three details)
  are Twisted's, except that the class in ``repr`` is
  ``plait.failure.Failure``.
* ``cleanFailure()`` and pickling drop the traceback object but keep the
  frames, so a cleaned or unpickled Failure still formats its traceback.

Deliberate differences from Twisted: ``check``/``trap`` match classes with
``issubclass`` (Twisted compares qualified names and so never matches a
``BaseException``-only class such as ``KeyboardInterrupt`` against
``BaseException``); ``printTraceback(file=None)`` writes to ``sys.stderr``
because this layer-0 module cannot import ``plait.log``; an unknown
``detail`` raises ``ValueError``; ``elideFrameworkCode`` is accepted and
ignored (plait keeps no "stack" above the catching frame to elide).

Tests: tests/unit/test_failure.py
"""

from __future__ import annotations

import builtins
import itertools
import linecache
import sys
import traceback
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import IO, Any, NoReturn

__all__ = ["Failure", "NoCurrentExceptionError"]

#: Twisted's module constants, kept for code that reads them.
EXCEPTION_CAUGHT_HERE = "--- <exception caught here> ---"
traceupLength = 4
#: In debug mode (``startDebugMode``), run ``pdb.post_mortem`` on each caught exception.
DO_POST_MORTEM = True

#: One frame: (function name, file name, line number, locals, globals).
#: The locals/globals sequences are empty unless ``captureVars`` was set.
FrameInfo = tuple[str, str, int, Sequence[tuple[str, Any]], Sequence[tuple[str, Any]]]

_DETAILS = ("brief", "default", "verbose")

# Every Failure gets the next serial number; verbose tracebacks show it.
_serials = itertools.count(1)


class NoCurrentExceptionError(Exception):
    """``Failure()`` was called with no arguments outside an ``except`` block."""


class DefaultException(Exception):
    """Twisted's stand-in exception class (kept for code that raises it)."""


def __getattr__(name: str) -> Any:
    if name == "count":  # Twisted's running total of Failures created
        return _serials.__reduce__()[1][0] - 1  # type: ignore[operator]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def format_frames(frames: Sequence[FrameInfo], write: Any, detail: str = "default") -> None:
    """Write ``frames`` (``Failure.frames``) with ``write`` in a traceback ``detail``."""
    if detail not in _DETAILS:
        raise ValueError(f"Detail must be default, brief, or verbose. (not {detail!r})")
    for name, fileName, lineNumber, localsItems, globalsItems in frames:
        if detail == "brief":
            write(f"{fileName}:{lineNumber}:{name}\n")
        elif detail == "default":
            write(f'  File "{fileName}", line {lineNumber}, in {name}\n')
            write(f"    {linecache.getline(fileName, lineNumber).strip()}\n")
        else:
            write(f"{fileName}:{lineNumber}: {name}(...)\n [ Locals ]\n")
            for key, value in localsItems:
                write(f"  {key} : {_safeRepr(value)}\n")
            write(" ( Globals )\n")
            for key, value in globalsItems:
                write(f"  {key} : {_safeRepr(value)}\n")


def _qual(cls: Any) -> str:
    """Twisted's qualified name of a class: ``module.Name`` (``__name__``)."""
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__name__', repr(cls))}"


def _safeStr(obj: object) -> str:
    """``str(obj)``, or a description of why ``str(obj)`` failed."""
    try:
        return str(obj)
    except Exception:  # noqa: BLE001
        return (
            f"<{_qual(type(obj))} instance at 0x{id(obj):x} with str error:\n"
            f" {traceback.format_exc()}>"
        )


def _safeRepr(obj: object) -> str:
    """``repr(obj)``, or a description of why ``repr(obj)`` failed."""
    try:
        return repr(obj)
    except Exception:  # noqa: BLE001
        return (
            f"<{_qual(type(obj))} instance at 0x{id(obj):x} with repr error:\n"
            f" {traceback.format_exc()}>"
        )


def _variables(namespace: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A snapshot of a frame's variables, minus the (huge) ``__builtins__``."""
    return [(key, value) for key, value in namespace.items() if key != "__builtins__"]


def _framesFromTraceback(tb: TracebackType | None, captureVars: bool) -> list[FrameInfo]:
    """Walk a traceback chain, outermost frame first."""
    frames: list[FrameInfo] = []
    while tb is not None:
        frame = tb.tb_frame
        code = frame.f_code
        localsItems: Sequence[tuple[str, Any]] = ()
        globalsItems: Sequence[tuple[str, Any]] = ()
        if captureVars:
            localsItems = _variables(frame.f_locals)
            # A module-level frame's locals *are* its globals; showing them
            # twice would only double the noise.
            if frame.f_locals is not frame.f_globals:
                globalsItems = _variables(frame.f_globals)
            else:
                globalsItems = []
        frames.append((code.co_name, code.co_filename, tb.tb_lineno, localsItems, globalsItems))
        tb = tb.tb_next
    return frames


def _stringifyVars(frames: list[FrameInfo]) -> list[FrameInfo]:
    """Replace captured variable values by their reprs (for pickling)."""
    return [
        (
            name,
            fileName,
            lineNumber,
            [(key, _safeRepr(value)) for key, value in localsItems],
            [(key, _safeRepr(value)) for key, value in globalsItems],
        )
        for name, fileName, lineNumber, localsItems, globalsItems in frames
    ]


class _FakeCode:
    """Just enough of a code object for the ``traceback`` module."""

    __slots__ = ("co_filename", "co_name")

    def __init__(self, name: str, fileName: str) -> None:
        self.co_name = name
        self.co_filename = fileName


class _FakeFrame:
    """Just enough of a frame object for the ``traceback`` module."""

    __slots__ = ("f_back", "f_code", "f_globals", "f_lineno", "f_locals")

    def __init__(self, name: str, fileName: str, lineNumber: int) -> None:
        self.f_code = _FakeCode(name, fileName)
        self.f_globals: dict[str, Any] = {}
        self.f_locals: dict[str, Any] = {}
        self.f_lineno = lineNumber
        self.f_back = None


class _FakeTraceback:
    """A traceback rebuilt from ``Failure.frames`` after the real one was dropped."""

    __slots__ = ("tb_frame", "tb_lasti", "tb_lineno", "tb_next")

    def __init__(self, frame: FrameInfo, following: _FakeTraceback | None) -> None:
        name, fileName, lineNumber = frame[0], frame[1], frame[2]
        self.tb_frame = _FakeFrame(name, fileName, lineNumber)
        self.tb_lineno = lineNumber
        self.tb_next = following
        # A negative instruction index tells the traceback module that no
        # column positions are available.
        self.tb_lasti = -1


#: Failure and each of its subclasses (``Failure.__init_subclass__`` adds them).
#: ``type(x) in _failureTypes`` is how hot paths (a Deferred's callback loop)
#: ask "is x a Failure?": in CPython a *failed* ``isinstance`` also looks up
#: ``x.__class__``, which makes it about twice as expensive.
_failureTypes: set[builtins.type] = set()
#: Other sets that must get every new Failure subclass too (plait._deferred's
#: set of the types its callback loops look at twice).
_failureTypeSets: list[set[builtins.type]] = [_failureTypes]


def _restore(cls: builtins.type[Failure]) -> Failure:
    """Unpickling helper: a bare instance that ``__setstate__`` fills in."""
    return cls.__new__(cls)


class Failure(BaseException):
    """An exception and its traceback, held as a value.

    ``Failure()`` captures the exception being handled (``sys.exc_info()``)
    and raises ``NoCurrentExceptionError`` if there is none.
    ``Failure(exc)`` wraps ``exc``, keeping ``exc.__traceback__`` if it was
    raised.  ``Failure(otherFailure)`` is a copy of ``otherFailure``.  Any
    object may be the value; ``type`` is then its class.
    """

    # ``type`` shadows the builtin inside this class body, hence the
    # ``builtins.type`` spelling in the annotations below.
    type: Any
    value: Any
    tb: TracebackType | None
    count: int
    captureVars: bool
    pickled: bool
    _frames: list[FrameInfo] | None
    _parents: list[str] | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for types in _failureTypeSets:
            types.add(cls)

    def __init__(
        self,
        exc_value: object = None,
        exc_type: builtins.type | None = None,
        exc_tb: TracebackType | None = None,
        captureVars: bool = False,
    ) -> None:
        if exc_value is None:
            exc_type, exc_value, exc_tb = sys.exc_info()
            if exc_value is None:
                raise NoCurrentExceptionError(
                    "Failure() needs an exception: call it inside an 'except' "
                    "block or pass the exception"
                )
        if isinstance(exc_value, Failure):
            self.__dict__.update(exc_value.__dict__)
            return
        if exc_tb is None and isinstance(exc_value, BaseException):
            exc_tb = exc_value.__traceback__
        self.type = type(exc_value) if exc_type is None else exc_type
        self.value = exc_value
        self.tb = exc_tb
        self.count = next(_serials)
        self.captureVars = captureVars
        self.pickled = False
        self._parents = None
        # Frames are built on demand, except that captured variables must be
        # copied now: the frames' locals keep changing after we return.
        self._frames = _framesFromTraceback(exc_tb, True) if captureVars else None

    # --- lazily computed attributes ------------------------------------

    @property
    def frames(self) -> list[FrameInfo]:
        """``(funcName, fileName, lineNumber, locals, globals)``, outermost first."""
        if self._frames is None:
            self._frames = _framesFromTraceback(self.tb, False)
        return self._frames

    @frames.setter
    def frames(self, frames: list[FrameInfo]) -> None:
        self._frames = frames

    @property
    def parents(self) -> list[str]:
        """Qualified names of ``type`` and its bases, most derived first."""
        if self._parents is None:
            mro = getattr(self.type, "__mro__", (self.type,))
            self._parents = [_qual(cls) for cls in mro]
        return self._parents

    @parents.setter
    def parents(self, parents: list[str]) -> None:
        self._parents = parents

    @property
    def stack(self) -> list[FrameInfo]:
        """Always empty; kept because Twisted code still reads it."""
        return []

    # --- matching --------------------------------------------------------

    def check(self, *errorTypes: builtins.type | str) -> builtins.type | str | None:
        """Return the first of ``errorTypes`` that this failure is an instance of.

        Each may be a class (matched along the MRO, so ``check(LookupError)``
        matches a ``KeyError``) or a qualified name such as
        ``"builtins.KeyError"``.  Returns ``None`` when nothing matches.
        """
        for errorType in errorTypes:
            if isinstance(errorType, str):
                if errorType in self.parents:
                    return errorType
            elif isinstance(self.type, type) and issubclass(self.type, errorType):
                return errorType
        return None

    def trap(self, *errorTypes: builtins.type | str) -> builtins.type | str:
        """Return the matching type, or re-raise the original exception.

        Meant for errbacks: ``f.trap(ConnectionDone)`` swallows a clean close
        and lets anything else propagate unchanged, traceback included.
        """
        matched = self.check(*errorTypes)
        if matched is None:
            self.raiseException()
        return matched

    # --- raising -----------------------------------------------------------

    def _exceptionToRaise(self) -> BaseException:
        # A non-exception value cannot be raised; the Failure itself can.
        if isinstance(self.value, BaseException):
            return self.value.with_traceback(self.tb)
        return self

    def raiseException(self) -> NoReturn:
        """Raise the original exception with its original traceback."""
        raise self._exceptionToRaise()

    def throwExceptionIntoGenerator(self, g: Generator[Any, Any, Any]) -> Any:
        """``g.throw`` the original exception; return what the generator yields."""
        return g.throw(self._exceptionToRaise())

    # --- describing ----------------------------------------------------------

    def getErrorMessage(self) -> str:
        """``str(value)``, never raising; a wrapped Failure gives its own message."""
        if isinstance(self.value, Failure):
            return self.value.getErrorMessage()
        return _safeStr(self.value)

    def getTracebackObject(self) -> Any:
        """The traceback, or one rebuilt from ``frames`` if it was cleaned away.

        The rebuilt object works with ``traceback.print_tb`` and friends.
        ``None`` when the failure has no frames.
        """
        if self.tb is not None:
            return self.tb
        following: _FakeTraceback | None = None
        for frame in reversed(self.frames):
            following = _FakeTraceback(frame, following)
        return following

    def getTraceback(self, elideFrameworkCode: int | bool = 0, detail: str = "default") -> str:
        """The traceback as text; ``detail`` is 'brief', 'default' or 'verbose'."""
        if detail not in _DETAILS:
            raise ValueError(f"detail must be one of {_DETAILS!r}, not {detail!r}")
        lines: list[str] = []
        if detail == "brief":
            self._formatBrief(lines)
        elif detail == "default":
            self._formatDefault(lines)
        else:
            self._formatVerbose(lines)
        return "".join(lines)

    def getBriefTraceback(self) -> str:
        """One ``file:line:function`` line per frame, after the error line."""
        return self.getTraceback(detail="brief")

    def printTraceback(
        self,
        file: IO[str] | None = None,
        elideFrameworkCode: int | bool = False,
        detail: str = "default",
    ) -> None:
        """Write ``getTraceback(detail=detail)`` to ``file`` (default stderr)."""
        text = self.getTraceback(elideFrameworkCode, detail)
        (sys.stderr if file is None else file).write(text)

    def printBriefTraceback(self, file: IO[str] | None = None, elideFrameworkCode: int | bool = 0) -> None:
        """Write the brief traceback to ``file`` (default stderr)."""
        self.printTraceback(file, elideFrameworkCode, detail="brief")

    def printDetailedTraceback(
        self, file: IO[str] | None = None, elideFrameworkCode: int | bool = 0
    ) -> None:
        """Write the verbose traceback (with variables if captured) to ``file``."""
        self.printTraceback(file, elideFrameworkCode, detail="verbose")

    def _errorLine(self) -> str:
        return f"{_qual(self.type)}: {self.getErrorMessage()}\n"

    def _formatBrief(self, lines: list[str]) -> None:
        # _safeStr for the type too: its metaclass's __str__ may raise.
        kind = _safeStr(self.type)
        if not self.frames:
            lines.append(f"Traceback (failure with no frames): {kind}: {_safeStr(self.value)}\n")
            return
        lines.append(f"Traceback: {kind}: {_safeStr(self.value)}\n")
        for name, fileName, lineNumber, _, _ in self.frames:
            lines.append(f"{fileName}:{lineNumber}:{name}\n")

    def _formatDefault(self, lines: list[str]) -> None:
        lines.append("Traceback (most recent call last):\n")
        if not self.frames:
            lines.append("Failure: " + self._errorLine())
            return
        for name, fileName, lineNumber, _, _ in self.frames:
            lines.append(f'  File "{fileName}", line {lineNumber}, in {name}\n')
            source = linecache.getline(fileName, lineNumber).strip()
            lines.append(f"    {source}\n")
        lines.append(self._errorLine())

    def _formatVerbose(self, lines: list[str]) -> None:
        pickled = " (pickled)" if self.pickled else ""
        lines.append(f"*--- Failure #{self.count}{pickled} ---\n")
        for name, fileName, lineNumber, localsItems, globalsItems in self.frames:
            lines.append(f"{fileName}:{lineNumber}: {name}(...)\n")
            if self.captureVars:
                lines.append(" [ Locals ]\n")
                lines.extend(f"  {key} : {_safeRepr(value)}\n" for key, value in localsItems)
                lines.append(" ( Globals )\n")
                lines.extend(f"  {key} : {_safeRepr(value)}\n" for key, value in globalsItems)
        if self.frames and not self.captureVars:
            lines.append(" [Capture of Locals and Globals disabled (use captureVars=True)]\n")
        lines.append(self._errorLine() if self.frames else "Failure: " + self._errorLine())
        lines.append(f"*--- End of Failure #{self.count} ---\n")

    def __repr__(self) -> str:
        return f"<{_qual(self.__class__)} {_qual(self.type)}: {self.getErrorMessage()}>"

    def __str__(self) -> str:
        return f"[Failure instance: {self.getBriefTraceback()}]"

    # --- releasing references and pickling -------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Twisted's pickled state: no traceback, frames with repr'd variables."""
        frames = self.frames
        return {
            "count": self.count,
            "type": self.type,
            "value": self.value,
            "captureVars": self.captureVars,
            "tb": None,
            "parents": self.parents,
            "stack": [],
            "pickled": True,
            "frames": _stringifyVars(frames) if self.captureVars else frames,
        }

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        if state is None:
            raise TypeError("Failure state must be a dict")
        self.count = state["count"]
        self.type = state["type"]
        self.value = state["value"]
        self.captureVars = state["captureVars"]
        self.tb = state["tb"]
        self.pickled = state["pickled"]
        self._parents = state["parents"]
        self._frames = state["frames"]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.__class__,), self.__getstate__())

    def cleanFailure(self) -> None:
        """Drop the traceback (and the frames it keeps alive); keep the text.

        Afterwards ``tb`` is ``None``, ``frames`` is frozen with variables
        as reprs, the value's ``__traceback__`` is cleared and ``pickled`` is
        true, exactly as if the failure had been through pickle.
        """
        self.__setstate__(self.__getstate__())
        if isinstance(self.value, BaseException):
            self.value.__traceback__ = None


# --- debug mode: post-mortem on every caught exception --------------------------


_failureTypes.add(Failure)

_plainInit = Failure.__init__


def _debugInit(
    self: Failure, exc_value: object = None, exc_type: builtins.type | None = None,
    exc_tb: TracebackType | None = None, captureVars: bool = False,
) -> None:
    if exc_value is None and exc_type is None and exc_tb is None:
        kind, value, tb = sys.exc_info()
        if kind is not None and kind is not type(self) and DO_POST_MORTEM:
            print(f"Jumping into debugger for post-mortem of exception '{_safeStr(value)}':")
            import pdb  # noqa: T100 - the point of debug mode

            pdb.post_mortem(tb)
    _plainInit(self, exc_value, exc_type, exc_tb, captureVars)


def startDebugMode() -> None:
    """Debug mode: each ``Failure()`` of a caught exception starts ``pdb.post_mortem``
    (while ``DO_POST_MORTEM``).  Costs nothing until called."""
    Failure.__init__ = _debugInit  # type: ignore[method-assign]


def stopDebugMode() -> None:
    """Leave debug mode."""
    Failure.__init__ = _plainInit  # type: ignore[method-assign]
