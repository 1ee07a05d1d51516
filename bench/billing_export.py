"""BIL-9 export benchmark: [会員別請求・入金情報ダウンロード] of a whole society, 100,000 members × 4 fiscal years.

Builds (once; reused when present) a society ``bench-bil9`` with ``--members`` members (the factories' bulk path,
``members.factories.bulk_create_members``) and, per member, an invoice for each of the current fiscal year and
the three before it (``billing.factories.InvoiceFactory.build``, bulk inserted), about 70 % of them paid by a
bank transfer. Then, in this one process, it times

  (a) the product's streamed export: ``billing.exports.csv_response`` over every member of the society, its
      ``streaming_content`` consumed chunk by chunk (labels, formula neutralising, payments summary, BOM,
      bytes encoding — everything a download does, minus the socket);
  (b) a bare ``csv.writer`` loop over the same rows: the same two streamed queries merged
      (``billing.exports.rows``), each raw tuple written as it comes into a buffer emptied per chunk.

Target: (a) runs at least two thirds of the speed of (b). Peak memory of (a) is measured in a separate pass with
``tracemalloc`` (Python allocations) and the process's maximum resident size (``resource.getrusage``); target
under 200 MB. Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/bench-bil9.sqlite3 .venv/bin/python bench/billing_export.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_docs .venv/bin/python bench/billing_export.py
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from members_search import prepare_database, setup_django  # noqa: E402  (bench/ is the script's directory)

BENCH_SLUG = "bench-bil9"
YEARS = 4
PAID_SHARE = 0.7


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each variant (default 3)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    return parser.parse_args()


def build_or_reuse(count: int):
    import random

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from billing import selectors
    from billing.models import Invoice, NumberSequence, Payment
    from members.factories import MemberTypeFactory, bulk_create_members
    from members.models import Member, Society

    call_command("migrate", verbosity=0)
    society = Society.objects.filter(slug=BENCH_SLUG).first()
    if society is not None and Member.objects.filter(society=society).count() == count:
        print(f"reusing {count} members and {Invoice.objects.filter(society=society).count()} invoices")
        return society
    if society is not None:
        sys.exit(f"Society {BENCH_SLUG} exists with another member count; run with --rebuild.")
    started = time.perf_counter()
    with transaction.atomic():
        society = Society.objects.create(slug=BENCH_SLUG, name="ベンチマーク学会", bank_account_text="みずほ銀行 本郷支店 普通 1234567")
        types = [MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000),
                 MemberTypeFactory(society=society, code="student", name="学生会員", annual_fee=3_000)]
    bulk_create_members(society, types, count, email_prefix="bil9")
    print(f"members built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rng = random.Random(9)
    this_year = selectors.current_fiscal_year(society)
    fees = {t.pk: t.annual_fee for t in types}
    now = timezone.now()
    number = receipt = 0
    member_rows = list(Member.objects.filter(society=society).order_by("pk").values_list("pk", "member_type_id"))
    for start in range(0, len(member_rows), 5000):
        with transaction.atomic():
            invoices = []
            for member_id, type_id in member_rows[start:start + 5000]:
                for year in range(this_year - YEARS + 1, this_year + 1):
                    number += 1
                    # plain constructors for the 400,000 rows: factory-boy's build costs ~1 ms a row here
                    invoices.append(Invoice(
                        society=society, member_id=member_id, number=number, category="annual", name=f"{year}年度 年会費",
                        fiscal_year=year, amount=fees[type_id], confirmed_at=now, created_at=now,
                        due_date=datetime.date(year, 6, 30)))
            Invoice.objects.bulk_create(invoices, batch_size=5000)
            if invoices[0].pk is None:
                ids = dict(Invoice.objects.filter(society=society, number__gt=number - len(invoices))
                           .values_list("number", "pk"))
                for inv in invoices:
                    inv.pk = inv.id = ids[inv.number]
            payments = []
            for inv in invoices:
                if rng.random() < PAID_SHARE:
                    receipt += 1
                    payments.append(Payment(
                        society=society, invoice=inv, receipt_number=receipt, amount=inv.amount,
                        method="bank_transfer", created_by="bench",
                        paid_on=datetime.date(inv.fiscal_year, 5, 15), created_at=now))
            Payment.objects.bulk_create(payments, batch_size=5000)
    NumberSequence.objects.update_or_create(society=society, kind="invoice", defaults={"last": number})
    NumberSequence.objects.update_or_create(society=society, kind="receipt", defaults={"last": receipt})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{number} invoices and {receipt} payments built in {time.perf_counter() - started:.1f} s")
    return society


def streamed_export(queryset) -> tuple[int, int]:
    from billing import exports

    response = exports.csv_response(queryset, "bench.csv")
    size = pieces = 0
    for piece in response.streaming_content:
        size += len(piece)
        pieces += 1
    return size, pieces


def bare_loop(queryset) -> tuple[int, int]:
    from billing import exports

    out = io.StringIO()
    writer = csv.writer(out)
    size = pieces = written = 0
    for row, payments in exports.rows(queryset):
        writer.writerow(row + tuple(payments))
        written += 1
        if written == exports.CHUNK_SIZE:
            size += len(out.getvalue())
            pieces += 1
            out.seek(0)
            out.truncate()
            written = 0
    return size + len(out.getvalue()), pieces + 1


def main() -> None:
    args = parse_args()
    config = prepare_database(args.rebuild)
    setup_django()
    from django.db import connection

    from billing import exports
    from members.models import Member

    society = build_or_reuse(args.members)
    queryset = exports.invoices_for_members(Member.objects.filter(society=society), [society])
    print(f"database: {config['ENGINE'].rsplit('.', 1)[-1]} {config['NAME']}")
    streamed_export(queryset)  # warm-up (caches, page cache)
    timings: dict[str, list[float]] = {"streamed export": [], "bare csv.writer": []}
    sizes = {}
    for _ in range(args.repeat):
        for name, run in (("bare csv.writer", bare_loop), ("streamed export", streamed_export)):
            started = time.perf_counter()
            sizes[name] = run(queryset)
            timings[name].append(time.perf_counter() - started)
    for name, values in timings.items():
        print(f"{name:17s} median {statistics.median(values):7.2f} s  min {min(values):7.2f} s  "
              f"max {max(values):7.2f} s  ({sizes[name][0] / 1e6:.1f} MB in {sizes[name][1]} pieces)")
    ratio = statistics.median(timings["bare csv.writer"]) / statistics.median(timings["streamed export"])
    print(f"speed of the streamed export relative to the bare loop: {ratio:.2f} (target ≥ 0.67)")

    connection.close()
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size, pieces = streamed_export(queryset)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = size and (args.members * YEARS)
    print(f"streamed export of {rows} rows: tracemalloc peak {peak / 1e6:.1f} MB; "
          f"process max RSS {rss_after:.0f} MB (before the pass {rss_before:.0f} MB) (target < 200 MB)")


if __name__ == "__main__":
    main()
