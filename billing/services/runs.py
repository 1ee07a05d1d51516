"""Billing services: runs ([請求情報作成], BIL-1, BIL-2, BIL-5, BIL-11).

``billing_run_request`` writes the request (state 作成依頼中) and enqueues the task after commit;
``billing_run_execute`` (the task's body) bills the members set-based inside the database: one
``INSERT … SELECT`` per chunk of members for the invoices (numbers by ``ROW_NUMBER()`` after the locked
sequence's last number), one for the skips, the adjustment sums by a grouped subquery, and the one-time
adjustments spent by one UPDATE through the members service. Chunks commit one by one so that
[請求情報作成履歴] sees the progress; a failed run is marked 失敗 and ``billing_run_retry`` runs it again
without billing anyone twice (the one-live-invoice-per-run-and-member constraint, and the insert leaves out
members who already have a live invoice of the run's category and fiscal year, this run's included).

Who bills whom (API.md, Clarifications): an annual (or other) run bills members whose status is active on
the run's request date (society clock), an admission run applying members; ``member_ids`` narrows the set
and the same rules apply; a member who already has a live invoice of the run's category and fiscal year (another
run's, or made by hand) is not billed again; every listed or eligible member not billed is a ``BillingRunSkip``
with its reason. ``billing.selectors.billing_run_skip_reason`` answers the same for one member (a test holds the
two equal).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, task_recovery
from backoffice.errors import DomainError
from backoffice.services import Actor, check_actor, check_society, service
from members.models import Member, MemberAdjustment, MemberStatus, MemberType, Status
from members.services import member_adjustments_spend

from .. import numbering
from ..models import BillingRun, BillingRunSkip, Category, Invoice
from ..selectors import billing_run_retry_refusal, status_billed

logger = logging.getLogger(__name__)

#: Members examined per committed chunk: the progress bar moves this often, and a failure keeps the chunks
#: already committed (a retry completes the rest).
CHUNK = 20_000
MAX_MEMBER_ID = 2**63 - 1
MIN_YEAR, MAX_YEAR = 1900, 2999

MSG_NAME_REQUIRED = _("Enter the invoice name.")
MSG_NAME_TOO_LONG = _("The invoice name is at most %(n)d characters.")
MSG_UNKNOWN_CATEGORY = _("Unknown invoice category: %(value)s")
MSG_FISCAL_YEAR = _("Enter a fiscal year between %(min)d and %(max)d.")
MSG_MEMBER_TYPE_UNKNOWN = _("Unknown member type.")
MSG_MEMBER_IDS = _("Give the members to bill as a list of member ids (at least one).")
MSG_REQUEST_KEY = _("The idempotency key is at most 64 characters.")


def _invalid(message, field: str) -> DomainError:
    return DomainError("invalid", message, fields={field: [str(message)]})


def clean_run_name(name) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    limit = BillingRun._meta.get_field("name").max_length
    if not name:
        raise _invalid(MSG_NAME_REQUIRED, "name")
    if len(name) > limit:
        raise _invalid(MSG_NAME_TOO_LONG % {"n": limit}, "name")
    return name


def clean_category(category) -> str:
    if category not in Category.values:
        raise _invalid(MSG_UNKNOWN_CATEGORY % {"value": category}, "category")
    return category


def clean_fiscal_year(fiscal_year) -> int:
    if isinstance(fiscal_year, bool) or not isinstance(fiscal_year, int) or not MIN_YEAR <= fiscal_year <= MAX_YEAR:
        raise _invalid(MSG_FISCAL_YEAR % {"min": MIN_YEAR, "max": MAX_YEAR}, "fiscal_year")
    return fiscal_year


def _clean_member_ids(member_ids) -> list[int] | None:
    if member_ids is None:
        return None
    ids = list(member_ids)
    if not ids or any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= MAX_MEMBER_ID for i in ids):
        raise _invalid(MSG_MEMBER_IDS, "member_ids")
    return sorted(set(ids))


@service(permission="can_write")
def billing_run_request(*, actor: Actor, society, name: str, category: str, fiscal_year: int,
                        allocation_start: datetime.date, due_date: datetime.date | None = None,
                        exclude_member_types: Iterable[MemberType] = (), member_ids: Sequence[int] | None = None,
                        request_key: str | None = None) -> BillingRun:
    """[請求情報作成]: write the request (作成依頼中) and run it in the background after commit (BIL-1).

    The same ``request_key`` (the API's ``Idempotency-Key``, the admin form's hidden key) is the same run: a
    double submission — even two at the same moment — creates one run and one set of invoices."""
    check_society(actor, society.pk)
    request_key = (request_key or "").strip()
    if len(request_key) > BillingRun._meta.get_field("request_key").max_length:
        raise _invalid(MSG_REQUEST_KEY, "request_key")
    if request_key:
        existing = BillingRun.objects.filter(society=society, request_key=request_key).first()
        if existing is not None:
            return existing
    name = clean_run_name(name)
    category = clean_category(category)
    fiscal_year = clean_fiscal_year(fiscal_year)
    if not isinstance(allocation_start, datetime.date):
        raise _invalid(_("Enter the allocation start month as YYYY-MM."), "allocation_start")
    allocation_start = allocation_start.replace(day=1)
    types = list(exclude_member_types or ())
    if any(getattr(t, "society_id", None) != society.pk for t in types):
        raise _invalid(MSG_MEMBER_TYPE_UNKNOWN, "exclude_member_types")
    ids = _clean_member_ids(member_ids)
    now = clock.now(society)
    run = BillingRun(society=society, name=name, category=category, fiscal_year=fiscal_year,
                     allocation_start=allocation_start, due_date=due_date, member_ids=ids, request_key=request_key,
                     requested_by=audit.actor_label(actor)[:255], requested_on=now.date(), requested_at=now)
    if request_key:
        # Two identical submissions at once: the second one's insert meets the unique (society, request_key)
        # after the first commits — it answers with that run.
        from django.db import IntegrityError

        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            return BillingRun.objects.get(society=society, request_key=request_key)
    else:
        run.save()
    if types:
        run.exclude_member_types.set(types)
    audit.record(actor=actor, action="billing.run.requested", target=run, after={
        "name": name, "category": category, "fiscal_year": fiscal_year,
        "allocation_start": allocation_start.isoformat(), "due_date": due_date.isoformat() if due_date else None,
        "exclude_member_types": [t.code for t in types], "member_ids": len(ids) if ids is not None else None,
        "requested_on": run.requested_on.isoformat(),
    })
    _enqueue_after_commit(run.pk)
    return run


def _enqueue_after_commit(run_id: int) -> None:
    from ..tasks import execute_billing_run

    transaction.on_commit(lambda: execute_billing_run.enqueue(run_id))


@service(permission="can_write")
def billing_run_retry(*, actor: Actor, run: BillingRun) -> BillingRun:
    """Run a failed run again (作成依頼中 once more). Members it already billed are not billed twice. Any other
    run is refused (``selectors.billing_run_retry_refusal``: 409 ``billing_run_not_failed``)."""
    check_society(actor, run.society_id)
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    refusal = billing_run_retry_refusal(run)
    if refusal is not None:
        raise refusal
    before = {"state": run.state, "error": run.error}
    run.state = BillingRun.State.REQUESTED
    run.error = ""
    run.save(update_fields=["state", "error"])
    audit.record_change(actor=actor, action="billing.run.retried", target=run, before=before,
                        after={"state": run.state, "error": run.error})
    _enqueue_after_commit(run.pk)
    return run


# ---------------------------------------------------------------------------------------------------
# Execution (the task's body)
# ---------------------------------------------------------------------------------------------------


def billing_run_execute(*, actor: Actor, run_id: int) -> str:
    """Bill the run's members; returns the run's final state. A run 作成依頼中 starts; a run 作成中 — its worker died
    mid-run and the task runs again — goes on from its committed chunks; any other run is left as it is.

    Not one transaction on purpose: the start, every chunk of members and the end each commit on their own,
    so that [請求情報作成履歴] shows the progress while it runs; each chunk is all or nothing (its invoices,
    numbers, skips and spent adjustments together). Any failure marks the run 失敗 with the error."""
    check_actor(actor, None)
    lock = run_lock_name(run_id)
    with transaction.atomic():
        run = BillingRun.objects.select_for_update(of=("self",)).select_related("society").filter(pk=run_id).first()
        if run is None or run.state not in (BillingRun.State.REQUESTED, BillingRun.State.RUNNING):
            return run.state if run is not None else "missing"
        # The run's liveness lock, taken while its row is locked and held until the end: a second execution of the
        # same run (the task enqueued twice, a task put back in the queue while its worker still lives) leaves it
        # to the first; the lock goes with the executing worker's process or connection (backoffice.task_recovery).
        if not task_recovery.try_hold(lock):
            return run.state
        try:
            if run.state == BillingRun.State.RUNNING:
                # 作成中 with nobody executing it: the worker that was died (SIGKILL, a lost machine, a database
                # restart) and its task runs again. Go on from the chunks it committed: the inserts leave out the
                # members this run already billed, so nobody is billed twice and nobody is left out.
                logger.warning("billing run %s resumed after its worker was lost (%s of %s processed)", run_id,
                               run.processed_count, run.target_count)
                audit.record(actor=actor, action="billing.run.resumed", target=run, before={
                    "state": run.state, "processed_count": run.processed_count})
            run.state = BillingRun.State.RUNNING
            run.started_at = clock.now(run.society)
            run.finished_at = None
            run.processed_count = 0
            run.save(update_fields=["state", "started_at", "finished_at", "processed_count"])
            BillingRunSkip.objects.filter(run=run).delete()  # a retry lists its skips afresh
        except BaseException:
            task_recovery.release(lock)
            raise
    try:
        return _execute(actor, run)
    finally:
        task_recovery.release(lock)


def billing_runs_resume_orphaned() -> list[int]:
    """A task worker's sweep (``backoffice.task_recovery.register_sweep``): every run 作成中 that nobody executes —
    its lock free, no task of it queued or running — goes back to the queue (its execution resumes it). That is a
    run whose task ended without ending it: the worker's database connection was lost mid-run (a restart of the
    server) and marking the run 失敗 failed too. Returns the runs enqueued."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    from ..tasks import execute_billing_run

    running = list(BillingRun.objects.filter(state=BillingRun.State.RUNNING).values_list("pk", flat=True))
    if not running:
        return []
    held = task_recovery.held_by_a_worker(run_lock_name(pk) for pk in running)
    path = execute_billing_run.module_path
    enqueued = []
    for pk in running:
        tasks = DBTaskResult.objects.filter(task_path=path, args_kwargs__args__0=pk)
        if run_lock_name(pk) in held or tasks.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists():
            continue
        ended = tasks.count()
        if ended >= MAX_RUN_EXECUTIONS:
            # interrupted again and again (a connection that keeps dropping, a worker killed each time, a task given
            # up by task_recovery): no more automatic attempts — 失敗, so that an operator sees it and can 再実行
            _fail(f"system: billing run {pk} (task worker)", pk,
                  _("Interrupted %(count)s times (the task worker or its database connection was lost each time); "
                    "stopped. Use [再実行] once the cause is fixed.") % {"count": ended})
            logger.error("billing run %s interrupted %d times: marked failed", pk, ended)
            continue
        execute_billing_run.enqueue(pk)
        enqueued.append(pk)
        logger.warning("billing run %s is 作成中 with nobody executing it: queued again", pk)
    return enqueued


