# examples/deferreds/chaining.py
from plait import task


def fetchUser(reactor, name):
    # Stands for a network call: a Deferred that fires 0.1 s later.
    return task.deferLater(reactor, 0.1, lambda: {"name": name, "id": 7})


def fetchOrders(reactor, user):
    return task.deferLater(reactor, 0.1, lambda: [f"order-{user['id']}-1", f"order-{user['id']}-2"])


def main(reactor):
    d = fetchUser(reactor, "alice")
    # This callback returns a Deferred: the chain waits for it, and the
    # next callback gets its result, not the Deferred.
    d.addCallback(lambda user: fetchOrders(reactor, user))
    d.addCallback(lambda orders: print("orders:", ", ".join(orders)))
    return d  # react() stops the reactor when this fires


task.react(main)
