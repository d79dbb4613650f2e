# examples/deferreds/inline_callbacks.py
from plait import defer, task


def fetchUser(reactor, name):
    return task.deferLater(reactor, 0.1, lambda: {"name": name, "id": 7})


def fetchOrders(reactor, user):
    if user["id"] != 7:
        raise KeyError(user["id"])
    return task.deferLater(reactor, 0.1, lambda: ["order-7-1", "order-7-2"])


@defer.inlineCallbacks
def ordersOf(reactor, name):
    user = yield fetchUser(reactor, name)  # waits here; other events run meanwhile
    orders = yield fetchOrders(reactor, user)
    return orders  # a plain return: no returnValue() needed


@defer.inlineCallbacks
def main(reactor):
    orders = yield ordersOf(reactor, "alice")
    print("orders:", ", ".join(orders))
    try:
        yield fetchOrders(reactor, {"id": 8})  # a failure is raised at the yield
    except KeyError as e:
        print("no orders for id", e)


task.react(main)
