"""Database work in a few forked processes, each with its own connection (the import's chunk writers).

A chunk of an import spends most of its time in Python (cleaning, the audit entries and their hash
chain, building the COPYs) and the rest waiting for PostgreSQL. Threads shared one GIL: two writer
threads used 0.84 of a core between them (session 11). Writers in
processes of their own run their Python on both cores at once, and the database's work fits in
between (2026-12-07, session 12: 2,000 / 10,000 / 20,000-row imports 28 / 37 / 61 % faster).

Each call runs in its own transaction on its process's connection, so it must not rely on anything
its caller has not committed; calls made inside a transaction therefore run inline, in that
transaction. Results are handed back as futures, which the caller reads in submission order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future

from django.core.cache import caches
from django.db import connection, connections

from . import context


def parallel_writes_possible() -> bool:
    """True when writer processes may run: PostgreSQL (SQLite has one writer at a time anyway), a
    system that forks, and no transaction open here (its uncommitted rows would be invisible to the
    writers' connections)."""
    return connection.vendor == "postgresql" and hasattr(os, "fork") and not connection.in_atomic_block


class Writers:
    """Run one function, ``call``, in ``count`` forked processes (0: inline, here); a context manager.

    The processes are forked on entering the block and inherit ``call`` and everything it refers to
    as it was then (what it changes there stays there); its arguments, and what it returns or
    raises, travel by pickle. Each call runs on behalf of whoever the caller acts for
    (``creditsys.context``: the actor of the audit log). Calls go to the processes in turn; leaving
    the block waits for every call submitted and for the processes to exit.
    """

    def __init__(self, count: int, call: Callable):
        self.count = count
        self._call = call
        self._children: list[_Child] = []
        self._submitted = 0

    def __enter__(self) -> Writers:
        if self.count:
            # A child must not share its parent's sockets: the database connections and cache
            # clients are closed here (none is in a transaction: ``parallel_writes_possible``) and
            # opened again by whoever needs one next. Every child is forked before any of the
            # parent's pipe threads starts, so no child holds a lock one of them had taken.
            connections.close_all()
            caches.close_all()
            # What the calls load on first use is loaded here, once, not again in every child of
            # every job: the cache backends' clients (Redis: 68 modules, 0.1 s of a child's first call).
            for cache in caches.all():
                getattr(cache, "_cache", None)
            gc.freeze()  # the children's collections leave the parent's objects (and their pages) alone
            try:
                for i in range(self.count):
                    self._children.append(_Child.fork(self._call, f"writer-{i}", [c.conn for c in self._children]))
            finally:
                gc.unfreeze()  # here they are collected as before
            for child in self._children:
                child.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for child in self._children:
            child.close()
        for child in self._children:
            child.wait()

    def submit(self, *args, **kwargs) -> Future:
        """Call ``call(*args, **kwargs)`` in the next process; its future."""
        if not self._children:
            future: Future = Future()
            future.set_running_or_notify_cancel()
            try:
                future.set_result(self._call(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 — handed to the caller, who re-raises it
                future.set_exception(exc)
            return future
        child = self._children[self._submitted % len(self._children)]
        self._submitted += 1
        return child.submit((args, kwargs, context.current()))


class _Child:
    """One forked writer and the parent's two threads for it: one sends the calls (the pipe of a
    busy child may be full), one reads their answers back, in the order sent."""

    def __init__(self, pid: int, conn, name: str):
        self.pid, self.conn, self.name = pid, conn, name
        self._outbox: queue.Queue = queue.Queue()
        self._pending: queue.Queue = queue.Queue()
        self._gone = False  # the child has ended: what is submitted from now on fails at once
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._send, name=f"{name}-send", daemon=True),
            threading.Thread(target=self._receive, name=f"{name}-receive", daemon=True),
        ]

    @classmethod
    def fork(cls, call: Callable, name: str, siblings: list) -> _Child:
        parent_end, child_end = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                # Only its own end: a child holding another's would keep that one from seeing the
                # parent go away.
                for end in (parent_end, *siblings):
                    end.close()
                _serve(child_end, call)
                status = 0
            finally:
                os._exit(status)  # never back into the parent's code (its finally blocks, atexit)
        child_end.close()
        return cls(pid, parent_end, name)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, work: tuple) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            if self._gone:
                future.set_exception(self._ended())
                return future
            self._pending.put(future)
        self._outbox.put(work)
        return future

    def close(self) -> None:
        self._outbox.put(None)

    def wait(self) -> None:
        for thread in self._threads:
            thread.join()
        self.conn.close()
        os.waitpid(self.pid, 0)

    def _send(self) -> None:
        try:
            while (work := self._outbox.get()) is not None:
                self.conn.send(work)
            self.conn.send(None)
        except OSError:  # the child is gone: the receiver fails what is pending
            pass

    def _receive(self) -> None:
        while True:
            try:
                ok, value = self.conn.recv()
            except (EOFError, OSError):
                break
            future = self._pending.get()
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self._lock:
            self._gone = True
            while not self._pending.empty():
                self._pending.get().set_exception(self._ended())

    def _ended(self) -> ChildProcessError:
        return ChildProcessError(f"{self.name} (pid {self.pid}) ended early")


def _serve(conn, call: Callable) -> None:
    """A child's life: run each call sent until the parent sends None or goes away."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)  # not the handlers of a Celery worker or of a test runner
    try:
        while (work := conn.recv()) is not None:
            args, kwargs, acting = work
            token = context.set_context(acting)
            try:
                answer = (True, call(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 — handed to the parent, who re-raises it
                answer = (False, exc)
            finally:
                context.reset_context(token)
            try:
                conn.send(answer)
            except Exception as exc:  # noqa: BLE001 — what the call returned or raised does not pickle
                conn.send((False, RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({exc})")))
    except EOFError:  # the parent is gone
        pass
    finally:
        connections.close_all()
        caches.close_all()
