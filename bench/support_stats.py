"""Issue 14 §3 "Done when" (SUP-10): what the cases teach at 10,000 cases — the median server time and the query
count of ``GET /api/v1/support/stats/?flow=login-trouble`` (every version, all time, and one version in one
quarter), of the selector alone (``support.selectors.support_stats``) and of the page 「サポートの集計」.
Target: under 200 ms on SQLite and PostgreSQL.

Builds, in the database named by ``DATABASE_URL``, a society ``bench-stats`` with ``--cases`` login-trouble cases
over a year and two published versions (the newer one's F escalates), each with the steps a real case of its path
leaves (the record's facts, the caller's answers 10–300 s apart, some stepped back from) — about five steps a case
— and another society ``bench-stats-other`` with as many, which must not be counted. Rows are written with
``bulk_create`` (the services would take hours at this size; the stats only read). Then, in the same process:

  api       GET /api/v1/support/stats/?flow=login-trouble                (rest_framework.test.APIClient)
  api v2 Q  GET …&version=<the newer one>&from=<quarter start>&to=<quarter end>
  selector  support.selectors.support_stats(operator, society, StatsQuery("login-trouble"))
  page      GET /admin/support/stats/?flow=login-trouble                 (django.test.Client, signed in)

Server time is ``time.perf_counter()`` around each call, and this process's CPU time (``time.process_time()``: the
whole work on SQLite, which runs in the process; without the server's share on PostgreSQL) — on a shared machine
the wall time grows with the load, so the load average is printed too; queries are counted with
``connection.execute_wrapper``.
Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/bench-stats.sqlite3 .venv/bin/python bench/support_stats.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench_stats .venv/bin/python bench/support_stats.py
"""

from __future__ import annotations

import argparse
import copy
import os
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_SLUG = "bench-stats"
OTHER_SLUG = "bench-stats-other"
OPERATOR_EMAIL = "bench-stats@bench.example.jp"
STATS = "/api/v1/support/stats/"
PAGE = "/admin/support/stats/"

