# examples/deferreds/coroutines.py
from plait import defer, task


def fetchUser(reactor, name):
    return task.deferLater(reactor, 0.1, lambda: {"name": name, "id": 7})


async def greeting(reactor, name):
    user = await fetchUser(reactor, name)  # a Deferred can be awaited
    return f"hello, {user['name']} (id {user['id']})"


def main(reactor):
    # A coroutine does nothing until something runs it: ensureDeferred
    # starts it and gives back a Deferred, usable like any other.
    d = defer.ensureDeferred(greeting(reactor, "alice"))
    d.addCallback(print)
    return d


task.react(main)
# task.react also takes an async def main(reactor) directly.
