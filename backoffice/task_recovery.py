"""Tasks orphaned by a dead worker go back to the queue (issue 15 §4, bench/faults.py).

django-tasks' database backend marks a task ``RUNNING`` when a worker claims it and records the result when it
ends. A worker killed in between (SIGKILL, the machine lost, the OOM killer) leaves the task ``RUNNING`` for ever:
no other worker takes it, and its work — a billing run 作成中, a mail 送信待ち — never finishes.

So every task a worker of this product (``manage.py task_worker``) runs is held by a **liveness lock** that the
operating system or the database releases by itself when the worker dies:

- PostgreSQL: a session advisory lock (``pg_advisory_lock(NAMESPACE, key of the task id)``) on a connection of the
  worker's own, kept for the task's duration. The server drops it when the worker's connection ends, whichever
  machine the worker was on.
- SQLite (one machine by definition): ``flock`` on a file ``<database>.task-locks/<task id>.lock``; the kernel
  drops it when the process dies.

``recover_orphaned_tasks`` (run by every ``task_worker`` at start and every ``--recover-interval`` seconds, with the
sweeps apps register: ``sweep``) puts
every ``RUNNING`` task that was claimed more than ``grace`` seconds ago and whose lock nobody holds back to
``READY``; a task lost ``MAX_ATTEMPTS`` times is marked failed instead (a task that kills its worker is not run
for ever). A task body therefore may run more than once and must be idempotent: the billing run goes on from its
committed chunks (``billing_run_execute``), a mail already marked sent is not sent again (``mail.tasks.deliver``).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import logging
import os
import threading
import uuid
from pathlib import Path

from django.db import connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

#: The first key of every advisory lock of a task ("task" in ASCII): no other lock of the product uses it.
NAMESPACE = 0x7461736B
#: A task claimed this long ago with nobody holding its lock is orphaned (the claim commits an instant before the
#: worker takes the lock).
GRACE = datetime.timedelta(seconds=5)
#: A task whose worker died this many times is marked failed rather than run again.
MAX_ATTEMPTS = 5
ALIAS = "default"

#: Further sweeps an app registers (``register_sweep``): work left unfinished that no task will finish — a billing
#: run 作成中 whose task ended without ending it (its worker's database connection lost mid-run).
_sweeps: list = []
_held: dict[str, object] = {}  # lock name -> the open lock file (SQLite)
_local = threading.local()  # this thread's lock connection (PostgreSQL) and the names it holds


class WorkerLost(Exception):
    """The exception class recorded on a task given up after ``MAX_ATTEMPTS`` dead workers."""


def _vendor() -> str:
    return connections[ALIAS].vendor


def task_lock_name(task_id) -> str:
    return f"task-{uuid.UUID(str(task_id))}"


def _key(name: str) -> int:
    """The advisory lock's second key: 32 bits of the name's digest, as PostgreSQL's signed int4."""
    value = int.from_bytes(hashlib.sha1(name.encode()).digest()[:4], "big")
    return value - 2**32 if value >= 2**31 else value


def _lock_path(name: str) -> Path:
    return Path(f"{connections[ALIAS].settings_dict['NAME']}.task-locks") / f"{name}.lock"


def _pg_lock_connection():
    """This thread's own connection for the advisory locks — not Django's, which the worker closes between tasks —
    open while the thread holds a lock; opened again if the server dropped it (a restart)."""
    wrapper = getattr(_local, "wrapper", None)
    if wrapper is None:
        wrapper = _local.wrapper = connections.create_connection(ALIAS)
        _local.names = set()
    if wrapper.connection is not None and not wrapper.is_usable():
        wrapper.close()
    return wrapper


def _pg_done(name: str) -> None:
    names = getattr(_local, "names", set())
    names.discard(name)
    if not names and not getattr(_local, "keep", False):
        close_lock_connection()


def keep_lock_connection() -> None:
    """This thread (a worker's loop) keeps its lock connection between tasks instead of opening one per task;
    ``close_lock_connection`` at its end."""
    _local.keep = True


def close_lock_connection() -> None:
    wrapper = getattr(_local, "wrapper", None)
    if wrapper is not None:
        wrapper.close()
        _local.wrapper = None
    _local.keep = False


