"""BIL-1 billing run benchmark: the whole run for 100,000 members against a raw ``executemany`` of the same rows.

The issue's target: for 100,000 members the whole run (``billing_run_request`` + ``billing_run_execute``: state
changes, skips, invoices, adjustment sums, spending the one-time adjustments, counts, audit) takes no longer than
inserting the same invoice rows with the database driver's own ``executemany``, and under 2 s — on SQLite and on
PostgreSQL.

Builds, in the database named by ``DATABASE_URL`` (as bench/members_search.py does), a society ``bench-bil1``
with 100,000 members through the factories' bulk path (``members.factories.bulk_create_members``, about 80 %
active), three member types (one excluded by the run), scheduled withdrawals before the allocation month for
every 20th member, permanent adjustments for every 10th and one-time adjustments for every 5th. Then, ``--repeat``
times, in the same process:

  (a) run: ``billing_run_request`` (the task queue replaced by a dummy backend, so nothing runs on commit) and
      ``billing_run_execute`` — timed together with ``time.perf_counter()``;
  (b) raw: the run's invoice rows, read back untimed, deleted, then inserted again with the driver's cursor
      ``executemany`` (sqlite3 / psycopg) in one transaction — timed from the first statement to the commit.

Between repetitions the invoices are removed, the adjustments unspent and the number sequence reset (untimed).
Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/bench-bil.sqlite3 .venv/bin/python bench/billing_run.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench_bil .venv/bin/python bench/billing_run.py
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_SLUG = "bench-bil1"
OPERATOR_EMAIL = "bench-billing@bench.example.jp"
COLUMNS = ("society_id", "number", "member_id", "run_id", "name", "category", "fiscal_year", "amount", "adjustment",
           "due_date", "confirmed_at", "cancelled_at", "cancelled_by", "settlement_number", "created_at")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members to build (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    return parser.parse_args()


def build_or_reuse(count: int):
    from members.factories import MemberTypeFactory, bulk_create_members
    from members.models import Member, MemberAdjustment
    from members_search import society_with_members

    def populate(society, count: int) -> None:
        types = [
            MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000),
            MemberTypeFactory(society=society, code="student", name="学生会員", annual_fee=3_000),
            MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0),
        ]
        bulk_create_members(society, types, count, email_prefix="bil")
        ids = list(Member.objects.filter(society=society).order_by("pk").values_list("pk", flat=True))
        # scheduled withdrawals: every 20th before the allocation month (skipped), every 20th + 7 after it
        Member.objects.filter(pk__in=ids[::20]).update(scheduled_withdrawal_date=datetime.date(2026, 3, 31))
        Member.objects.filter(pk__in=ids[7::20]).update(scheduled_withdrawal_date=datetime.date(2026, 9, 30))
        MemberAdjustment.objects.bulk_create(
            [MemberAdjustment(member_id=i, kind="permanent", amount=-1_000) for i in ids[::10]]
            + [MemberAdjustment(member_id=i, kind="one_time", amount=-2_000) for i in ids[3::5]],
            batch_size=5000)

    return society_with_members(BENCH_SLUG, "請求ベンチマーク学会", count, populate,
                                built="with withdrawals and adjustments", analyze="VACUUM ANALYZE",
                                operator_email=OPERATOR_EMAIL, role="staff")


def reset(society) -> None:
    """Untimed: no invoices, runs or spent adjustments of the bench society; the number sequence at 0."""
    from django.db import transaction

    from billing.models import BillingRun, BillingRunSkip, Invoice, NumberSequence
    from members.models import MemberAdjustment

    with transaction.atomic():
        Invoice.objects.filter(society=society).delete()
        BillingRunSkip.objects.filter(run__society=society).delete()
        BillingRun.objects.filter(society=society).delete()
        MemberAdjustment.objects.filter(member__society=society).update(spent_at=None, spent_reference="")
        NumberSequence.objects.filter(society=society).update(last=0)


def settle() -> None:
    """Untimed, before each timed part: the same starting state for the run and the raw insert.

    PostgreSQL: ``VACUUM ANALYZE`` of the tables both write (the reset and the raw insert's delete leave dead rows,
    and this server runs without autovacuum) and a ``CHECKPOINT`` (otherwise whichever part follows a checkpoint
    writes every page it touches in full to the WAL). SQLite: nothing to do."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("billing_invoice", "billing_billingrunskip", "members_memberadjustment", "members_member"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        try:
            cursor.execute("CHECKPOINT")
        except Exception as exc:  # needs superuser or pg_checkpoint: without it, the figures are noisier
            print(f"  (no CHECKPOINT: {exc})")