#: A run 作成中 whose executions (tasks) all ended without ending it this many times is marked 失敗 instead of queued
#: again (issue 15 §4: a database connection that keeps dropping, a run whose task kills its worker).
MAX_RUN_EXECUTIONS = 10


def _fail(actor: Actor, run_id: int, error: str) -> None:
    """The run 失敗 with ``error``, audited; it may then be retried ([再実行])."""
    with transaction.atomic():
        failed = BillingRun.objects.select_for_update(of=("self",)).select_related("society").get(pk=run_id)
        if failed.state != BillingRun.State.RUNNING:
            return
        failed.state = BillingRun.State.FAILED
        failed.error = str(error)[:2000]
        failed.finished_at = clock.now(failed.society)
        failed.save(update_fields=["state", "error", "finished_at"])
        audit.record(actor=actor, action="billing.run.failed", target=failed,
                     after={"state": failed.state, "error": failed.error})


def run_lock_name(run_id: int) -> str:
    """The liveness lock its executor holds while a run is 作成中 (``backoffice.task_recovery``)."""
    return f"billing-run-{int(run_id)}"


def _execute(actor: Actor, run: BillingRun) -> str:
    run_id = run.pk
    try:
        plan = _plan(run)
        plan.resuming = Invoice.objects.filter(run_id=run.pk).exists()
        BillingRun.objects.filter(pk=run.pk).update(target_count=plan.target)
        processed = 0
        for lo, hi, size in plan.chunks:
            with transaction.atomic():
                _commit_without_waiting_for_disk()
                _bill_chunk(actor, run, plan, lo, hi)
                processed = min(plan.target, processed + size)
                BillingRun.objects.filter(pk=run.pk).update(processed_count=processed)
        with transaction.atomic():
            return _finish(actor, run, plan)
    except Exception as exc:  # any failure: the run says so and can be retried
        if _connection_lost(exc):
            # The database went away (a restart, a fail-over): not the run's failure. It stays 作成中, its lock goes
            # with this execution, and the workers' sweep queues it again (billing_runs_resume_orphaned), which
            # resumes it from its committed chunks once the database is back.
            logger.warning("billing run %s: database connection lost (%s); left for the workers to resume", run_id,
                           exc)
            raise
        logger.exception("billing run %s failed", run_id)
        _fail(actor, run_id, f"{type(exc).__name__}: {exc}")
        return BillingRun.State.FAILED


