# examples/deferreds/timeouts.py
from plait import defer, error, task
from plait.protocol import ClientFactory, Protocol


def caught(failure):
    which = failure.check(defer.TimeoutError, error.TimeoutError)
    print(f"caught {which.__module__}.{which.__name__}: {failure.getErrorMessage()}")


class ConnectFactory(ClientFactory):
    protocol = Protocol

    def __init__(self, failed):
        self.failed = failed

    def clientConnectionFailed(self, connector, reason):
        self.failed.errback(reason)


@defer.inlineCallbacks
def main(reactor):
    # 1. addTimeout: not fired within 0.1 s, so it is cancelled and fails
    #    with defer.TimeoutError.
    never = defer.Deferred()
    never.addTimeout(0.1, reactor)
    yield never.addErrback(caught)

    # 2. connectTCP's timeout: the connect attempt gave up (timeout=0: at
    #    once), and clientConnectionFailed gets error.TimeoutError.
    failed = defer.Deferred()
    reactor.connectTCP("127.0.0.1", 8000, ConnectFactory(failed), timeout=0)
    yield failed.addErrback(caught)

    # The trap: two different classes, and neither is the builtin TimeoutError.
    print("same class:", defer.TimeoutError is error.TimeoutError)
    print("builtin catches them:", issubclass(defer.TimeoutError, TimeoutError), issubclass(error.TimeoutError, TimeoutError))


task.react(main)
