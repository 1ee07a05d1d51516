"""A task's liveness lock held by "another worker" (backoffice.task_recovery): a thread with its own connection (or
lock file) takes the lock and keeps it until the block ends, then lets it go — as a worker that lives, then dies."""

from __future__ import annotations

import contextlib
import threading

from django.db import connections

from backoffice import task_recovery


@contextlib.contextmanager
def held_by_another_worker(lock: str):
    held, done = threading.Event(), threading.Event()

    def live_executor():
        try:
            assert task_recovery.try_hold(lock)
            held.set()
            done.wait(30)
            task_recovery.release(lock)
        finally:
            connections.close_all()

    thread = threading.Thread(target=live_executor)
    thread.start()
    try:
        assert held.wait(30), "the other worker did not take the lock"
        yield
    finally:
        done.set()
        thread.join(30)