FACTS_EMAIL = [("sign_ins", "record"), ("apass_linked", "record"), ("reset_mail", "record")]
FACTS_STATUS = [("sign_ins", "record"), ("apass_linked", "record"), ("status", "record")]
#: (weight, steps, outcome or "", the node an open case waits at)
PATHS = [
    (20, FACTS_STATUS, "A", ""),
    (8, FACTS_STATUS + [("readmit", "caller")], "B", ""),
    (3, FACTS_STATUS + [("readmit", "caller")], "B_declined", ""),
    (22, FACTS_EMAIL + [("email_usable", "caller")], "C", ""),
    (10, FACTS_EMAIL + [("email_usable", "caller"), ("knows_password", "caller")], "D", ""),
    (8, FACTS_EMAIL + [("email_usable", "caller"), ("knows_password", "caller"), ("recovery_contact", "record")],
     "E", ""),
    (9, FACTS_EMAIL + [("email_usable", "caller"), ("knows_password", "caller"), ("recovery_contact", "record")],
     "F", ""),
    (12, FACTS_EMAIL, "", "email_usable"),
    (5, FACTS_EMAIL + [("email_usable", "caller")], "", "knows_password"),
    (3, FACTS_STATUS, "", "readmit"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases to build in the society (default 10000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls each (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing (default 3)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    return parser.parse_args()


def versions():
    from support import services
    from support.flows import SHIPPED
    from support.models import FlowVersion

    services.flows_publish(actor="system: bench")
    shipped = SHIPPED["login-trouble"]
    newer = copy.deepcopy(shipped)
    newer["version"] = shipped["version"] + 1
    newer["nodes"]["F"]["escalates"] = True
    services.flow_publish(actor="system: bench", definition=newer)
    return list(FlowVersion.objects.filter(flow="login-trouble", version__in=[shipped["version"], newer["version"]])
                .order_by("version"))


def build(society, flow_versions, count: int, seed: int) -> None:
    from backoffice import clock
    from support.models import Case, CaseStep

    rng = random.Random(seed)
    weights = [p[0] for p in PATHS]
    start = clock.now(society) - datetime.timedelta(days=365)
    for chunk in range(0, count, 1000):
        cases, paths = [], []
        for i in range(chunk, min(chunk + 1000, count)):
            _w, steps, outcome, waiting = rng.choices(PATHS, weights)[0]
            at = start + datetime.timedelta(seconds=rng.randrange(365 * 86400))
            version = flow_versions[0] if at < start + datetime.timedelta(days=180) else flow_versions[1]
            status = Case.Status.RESOLVED if outcome and rng.random() > 0.03 else Case.Status.OPEN
            cases.append(Case(society=society, flow_version=version, status=status, outcome=outcome,
                              current_node=outcome or waiting, created_by_label="ベンチ 担当", created_at=at,
                              updated_at=at, email=f"caller{i}@bench.example.jp"))
            paths.append((at, steps))
        Case.objects.bulk_create(cases)
        rows = []
        for case, (at, steps) in zip(cases, paths):
            when = at
            for node, source in steps:
                if source == "caller":
                    if rng.random() < 0.05:  # asked, answered, stepped back from (SUP-7): kept superseded
                        when += datetime.timedelta(seconds=rng.randint(10, 300))
                        rows.append(CaseStep(case=case, node=node, answer="no", source=source, superseded=True,
                                             at=when, by_label="ベンチ 担当"))
                    when += datetime.timedelta(seconds=rng.randint(10, 300))
                rows.append(CaseStep(case=case, node=node, answer="yes" if source == "caller" else True,
                                     evidence="" if source == "caller" else "bench", source=source, at=when,
                                     by_label="ベンチ 担当"))
        CaseStep.objects.bulk_create(rows, batch_size=2000)


def build_or_reuse(count: int):
    from django.core.management import call_command
    from django.db import connection, transaction

    from members.factories import OperatorFactory, SocietyFactory
    from members.models import Operator, Society
    from support.models import Case

    call_command("migrate", interactive=False, verbosity=0)
    flow_versions = versions()
    society = Society.objects.filter(slug=BENCH_SLUG).first()
    existing = Case.objects.filter(society=society).count() if society else 0
    if society and existing == count:
        print(f"reusing {existing:,} cases of society {BENCH_SLUG!r} (and as many of {OTHER_SLUG!r})")
    elif society:
        sys.exit(f"society {BENCH_SLUG!r} holds {existing:,} cases, not {count:,}: run again with --rebuild")
    else:
        started = time.perf_counter()
        with transaction.atomic():
            society = SocietyFactory(slug=BENCH_SLUG, name="サポート集計ベンチマーク学会")
            other = SocietyFactory(slug=OTHER_SLUG, name="別の学会")
            build(society, flow_versions, count, seed=14)
            build(other, flow_versions, count, seed=41)
        print(f"built 2 × {count:,} cases (bulk_create) in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    operator = Operator.objects.filter(society=society, email=OPERATOR_EMAIL).first()
    if operator is None:
        operator = OperatorFactory(society=society, role="viewer", email=OPERATOR_EMAIL, name="ベンチ 担当")
    return society, operator


def main() -> None:
    args = parse_args()
    from members_search import prepare_database, setup_django

    config = prepare_database(args.rebuild)
    setup_django()
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from backoffice import clock
    from members.models import Operator
    from support import selectors
    from support.models import CaseStep

    society, operator = build_or_reuse(args.cases)
    vendor = connection.vendor
    version = (connection.Database.sqlite_version if vendor == "sqlite"
               else connection.cursor().connection.info.server_version)
    steps = CaseStep.objects.filter(case__society=society).count()
    print(f"database: {vendor} {version} ({config['NAME']}), {args.cases:,} cases with {steps:,} steps "
          f"(and as many in another society)")
    api = APIClient()
    api.force_authenticate(operator)
    page = Client()
    page.force_login(operator)
    today = clock.today(society)
    quarter_from, quarter_to = today - datetime.timedelta(days=90), today
    newer = max(v.version for v in versions())  # the version of the last half-year's cases (shipped + 1)
    quarter = {"flow": "login-trouble", "version": newer, "from": quarter_from.isoformat(), "to": quarter_to.isoformat()}
    fresh = lambda: Operator.objects.select_related("society").get(pk=operator.pk)  # noqa: E731

    def call_api(params):
        response = api.get(STATS, params)
        assert response.status_code == 200, response.content
        return response.json()

    def call_page():
        response = page.get(PAGE, {"flow": "login-trouble"})
        assert response.status_code == 200
        return response

    reader = fresh()
    calls = {
        "api": lambda: call_api({"flow": "login-trouble"}),
        "api v2 Q": lambda: call_api(quarter),
        "selector": lambda: selectors.support_stats(reader, reader.society, selectors.StatsQuery("login-trouble")),
        "page": call_page,
    }
    for name, call in calls.items():
        for _ in range(args.warmup):
            result = call()
        executed = []  # counted by a wrapper: a test client's request resets CaptureQueriesContext's log
        with connection.execute_wrapper(lambda execute, sql, *rest: executed.append(sql) or execute(sql, *rest)):
            result = call()
        times, cpu = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        counted = result["cases"] if isinstance(result, dict) else ""
        print(f"  {name:9s} median {statistics.median(times):6.1f} ms  (min {min(times):6.1f}, max {max(times):6.1f})"
              f"  cpu {statistics.median(cpu):6.1f} ms  {len(executed):2d} queries"
              f"  {f'cases={counted:,}' if counted != '' else ''}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print("target: each median under 200 ms")


if __name__ == "__main__":
    main()
