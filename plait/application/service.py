"""Services: things an application starts and stops as a unit (``twisted.application.service``).

What it owns: ``IService``/``Service`` (a name, a parent, ``running``),
``IServiceCollection``/``MultiService`` (a service made of services),
``IProcess``/``Process`` (uid/gid/process name), ``Application`` (the
object a ``.tac`` file defines: ``IService(app)``, ``IServiceCollection(app)``
and ``IProcess(app)`` give its parts), ``loadApplication`` and the
``IServiceMaker``/``ServiceMaker`` plugin pair.

Ordering (Twisted's): a ``MultiService`` starts its children in the order
they were added and stops them in reverse order; its ``stopService``
returns a ``DeferredList`` of the children's stops.  A child added to a
running collection is started at once; a child removed from a running one
is stopped, and ``removeService`` returns what its ``stopService`` returned.

Rules: two children may not share a name (``RuntimeError("cannot have two
services with same name 'x'")``); a service with a parent cannot be
renamed.  ``running`` is a ``bool`` (Twisted's ``0``/``1`` compare equal).

Tests: tests/unit/test_application.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from zope.interface import Attribute, Interface, implementer

from plait.defer import Deferred, DeferredList, maybeDeferred
from plait.interfaces import IServiceCollection as _InternetIServiceCollection
from plait.plugin import IPlugin

__all__ = [
    "Application", "IProcess", "IService", "IServiceCollection", "IServiceMaker",
    "MultiService", "Process", "Service", "loadApplication",
]


class IServiceMaker(Interface):
    """Builds a service from options (what ``twistd`` plugins provide)."""

    tapname = Attribute("A short name for the plugin, e.g. 'web'.")
    description = Attribute("A brief summary of what the plugin provides.")
    options = Attribute("The options class of the plugin.")

    def makeService(options: Any) -> Any:
        """Create and return an ``IService`` provider for ``options``."""


class IService(Interface):
    """A service: something an application starts and stops as a unit."""

    name = Attribute("The service's name (a str), or None.")
    running = Attribute("True between startService and stopService.")
    parent = Attribute("The collection this service belongs to, or None.")

    def setName(name: str) -> None:
        """Set the name; raises ``RuntimeError`` once the service has a parent."""

    def setServiceParent(parent: Any) -> None:
        """Leave any current parent, then join ``parent`` (its ``addService``)."""

    def disownServiceParent() -> Any:
        """Leave the parent; return what its ``removeService`` returned."""

    def privilegedStartService() -> None:
        """Prepare to start, before privileges are dropped."""

    def startService() -> None:
        """Start the service."""

    def stopService() -> Deferred[None] | None:
        """Stop the service; may return a Deferred that fires once it has stopped."""


class IServiceCollection(_InternetIServiceCollection):
    """A service made of services, found by name and iterated in order."""

    def __iter__() -> Iterator[Any]:
        """The services, in the order they were added."""


@implementer(IService)
class Service:
    """The book-keeping every service shares: ``running``, ``name``, ``parent``.

    Subclasses extend ``startService``/``stopService`` and call up.
    """

    running: bool = False
    name: str | None = None
    parent: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("running", None)  # a pickled service is not running
        return state

    def setName(self, name: str) -> None:
        """Set ``name``; a parent indexes its children by name, so not once one is set."""
        if self.parent is not None:
            raise RuntimeError("cannot change name when parent exists")
        self.name = name

    def setServiceParent(self, parent: Any) -> None:
        """Leave any current parent, then join ``parent`` through its ``addService``."""
        if self.parent is not None:
            self.disownServiceParent()
        parent = IServiceCollection(parent, parent)
        self.parent = parent
        parent.addService(self)

    def disownServiceParent(self) -> Any:
        """Leave the parent; return what its ``removeService`` returned."""
        if self.parent is None:
            raise RuntimeError(f"{self!r} has no parent to leave")
        result = self.parent.removeService(self)
        self.parent = None
        return result

    def privilegedStartService(self) -> None:
        """Nothing to do before privileges are dropped; override if needed."""

    def startService(self) -> None:
        """Mark the service running."""
        self.running = True

    def stopService(self) -> Deferred[None] | None:
        """Mark the service stopped; returns ``None`` (stopping is immediate)."""
        self.running = False
        return None


@implementer(IServiceCollection)
class MultiService(Service):
    """A service made of services, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.services: list[Any] = []
        self.namedServices: dict[str, Any] = {}
        self.parent = None

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        for service in self:
            service.privilegedStartService()

    def startService(self) -> None:
        super().startService()
        for service in self:
            service.startService()

    def stopService(self) -> Deferred[Any]:
        """Stop the children, last added first; a ``DeferredList`` of their stops."""
        super().stopService()
        stops = [maybeDeferred(service.stopService) for service in reversed(list(self))]
        return DeferredList(stops)

    def getServiceNamed(self, name: str) -> Any:
        """The child called ``name``; ``KeyError`` if none is."""
        return self.namedServices[name]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.services)

    def addService(self, service: Any) -> None:
        """Add ``service`` (started at once if this collection is running)."""
        if service.name is not None:
            if service.name in self.namedServices:
                raise RuntimeError(f"cannot have two services with same name '{service.name}'")
            self.namedServices[service.name] = service
        self.services.append(service)
        if self.running:
            # The child may need privileges; they are probably gone, but
            # this is the best the collection can do.
            service.privilegedStartService()
            service.startService()

    def removeService(self, service: Any) -> Any:
        """Remove ``service``; if running, stop it and return what its stop returned."""
        if service.name:
            del self.namedServices[service.name]
        self.services.remove(service)
        if self.running:
            return service.stopService()
        return None