def try_hold(name: str, *, wait: bool = False) -> bool:
    """Take the liveness lock ``name`` in this thread (released by ``release`` or by the process's death); False
    when another worker holds it (``wait``: wait for it instead)."""
    if _vendor() == "postgresql":
        for attempt in (1, 2):
            wrapper = _pg_lock_connection()
            try:
                with wrapper.cursor() as cursor:
                    cursor.execute(f"SELECT {'pg_advisory_lock' if wait else 'pg_try_advisory_lock'}(%s, %s)",
                                   [NAMESPACE, _key(name)])
                    got = wait or bool(cursor.fetchone()[0])
            except Exception:
                wrapper.close()
                if attempt == 2:
                    raise
                continue
            if got:
                _local.names.add(name)
            else:
                _pg_done(name)
            return got
    path = _lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _held[name] = handle
    return True


def hold(name: str) -> None:
    try_hold(name, wait=True)


def release(name: str) -> None:
    if _vendor() == "postgresql":
        wrapper = getattr(_local, "wrapper", None)
        if wrapper is not None and name in _local.names:
            try:
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [NAMESPACE, _key(name)])
            except Exception:  # the connection is gone, and the lock with it
                wrapper.close()
            _pg_done(name)
        return
    handle = _held.pop(name, None)
    if handle is not None:
        try:
            os.unlink(handle.name)
        except FileNotFoundError:
            pass
        handle.close()


def held_by_a_worker(names) -> set[str]:
    """Which of the lock ``names`` a live worker holds."""
    names = list(names)
    if _vendor() == "postgresql":
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [NAMESPACE & 0xFFFFFFFF])
            keys = {row[0] for row in cursor.fetchall()}
        return {n for n in names if _key(n) & 0xFFFFFFFF in keys}
    held = set()
    for name in names:
        path = _lock_path(name)
        try:
            handle = open(path)
        except FileNotFoundError:
            continue
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.add(name)
            else:  # a dead worker's file: nobody holds it
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                path.unlink(missing_ok=True)
    return held


def orphaned_tasks(*, grace: datetime.timedelta = GRACE) -> list:
    """The ``RUNNING`` tasks claimed more than ``grace`` ago whose worker is gone (nobody holds their lock)."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    running = list(DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING,
                                               started_at__lt=timezone.now() - grace).values_list("pk", flat=True))
    if not running:
        return []
    held = held_by_a_worker(task_lock_name(pk) for pk in running)
    return [pk for pk in running if task_lock_name(pk) not in held]


def recover_orphaned_tasks(*, grace: datetime.timedelta = GRACE) -> list:
    """Put the orphaned tasks back in the queue (``READY``), or mark failed those lost ``MAX_ATTEMPTS`` times;
    returns the ids put back."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    requeued = []
    for pk in orphaned_tasks(grace=grace):
        with transaction.atomic():
            task = DBTaskResult.objects.select_for_update().filter(pk=pk, status=TaskResultStatus.RUNNING).first()
            if task is None:  # finished meanwhile
                continue
            if len(task.worker_ids or []) >= MAX_ATTEMPTS:
                task.status = TaskResultStatus.FAILED
                task.finished_at = timezone.now()
                task.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
                task.traceback = f"{WorkerLost.__name__}: the task's worker died {len(task.worker_ids)} times"
                task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                logger.error("task %s (%s) given up: its worker died %d times", pk, task.task_path,
                             len(task.worker_ids))
                continue
            task.status = TaskResultStatus.READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
            requeued.append(pk)
            logger.warning("task %s (%s) put back in the queue: its worker %s is gone", pk, task.task_path,
                           (task.worker_ids or ["?"])[-1])
    return requeued


def register_sweep(func) -> None:
    """``func()`` runs at every sweep of the task workers, after the orphaned tasks are put back."""
    if func not in _sweeps:
        _sweeps.append(func)


def sweep() -> list:
    """One sweep of a task worker: the orphaned tasks back in the queue, then every registered sweep."""
    requeued = recover_orphaned_tasks()
    for func in _sweeps:
        func()
    return requeued
