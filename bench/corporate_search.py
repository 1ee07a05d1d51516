"""MEM-10 for corporate members (法人会員検索; issue 15 §1): the median server time of the search by organisation name,
contact person and e-mail, measured on its own.

Builds, in the database named by ``DATABASE_URL`` — meant to be the million-member installation of
bench/members_search.py (``--members 1000000 --societies 100``), so that the figures are the platform's —, one more
society ``bench-corp`` with ``--members`` members (default 100,000, the largest society's size) of which every
``--corporate-every``-th (default 10: 10,000) is a corporate member, through the factories' bulk path
(``members.factories.bulk_create_members(corporate_every=…)``: organisations 「株式会社アトラス製薬 123」 …, five names
in turn). Then times, in-process with ``django.test.Client`` exactly as bench/members_search.py does (its
``measure``: ``time.perf_counter()`` around ``client.get``, DEBUG off, CPU column):

  (a) the admin's 法人会員検索   GET /admin/members/corporatemember/?q=...
  (b) the REST API              GET /api/v1/members/?kind=corporate&q=...

for an exact e-mail and member number of a corporate member, an organisation name part (「アトラス製薬」, 2,000 hits),
a two-character part (「製薬」: 4,000), one character (「株」: 6,000), an organisation's full name (one hit) and a
contact person's family name (「佐藤」) — as an operator of ``bench-corp``, and as a platform superuser (every
society). Benchmarks are not tests: this prints figures and asserts nothing about wall time.

    DATABASE_URL=sqlite:////tmp/scale-bench.sqlite3 .venv/bin/python bench/corporate_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench .venv/bin/python bench/corporate_search.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SLUG = "bench-corp"
OPERATOR_EMAIL = "bench-corp-operator@bench.example.jp"
TARGETS_MS = {"e-mail": 20.0, "member number": 20.0}  # exact ones; every other median: 50 ms


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members of bench-corp (default 100000)")
    parser.add_argument("--corporate-every", type=int, default=10,
                        help="every k-th member is corporate (default 10)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per query and endpoint (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests before timing (default 3)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from members_search import cpu_text, measure, prepare_database, setup_django, society_with_members, superuser

    config = prepare_database(False)
    setup_django()
    from django.db import connection
    from django.test import Client

    from members.factories import MemberTypeFactory, bulk_create_members
    from members.models import Member

    def populate(society, count: int) -> None:
        types = [MemberTypeFactory(society=society, code=code, name=name, annual_fee=fee)
                 for code, name, fee in (("regular", "正会員", 10_000), ("student", "学生会員", 3_000))]
        bulk_create_members(society, types, count, email_prefix="corp", seed=7, corporate_every=args.corporate_every)

    analyze = "VACUUM ANALYZE members_member"
    society, operator = society_with_members(SLUG, "法人会員ベンチ学会", args.members, populate,
                                             built=f"every {args.corporate_every}th corporate", analyze=analyze,
                                             operator_email=OPERATOR_EMAIL, role="staff")
    corporate = Member.objects.filter(society=society, kind=Member.Kind.CORPORATE, member_number__isnull=False)
    middle = corporate.order_by("pk")[corporate.count() // 2]
    queries = {"e-mail": middle.email, "member number": middle.member_number, "organisation part": "アトラス製薬",
               "2 kanji": "製薬", "1 kanji": "株", "organisation": middle.organization, "contact person": "佐藤"}
    total = Member.objects.count()
    print(f"database: {connection.vendor} {config['NAME']}; {total:,} members in all, bench-corp "
          f"{args.members:,} of which {Member.objects.filter(society=society, kind='corporate').count():,} corporate; "
          f"{args.warmup} warm-up + {args.repeat} timed requests; ms (cpu: CPU per request)")
    header = f"{'as':<18} {'query':<18} {'q':<26} {'endpoint':<8} {'median':>8} {'cpu':>7} {'queries':>7} " \
             f"{'hits':>7}  target"
    print(header)
    print("-" * len(header))
    for who, account in (("bench-corp", operator), ("superuser (all)", superuser())):
        client = Client()
        client.force_login(account)
        for label, q in queries.items():
            target = TARGETS_MS.get(label, 50.0)
            for endpoint, url in (("admin", f"/admin/members/corporatemember/?{urlencode({'q': q})}"),
                                  ("api", f"/api/v1/members/?{urlencode({'kind': 'corporate', 'q': q})}")):
                result = measure(client, url, args.warmup, args.repeat)
                if "error" in result:
                    print(f"{who:<18} {label:<18} {q:<26} {endpoint:<8} {result['error']}")
                    continue
                verdict = "ok" if result["median"] < target else "MISSED"
                print(f"{who:<18} {label:<18} {q:<26} {endpoint:<8} {result['median']:>8.1f} "
                      f"{cpu_text(result['cpu']):>7} {result['queries']:>7} {str(result.get('hits', '')):>7}  "
                      f"< {target:.0f} {verdict}")


if __name__ == "__main__":
    main()
