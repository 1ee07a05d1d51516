"""The product's task worker: django-tasks' ``db_worker`` that survives its peers' deaths (issue 15 §4).

Each task runs under its liveness lock (``backoffice.task_recovery``), and a thread puts the tasks of dead workers
back in the queue at start and every ``--recover-interval`` seconds. Same options as ``db_worker`` otherwise
(never ``--reload``: a reload would kill the running task the way a crash does)."""

from __future__ import annotations

import logging
import threading
import time

from django.db import DatabaseError, connection, connections
from django_tasks.backends.database.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks.backends.database.management.commands.db_worker import Worker

from backoffice import task_recovery

logger = logging.getLogger("backoffice.task_worker")
RESTART_DELAY = 1.0


class RecoveringWorker(Worker):
    def run(self) -> None:
        """django-tasks' loop, started again after a database error (the server restarting) instead of ending the
        process: a worker started by ``make serve`` has no supervisor to start it again. The task it was running,
        if any, is released and the next sweep puts it back in the queue."""
        task_recovery.keep_lock_connection()
        try:
            while True:
                try:
                    super().run()
                    return
                except DatabaseError:
                    if not self.running:
                        raise
                    logger.exception("task worker %s: database error, starting again in %s s", self.worker_id,
                                     RESTART_DELAY)
                    connections.close_all()
                    time.sleep(RESTART_DELAY)
        finally:
            task_recovery.close_lock_connection()

    def run_task(self, db_task_result) -> None:
        name = task_recovery.task_lock_name(db_task_result.pk)
        task_recovery.hold(name)
        try:
            super().run_task(db_task_result)
        finally:
            task_recovery.release(name)


def _sweep() -> None:
    try:
        task_recovery.sweep()
    except Exception:  # a busy or restarting database: try again at the next sweep
        logger.exception("recovering orphaned tasks failed")
    finally:
        connection.close()  # this thread's own connection


def _sweep_forever(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        _sweep()


class Command(DbWorkerCommand):
    help = "Run a task worker (django-tasks' database worker) that re-queues the tasks of dead workers."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--recover-interval", type=float, default=30.0,
                            help="seconds between two sweeps for tasks of dead workers (default: %(default)r)")

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, max_tasks, worker_id,
               recover_interval, **options) -> None:
        self.configure_logging(verbosity)
        worker = RecoveringWorker(queue_names=queue_name.split(","), interval=interval, batch=batch,
                                  backend_name=backend_name, startup_delay=startup_delay, max_tasks=max_tasks,
                                  worker_id=worker_id)
        _sweep()  # at start, before the first task is taken
        stop = threading.Event()
        sweeper = threading.Thread(target=_sweep_forever, args=(recover_interval, stop), daemon=True,
                                   name="task-recovery")
        sweeper.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
