"""Small pieces: DelayedCall ordering, Failure text, address checks, bind options,
twisted.python.compat, FileDescriptor subclassing, the application services."""

from _harness import describe, main, normalise, scenario
from twisted.internet import abstract, base, error, task, tcp
from twisted.python import compat
from twisted.python.failure import Failure


@scenario
def delayedCalls():
    clock = task.Clock()
    early, late, same = clock.callLater(1, lambda: None), clock.callLater(2, lambda: None), clock.callLater(1, lambda: None)
    late.debug = True
    late.delay(3)
    late.activate_delay()
    result = {
        "order": [early < late, early <= same, late > early, late >= same, early < same, early == same],
        "sorted": [c.getTime() for c in sorted([late, same, early])],
        "late": [late.time, late.delayed_time, late.getTime(), late.debug, base.DelayedCall.debug],
        "repr": normalise(repr(early)),
    }
    for call in (early, late, same):
        call.cancel()
    try:
        early.cancel()
    except error.AlreadyCancelled as e:
        result["again"] = describe(e)
    return result


@scenario
def delayedCallMoves():
    # reset()/delay() to a later time only grow delayed_time; earlier moves time.
    clock = task.Clock()
    seen = []
    a = clock.callLater(5, seen.append, "a")
    b = clock.callLater(3, seen.append, "b")
    clock.advance(1)
    a.reset(10)
    later = [a.time, a.delayed_time, a.getTime()]
    b.reset(1)
    earlier = [b.time, b.delayed_time, b.getTime()]
    a.delay(-8)
    below = [a.time, a.delayed_time, a.getTime()]
    clock.advance(10)
    return {"later": later, "earlier": earlier, "below": below, "ran": seen}


@scenario
def failureTexts():
    class BrokenMeta(type):
        def __str__(cls):
            raise RuntimeError("no str for the class")

    class Odd(Exception, metaclass=BrokenMeta):
        def __str__(self):
            raise RuntimeError("no str for the value")

    try:
        raise Odd()
    except Odd:
        f = Failure()
    brief = f.getTraceback(detail="brief")
    plain = Failure(ValueError("v"))
    return {"brief starts": brief.startswith("Traceback: <"), "str error": "with str error" in brief,
            "no frames": plain.getTraceback(detail="brief"), "default": plain.getTraceback(),
            "message": plain.getErrorMessage(), "str": str(plain)}


@scenario
def addressChecks():
    cases = ["127.0.0.1", b"10.0.0.1", "1.2.3", "1", "::1", "fe80::1%lo", "example.com", "", "::ffff:1.2.3.4"]
    return [[str(c), abstract.isIPAddress(c), abstract.isIPv6Address(c)] for c in cases]


@scenario
def bindOptions():
    binding = tcp.makeBinding("127.0.0.1", 80, reuseAddress=True)
    return {"equal": binding == tcp.makeBinding("127.0.0.1", 80, True, False),
            "fields": [binding._address, binding._port, binding._reuseAddress, binding._reusePort],
            "errno": [tcp.EAGAIN, tcp.ENFILE, tcp.ENOMEM, tcp.EPERM]}


@scenario
def pythonCompat():
    out = {"native": compat.nativeString(b"abc"), "network": repr(compat.networkString("abc")),
           "int": repr(compat.intToBytes(-5)), "iter": [repr(b) for b in compat.iterbytes(b"ab")],
           "slice": repr(bytes(compat.lazyByteSlice(b"hello", 1, 3))), "cmp": compat.cmp(2, 1)}
    for bad in (1, "caf\u00e9"):
        try:
            compat.nativeString(bad)
        except (TypeError, UnicodeError) as e:
            out[f"bad {bad!r}"] = type(e).__name__
    try:
        compat.networkString(b"x")
    except TypeError as e:
        out["network bytes"] = str(e)
    return out


class Writer(abstract.FileDescriptor):
    """A FileDescriptor subclass written the Twisted way, over a list."""

    def __init__(self):
        abstract.FileDescriptor.__init__(self)
        self.sent = []

    def writeSomeData(self, data):
        self.sent.append(bytes(data))
        return len(data)

    def startWriting(self):
        self.writing = True

    def stopWriting(self):
        self.writing = False

    def startReading(self):
        pass

    def stopReading(self):
        pass


@scenario
def fileDescriptorFlags():
    fd = Writer()
    states = [[fd.connected, fd.disconnecting, fd.disconnected]]
    fd.write(b"dropped")  # not connected yet
    fd.connected = 1
    fd.write(b"kept")
    states.append([bool(fd.connected), bool(fd.disconnecting), bool(fd.disconnected)])
    producers = []

    class Pull:
        def resumeProducing(self):
            producers.append("resume")

        def stopProducing(self):
            producers.append("stop")

    fd.registerProducer(Pull(), False)
    fd.stopConsuming()
    states.append([fd.producer is None, bool(fd.disconnecting)])
    try:
        fd.write("text")
    except TypeError as e:
        # plait's message goes on to say what to fix (docs/differences.md).
        states.append(str(e).startswith("Data must be bytes"))
    return {"states": states, "producers": producers}


@scenario
def applicationServices():
    from twisted.application import internet, service

    calls = []

    class Recording(service.Service):
        def startService(self):
            service.Service.startService(self)
            calls.append("start " + self.name)

        def stopService(self):
            service.Service.stopService(self)
            calls.append("stop " + self.name)

    app = service.Application("app")
    top = service.IService(app)
    for name in ("a", "b"):
        child = Recording()
        child.setName(name)
        child.setServiceParent(app)
    top.startService()
    top.stopService()
    try:
        extra = Recording()
        extra.setName("a")
        extra.setServiceParent(top)
    except RuntimeError as e:
        calls.append(str(e))
    tcpServer = internet.TCPServer(8000, None, interface="127.0.0.1")
    return {"calls": calls, "name": top.name, "server": [tcpServer.method, list(tcpServer.args), tcpServer.kwargs],
            "process": [service.IProcess(app).uid, service.IProcess(app).processName],
            "classes": sorted(n for n in dir(internet) if n.endswith(("Server", "Client")))}


if __name__ == "__main__":
    main()