#: PostgreSQL's SQLSTATEs of a lost server: the connection exceptions (class 08), and the server shutting down,
#: crashed or still starting (57P01–57P03). A statement's own errors (a timeout, a constraint) are the run's failure.
_LOST_SQLSTATES = ("57P01", "57P02", "57P03")


def _connection_lost(exc: Exception) -> bool:
    """The error is the loss of the database server (its restart, a fail-over), not of the run: the connection is
    closed here, so that the worker's next statement opens a new one."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite only installations
        return False
    cause = exc.__cause__ or exc
    if connection.in_atomic_block or not isinstance(cause, psycopg.OperationalError):
        return False
    state = getattr(cause, "sqlstate", None)
    if not (state is None or state.startswith("08") or state in _LOST_SQLSTATES):
        return False
    connection.close()
    return True


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this chunk's commit does not wait for its WAL to reach the disk (``synchronous_commit`` off
    for this transaction alone). A chunk's commit is what makes the progress visible, not what makes the run
    durable: the run's last transaction (完了 or 失敗) commits synchronously, which flushes the WAL of every chunk
    before it. A database server crash mid-run may lose the last committed chunks together with the progress that
    counted them, never part of a chunk (the database stays consistent); the run is then left 作成中, as after any
    crash mid-run. (bench/README.md, BIL-1: the chunk commits are about a third of a PostgreSQL run, mostly the
    invoices' deferred foreign-key checks, which this does not change; it spares the flush wait only.)"""
    # Only when the chunk's transaction is the outermost one: inside a caller's transaction (a test, an eager task
    # backend) SET LOCAL would reach that transaction's commit too.
    if connection.vendor == "postgresql" and connection.in_atomic_block and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


