"""Billing's background work (django-tasks): a billing run is executed by a worker (``manage.py task_worker``)
after the request's transaction commits; in tests the immediate backend runs it in-process."""

from __future__ import annotations

from django_tasks import task


@task()
def execute_billing_run(run_id: int) -> str:
    from .services.runs import billing_run_execute

    return billing_run_execute(actor=f"system: billing run {run_id}", run_id=run_id)
