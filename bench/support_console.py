"""Issue 13 "Done when": the support console at 100,000 members — the median server time and the query count of
creating a case, of one answer, of one action (``set_status_applying``) and of the triage panel of one member.
Target: each under 50 ms, on SQLite and PostgreSQL. Issue 14 §1 point 5 (SUP-4, PAY-5): the preview and the run of
the guided procedure ``member_type_correction`` after an online payment at the same size; target each under 100 ms.

Builds, in the database named by ``DATABASE_URL`` (as bench/members_search.py does, through its
``society_with_members``), a society ``bench-sup`` with ``--members`` members through the factories' bulk path
(about 8 % 退会). Then for ``--warmup`` + ``--repeat`` withdrawn members, in the same process, through the API
with a staff operator (``rest_framework.test.APIClient``, in-process: the whole request/response cycle):

  create   POST /api/v1/support/cases/ {flow: login-trouble, member}
  answer   POST …/answer/ {node: readmit, answer: yes}  (the facts read again, outcome B) — after the untimed
           identity check at login-trouble v2's gate {node: identity, answer: {name, item: phone, value}}
  action   POST …/actions/ {action: set_status_applying}  (the facts read again after it)
  triage   the panel 「サポート: この会員の記録で分かること」 of that member (support.panels.member_panel)

The guided procedure: the society gets (once, untimed, bulk) one confirmed annual invoice of this fiscal year per
member at its type's fee — a student's paid by credit card (with its 決済番号), every other regular member's by
bank transfer — so the invoice and payment tables hold 100,000 and about 75,000 rows. Then for ``--warmup`` +
``--repeat`` student members with that invoice paid, corrected to 正会員 (①入金履歴削除 → ②請求取消 → ③会員種別変更 →
④請求作成 → ⑤入金情報登録, PAY-3's remarks written by the procedure):

  proc-preview  POST /api/v1/support/procedures/preview/ {procedure: member_type_correction, params}  (dry run)
  proc-page     POST /admin/support/procedures/member_type_correction/?invoice=… {member_type, preview}  (the page:
                the same dry run, rendered, through django.test.Client with a signed-in session)
  proc-run      POST /api/v1/support/procedures/run/ {…}  (all five steps, one transaction)

Server time is ``time.perf_counter()`` around each call (for the procedures also ``time.process_time()``, this
process's CPU time: on SQLite, the database's work included; on PostgreSQL, the server's work excluded); queries are counted with ``CaptureQueriesContext`` on
the last member. Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/bench-sup.sqlite3 .venv/bin/python bench/support_console.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench_sup .venv/bin/python bench/support_console.py

``--only procedures`` (or ``console``) times one half.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_SLUG = "bench-sup"
OPERATOR_EMAIL = "bench-support@bench.example.jp"
CASES = "/api/v1/support/cases/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members to build (default 100000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed members (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed members before timing (default 3)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    parser.add_argument("--only", choices=["console", "procedures"], help="time only the console or the procedures")
    return parser.parse_args()


def build_or_reuse(count: int):
    from members.factories import MemberTypeFactory, bulk_create_members
    from members_search import society_with_members

    def populate(society, count: int) -> None:
        types = [MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000),
                 MemberTypeFactory(society=society, code="student", name="学生会員", annual_fee=3_000)]
        bulk_create_members(society, types, count, email_prefix="sup")

    return society_with_members(BENCH_SLUG, "サポートベンチマーク学会", count, populate, built="through bulk_create_members",
                                analyze="VACUUM ANALYZE", operator_email=OPERATOR_EMAIL, role="staff")


def withdrawn_members(society, needed: int) -> list:
    """Members withdrawn today with no case yet (each run takes fresh ones: the action re-admits them)."""
    from backoffice import clock
    from members import selectors

    today = clock.today(society)
    found = []
    for member in (selectors.members_of(society).filter(support_cases__isnull=True, phone__gt="")
                   .order_by("pk").iterator(chunk_size=500)):
        if member.status_on(today) == "withdrawn":
            found.append(member)
            if len(found) == needed:
                return found
    sys.exit(f"only {len(found)} withdrawn members without a case left: run again with --rebuild")


def ensure_invoices(society) -> None:
    """One confirmed annual invoice of this fiscal year per member at its type's fee, paid — a student's by credit
    card, every other regular member's by bank transfer (bulk, untimed, once): the tables a live society has."""
    from django.db import transaction
    from django.utils import timezone

    from backoffice import clock
    from billing.models import Invoice, NumberSequence, Payment
    from billing.selectors import current_fiscal_year
    from members.models import Member

    if Invoice.objects.filter(society=society).exists():
        return
    started = time.perf_counter()
    fy = current_fiscal_year(society)
    now, paid_on = timezone.now(), clock.today(society)
    rows = list(Member.objects.filter(society=society).order_by("pk")
                .values_list("pk", "member_type__code", "member_type__annual_fee"))
    with transaction.atomic():
        Invoice.objects.bulk_create(
            [Invoice(society=society, number=n, member_id=pk, name=f"{fy}年度 年会費", category="annual",
                     fiscal_year=fy, amount=fee, confirmed_at=now, created_at=now)
             for n, (pk, _code, fee) in enumerate(rows, start=1)], batch_size=5000)
        invoices = dict(Invoice.objects.filter(society=society).values_list("member_id", "pk"))
        payments = []
        for i, (pk, code, fee) in enumerate(rows):
            if code == "student":
                method, settlement = "credit_card", f"RP{len(payments) + 1:08d}"
            elif i % 2 == 0:
                method, settlement = "bank_transfer", ""
            else:
                continue
            payments.append(Payment(society=society, invoice_id=invoices[pk], receipt_number=len(payments) + 1,
                                    amount=fee, method=method, paid_on=paid_on, settlement_number=settlement,
                                    created_by="bench", created_at=now))
        Payment.objects.bulk_create(payments, batch_size=5000)
        for kind, last in (("invoice", len(rows)), ("receipt", len(payments))):
            NumberSequence.objects.update_or_create(society=society, kind=kind, defaults={"last": last})
    print(f"built {len(rows):,} invoices and {len(payments):,} payments in {time.perf_counter() - started:.1f} s")