class _Plan:
    def __init__(self, target: int, chunks: list[tuple[int, int, int]], listed: bool, adjustment_max: int):
        self.target = target
        self.chunks = chunks  # (first member id, last member id, members in the chunk)
        self.listed = listed
        self.adjustment_max = adjustment_max  # adjustments up to this id are summed and spent
        #: A retry of a run that already billed some members: it counts the run's invoices at the end (the
        #: inserts leave those members out, as every member with a live invoice of the run's category and year).
        self.resuming = False
        #: Invoices and skips inserted by this execution (a first execution's counts; a retry counts afresh).
        self.created = 0
        self.skipped = 0


def _plan(run: BillingRun) -> _Plan:
    """The chunks of member ids the run walks through, and how many members it examines (the progress)."""
    adjustment_max = MemberAdjustment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if run.member_ids is not None:
        ids = sorted(set(run.member_ids))
        chunks = [(ids[i], ids[min(i + CHUNK, len(ids)) - 1], min(CHUNK, len(ids) - i))
                  for i in range(0, len(ids), CHUNK)]
        return _Plan(len(ids), chunks, True, adjustment_max)
    members = Member.objects.filter(society_id=run.society_id).order_by("pk")
    ids = members.values_list("pk", flat=True)
    target = members.count()
    chunks = []
    lo = ids.first()
    for start in range(0, target, CHUNK):
        size = min(CHUNK, target - start)
        # From the chunk's first id: its last id and the next chunk's first, in one probe that walks this chunk's
        # index entries only (an OFFSET from the society's first member would walk all the chunks before it).
        hi, *rest = ids.filter(pk__gte=lo)[size - 1:size + 1]
        chunks.append((lo, hi, size))
        lo = rest[0] if rest else None
    return _Plan(target, chunks, False, adjustment_max)


