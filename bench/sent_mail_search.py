"""MAIL-1 at scale: median server time of the sent-mail log with 1,000,000 sent mails.

Builds the mails through the factories' bulk path (``mail.factories.bulk_create_sent_mails``) — two societies,
the bench society holding most of them, about 38 % carrying a link, bodies rendered from the shipped default
templates — in the database named by ``DATABASE_URL`` (read through dj_database_url, as the settings do), then
times, in-process with ``django.test.Client`` and an admin operator signed in with ``force_login``:

  (a) the admin changelist [個人会員送信済みメール]   GET /admin/mail/sentmail/?q=...
  (b) the REST API                                 GET /api/v1/sent-mails/?q=...

for the unfiltered first page, an exact address, a free word of the body, a link token, and (not part of the
target, reported for the record) a part of an address, a word found in a large share of the mails, and a 2- and
a 1-character family name (``木村``, ``林``: shorter than a trigram, issue 15).
"Server time" is ``time.perf_counter()`` around ``client.get``: the whole Django request/response cycle, no
network. DEBUG is forced off while timing. Benchmarks are not tests: this prints figures and asserts nothing.

    DATABASE_URL=sqlite:////tmp/mailbench.sqlite3 .venv/bin/python bench/sent_mail_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_mailbench_bench .venv/bin/python bench/sent_mail_search.py

The PostgreSQL database is created if missing; ``--rebuild`` drops and recreates it (SQLite: deletes the
file). Existing data is reused when the societies already hold the mails asked for.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_SLUG = "bench-mail1"
OTHER_SLUG = "bench-mail1-other"
OPERATOR_EMAIL = "bench-operator@bench.example.jp"
TARGET_MS = 100.0
TARGETED = {"exact address", "free word", "link token"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1_000_000, help="sent mails in all (default 1000000)")
    parser.add_argument("--other-share", type=float, default=0.2,
                        help="share of the mails in the second society (default 0.2)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per query and endpoint (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests before timing (default 3)")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database, then build again")
    parser.add_argument("--word", default="木村 美咲", help="free word of the body (default: a recipient's name)")
    parser.add_argument("--dense-word", default="年会費", help="a word in many mails, reported for the record")
    parser.add_argument("--two-kanji", default="木村", help="a 2-character family name (default 木村; no trigram)")
    parser.add_argument("--one-kanji", default="林", help="a 1-character family name (default 林, also in 小林)")
    parser.add_argument("--only", choices=["admin", "api"], help="time one endpoint only")
    return parser.parse_args()


def build_or_reuse(total: int, other_share: float):
    from django.core.management import call_command
    from django.db import connection, transaction

    from mail.factories import bulk_create_sent_mails
    from mail.models import SentMail
    from members.factories import OperatorFactory, SocietyFactory
    from members.models import Operator, Society

    call_command("migrate", interactive=False, verbosity=0)
    fresh = not Society.objects.filter(slug=BENCH_SLUG).exists()
    if fresh:  # load without the search indexes, then add them as the upgrade of a live database would
        call_command("migrate", "mail", "0001", interactive=False, verbosity=0)
    other_count = int(total * other_share)
    plan = [(BENCH_SLUG, "ベンチマーク学会", total - other_count, 1), (OTHER_SLUG, "別のベンチマーク学会", other_count, 2)]
    societies = {}
    for slug, name, count, seed in plan:
        society = Society.objects.filter(slug=slug).first()
        existing = SentMail.objects.filter(society=society).count() if society else 0
        if society and existing == count:
            print(f"reusing {existing:,} mails of society {slug!r}")
        elif society:
            sys.exit(f"society {slug!r} holds {existing:,} mails, not {count:,}: run again with --rebuild")
        else:
            started = time.perf_counter()
            with transaction.atomic():
                society = SocietyFactory(slug=slug, name=name)
                bulk_create_sent_mails(society, count, seed=seed,
                                       url_template=f"https://{slug}.example.jp/mypage/links/{{token}}/")
            print(f"built {count:,} mails of {slug!r} through bulk_create_sent_mails in "
                  f"{time.perf_counter() - started:.1f} s")
        societies[slug] = society
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate (the search indexes over the loaded mails when new): {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:  # planner statistics; on PostgreSQL the GIN pending lists merged
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE mail_sentmail")
            cursor.execute("VACUUM ANALYZE mail_linktoken")
        else:
            cursor.execute("ANALYZE")
    print(f"analyze: {time.perf_counter() - started:.1f} s")
    society = societies[BENCH_SLUG]
    operator = Operator.objects.filter(society=society, email=OPERATOR_EMAIL).first()
    if operator is None:
        operator = OperatorFactory(society=society, role=Operator.Role.ADMIN, email=OPERATOR_EMAIL, name="ベンチ 担当")
    return society, operator


def pick_queries(society, word: str, dense_word: str, two_kanji: str, one_kanji: str) -> dict[str, str]:
    """Taken from the mail in the middle of the bench society's log: its address, and the token of the
    middle mail carrying a link."""
    from mail.models import LinkToken, SentMail

    mails = SentMail.objects.filter(society=society).order_by("pk")
    middle = mails.filter(pk__gte=mails.values_list("pk", flat=True)[mails.count() // 2]).first()
    links = LinkToken.objects.filter(society=society).order_by("pk")
    link = links.filter(pk__gte=links.values_list("pk", flat=True)[links.count() // 2]).first()
    local, _at, domain = middle.to.partition("@")
    return {
        "first page": "",
        "exact address": middle.to,
        "free word": word,
        "link token": link.token,
        "address part": local.split(".")[0] + "." + local.split(".")[1][:4],
        "dense word": dense_word,
        "2 kanji": two_kanji,
        "1 kanji": one_kanji,
    }


def main() -> None:
    args = parse_args()
    from members_search import measure, prepare_database, setup_django  # the same preparation and timing

    config = prepare_database(args.rebuild)
    setup_django()

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    vendor_label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor, connection.vendor)
    print(f"database: {vendor_label} {config['NAME']}")
    society, operator = build_or_reuse(args.mails, args.other_share)
    if settings.DEBUG:
        sys.exit("DEBUG must be False while timing")
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if connection.vendor == "sqlite" else "show server_version")
        server_version = cursor.fetchone()[0]
    queries = pick_queries(society, args.word, args.dense_word, args.two_kanji, args.one_kanji)

    client = Client()
    client.force_login(operator)
    endpoints = {"admin": "/admin/mail/sentmail/", "api": "/api/v1/sent-mails/"}
    if args.only:
        endpoints = {args.only: endpoints[args.only]}
    print(f"{vendor_label} {server_version}, {args.mails:,} mails, DEBUG={settings.DEBUG}, "
          f"{args.warmup} warm-up + {args.repeat} timed requests each; times in ms")
    header = (f"{'query':<14} {'q':<44} {'endpoint':<8} {'median':>8} {'min':>8} {'max':>8} {'queries':>7} "
              f"{'hits':>7}  target")
    print(header)
    print("-" * len(header))
    for label, q in queries.items():
        for endpoint, path in endpoints.items():
            url = f"{path}?{urlencode({'q': q})}" if q else path
            result = measure(client, url, args.warmup, args.repeat)
            if "error" in result:
                print(f"{label:<14} {q:<44} {endpoint:<8} {result['error']}")
                continue
            hits = result.get("hits")
            hits_text = "" if "hits" not in result else ("10000+" if hits is None else str(hits))
            verdict = ("ok" if result["median"] < TARGET_MS else "MISSED") if label in TARGETED else "(for the record)"
            print(
                f"{label:<14} {q:<44} {endpoint:<8} {result['median']:8.1f} {result['min']:8.1f} {result['max']:8.1f} "
                f"{result['queries']:7d} {hits_text:>7}  < {TARGET_MS:.0f} {verdict}"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