def correction_cases(society, needed: int) -> list:
    """Student members whose invoice of this fiscal year is live and paid by credit card (each run takes fresh
    ones: the correction makes them 正会員)."""
    from billing.models import Invoice
    from billing.selectors import current_fiscal_year

    found = list(Invoice.objects.filter(society=society, fiscal_year=current_fiscal_year(society),
                                        cancelled_at__isnull=True, member__member_type__code="student",
                                        payments__method="credit_card", payments__deleted_at__isnull=True)
                 .order_by("pk").values_list("pk", flat=True)[:needed])
    if len(found) < needed:
        sys.exit(f"only {len(found)} student members with a paid invoice left: run again with --rebuild")
    return found


def time_procedures(args, society, operator) -> tuple[dict, dict]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from members.models import MemberType

    ensure_invoices(society)
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    regular = MemberType.objects.get(society=society, code="regular")
    api = APIClient()
    api.force_authenticate(operator)
    page = Client()
    page.force_login(operator)
    times: dict[str, list[float]] = {"proc-preview": [], "proc-page": [], "proc-run": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    queries: dict[str, int] = {}
    invoices = correction_cases(society, args.warmup + args.repeat)
    for i, invoice_id in enumerate(invoices):
        body = {"procedure": "member_type_correction", "params": {"invoice": invoice_id, "member_type": regular.pk}}
        calls = [
            ("proc-preview", lambda: api.post("/api/v1/support/procedures/preview/", body, format="json")),
            ("proc-page", lambda: page.post(f"/admin/support/procedures/member_type_correction/?invoice={invoice_id}",
                                            {"member_type": regular.pk, "preview": "1"})),
            ("proc-run", lambda: api.post("/api/v1/support/procedures/run/", body, format="json")),
        ]
        for name, call in calls:
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = call()
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
            assert response.status_code == 200, response.content[:2000]
            if name == "proc-page":
                assert b'id="procedure-run"' in response.content, response.content[-3000:]
            if i >= args.warmup:
                times[name].append(elapsed)
                cpu[name].append(cpu_ms)
            queries[name] = len(captured.captured_queries)
        assert response.json()["ok"] and len(response.json()["steps"]) == 5, response.content
    for name, values in cpu.items():  # this process's CPU time: what the machine's load does not inflate
        print(f"  {name:12s} CPU time of this process: median {statistics.median(values):6.1f} ms")
    return times, queries


def main() -> None:
    args = parse_args()
    from members_search import prepare_database, setup_django

    config = prepare_database(args.rebuild)
    setup_django()
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from support import panels

    society, operator = build_or_reuse(args.members)
    vendor = connection.vendor
    version = connection.Database.sqlite_version if vendor == "sqlite" else connection.cursor().connection.info.server_version
    print(f"database: {vendor} {version} ({config['NAME']}), {args.members:,} members")
    api = APIClient()
    api.force_authenticate(operator)
    request = RequestFactory().get("/")
    request.user = operator
    times: dict[str, list[float]] = {"create": [], "answer": [], "action": [], "triage": []}
    queries: dict[str, int] = {}
    members = withdrawn_members(society, args.warmup + args.repeat) if args.only != "procedures" else []
    if args.only == "procedures":
        times = {}

    def timed(name: str, call, i: int, last: bool):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = call()
            elapsed = (time.perf_counter() - started) * 1000
        if i >= args.warmup:
            times[name].append(elapsed)
        if last:
            queries[name] = len(captured.captured_queries)
        return result

    for i, member in enumerate(members):
        last = i == len(members) - 1
        response = timed("create", lambda: api.post(CASES, {"flow": "login-trouble", "member": member.pk},
                                                     format="json"), i, last)
        assert response.status_code == 201, response.content
        case = response.json()["id"]
        identity = {"name": member.name, "item": "phone", "value": member.phone}
        response = api.post(f"{CASES}{case}/answer/", {"node": "identity", "answer": identity}, format="json")
        assert response.status_code == 200 and response.json()["current"]["node"] == "readmit", response.content
        response = timed("answer", lambda: api.post(f"{CASES}{case}/answer/", {"node": "readmit", "answer": "yes"},
                                                     format="json"), i, last)
        assert response.status_code == 200 and response.json()["outcome"]["code"] == "B", response.content
        response = timed("action", lambda: api.post(f"{CASES}{case}/actions/", {"action": "set_status_applying"},
                                                     format="json"), i, last)
        assert response.status_code == 200, response.content
        timed("triage", lambda: panels.member_panel(request, member), i, last)
    if args.only != "procedures":
        report(times, queries)
        print("target: each median under 50 ms")
    if args.only != "console":
        report(*time_procedures(args, society, operator))
        print("target (guided procedure member_type_correction, after an online payment): each median under 100 ms")


def report(times: dict, queries: dict) -> None:
    for name, values in times.items():
        print(f"  {name:12s} median {statistics.median(values):6.1f} ms  (min {min(values):6.1f}, "
              f"max {max(values):6.1f})  {queries[name]:3d} queries")


if __name__ == "__main__":
    main()
