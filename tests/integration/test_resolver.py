"""Name resolution on the real reactor: the GAI resolver (injected getaddrinfo), adapters, localhost."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait._resolver import (
    ComplexResolverSimplifier,
    GAIResolver,
    SimpleResolverComplexifier,
)
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred
from plait.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
    IResolverSimple,
)
from plait.selectreactor import SelectorReactor
from tests.helpers import runUntil


@implementer(IResolutionReceiver)
class Receiver:
    """Records the resolution calls; ``done`` fires at resolutionComplete."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.done: Deferred[None] = Deferred()

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        self.events.append(("began", resolutionInProgress.name))

    def addressResolved(self, address: Any) -> None:
        self.events.append(address)

    def resolutionComplete(self) -> None:
        self.events.append("complete")
        self.done.callback(None)


class FakeGetaddrinfo:
    """Answers from a table, recording each query and the thread it ran in."""

    def __init__(self, answers: Any) -> None:
        self.answers = answers
        self.queries: list[tuple[Any, ...]] = []
        self.threads: list[bool] = []

    def __call__(self, host: str, port: int, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        self.queries.append((host, port, family, type))
        self.threads.append(threading.current_thread() is threading.main_thread())
        answer = self.answers(host, port, family, type) if callable(self.answers) else self.answers
        if isinstance(answer, BaseException):
            raise answer
        return answer


V4 = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))
V6 = (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 80, 0, 0))


def test_gaiResolverDeliversIPv4AndIPv6FromAPoolThread(reactor: SelectorReactor) -> None:
    """getaddrinfo runs in a pool thread; each result becomes an address, in order, then complete."""
    gai = FakeGetaddrinfo([V4, V6])
    resolver = GAIResolver(reactor, getaddrinfo=gai)
    assert verifyObject(IHostnameResolver, resolver)
    receiver = Receiver()
    resolution = resolver.resolveHostName(receiver, "example.test", 80)
    assert verifyObject(IHostResolution, resolution)
    runUntil(reactor, receiver.done)
    assert receiver.events == [
        ("began", "example.test"),
        IPv4Address("TCP", "127.0.0.1", 80),
        IPv6Address("TCP", "::1", 80, 0, 0),
        "complete",
    ]
    assert gai.queries == [("example.test", 80, socket.AF_UNSPEC, socket.SOCK_STREAM)]
    assert gai.threads == [False]


@pytest.mark.parametrize(
    "addressTypes, family",
    [([IPv4Address], socket.AF_INET), ([IPv6Address], socket.AF_INET6), ([IPv4Address, IPv6Address], socket.AF_UNSPEC)],
)
def test_addressTypesPickTheFamily(reactor: SelectorReactor, addressTypes: Any, family: int) -> None:
    """addressTypes narrows the getaddrinfo family."""
    gai = FakeGetaddrinfo([])
    receiver = Receiver()
    GAIResolver(reactor, getaddrinfo=gai).resolveHostName(receiver, "example.test", 0, addressTypes)
    runUntil(reactor, receiver.done)
    assert gai.queries[0][2] == family


def test_udpSemanticsAskForDatagramsAndYieldUDPAddresses(reactor: SelectorReactor) -> None:
    """transportSemantics='UDP' asks for SOCK_DGRAM and yields addresses of type 'UDP'."""
    gai = FakeGetaddrinfo([(socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("127.0.0.1", 53))])
    receiver = Receiver()
    GAIResolver(reactor, getaddrinfo=gai).resolveHostName(receiver, "dns.test", 53, transportSemantics="UDP")
    runUntil(reactor, receiver.done)
    assert gai.queries[0][3] == socket.SOCK_DGRAM
    assert receiver.events[1] == IPv4Address("UDP", "127.0.0.1", 53)


