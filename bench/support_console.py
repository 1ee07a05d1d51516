"""Issue 13 "Done when": the support console at 100,000 members — the median server time and the query count of
creating a case, of one answer, of one action (``set_status_applying``) and of the triage panel of one member.
Target: each under 50 ms, on SQLite and PostgreSQL.

Builds, in the database named by ``DATABASE_URL`` (as bench/members_search.py does, through its
``society_with_members``), a society ``bench-sup`` with ``--members`` members through the factories' bulk path
(about 8 % 退会). Then for ``--warmup`` + ``--repeat`` withdrawn members, in the same process, through the API
with a staff operator (``rest_framework.test.APIClient``, in-process: the whole request/response cycle):

  create   POST /api/v1/support/cases/ {flow: login-trouble, member}
  answer   POST …/answer/ {node: readmit, answer: yes}  (the facts read again, outcome B) — after the untimed
           identity check at login-trouble v2's gate {node: identity, answer: {name, item: phone, value}}
  action   POST …/actions/ {action: set_status_applying}  (the facts read again after it)
  triage   the panel 「サポート: この会員の記録で分かること」 of that member (support.panels.member_panel)

Server time is ``time.perf_counter()`` around each call; queries are counted with ``CaptureQueriesContext`` on
the last member. Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/bench-sup.sqlite3 .venv/bin/python bench/support_console.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench_sup .venv/bin/python bench/support_console.py
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
    members = withdrawn_members(society, args.warmup + args.repeat)

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
    for name, values in times.items():
        print(f"  {name:7s} median {statistics.median(values):6.1f} ms  (min {min(values):6.1f}, max {max(values):6.1f})"
              f"  {queries[name]:3d} queries")
    print("target: each median under 50 ms")


if __name__ == "__main__":
    main()