def _t(name: str) -> str:
    return connection.ops.quote_name(name)


def _typed(sql_type: str) -> str:
    """A parameter in a SELECT list: PostgreSQL must be told its type (text would not go into a date
    column); SQLite must not (its CAST to "date" would make a number of it)."""
    return f"CAST(%s AS {sql_type})" if connection.vendor == "postgresql" else "%s"


def _listed_ids_sql() -> str:
    """The run's ``member_ids`` (JSON) as rows of ids, for ``IN (…)``; parameter: the run id."""
    run_table = _t(BillingRun._meta.db_table)
    if connection.vendor == "postgresql":
        return f"SELECT (jsonb_array_elements_text(member_ids))::bigint FROM {run_table} WHERE id = %s"
    return f"SELECT CAST(value AS INTEGER) FROM json_each((SELECT member_ids FROM {run_table} WHERE id = %s))"


def _bill_chunk(actor: Actor, run: BillingRun, plan: _Plan, lo: int, hi: int) -> None:
    """Invoices and skips for the members with ids in [lo, hi]: two INSERT … SELECT, then one UPDATE of the
    one-time adjustments the invoices summed (BIL-1, BIL-2, BIL-5, BIL-11, ADJ-1)."""
    society = run.society
    ops = connection.ops
    member, status, mtype = _t(Member._meta.db_table), _t(MemberStatus._meta.db_table), _t(MemberType._meta.db_table)
    adjustment, invoice = _t(MemberAdjustment._meta.db_table), _t(Invoice._meta.db_table)
    skip = _t(BillingRunSkip._meta.db_table)
    excluded = _t(BillingRun.exclude_member_types.through._meta.db_table)
    on_date = ops.adapt_datefield_value(run.requested_on)
    allocation_start = ops.adapt_datefield_value(run.allocation_start)
    billed_status = status_billed(run.category)

    # The members of the chunk with their current status on the run's date (MEM-4: latest entry on or before).
    scope = (f"SELECT m.id, m.member_type_id, m.scheduled_withdrawal_date, "
             f"(SELECT s.status FROM {status} s WHERE s.member_id = m.id AND s.effective_date <= %s "
             f"ORDER BY s.effective_date DESC LIMIT 1) AS current_status "
             f"FROM {member} m WHERE m.society_id = %s AND m.id >= %s AND m.id <= %s")
    scope_params: list = [on_date, society.pk, lo, hi]
    if plan.listed:
        scope += f" AND m.id IN ({_listed_ids_sql()})"
        scope_params.append(run.pk)
    is_excluded = f"x.member_type_id IN (SELECT membertype_id FROM {excluded} WHERE billingrun_id = %s)"
    withdraws_early = "(x.scheduled_withdrawal_date IS NOT NULL AND x.scheduled_withdrawal_date < %s)"
    # The chunk's members who already have a live invoice of the run's category and fiscal year (API.md, "Who
    # bills whom"): they are not billed again — skipped as already_billed when the invoice is another run's or
    # made by hand (own = 0), left out silently when it is this run's (a retry). One grouped pass over the chunk's
    # member range of the invoices, joined like the adjustments (no per-member probe for the planner to drive
    # through the invoice table, whose statistics predate the run: bench/README.md, BIL-1).
    billed = (f"SELECT i.member_id, MIN(i.id) AS invoice_id, MAX(CASE WHEN i.run_id = %s THEN 1 ELSE 0 END) AS own "
              f"FROM {invoice} i WHERE i.member_id >= %s AND i.member_id <= %s AND i.fiscal_year = %s "
              f"AND i.category = %s AND i.cancelled_at IS NULL GROUP BY i.member_id")
    billed_params = [run.pk, lo, hi, run.fiscal_year, run.category]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The per-member status subquery makes the planner's cost high enough for JIT compilation, which
            # costs more than it saves on these index-driven statements (measured: bench/README.md).
            cursor.execute("SET LOCAL jit = off")
        # The invoice numbers are locked (BIL-11) before anything is read, so that both statements see the
        # invoices of a run or a hand-made invoice that committed while this chunk waited for the lock.
        last = numbering.lock(society, numbering.INVOICE)
        # Most chunks of a year's first run meet no such invoice: one probe of the live-invoice index, and then the
        # statements join an empty row set instead (SQLite would otherwise buffer the invoices' INSERT … SELECT,
        # which then reads the table it writes; measured: bench/README.md, BIL-1).
        cursor.execute(f"SELECT 1 FROM {invoice} i WHERE i.fiscal_year = %s AND i.category = %s AND i.member_id >= %s "
                       f"AND i.member_id <= %s AND i.cancelled_at IS NULL LIMIT 1", [run.fiscal_year, run.category, lo, hi])
        if cursor.fetchone() is None:
            billed = "SELECT CAST(NULL AS BIGINT) AS member_id, CAST(NULL AS BIGINT) AS invoice_id, 0 AS own WHERE 1 = 0"
            billed_params = []
        scope_billed = f"FROM ({scope}) x LEFT JOIN ({billed}) b ON b.member_id = x.id "
        scope_billed_params = [*scope_params, *billed_params]
        # Skips first: every listed member, or every member of the billed status, that will not be billed.
        wrong_status = "(x.current_status IS NULL OR x.current_status <> %s)"
        status_reason = (BillingRunSkip.Reason.NOT_APPLYING if billed_status == Status.APPLYING
                         else BillingRunSkip.Reason.NOT_ACTIVE)
        Reason = BillingRunSkip.Reason
        # Cheap conditions first, so the status subquery runs only for the members they leave.
        if plan.listed:
            reasons = (f"SELECT x.id, CASE WHEN {wrong_status} THEN %s WHEN {is_excluded} THEN %s "
                       f"WHEN {withdraws_early} THEN %s ELSE %s END AS reason, b.invoice_id {scope_billed}"
                       f"WHERE ({is_excluded} OR {withdraws_early} OR b.member_id IS NOT NULL OR {wrong_status}) "
                       f"AND COALESCE(b.own, 0) = 0")
            params = [billed_status, status_reason, run.pk, Reason.EXCLUDED_TYPE, allocation_start,
                      Reason.WITHDRAWAL_BEFORE_ALLOCATION, Reason.ALREADY_BILLED, *scope_billed_params,
                      run.pk, allocation_start, billed_status]
        else:  # only members of the billed status are in scope: their reason is the type, the withdrawal or an invoice
            reasons = (f"SELECT x.id, CASE WHEN {is_excluded} THEN %s WHEN {withdraws_early} THEN %s ELSE %s END "
                       f"AS reason, b.invoice_id {scope_billed}"
                       f"WHERE ({is_excluded} OR {withdraws_early} OR b.member_id IS NOT NULL) "
                       f"AND x.current_status = %s AND COALESCE(b.own, 0) = 0")
            params = [run.pk, Reason.EXCLUDED_TYPE, allocation_start, Reason.WITHDRAWAL_BEFORE_ALLOCATION,
                      Reason.ALREADY_BILLED, *scope_billed_params, run.pk, allocation_start, billed_status]
        cursor.execute(
            f"INSERT INTO {skip} (run_id, member_id, member_ref, reason, invoice_id) "
            f"SELECT %s, y.id, y.id, y.reason, CASE WHEN y.reason = %s THEN y.invoice_id END FROM ({reasons}) y",
            [run.pk, Reason.ALREADY_BILLED, *params])
        plan.skipped += cursor.rowcount

        # The invoices: numbered after the sequence's last number, locked until this chunk commits (BIL-11).
        now = ops.adapt_datetimefield_value(clock.now(society))
        due = ops.adapt_datefield_value(run.due_date)
        cursor.execute(
            f"INSERT INTO {invoice} (society_id, number, member_id, run_id, name, category, fiscal_year, amount, "
            f"adjustment, due_date, confirmed_at, cancelled_at, cancelled_by, settlement_number, created_at) "
            f"SELECT %s, %s + ROW_NUMBER() OVER (ORDER BY x.id), x.id, %s, {_typed('varchar')}, "
            f"{_typed('varchar')}, %s, t.annual_fee, COALESCE(adj.total, 0), {_typed('date')}, NULL, NULL, '', '', "
            f"{_typed('timestamp with time zone')} "
            f"{scope_billed}JOIN {mtype} t ON t.id = x.member_type_id "
            f"LEFT JOIN (SELECT a.member_id, SUM(a.amount) AS total FROM {adjustment} a "
            f"WHERE a.member_id >= %s AND a.member_id <= %s AND a.id <= %s AND (a.kind = %s OR a.spent_at IS NULL) "
            f"GROUP BY a.member_id) adj ON adj.member_id = x.id "
            f"WHERE NOT {is_excluded} AND NOT {withdraws_early} AND x.current_status = %s AND b.member_id IS NULL",
            [society.pk, last, run.pk, run.name, run.category, run.fiscal_year, due, now, *scope_billed_params,
             lo, hi, plan.adjustment_max, MemberAdjustment.Kind.PERMANENT, run.pk, allocation_start, billed_status],
        )
        created = cursor.rowcount
    plan.created += created
    numbering.advance(society, numbering.INVOICE, created)
    if created:
        # ADJ-1: the one-time adjustments these invoices summed are spent (members' rows, members' service).
        # (the chunk's invoices by their number range: one index range, however stale the table's statistics;
        # measured: handing the service the list of billed members instead makes PostgreSQL scan the members table)
        billed_members = Invoice.objects.filter(society_id=society.pk, number__gt=last,
                                                number__lte=last + created).values("member_id")
        member_adjustments_spend(actor=actor, society=society, members=billed_members, member_id_range=(lo, hi),
                                 reference=f"billing run {run.pk}", up_to_id=plan.adjustment_max)


