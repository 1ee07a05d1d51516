"""Issue 15 §4 "Faults survived": the background work under a killed worker (and a restarted PostgreSQL).

Builds, in the database named by ``DATABASE_URL`` (as bench/members_search.py does), a society ``bench-faults``
with ``--members`` members (default 100,000) through the factories' bulk path
(``members.factories.bulk_create_members``, the same population as bench/billing_run.py: three member types, one
excluded by the run, scheduled withdrawals, adjustments). Then, each fault on its own:

* ``worker-kill`` (billing): a task worker is started as a subprocess (``manage.py task_worker``, the product's
  worker: django-tasks' ``db_worker`` with the recovery of orphaned tasks), a run is requested through the product's
  service (``billing_run_request``), and once the run has committed some progress (``processed_count`` > 0, polled
  in the database) the worker's process group is killed with SIGKILL; a new worker is started and the run awaited.
  The run's chunk is ``--chunk`` members (default a tenth of the members) so that a run has progress to kill in.
* ``worker-kill`` (mail): ``--mails`` mails (default 1,000) are queued through ``mail.services.mail_send`` (each
  sent by its own task); when about a third are sent the worker is killed, a new one started and the outbox awaited.
  The worker sends through a counting e-mail backend (``CountingBackend`` below, ``EMAIL_BACKEND`` in the worker's
  environment) that appends every message's recipient and Message-ID to a file: the file is what was "sent".
* ``accepted-kill`` (mail, ``--only accepted-kill``): the worst moment, on purpose — the counting backend kills its
  own worker (SIGKILL) right after it "accepted" mail n/2, before 送信済 is committed. The next worker sends that
  mail again: one duplicate, with the same Message-ID (``mail.tasks.message_id``). This is the window no outbox
  can close over SMTP; the fault shows its size is one mail per dead worker and that the copy is recognisable.
* ``pg-terminate`` (billing and mail, PostgreSQL only): every connection to the bench database — the worker's, its lock
  connection — ended by the server (``pg_terminate_backend``) under a run: a restart's effect on the worker,
  without disturbing the server's other users.
* ``pg-restart`` (billing and mail, PostgreSQL only, ``--pg-restart``): the server is restarted
  (``pg_ctlcluster --skip-systemctl-redirect <version> main restart``) under a run. Other people's connections to
  the same server break for a few seconds: off by default. A worker that exits meanwhile is started again (as a
  supervisor would).

Checks: one invoice per member the run should bill — computed here in Python from the members' rows (status on the
request date, type, scheduled withdrawal), and the product's own ``billing.selectors.billing_run_skip_reason`` asked
for a sample of members to agree with it —, no duplicate, none missing, none extra; the run ``done``; no task left
ready or running; every mail written exactly once to the counting file and marked sent.

Prints one table and exits 1 on any duplicate, loss, stuck run or stuck task. Every wait has a timeout
(``--timeout``); every worker started is killed by its process group at the end.

    DATABASE_URL=sqlite:////tmp/faults.sqlite3 .venv/bin/python bench/faults.py --members 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_faults_bench .venv/bin/python bench/faults.py --members 20000
    # PostgreSQL restart under a run (disturbs everyone on the server for a few seconds):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_faults_bench .venv/bin/python bench/faults.py --members 5000 \\
        --only pg-restart --pg-restart
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_SLUG = "bench-faults"
OPERATOR_EMAIL = "bench-faults@bench.example.jp"
ENV_MAIL_LOG = "FAULTS_MAIL_LOG"
ENV_MAIL_DELAY = "FAULTS_MAIL_DELAY"
ENV_MAIL_DIE_AT = "FAULTS_MAIL_DIE_AT"


# --------------------------------------------------------------------------------------------------
# The counting e-mail backend (imported by the worker subprocess: EMAIL_BACKEND=faults.CountingBackend)
# --------------------------------------------------------------------------------------------------

try:
    from django.core.mail.backends.base import BaseEmailBackend
except ImportError:  # pragma: no cover - the script always runs in the project's venv
    BaseEmailBackend = object


class CountingBackend(BaseEmailBackend):
    """Appends one line per message — recipient, Message-ID — to the file ``$FAULTS_MAIL_LOG``: the SMTP server's
    view of what was delivered. The line is written (and flushed to the kernel) before ``send`` returns, so a
    worker killed right after it has still "sent" the mail."""

    def send_messages(self, email_messages):
        path = os.environ[ENV_MAIL_LOG]
        delay = float(os.environ.get(ENV_MAIL_DELAY) or 0)
        with open(path, "a", encoding="utf-8") as log:
            for message in email_messages:
                if delay:
                    time.sleep(delay)  # the SMTP conversation before the server accepts the message
                mid = message.extra_headers.get("Message-ID", "")
                log.write(f"{','.join(message.to)}\t{mid}\n")
                log.flush()
                die_at = int(os.environ.get(ENV_MAIL_DIE_AT) or 0)
                if die_at and os.path.getsize(path) and sum(1 for _ in open(path, encoding="utf-8")) == die_at:
                    # the worst moment: the server has accepted the message, 送信済 is not committed yet
                    os.kill(os.getpid(), signal.SIGKILL)
        return len(email_messages)


# --------------------------------------------------------------------------------------------------
# Worker subprocess
# --------------------------------------------------------------------------------------------------


def worker_main(args: argparse.Namespace) -> None:
    """``faults.py --worker``: the product's worker command with the run's chunk set to ``--chunk``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.base")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    from billing.services import runs

    if args.chunk_size:
        runs.CHUNK = args.chunk_size
    options = {"interval": 0.2, "startup_delay": False, "reload": False, "verbosity": 0}
    if args.worker_command == "task_worker":
        options["recover_interval"] = args.recover_interval
    call_command(args.worker_command, **options)