def time_run(society, operator) -> tuple[float, int, int, int]:
    from billing.models import BillingRun
    from billing.services.runs import billing_run_execute, billing_run_request
    from members.models import MemberType

    student = MemberType.objects.get(society=society, code="student")
    started = time.perf_counter()
    run = billing_run_request(actor=operator, society=society, name="2026年度 年会費", category="annual",
                              fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1),
                              due_date=datetime.date(2026, 6, 30), exclude_member_types=[student])
    state = billing_run_execute(actor=f"system: billing run {run.pk}", run_id=run.pk)
    elapsed = time.perf_counter() - started
    run = BillingRun.objects.get(pk=run.pk)
    assert state == "done", (state, run.error)
    return elapsed, run.pk, run.created_count, run.skipped_count


def time_raw_insert(run_id: int) -> tuple[float, int]:
    """The same invoice rows through the driver's executemany, in one transaction."""
    from django.db import connection

    from billing.models import Invoice

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        raw, placeholder = connection.connection, "?"  # the sqlite3 connection itself
    else:  # a plain psycopg connection with the driver's defaults (server-side binding, pipelined executemany)
        import psycopg

        settings_dict = connection.settings_dict
        raw = psycopg.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"] or None,
                              password=settings_dict["PASSWORD"] or None, host=settings_dict["HOST"] or None,
                              port=settings_dict["PORT"] or None)
        placeholder = "%s"
    with connection.cursor() as cursor:  # untimed: read the rows back exactly as stored, then remove them
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM billing_invoice WHERE run_id = %s ORDER BY number", [run_id])
        rows = cursor.fetchall()
    Invoice.objects.filter(run_id=run_id).delete()
    settle()
    sql = (f"INSERT INTO billing_invoice ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join([placeholder] * len(COLUMNS))})")
    started = time.perf_counter()
    cursor = raw.cursor()
    if connection.vendor == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    cursor.executemany(sql, rows)
    raw.commit()
    elapsed = time.perf_counter() - started
    cursor.close()
    if raw is not connection.connection:
        raw.close()
    return elapsed, len(rows)


def main() -> None:
    args = parse_args()
    from members_search import prepare_database, setup_django

    config = prepare_database(args.rebuild)
    setup_django()
    from django.conf import settings
    from django.db import connection

    # The request must not run the task on commit: the bench times request + execution in this process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django.core.signals import setting_changed

    setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)

    society, operator = build_or_reuse(args.members)
    vendor = connection.vendor
    version = connection.Database.sqlite_version if vendor == "sqlite" else connection.cursor().connection.info.server_version
    print(f"database: {vendor} {version} ({config['NAME']})")
    runs, raws = [], []
    for i in range(args.repeat):
        reset(society)
        settle()
        elapsed, run_id, created, skipped = time_run(society, operator)
        raw_elapsed, rows = time_raw_insert(run_id)
        runs.append(elapsed)
        raws.append(raw_elapsed)
        print(f"  #{i + 1}: run {elapsed * 1000:7.0f} ms ({created:,} invoices, {skipped:,} skips)   "
              f"raw executemany {raw_elapsed * 1000:7.0f} ms ({rows:,} rows)")
    reset(society)
    run_median, raw_median = statistics.median(runs), statistics.median(raws)
    print(f"median: run {run_median * 1000:.0f} ms, raw executemany {raw_median * 1000:.0f} ms "
          f"(run/raw {run_median / raw_median:.2f}); target: run <= raw and < 2000 ms")


if __name__ == "__main__":
    main()
