# examples/deferreds/cancellation.py
from plait import defer, task


def slowAnswer(reactor):
    return task.deferLater(reactor, 60, lambda: 42)


def main(reactor):
    d = slowAnswer(reactor)
    d.addCallback(print)  # never runs: the answer is cancelled first

    def cancelled(failure):
        failure.trap(defer.CancelledError)  # anything else would go on down the chain
        print("cancelled; the 60 s timer is gone too:", reactor.getDelayedCalls() == [])

    d.addErrback(cancelled)
    reactor.callLater(0.1, d.cancel)

    # A Deferred you make yourself can say how to stop its work.
    mine = defer.Deferred(lambda d: print("canceller: stopping the work"))
    mine.addErrback(lambda failure: print("mine failed with", failure.type.__name__))
    mine.cancel()
    return d


task.react(main)