class IProcess(Interface):
    """How the process should run: its name and user/group ids."""

    processName = Attribute("The name the process should have in ps, or None.")
    uid = Attribute("The user id to run as, or None.")
    gid = Attribute("The group id to run as, or None.")


@implementer(IProcess)
class Process:
    """Process parameters; ``processName`` defaults to None."""

    processName: str | None = None

    def __init__(self, uid: int | None = None, gid: int | None = None) -> None:
        self.uid = uid
        self.gid = gid


class _Application:
    """What ``Application(name)`` returns: its parts are reached by adaptation.

    ``IService(app)`` and ``IServiceCollection(app)`` are the application's
    ``MultiService``; ``IProcess(app)`` its ``Process`` (zope.interface
    calls ``__conform__``).
    """

    def __init__(self, name: str, uid: int | None, gid: int | None) -> None:
        self._service = MultiService()
        self._service.setName(name)
        self._process = Process(uid, gid)

    def __conform__(self, interface: Any) -> Any:
        if interface in (IService, IServiceCollection, _InternetIServiceCollection):
            return self._service
        if interface is IProcess:
            return self._process
        return None

    def __repr__(self) -> str:
        return f"<Application {self._service.name!r}>"


def Application(name: str, uid: int | None = None, gid: int | None = None) -> Any:
    """The object a ``.tac`` file calls ``application``: a named ``MultiService``
    (``IService(app)``) with process parameters (``IProcess(app)``)."""
    return _Application(name, uid, gid)


def loadApplication(filename: str, kind: str, passphrase: str | None = None) -> Any:
    """The ``application`` a file defines: ``kind`` is ``"python"`` (a ``.tac``
    file, run) or ``"pickle"``.  Twisted's ``source``/``xml`` kinds and
    encrypted files are not supported (``ValueError``)."""
    if passphrase is not None:
        raise ValueError("encrypted application files are not supported")
    if kind == "python":
        namespace: dict[str, Any] = {"__file__": filename, "__name__": "__builtin__"}
        with open(filename, "rb") as f:
            exec(compile(f.read(), filename, "exec"), namespace)  # noqa: S102 - a .tac file is code
        return namespace["application"]
    if kind == "pickle":
        import pickle

        with open(filename, "rb") as f:
            return pickle.load(f)
    raise ValueError(f"unsupported application file kind {kind!r} (use 'python' or 'pickle')")


@implementer(IPlugin, IServiceMaker)
class ServiceMaker:
    """An ``IServiceMaker`` whose ``options``/``makeService`` live in ``module``."""

    def __init__(self, name: str, module: str, description: str, tapname: str) -> None:
        self.name = name
        self.module = module
        self.description = description
        self.tapname = tapname

    @property
    def options(self) -> Any:
        return importlib.import_module(self.module).Options

    @property
    def makeService(self) -> Any:
        return importlib.import_module(self.module).makeService

