# examples/deferreds/errbacks.py
from plait.defer import Deferred


def parse(text):
    return int(text)  # raises ValueError for "forty-two"


def report(failure):
    print("errback got:", failure.type.__name__, "-", failure.getErrorMessage())
    return 0  # handled: from here on the chain is back on the callback side


def show(number):
    print("callback got:", number)


for text in ["42", "forty-two"]:
    d = Deferred()
    d.addCallback(parse)
    d.addErrback(report)
    d.addCallback(show)
    d.callback(text)

# addCallbacks(f, e) is not addCallback(f).addErrback(e): e never sees f's error.
d = Deferred()
d.addCallbacks(parse, report)
d.addErrback(lambda failure: print("the next errback got:", failure.getErrorMessage()))
d.callback("forty-two")