class Worker:
    """One worker subprocess in its own process group (killed as a group)."""

    def __init__(self, args: argparse.Namespace, log_dir: Path, label: str, die_at: int = 0):
        env = dict(os.environ)
        env[ENV_MAIL_DIE_AT] = str(die_at)
        env["EMAIL_BACKEND"] = "faults.CountingBackend"
        env[ENV_MAIL_LOG] = str(log_dir / "mail.log")
        env[ENV_MAIL_DELAY] = str(args.mail_delay)
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--chunk", str(args.chunk_size),
               "--worker-command", args.worker_command, "--recover-interval", str(args.recover_interval)]
        self.log_path = log_dir / f"worker-{label}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.label = label

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def wait_for(predicate, timeout: float, interval: float = 0.1):
    """Poll ``predicate`` until it returns something true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


def build_or_reuse(count: int):
    from billing_run import build_or_reuse as billing_build  # the same population as the BIL-1 bench
    import billing_run

    billing_run.BENCH_SLUG, billing_run.OPERATOR_EMAIL = BENCH_SLUG, OPERATOR_EMAIL
    return billing_build(count)


def reset(society) -> None:
    """No runs, invoices, spent adjustments, mails or tasks left from an earlier fault."""
    from django.db import transaction
    from django_tasks.backends.database.models import DBTaskResult

    from billing.models import BillingRun, BillingRunSkip, Invoice, NumberSequence
    from mail.models import LinkToken, SentMail
    from members.models import MemberAdjustment

    with transaction.atomic():
        Invoice.objects.filter(society=society).delete()
        BillingRunSkip.objects.filter(run__society=society).delete()
        BillingRun.objects.filter(society=society).delete()
        MemberAdjustment.objects.filter(member__society=society).update(spent_at=None, spent_reference="")
        NumberSequence.objects.filter(society=society).update(last=0)
        LinkToken.objects.filter(society=society).delete()
        SentMail.objects.filter(society=society).delete()
        DBTaskResult.objects.all().delete()  # the bench database's queue only


RUN_PARAMS = dict(name="2026年度 年会費", category="annual", fiscal_year=2026,
                  allocation_start=datetime.date(2026, 4, 1), due_date=datetime.date(2026, 6, 30))


def expected_members(society, requested_on: datetime.date, excluded_type_ids: set[int]) -> set[int]:
    """Who the run must bill, computed here from the rows (not by the run's SQL): active on the request date, not
    of an excluded type, not withdrawing before the allocation month, no live invoice of the year already."""
    from billing.selectors import status_billed
    from members.models import Member, MemberStatus

    billed = status_billed(RUN_PARAMS["category"])
    latest: dict[int, tuple] = {}
    for member_id, effective, pk, status in MemberStatus.objects.filter(
            member__society=society, effective_date__lte=requested_on).values_list(
            "member_id", "effective_date", "pk", "status").iterator(chunk_size=20_000):
        key = (effective, pk)
        if member_id not in latest or key > latest[member_id][0]:
            latest[member_id] = (key, status)
    allocation = RUN_PARAMS["allocation_start"]
    expected = set()
    for pk, type_id, withdrawal in Member.objects.filter(society=society).values_list(
            "pk", "member_type_id", "scheduled_withdrawal_date").iterator(chunk_size=20_000):
        if pk in latest and latest[pk][1] == billed and type_id not in excluded_type_ids \
                and not (withdrawal is not None and withdrawal < allocation):
            expected.add(pk)
    return expected


def check_selector_agrees(run, expected: set[int], sample: int = 300) -> int:
    """The product's own "would this member be billed" (``billing_run_skip_reason``) for a sample of members,
    before the run: returns how many disagree with ``expected``."""
    from billing.selectors import BillingRunParams, billing_run_skip_reason
    from members.models import Member

    params = BillingRunParams(run.society_id, run.category, run.fiscal_year, run.requested_on, run.allocation_start,
                              frozenset(run.exclude_member_types.values_list("pk", flat=True)), None)
    ids = list(Member.objects.filter(society_id=run.society_id).order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // sample)
    wrong = 0
    for member in Member.objects.filter(pk__in=ids[::step]):
        if (billing_run_skip_reason(params, member) is None) != (member.pk in expected):
            wrong += 1
    return wrong


def running_tasks() -> int:
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()


def tasks_run_again() -> int:
    """Tasks claimed by more than one worker: put back in the queue after their worker died."""
    from django_tasks.backends.database.models import DBTaskResult

    return sum(1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) if len(ids or []) > 1)


def stuck_tasks() -> int:
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    return DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()


# --------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------


def pg_restart() -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    version = versions[-1]
    started = time.perf_counter()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   timeout=120, capture_output=True)
    return f"restarted PostgreSQL {version} in {time.perf_counter() - started:.1f} s"


def pg_terminate() -> str:
    """Every other connection to the bench database ended by the server (what a restart does to them, without
    touching anyone else's database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ended = cursor.fetchone()[0]
    return f"ended {ended} connection(s) to the bench database"


def billing_fault(args, society, operator, log_dir: Path, fault: str) -> dict:
    from django.db import close_old_connections, connection

    from billing.models import BillingRun, Invoice
    from billing.services.runs import billing_run_request
    from members.models import MemberType

    reset(society)
    student = MemberType.objects.get(society=society, code="student")
    started = time.perf_counter()
    notes: list[str] = []
    workers = []
    try:
        # requested (and queued) first; the expectation is computed before the first worker starts
        run = billing_run_request(actor=operator, society=society, exclude_member_types=[student], **RUN_PARAMS)
        expected = expected_members(society, run.requested_on, {student.pk})
        disagree = check_selector_agrees(run, expected)
        if disagree:
            notes.append(f"selector disagrees with the bench's expectation for {disagree} sampled members")
        started = time.perf_counter()
        workers.append(Worker(args, log_dir, f"{fault}-billing-1"))

        last = {"processed": 0}

        def progress():
            close_old_connections()
            r = BillingRun.objects.filter(pk=run.pk).values("state", "processed_count", "target_count").first()
            if r["state"] in ("done", "failed"):
                return r
            return r if r["processed_count"] > last["processed"] else None

        kills = args.kills if fault == "worker-kill" else 1
        for k in range(kills):
            seen = wait_for(progress, args.timeout)
            if not seen:
                notes.append(f"no progress within {args.timeout:.0f} s")
                break
            if seen["state"] in ("done", "failed"):
                notes.append(f"the run ended ({seen['state']}) before fault {k + 1}: lower --chunk")
                break
            last["processed"] = seen["processed_count"]
            if fault == "worker-kill":
                workers[-1].kill()
                notes.append(f"SIGKILL at {seen['processed_count']:,}/{seen['target_count']:,} processed "
                             f"({running_tasks()} task(s) left running)")
                workers.append(Worker(args, log_dir, f"{fault}-billing-{len(workers) + 1}"))
            else:
                notes.append(f"{fault} at {seen['processed_count']:,}/{seen['target_count']:,} processed; "
                             + (pg_restart() if fault == "pg-restart" else pg_terminate()))
                connection.close()
                if not workers[-1].alive():  # a supervisor's restart of a worker that exited
                    notes.append(f"worker exited ({workers[-1].proc.returncode}); started again")
                    workers.append(Worker(args, log_dir, f"{fault}-billing-{len(workers) + 1}"))

        def finished():
            close_old_connections()
            try:
                state = BillingRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
            except Exception:  # the server restarting
                connection.close()
                return None
            if fault != "worker-kill" and not workers[-1].alive():
                notes.append(f"worker exited ({workers[-1].proc.returncode}); started again")
                workers.append(Worker(args, log_dir, f"{fault}-billing-{len(workers) + 1}"))
            return state if state in ("done", "failed") else None

        final = wait_for(finished, args.timeout, 0.25)
        close_old_connections()
        state = BillingRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
        if not final:
            notes.append(f"run still {state} after {args.timeout:.0f} s")
        # Let the workers finish marking the task (the run commits before django-tasks records the result).
        wait_for(lambda: stuck_tasks() == 0, 10)
        notes.append(f"{tasks_run_again()} task(s) run again by another worker")
        per_member = Counter(Invoice.objects.filter(run_id=run.pk, cancelled_at__isnull=True)
                             .values_list("member_id", flat=True))
        made = set(per_member)
        return dict(fault=fault, job="billing", members=args.members, expected=len(expected),
                    made=sum(per_member.values()), duplicates=sum(n - 1 for n in per_member.values() if n > 1),
                    missing=len(expected - made), extra=len(made - expected), state=state, stuck=stuck_tasks(),
                    elapsed=time.perf_counter() - started, notes=notes)
    finally:
        for worker in workers:
            worker.kill()


def mail_fault(args, society, operator, log_dir: Path, window: bool = False, terminate: bool = False,
               restart: bool = False) -> dict:
    from django.db import close_old_connections, transaction

    from mail.models import SentMail
    from mail.services import mail_send

    reset(society)
    mail_log = log_dir / "mail.log"
    mail_log.unlink(missing_ok=True)
    mail_log.touch()
    started = time.perf_counter()
    notes: list[str] = []
    addresses = [f"fault{i:05d}@example.ac.jp" for i in range(args.mails)]
    with transaction.atomic():  # one commit: the tasks are enqueued together after it
        for i, address in enumerate(addresses):
            mail_send(actor=operator, society=society, kind="other", to=address, subject=f"障害試験 {i}",
                      body="障害試験のメールです。")
    fault = ("accepted-kill" if window else "pg-terminate" if terminate else "pg-restart" if restart
             else "worker-kill")
    workers = [Worker(args, log_dir, f"{fault}-mail-1", die_at=args.mails // 2 if window else 0)]
    try:
        def lines() -> int:
            with open(mail_log, encoding="utf-8") as f:
                return sum(1 for _ in f)

        if window:  # the worker kills itself right after the backend accepted mail n/2
            if wait_for(lambda: not workers[0].alive(), args.timeout, 0.05):
                close_old_connections()
                notes.append(f"the worker died right after the acceptance of mail {lines():,} "
                             f"({SentMail.objects.filter(society=society, status=SentMail.Status.SENT).count():,} "
                             f"marked sent)")
            else:
                notes.append("the worker did not die")
            workers.append(Worker(args, log_dir, f"{fault}-mail-2"))
        rng = random.Random(15)
        for k in range(0 if window else args.kills):
            goal = args.mails * (k + 1) // (args.kills + 1)
            if not wait_for(lambda: lines() >= goal or None, args.timeout, 0.02):
                notes.append(f"fewer than {goal} sent within {args.timeout:.0f} s")
            # a moment of the sending cycle at random (seeded), not right after a write: accepted-kill aims there
            time.sleep(rng.uniform(0, args.kill_jitter))
            if terminate or restart:  # the worker lives on (or is started again, as a supervisor would)
                notes.append(f"after {lines():,} written: {pg_terminate() if terminate else pg_restart()}")
                if restart:
                    close_old_connections()
                if not workers[-1].alive():
                    notes.append("the worker exited; started again")
                    workers.append(Worker(args, log_dir, f"{fault}-mail-{len(workers) + 1}"))
                continue
            workers[-1].kill()
            close_old_connections()
            notes.append(f"SIGKILL after {lines():,} written ({running_tasks()} task(s) left running, "
                         f"{SentMail.objects.filter(society=society, status=SentMail.Status.SENT).count():,} "
                         f"marked sent)")
            workers.append(Worker(args, log_dir, f"{fault}-mail-{len(workers) + 1}"))

        def all_sent():
            close_old_connections()
            return not SentMail.objects.filter(society=society).exclude(status=SentMail.Status.SENT).exists()

        if not wait_for(all_sent, args.timeout, 0.25):
            notes.append(f"mails still not sent after {args.timeout:.0f} s")
        wait_for(lambda: stuck_tasks() == 0, 10)
        with open(mail_log, encoding="utf-8") as f:
            written = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
        sent = Counter(to for to, _mid in written)
        ids = {}
        for to, mid in written:
            ids.setdefault(to, set()).add(mid)
        twice = [to for to, n in sent.items() if n > 1]
        if twice:
            same = sum(1 for to in twice if len(ids[to]) == 1)
            notes.append(f"{len(twice)} mail(s) written twice, {same} of them with the same Message-ID both times")
        marked = SentMail.objects.filter(society=society, status=SentMail.Status.SENT).count()
        notes.append(f"{tasks_run_again()} task(s) run again by another worker")
        if marked != args.mails:
            notes.append(f"{marked:,} of {args.mails:,} marked sent")
        return dict(fault=fault, job="mail", members=args.members, mails_expected=args.mails,
                    mails_sent=sum(sent.values()), mail_duplicates=sum(n - 1 for n in sent.values() if n > 1),
                    mails_lost=len(set(addresses) - set(sent)), state="sent" if marked == args.mails else "queued",
                    stuck=stuck_tasks(), elapsed=time.perf_counter() - started, notes=notes)
    finally:
        for worker in workers:
            worker.kill()


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members to build (default 100000)")
    parser.add_argument("--mails", type=int, default=1_000, help="mails to queue (default 1000)")
    parser.add_argument("--mail-delay", type=float, default=0.02,
                        help="seconds the counting backend takes per message, as an SMTP server would (default 0.02)")
    parser.add_argument("--kills", type=int, default=3,
                        help="worker-kill: SIGKILLs under the run and under the mails, each followed by a new worker "
                             "(default 3)")
    parser.add_argument("--kill-jitter", type=float, default=0.1,
                        help="worker-kill (mail): kill up to this many seconds (at random) after the mark is written; "
                             "0 kills as soon as the bench sees it (default 0.1)")
    parser.add_argument("--chunk", dest="chunk_size", type=int, default=0,
                        help="members per committed chunk of the run (default a tenth of --members)")
    parser.add_argument("--only", default="billing,mail",
                        help="faults to run, comma-separated: billing, mail, accepted-kill, pg-terminate, pg-restart "
                             "(default billing,mail)")
    parser.add_argument("--pg-restart", action="store_true",
                        help="allow restarting the PostgreSQL server (breaks everyone's connections for seconds)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each wait may take (default 300)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    parser.add_argument("--worker-command", default="task_worker",
                        help="the worker's management command (default task_worker; db_worker: django-tasks' own)")
    parser.add_argument("--recover-interval", type=float, default=2.0,
                        help="task_worker: seconds between sweeps for orphaned tasks (default 2)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.worker and not args.chunk_size:
        args.chunk_size = max(1, args.members // 10)
    return args


def fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    args = parse_args()
    if args.worker:
        worker_main(args)
        return
    from members_search import prepare_database, setup_django

    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    config = prepare_database(args.rebuild)
    setup_django()
    from django.db import connection

    society, operator = build_or_reuse(args.members)
    vendor = connection.vendor
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    log_dir = Path(os.environ.get("FAULTS_LOG_DIR", ROOT / "var" / "faults"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"database: {vendor} ({config['NAME']}), {args.members:,} members, chunk {args.chunk_size:,}, "
          f"worker: manage.py {args.worker_command}; logs in {log_dir}")
    rows = []
    if "billing" in only:
        rows.append(billing_fault(args, society, operator, log_dir, "worker-kill"))
    if "mail" in only:
        rows.append(mail_fault(args, society, operator, log_dir))
    if "accepted-kill" in only:
        rows.append(mail_fault(args, society, operator, log_dir, window=True))
    if "pg-terminate" in only:
        if vendor != "postgresql":
            print("pg-terminate: PostgreSQL only, skipped")
        else:
            rows.append(billing_fault(args, society, operator, log_dir, "pg-terminate"))
            rows.append(mail_fault(args, society, operator, log_dir, terminate=True))
    if "pg-restart" in only:
        if vendor != "postgresql":
            print("pg-restart: PostgreSQL only, skipped")
        elif not args.pg_restart:
            print("pg-restart: needs --pg-restart (it restarts the shared server), skipped")
        else:
            rows.append(billing_fault(args, society, operator, log_dir, "pg-restart"))
            rows.append(mail_fault(args, society, operator, log_dir, restart=True))
    reset(society)

    header = ("fault", "database", "members", "inv. expected", "made", "dup", "missing", "mails expected", "sent",
              "dup", "lost", "final state", "stuck tasks", "elapsed")
    table = [header]
    bad = False
    for r in rows:
        billing = r["job"] == "billing"
        table.append((f"{r['fault']} ({r['job']})", vendor, fmt(r["members"]),
                      fmt(r.get("expected")), fmt(r.get("made")), fmt(r.get("duplicates")), fmt(r.get("missing")),
                      fmt(r.get("mails_expected")), fmt(r.get("mails_sent")), fmt(r.get("mail_duplicates")),
                      fmt(r.get("mails_lost")), r["state"], fmt(r["stuck"]), f"{r['elapsed']:.1f} s"))
        if billing:
            bad |= bool(r["duplicates"] or r["missing"] or r["extra"] or r["state"] != "done")
        elif r["fault"] == "accepted-kill":  # the one duplicate is the window this fault aims at: only a loss fails
            bad |= bool(r["mails_lost"] or r["state"] != "sent" or r["mail_duplicates"] > 1)
        else:
            bad |= bool(r["mail_duplicates"] or r["mails_lost"] or r["state"] != "sent")
        bad |= bool(r["stuck"])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        extra = f"; {r['extra']:,} invoices for members not expected" if r.get("extra") else ""
        print(f"  {r['fault']} ({r['job']}): " + "; ".join(r["notes"]) + extra)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
