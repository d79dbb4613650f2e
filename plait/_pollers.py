"""The pollers ``SelectorReactor`` blocks in: ``select.epoll`` itself, or any ``selectors`` class.

Split out of ``plait.selectreactor`` (which re-imports both; the reactor
owns the choice between them and everything it registers).  Both take
fds and event masks only, and offer the same calls: ``register``,
``modify``, ``unregister``, ``discard`` (``unregister`` that may raise
``OSError`` for an fd the kernel dropped: the reactor's per-connection
call, epoll's C method itself), ``poll`` and ``close``.

Tests: tests/integration/test_reactor_real.py (every selector class),
tests/integration/test_quickloop.py.
"""

from __future__ import annotations

import select
import selectors

__all__: list[str] = []


class _SelectorsPoller:
    """Any ``selectors.BaseSelector``, seen through the calls the reactor makes.

    ``poll`` returns ``(fd, mask)`` pairs; ``mask & READY[0]`` means
    readable, ``mask & READY[1]`` writable.  ``register``/``modify`` take
    ``EVENTS[0]``, ``EVENTS[1]`` or both; ``modify`` raises ``OSError`` when
    the kernel no longer knows the fd; ``unregister`` ignores a fd it does
    not know, and ``discard`` is the same or raises ``OSError`` for it
    (epoll's C method itself: the reactor's per-connection call).  ``name``
    is for ``repr``.
    """

    EVENTS = READY = (selectors.EVENT_READ, selectors.EVENT_WRITE)

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self.selector = selector
        self.name = type(selector).__name__

    def register(self, fd: int, events: int) -> None:
        self.selector.register(fd, events)

    def modify(self, fd: int, events: int) -> None:
        self.selector.modify(fd, events)

    def unregister(self, fd: int) -> None:
        try:
            self.selector.unregister(fd)
        except KeyError:
            pass

    discard = unregister

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        return [(key.fd, mask) for key, mask in self.selector.select(timeout)]

    def close(self) -> None:
        self.selector.close()


class _EpollPoller:
    """``select.epoll`` itself, with the same calls as ``_SelectorsPoller``.

    EPOLLERR and EPOLLHUP count as ready both ways, as in ``selectors`` (the
    callback then sees the error).  ``epoll.poll`` takes None as "forever"
    and rounds a timeout up to whole milliseconds, so a due timer is never
    missed by waking early.
    """

    EVENTS = (select.EPOLLIN, select.EPOLLOUT)
    READY = (~select.EPOLLOUT, ~select.EPOLLIN)
    name = "epoll"

    def __init__(self) -> None:
        self.epoll = select.epoll()
        # The C methods themselves, not wrappers: a Python call saved on
        # every pass and every registration.
        self.poll = self.epoll.poll
        self.register = self.epoll.register
        self.modify = self.epoll.modify
        self.discard = self.epoll.unregister

    def unregister(self, fd: int) -> None:
        try:
            self.epoll.unregister(fd)
        except OSError:
            pass  # closed (EBADF) or reused (ENOENT): the kernel dropped it

    def close(self) -> None:
        self.epoll.close()
