"""Database work in a few threads, each with its own connection (the import's chunk writers).

A chunk of an import spends about 40 % of its time waiting for PostgreSQL (the COPYs, the index
inserts, the deferred foreign-key checks and the commit), during which the Python of the next chunk
can run: two writer threads keep both cores busy where one left one of them idle. Python's GIL still
runs one thread's Python at a time, so more threads than that gain nothing.

Each call runs in its own transaction on its thread's connection, so it must not rely on anything
its caller has not committed; calls made inside a transaction therefore run inline, in that
transaction. Results are handed back as futures, which the caller reads in submission order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from django.core.cache import caches
from django.db import connection, connections

from . import context


def parallel_writes_possible() -> bool:
    """True when writer threads may run: PostgreSQL (SQLite has one writer at a time anyway) and no
    transaction open here (its uncommitted rows would be invisible to the threads' connections)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class Writers:
    """Run calls in ``count`` threads (0: inline, in the calling thread); use as a context manager.

    Each call runs on behalf of whoever the calling thread acts for (``creditsys.context``: the
    actor of the audit log). Leaving the block waits for every call submitted and closes the
    threads' connections.
    """

    def __init__(self, count: int):
        self.count = count
        self._queue: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"writer-{i}", daemon=True) for i in range(count)]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        future: Future = Future()
        if self._threads:
            self._queue.put((future, context.current(), fn, args, kwargs))
            return future
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 — handed to the caller, who re-raises it
            future.set_exception(exc)
        return future

    @staticmethod
    def _run(future: Future, acting: context.RequestContext, fn: Callable, args: tuple, kwargs: dict) -> None:
        # Only the request context is carried over, not a copy of every context variable: Django's
        # per-context caches (``caches``) set inside a copied context would be rebuilt for every call.
        future.set_running_or_notify_cancel()
        token = context.set_context(acting)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 — handed to the caller, who re-raises it
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            context.reset_context(token)

    def _work(self) -> None:
        try:
            while (work := self._queue.get()) is not None:
                self._run(*work)
        finally:
            connections.close_all()  # this thread's own database connections and cache clients
            caches.close_all()