def test_gaierrorMeansNoAddresses(reactor: SelectorReactor) -> None:
    """socket.gaierror from getaddrinfo gives zero addresses and a normal completion."""
    receiver = Receiver()
    gai = FakeGetaddrinfo(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    GAIResolver(reactor, getaddrinfo=gai).resolveHostName(receiver, "nowhere.test")
    runUntil(reactor, receiver.done)
    assert receiver.events == [("began", "nowhere.test"), "complete"]


def test_unexpectedLookupErrorIsLoggedAsNoAddresses(reactor: SelectorReactor, loggedErrors: Any) -> None:
    """Any other exception from getaddrinfo is logged, and the receiver still completes."""
    receiver = Receiver()
    GAIResolver(reactor, getaddrinfo=FakeGetaddrinfo(RuntimeError("resolver bug"))).resolveHostName(receiver, "x.test")
    runUntil(reactor, receiver.done)
    assert receiver.events == [("began", "x.test"), "complete"]
    assert len(loggedErrors.flush(RuntimeError)) == 1


@pytest.mark.parametrize(
    "literal, addressTypes, expected",
    [
        ("127.0.0.1", None, [IPv4Address("TCP", "127.0.0.1", 443)]),
        ("::1", None, [IPv6Address("TCP", "::1", 443, 0, 0)]),
        ("127.0.0.1", [IPv6Address], []),
        ("::1", [IPv4Address], []),
    ],
)
def test_ipLiteralsAreAnsweredAtOnceWithoutAThread(
    reactor: SelectorReactor, literal: str, addressTypes: Any, expected: list[Any]
) -> None:
    """An IP literal is answered inside resolveHostName, never touching the pool or getaddrinfo."""

    def noPool() -> Any:
        raise AssertionError("the thread pool was used for a literal")

    gai = FakeGetaddrinfo([])
    receiver = Receiver()
    GAIResolver(reactor, getThreadPool=noPool, getaddrinfo=gai).resolveHostName(receiver, literal, 443, addressTypes)
    assert receiver.events == [("began", literal), *expected, "complete"]
    assert gai.queries == []


def test_cancelledResolutionDeliversNothingMore(reactor: SelectorReactor) -> None:
    """After cancel() the receiver gets no addresses and no completion."""
    release = threading.Event()
    finished: Deferred[None] = Deferred()

    def slow(*args: Any) -> Any:
        release.wait(10)
        reactor.callFromThread(finished.callback, None)
        return [V4]

    receiver = Receiver()
    resolution = GAIResolver(reactor, getaddrinfo=FakeGetaddrinfo(slow)).resolveHostName(receiver, "slow.test")
    resolution.cancel()
    release.set()
    runUntil(reactor, finished)
    reactor.iterate(0.05)  # let the result reach the reactor thread
    assert receiver.events == [("began", "slow.test")]


def test_reactorResolveUsesTheDefaultResolver(reactor: SelectorReactor) -> None:
    """reactor.resolve goes through the installed name resolver, failing with DNSLookupError(name)."""
    gai = FakeGetaddrinfo(lambda host, *rest: [V6, V4] if host == "both.test" else [])
    reactor.installNameResolver(GAIResolver(reactor, getaddrinfo=gai))
    assert runUntil(reactor, reactor.resolve("both.test")) == "127.0.0.1"
    with pytest.raises(error.DNSLookupError) as info:
        runUntil(reactor, reactor.resolve("none.test"))
    assert str(info.value) == "DNS lookup failed: none.test."
    assert [q[2] for q in gai.queries] == [socket.AF_INET, socket.AF_INET]


def test_defaultResolversAreGAIAndItsSimplifier(reactor: SelectorReactor) -> None:
    """A new reactor's nameResolver is a GAIResolver and resolver a simplifier over it."""
    assert isinstance(reactor.nameResolver, GAIResolver)
    assert isinstance(reactor.resolver, ComplexResolverSimplifier)
    assert verifyObject(IResolverSimple, reactor.resolver)


def test_localhostResolvesForReal(reactor: SelectorReactor) -> None:
    """The real getaddrinfo maps localhost to a loopback address, via resolve() and nameResolver."""
    assert runUntil(reactor, reactor.resolve("localhost")).startswith("127.")
    receiver = Receiver()
    reactor.nameResolver.resolveHostName(receiver, "localhost", 8080)
    runUntil(reactor, receiver.done)
    addresses = receiver.events[1:-1]
    assert addresses
    assert all(a.port == 8080 and (a.host == "::1" or a.host.startswith("127.")) for a in addresses)


def test_simpleResolverAdapterReportsOnlyIPv4(reactor: SelectorReactor, loggedErrors: Any) -> None:
    """SimpleResolverComplexifier: a name gives one IPv4Address, DNSLookupError none, other errors are logged."""
    from plait.defer import fail, succeed

    @implementer(IResolverSimple)
    class Simple:
        def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
            if name == "ok.test":
                return succeed("127.0.0.7")
            if name == "missing.test":
                return fail(error.DNSLookupError(name))
            return fail(OSError("broken"))

    adapter = SimpleResolverComplexifier(Simple())
    results = {}
    for name in ("ok.test", "missing.test", "broken.test"):
        receiver = Receiver()
        adapter.resolveHostName(receiver, name, 25)
        results[name] = receiver.events[1:-1]
    assert results == {"ok.test": [IPv4Address("TCP", "127.0.0.7", 25)], "missing.test": [], "broken.test": []}
    assert len(loggedErrors.flush(OSError)) == 1


# -- base.ThreadedResolver (issue 12) ----------------------------------------------


def test_threadedResolverResolvesInAThread(reactor: Any) -> None:
    from plait.base import ThreadedResolver
    from tests.helpers import runUntil

    resolver = ThreadedResolver(reactor)
    assert runUntil(reactor, resolver.getHostByName("localhost")) == "127.0.0.1"
    assert resolver._pending == {}
    reactor._stopThreadPool()


def test_threadedResolverTimesOut(reactor: Any, monkeypatch: Any) -> None:
    """A lookup that outlives sum(timeout) fails with Twisted's message; its late
    answer is ignored."""
    import socket
    import threading

    from plait import error
    from plait.base import ThreadedResolver
    from tests.helpers import runUntil

    release = threading.Event()

    def slow(name: str) -> str:
        release.wait(5)
        return "127.0.0.1"

    monkeypatch.setattr(socket, "gethostbyname", slow)
    resolver = ThreadedResolver(reactor)
    d = resolver.getHostByName("slow.example", timeout=(0.05,))
    failures: list[Any] = []
    d.addErrback(failures.append)
    runUntil(reactor, d)
    release.set()
    [failure] = failures
    assert failure.check(error.DNSLookupError)
    assert failure.getErrorMessage() == "DNS lookup failed: address 'slow.example' not found: timeout error."
    reactor._stopThreadPool()
