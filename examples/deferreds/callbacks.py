# examples/deferreds/callbacks.py
from plait.defer import Deferred


def shout(greeting):
    return greeting.upper() + "!"


d = Deferred()
d.addCallback(shout)
d.addCallback(print)
print("before callback(): called =", d.called)
d.callback("hello")  # runs shout, then print, right now
print("after callback(): called =", d.called)
d.addCallback(lambda result: print("added late, runs at once with", result))