def _finish(actor: Actor, run: BillingRun, plan: _Plan) -> str:
    run = BillingRun.objects.select_for_update(of=("self",)).select_related("society").get(pk=run.pk)
    if plan.listed:  # listed ids that are no member of this society
        member = _t(Member._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_t(BillingRunSkip._meta.db_table)} (run_id, member_id, member_ref, reason) "
                f"SELECT %s, NULL, ids.id, %s FROM ({_listed_ids_sql()}) ids(id) "
                f"WHERE ids.id NOT IN (SELECT id FROM {member} WHERE society_id = %s)"
                if connection.vendor == "postgresql" else
                f"INSERT INTO {_t(BillingRunSkip._meta.db_table)} (run_id, member_id, member_ref, reason) "
                f"SELECT %s, NULL, ids.value, %s FROM json_each((SELECT member_ids FROM "
                f"{_t(BillingRun._meta.db_table)} WHERE id = %s)) ids "
                f"WHERE ids.value NOT IN (SELECT id FROM {member} WHERE society_id = %s)",
                [run.pk, BillingRunSkip.Reason.NOT_FOUND, run.pk, run.society_id],
            )
            plan.skipped += cursor.rowcount
    run.state = BillingRun.State.DONE
    # A first execution counted what it inserted; a retry also holds the invoices of the attempt before it
    # (its skips were listed afresh: the execution deletes the earlier ones first).
    run.created_count = (Invoice.objects.filter(run=run, cancelled_at__isnull=True).count() if plan.resuming
                         else plan.created)
    run.skipped_count = plan.skipped
    run.processed_count = plan.target
    run.finished_at = clock.now(run.society)
    run.save(update_fields=["state", "created_count", "skipped_count", "processed_count", "finished_at"])
    audit.record(actor=actor, action="billing.run.completed", target=run, after={
        "state": run.state, "created_count": run.created_count, "skipped_count": run.skipped_count})
    return run.state
