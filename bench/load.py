"""Issue 15 §3 — load test: N operators of several societies work for D seconds as a secretariat does, over HTTP
to a server on the loopback address; prints the requests, the errors and p50/p95/p99 per kind of request.

Each operator (one thread, its own cookies: one browser each) signs in at its society's operator page
``/office/<slug>/login/`` (the CSRF token from the form), reads its work lists once (members, open invoices), then
loops over weighted actions with a think time between them until the end:

  search        [個人会員検索] ``/admin/members/member/?q=`` or ``GET /api/v1/members/?q=`` (a name, kana, e-mail or
                member number of a member of the society)
  open          [会員情報変更] ``/admin/members/member/<id>/change/`` (with support's triage panel), then
                ``GET /api/v1/support/triage/?member=``
  status        a 会員状況 entry with a note: [会員状況変更] (the page, then its form) or
                ``POST /api/v1/members/<id>/statuses/`` — the next allowed status, dated the day after the member's
                latest entry or today
  payment       ``POST /api/v1/payments/`` (100円, bank transfer, today) on one of its open invoices
  support       ``POST /api/v1/support/cases/`` (login-trouble) for a member, answers up to two questions, then a
                note on the case's page (``/admin/support/cases/<id>/notes/``)
  csv           a member's BIL-9 CSV (API or screen), now and then the society's ``/api/v1/exports/billing.csv``

The operators of one society share its members and invoices without stepping on each other's: operator k of n
takes the rows whose id is k modulo n, as colleagues would split a list. A 5xx, a refused connection or timeout,
and any 4xx the action does not expect (``database_busy`` included) is an error, printed with its request and the
start of the response body. Bounded: the run stops at ``--duration`` (plus the requests under way), each request
has a timeout, and the whole run never sends more than ``--max-requests``.

Two targets (``--start`` starts the server itself on a free loopback port, seeds it and stops it — its process
group — at the end; without ``--start``, ``--url`` names a server already seeded by an earlier ``--start``):

  --target production   ``make serve`` (gunicorn + task workers) on PostgreSQL with DATABASE_URL, DJANGO_SECRET_KEY,
                        DJANGO_ALLOWED_HOSTS, DJANGO_SECURE_COOKIES=0 and BIND=127.0.0.1:<port>; seeded with
                        ``--societies`` societies of ``--members`` members each (members.factories' bulk path), an
                        annual billing run confirmed (billing.services) and the operators (members.services).
                        Default 50 operators.
  --target demo         the commands of ``make demo`` (migrate, publish_flows, seed_demo, task_worker beside runserver)
                        on a fresh SQLite file, runserver on a free port instead of 8000; the demo societies (jsbo,
                        training) get ``--members`` load members with their invoices and the operators. Default 10.

    .venv/bin/python bench/load.py --target demo --start
    .venv/bin/python bench/load.py --target production --start --database-url postgres://postgres@127.0.0.1:5432/h_load_bench

Benchmarks are not tests: the exit status is 0 when there was no error and 1 otherwise; the latency targets
(issue 15: p95 < 300 ms on PostgreSQL with 50 operators, < 1 s on SQLite with 10) are printed, not asserted.
See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import http.cookies
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-pass-2026"
DEMO_SOCIETIES = ("jsbo", "training")
TARGET_P95_MS = {"production": 300.0, "demo": 1000.0}
START_SECONDS = 600  # migrate (and seed_demo) on a loaded machine, then the first answer
STOP_SECONDS = 30
REQUEST_TIMEOUT = 60.0

#: the actions and their weights: what a secretariat does most (searching, opening records) to least
ACTIONS = {
    "search": 30,
    "open": 25,
    "status": 12,
    "payment": 12,
    "support": 8,
    "csv": 8,
}

#: API.md "Clarifications": status transitions — the next status the load registers after each one
NEXT_STATUS = {
    "applying": "active",
    "active": "withdrawn",
    "withdrawn": "applying",
    "expelled": "applying",
    "application_withdrawn": "applying",
}


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


@dataclass
class Failure:
    kind: str
    method: str
    path: str
    status: int | None
    body: str
    at: float


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    samples: list[tuple[float, str, float]] = field(default_factory=list)  # (start, kind, seconds)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, at: float, seconds: float, status: int | None, failure: Failure | None) -> None:
        with self.lock:
            self.count += 1
            self.times.setdefault(kind, []).append(seconds)
            self.samples.append((at, kind, seconds))
            self.statuses.setdefault(kind, {}).setdefault(status or 0, 0)
            self.statuses[kind][status or 0] += 1
            if failure is not None:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                self.failures.append(failure)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 · n)
    return ordered[min(rank, len(ordered)) - 1]


def report(stats: Stats, *, target: str, operators: int, duration: float, think: float, ramp: float,
           out=sys.stdout) -> int:
    elapsed = time.monotonic() - stats.started
    all_times = [t for values in stats.times.values() for t in values]
    total_errors = sum(stats.errors.values())
    print(f"\nload: target {target}, {operators} operators, sign-ins over {ramp:g} s then {duration:g} s of work "
          f"(ran {elapsed:.1f} s), think time {think:g} s", file=out)
    print(f"{'kind of request':34} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}  statuses", file=out)
    for kind in sorted(stats.times):
        values = stats.times[kind]
        codes = " ".join(f"{code}×{n}" for code, n in sorted(stats.statuses[kind].items()))
        print(f"{kind:34} {len(values):8d} {stats.errors.get(kind, 0):6d} {percentile(values, 50) * 1000:8.1f} "
              f"{percentile(values, 95) * 1000:8.1f} {percentile(values, 99) * 1000:8.1f} "
              f"{max(values) * 1000:8.1f}  {codes}", file=out)
    if all_times:
        print(f"{'ALL':34} {len(all_times):8d} {total_errors:6d} {percentile(all_times, 50) * 1000:8.1f} "
              f"{percentile(all_times, 95) * 1000:8.1f} {percentile(all_times, 99) * 1000:8.1f} "
              f"{max(all_times) * 1000:8.1f}", file=out)
        work = [t for kind, values in stats.times.items() if not kind.startswith("sign-in") for t in values]
        if work:
            print(f"{'ALL but sign-in':34} {len(work):8d} {'':6} {percentile(work, 50) * 1000:8.1f} "
                  f"{percentile(work, 95) * 1000:8.1f} {percentile(work, 99) * 1000:8.1f} "
                  f"{max(work) * 1000:8.1f}", file=out)
        steady = [t for at, kind, t in stats.samples if at >= ramp]
        if steady:
            print(f"{'ALL after the ramp (all signed in)':34} {len(steady):8d} {'':6} "
                  f"{percentile(steady, 50) * 1000:8.1f} {percentile(steady, 95) * 1000:8.1f} "
                  f"{percentile(steady, 99) * 1000:8.1f} {max(steady) * 1000:8.1f}", file=out)
        print(f"throughput: {len(all_times) / max(elapsed, 0.001):.1f} requests/s", file=out)
        p95 = percentile(all_times, 95) * 1000
        goal = TARGET_P95_MS[target]
        print(f"issue 15 target: 0 errors and p95 < {goal:g} ms — errors {total_errors}, p95 {p95:.1f} ms: "
              f"{'met' if total_errors == 0 and p95 < goal else 'NOT met'}", file=out)
    print(f"requests: {stats.count}", file=out)
    print(f"errors: {total_errors}", file=out)
    for failure in stats.failures[:20]:
        print(f"  ERROR {failure.kind}: {failure.method} {failure.path} -> {failure.status} "
              f"at +{failure.at:.1f} s\n    {failure.body[:600]!r}", file=out)
    if len(stats.failures) > 20:
        print(f"  … and {len(stats.failures) - 20} more", file=out)
    return total_errors


# --------------------------------------------------------------------------------------------------
# One operator: a browser's cookies and CSRF over plain HTTP to the loopback address
# --------------------------------------------------------------------------------------------------


class Budget:
    """The run's bound on requests, shared by every operator."""

    def __init__(self, limit: int):
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class Stop(Exception):
    """The run is over (its time, or its request budget): the operator goes home."""


class Operator:
    def __init__(self, *, base: str, society: str, email: str, password: str, index: int, of: int, stats: Stats,
                 budget: Budget, deadline: float, think: float, seed: int):
        parts = urllib.parse.urlsplit(base)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "the load is sent to the loopback address only"
        self.base, self.host, self.port = base, parts.hostname, parts.port or 80
        self.society, self.email, self.password = society, email, password
        self.index, self.of = index, of
        self.stats, self.budget, self.deadline, self.think = stats, budget, deadline, think
        self.rng = random.Random(seed)
        self.cookies: dict[str, str] = {}
        self.members: list[dict] = []
        self.invoices: list[dict] = []
        self.today: str | None = None

    # -- HTTP --------------------------------------------------------------------------------------

    def request(self, kind: str, method: str, path: str, *, form: dict | None = None, body: dict | None = None,
                expect: tuple[int, ...] = (200,)) -> tuple[int | None, dict, bytes]:
        if time.monotonic() > self.deadline + REQUEST_TIMEOUT or not self.budget.take():
            raise Stop()
        headers = {"Referer": self.base + "/", "Accept-Language": "ja", "Host": f"{self.host}:{self.port}"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method != "GET" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, answer_headers, content = None, {}, b""
        at = time.monotonic() - self.stats.started
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                content = response.read()
                status = response.status
                answer_headers = {k.lower(): v for k, v in response.getheaders()}
                for raw in response.headers.get_all("Set-Cookie") or []:
                    cookie = http.cookies.SimpleCookie()
                    cookie.load(raw)
                    for name, morsel in cookie.items():
                        if morsel.value and morsel["max-age"] != "0":
                            self.cookies[name] = morsel.value
                        else:
                            self.cookies.pop(name, None)
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            content = f"{type(exc).__name__}: {exc}".encode()
        seconds = time.perf_counter() - started
        failure = None
        if status not in expect:
            failure = Failure(kind, method, path, status, content[:2000].decode("utf-8", "replace"),
                              time.monotonic() - self.stats.started)
        self.stats.record(kind, at, seconds, status, failure)
        return status, answer_headers, content

    def follow(self, kind: str, headers: dict) -> None:
        """A browser follows the redirect after a form: the page it lands on."""
        location = headers.get("location")
        if location:
            self.request(kind, "GET", urllib.parse.urlsplit(location).path or "/")

    @staticmethod
    def json(content: bytes) -> dict | list:
        try:
            return json.loads(content)
        except ValueError:
            return {}

    # -- the day's work ----------------------------------------------------------------------------

    def sign_in(self) -> bool:
        page = f"/office/{self.society}/login/"
        status, _h, content = self.request("sign-in page", "GET", page)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content or b"")
        if status != 200 or token is None:
            return False
        status, headers, _c = self.request(
            "sign-in POST", "POST", page, expect=(302,),
            form={"csrfmiddlewaretoken": token.group(1).decode(), "username": self.email,
                  "password": self.password, "next": "/admin/"})
        if status != 302 or "sessionid" not in self.cookies:
            return False
        self.follow("admin first page", headers)
        return True

    def mine(self, rows: list[dict]) -> list[dict]:
        return [row for row in rows if row["id"] % self.of == self.index] or []

    def read_lists(self) -> None:
        _s, _h, content = self.request("api members list", "GET", "/api/v1/members/?page_size=200")
        self.members = self.mine(self.json(content).get("results", []) if content else [])
        _s, _h, content = self.request("api invoices list", "GET",
                                       "/api/v1/invoices/?status=unpaid&status=partially_paid&page_size=200")
        self.invoices = [dict(row, left=row["total"] - row["paid"])
                         for row in self.mine(self.json(content).get("results", []) if content else [])
                         if row.get("confirmed") and row["total"] - row["paid"] > 0]

    def member(self) -> dict:
        return self.rng.choice(self.members)

    def search_term(self) -> str:
        m = self.member()
        choice = self.rng.randrange(5)
        if choice == 0 and m.get("member_number"):
            return m["member_number"]
        if choice == 1:
            return m["email"]
        if choice == 2:
            return (m.get("name_kana") or m["name"]).split()[0][:3]
        return m["name"].split()[0]  # the family name: 1 to 3 kanji, the common case

    def act_search(self) -> None:
        q = urllib.parse.quote(self.search_term())
        if self.rng.random() < 0.6:
            self.request("admin member search", "GET", f"/admin/members/member/?q={q}")
        else:
            self.request("api member search", "GET", f"/api/v1/members/?q={q}")

    def act_open(self) -> None:
        m = self.member()
        self.request("admin member page", "GET", f"/admin/members/member/{m['id']}/change/")
        self.request("api triage", "GET", f"/api/v1/support/triage/?member={m['id']}")

    def _next_entry(self, m: dict) -> tuple[str, str] | None:
        status, _h, content = self.request("api member statuses", "GET", f"/api/v1/members/{m['id']}/statuses/")
        entries = self.json(content) if status == 200 else []
        if not entries:
            return None
        latest = entries[-1]
        after = datetime.date.fromisoformat(latest["effective_date"]) + datetime.timedelta(days=1)
        day = max(after, datetime.date.fromisoformat(self.today)) if self.today else after
        return NEXT_STATUS[latest["status"]], day.isoformat()

    def act_status(self) -> None:
        m = self.member()
        entry = self._next_entry(m)
        if entry is None:
            return
        new_status, day = entry
        note = f"負荷試験 {self.email} {time.strftime('%H:%M:%S')}"
        if self.rng.random() < 0.5:
            page = f"/admin/members/member/{m['id']}/status/"
            status, _h, _c = self.request("admin status page", "GET", page)
            if status != 200:
                return
            status, headers, _c = self.request(
                "admin status add POST", "POST", page, expect=(302,),
                form={"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), "add-status": new_status,
                      "add-effective_date": day, "add-note": note, "add": "1"})
            if status == 302:
                self.follow("admin status page", headers)
        else:
            self.request("api status add", "POST", f"/api/v1/members/{m['id']}/statuses/", expect=(201,),
                         body={"status": new_status, "effective_date": day, "note": note})

    def act_payment(self) -> None:
        open_invoices = [i for i in self.invoices if i["left"] > 0]
        if not open_invoices or not self.today:
            return self.act_search()
        invoice = self.rng.choice(open_invoices)
        amount = min(100, invoice["left"])
        status, _h, _c = self.request("api payment add", "POST", "/api/v1/payments/", expect=(201,), body={
            "invoice": invoice["id"], "amount": amount, "method": "bank_transfer", "paid_on": self.today,
            "remarks": f"負荷試験 {self.email}"})
        if status == 201:
            invoice["left"] -= amount

    def act_support(self) -> None:
        m = self.member()
        status, _h, content = self.request("api support case create", "POST", "/api/v1/support/cases/",
                                           expect=(201,), body={"flow": "login-trouble", "member": m["id"]})
        if status != 201:
            return
        case = self.json(content)
        for _ in range(2):
            current = case.get("current") or {}
            if current.get("kind") != "question" or not current.get("options"):
                break
            answer = self.rng.choice(current["options"])["value"]
            status, _h, content = self.request("api support answer", "POST",
                                               f"/api/v1/support/cases/{case['id']}/answer/",
                                               body={"node": current["node"], "answer": answer})
            if status != 200:
                return
            case = self.json(content)
        status, headers, _c = self.request(
            "admin case note POST", "POST", f"/admin/support/cases/{case['id']}/notes/", expect=(302,),
            form={"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
                  "note": f"電話で確認しました({self.email})"})
        if status == 302:
            self.follow("admin case page", headers)

    def act_csv(self) -> None:
        m = self.member()
        roll = self.rng.random()
        if roll < 0.1:
            self.request("api society billing.csv", "GET", "/api/v1/exports/billing.csv")
        elif roll < 0.55:
            self.request("api member billing.csv", "GET", f"/api/v1/members/{m['id']}/billing.csv")
        else:
            self.request("admin member billing.csv", "GET", f"/admin/billing/export/member/{m['id']}/billing.csv")

    def read_today(self) -> None:
        """The society clock's today, as the status form proposes it (a sandbox's clock may be moved)."""
        m = self.member()
        status, _h, content = self.request("admin status page", "GET", f"/admin/members/member/{m['id']}/status/")
        match = re.search(rb'<input[^>]*name="add-effective_date"[^>]*>', content or b"")
        value = re.search(rb'value="(\d{4}-\d{2}-\d{2})"', match.group(0)) if match else None
        self.today = value.group(1).decode() if value else None

    def run(self, start_at: float) -> None:
        try:
            time.sleep(max(0.0, start_at - time.monotonic()))
            if time.monotonic() >= self.deadline or not self.sign_in():
                return
            self.read_lists()
            if not self.members:
                return
            self.read_today()
            kinds, weights = list(ACTIONS), list(ACTIONS.values())
            while time.monotonic() < self.deadline:
                action = self.rng.choices(kinds, weights)[0]
                getattr(self, f"act_{action}")()
                pause = self.think * self.rng.uniform(0.5, 1.5)
                time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))
        except Stop:
            return


def warm_up(base: str, society: str, count: int) -> None:
    """Untimed: the first requests of each server process import the admin and compile templates (seconds on a
    loaded machine); a user would meet that once after a deploy, not at every request."""
    parts = urllib.parse.urlsplit(base)

    def one() -> None:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=REQUEST_TIMEOUT)
            conn.request("GET", f"/office/{society}/login/")
            conn.getresponse().read()
            conn.close()
        except (OSError, http.client.HTTPException):
            pass

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT)


def run_load(*, base: str, accounts: list[tuple[str, str, str]], duration: float, think: float, ramp: float,
             max_requests: int, seed: int) -> Stats:
    stats = Stats()
    budget = Budget(max_requests)
    started = time.monotonic()
    deadline = started + ramp + duration  # sign-ins spread over the ramp, then D seconds of everyone at work
    per_society: dict[str, int] = {}
    for society, _email, _password in accounts:
        per_society[society] = per_society.get(society, 0) + 1
    seen: dict[str, int] = {}
    threads = []
    for n, (society, email, password) in enumerate(accounts):
        index = seen.get(society, 0)
        seen[society] = index + 1
        operator = Operator(base=base, society=society, email=email, password=password, index=index,
                            of=per_society[society], stats=stats, budget=budget, deadline=deadline, think=think,
                            seed=seed * 1000 + n)
        start_at = started + ramp * n / max(1, len(accounts))
        thread = threading.Thread(target=operator.run, args=(start_at,), name=f"operator-{n}", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT * 2)
    return stats


# --------------------------------------------------------------------------------------------------
# Servers: start, seed, stop
# --------------------------------------------------------------------------------------------------

SEED = r"""
import json, os
from django.db import transaction
from backoffice import clock
from billing import selectors as billing_selectors
from billing.services import invoices as billing_invoices, runs as billing_runs
from members import services
from members.factories import MemberTypeFactory, SocietyFactory, bulk_create_members
from members.models import Member, MemberType, Operator, Society

ACTOR = "system: bench/load.py seed"
cfg = json.loads(os.environ["LOAD_SEED"])
if cfg["publish_flows"]:
    from django.core.management import call_command
    call_command("publish_flows", verbosity=0)
for plan in cfg["societies"]:
    slug = plan["slug"]
    society = Society.objects.filter(slug=slug).first()
    if society is None:
        society = SocietyFactory(slug=slug, name=plan["name"])
    prefix = f"load-{slug}-"
    if plan["members"] and not Member.objects.filter(society=society, email__startswith=prefix).exists():
        types = list(MemberType.objects.filter(society=society, annual_fee__gt=0)[:2])
        if not types:
            types = [MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10000),
                     MemberTypeFactory(society=society, code="student", name="学生会員", annual_fee=5000)]
        bulk_create_members(society, types, plan["members"], email_prefix=prefix, seed=len(slug))
        ids = list(Member.objects.filter(society=society, email__startswith=prefix).values_list("id", flat=True))
        fiscal_year = billing_selectors.current_fiscal_year(society)
        import datetime
        run = billing_runs.billing_run_request(
            actor=ACTOR, society=society, name=f"{fiscal_year}年度 年会費(負荷試験)", category="annual",
            fiscal_year=fiscal_year, allocation_start=datetime.date(fiscal_year, 4, 1), member_ids=ids)
        billing_runs.billing_run_execute(actor=ACTOR, run_id=run.pk)
        run.refresh_from_db()
        billing_invoices.billing_run_confirm(actor=ACTOR, run=run)
    for email in plan["operators"]:
        if not Operator.objects.filter(society=society, email=email, deleted_at__isnull=True).exists():
            services.operator_create(actor=ACTOR, society=society, email=email, password=cfg["password"],
                                     role="staff", name="負荷試験 " + email.split("@")[0])
    print(f"seeded {slug}: {Member.objects.filter(society=society).count()} members, "
          f"{len(plan['operators'])} load operators")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def accounts_for(target: str, operators: int, societies: int) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """The operators (round robin over the societies) and the seed's plan."""
    slugs = list(DEMO_SOCIETIES) if target == "demo" else [f"load-{n + 1}" for n in range(societies)]
    accounts = []
    for n in range(operators):
        slug = slugs[n % len(slugs)]
        accounts.append((slug, f"load{n // len(slugs) + 1:02d}@{slug}.load.example.jp", PASSWORD))
    plans = [{"slug": slug, "name": f"負荷試験学会{n + 1}", "operators": [a[1] for a in accounts if a[0] == slug]}
             for n, slug in enumerate(slugs)]
    return accounts, plans


class Server:
    """A server process group started by this script, ended with it whatever happens."""

    def __init__(self, args: list[str], *, env: dict, log_path: Path):
        self.log_path = log_path
        self.log = log_path.open("w+")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_listening(self, port: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not listening(port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the server ended ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {seconds:g} s:\n{self.tail()}")
            time.sleep(0.5)

    def stop(self) -> None:
        pgid = self.process.pid
        if self.process.poll() is None:
            try:
                os.killpg(pgid, signal.SIGTERM)
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        self.log.close()


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of the live processes of a process group, and of the children they waited for."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:  # pgrp
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def base_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    env.update({"LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def seed(env: dict, plans: list[dict], members: int, publish_flows: bool = False) -> None:
    cfg = {"password": PASSWORD, "societies": [dict(plan, members=members) for plan in plans],
           "publish_flows": publish_flows}
    started = time.monotonic()
    done = subprocess.run([python(), "manage.py", "shell", "-c", SEED], cwd=ROOT, timeout=1800,
                          env={**env, "LOAD_SEED": json.dumps(cfg)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    print("\n".join(line for line in done.stdout.splitlines() if line.startswith("seeded")),
          f"({time.monotonic() - started:.0f} s)", flush=True)


def prepare_postgres(url: str, rebuild: bool) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("h_load"):
        sys.exit(f"refusing to (re)create a database not named h_load…: {name}")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def start_production(args, plans: list[dict], workdir: Path) -> tuple[Server, str]:
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("--target production needs a PostgreSQL --database-url (the recipe's shared database)")
    prepare_postgres(args.database_url, args.rebuild)
    port = args.port or free_port()
    env = base_env(DATABASE_URL=args.database_url, DJANGO_SECRET_KEY="load-" + os.urandom(16).hex(),
                   DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SECURE_COOKIES="0",
                   DB_CONN_MAX_AGE=str(args.conn_max_age), PYTHON=python(),
                   EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    server = Server(["make", "--no-print-directory", "serve", f"WEB_WORKERS={args.web_workers}",
                     f"TASK_WORKERS={args.task_workers}", f"BIND=127.0.0.1:{port}"],
                    env=env, log_path=workdir / "serve.log")
    try:
        server.wait_listening(port, START_SECONDS)
        seed({**env, "DJANGO_SETTINGS_MODULE": "backoffice.settings.production"}, plans, args.members)
    except BaseException:
        server.stop()
        raise
    return server, f"http://127.0.0.1:{port}"


def start_demo(args, plans: list[dict], workdir: Path) -> tuple[Server, str]:
    """``make demo``'s commands, in its order, on a fresh SQLite file and a free port (the Makefile's is 8000)."""
    db = Path(args.sqlite) if args.sqlite else workdir / "load-demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = base_env(DATABASE_URL=f"sqlite:///{db.resolve()}")
    py = python()
    steps = [[py, "manage.py", "migrate", "--no-input", "-v", "0"]]
    if args.seed_demo:
        steps += [[py, "manage.py", "publish_flows"], [py, "manage.py", "seed_demo"]]
    # without seed_demo (the tests' fast path) the seed below publishes the flows and creates the two societies bare
    for step in steps:
        started = time.monotonic()
        done = subprocess.run(step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=START_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step[1:3])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        print(f"{' '.join(step[1:3])}: {time.monotonic() - started:.0f} s", flush=True)
    seed(env, plans, args.members, publish_flows=not args.seed_demo)
    port = args.port or free_port()
    reload = "" if args.seed_demo else " --noreload"  # the fast path spares the autoreloader's second start
    # as the Makefile's demo target: the mail worker beside the server, stopped with it
    server = Server(["sh", "-c", f'"{py}" manage.py task_worker & WORKER=$!; '
                                 f"trap 'kill $WORKER 2>/dev/null' EXIT INT TERM; "
                                 f'"{py}" manage.py runserver 127.0.0.1:{port}{reload}'],
                    env=env, log_path=workdir / "demo.log")
    try:
        server.wait_listening(port, START_SECONDS)
    except BaseException:
        server.stop()
        raise
    return server, f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["production", "demo"], required=True)
    parser.add_argument("--start", action="store_true", help="start (and seed) the server, stop it at the end")
    parser.add_argument("--url", help="a server already seeded by an earlier --start (loopback only)")
    parser.add_argument("--operators", type=int, help="operators at once (default: production 50, demo 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean think time between two actions of one operator, seconds (uniform ±50 %%; "
                             "default 5)")
    parser.add_argument("--ramp", type=float,
                        help="seconds over which the operators sign in, one after the other, before the D seconds "
                             "of work (default 0.5 s per operator, 1 to 30 s): a sign-in hashes the password "
                             "(PBKDF2), a storm of them at once would only measure that")
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound on the run's requests")
    parser.add_argument("--societies", type=int, default=3, help="production: societies to seed (default 3)")
    parser.add_argument("--members", type=int, help="members to seed per society (default: production 2000, "
                                                    "demo 300)")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/h_load_bench"),
                        help="production: the PostgreSQL database (created if missing; named h_load…)")
    parser.add_argument("--rebuild", action="store_true", help="production: drop and recreate the database first")
    parser.add_argument("--web-workers", type=int, default=4, help="production: gunicorn workers (default 4)")
    parser.add_argument("--task-workers", type=int, default=2, help="production: task workers (default 2)")
    parser.add_argument("--conn-max-age", type=int, default=60, help="production: DB_CONN_MAX_AGE (default 60)")
    parser.add_argument("--sqlite", help="demo: the SQLite file (default: a temporary one; deleted first)")
    parser.add_argument("--no-seed-demo", dest="seed_demo", action="store_false",
                        help="demo: skip seed_demo (only the two societies and the load data: the tests' fast path)")
    parser.add_argument("--port", type=int, help="the server's port with --start (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, SQLite file)")
    parser.add_argument("--warmup", type=int, default=8,
                        help="untimed requests of the sign-in page before the load, all at once (default 8)")
    parser.add_argument("--seed", type=int, default=15, help="random seed of the operators' choices")
    args = parser.parse_args(argv)
    if args.operators is None:
        args.operators = 50 if args.target == "production" else 10
    if args.members is None:
        args.members = 2000 if args.target == "production" else 300
    if args.ramp is None:
        args.ramp = max(1.0, min(30.0, 0.5 * args.operators))
    if not args.start and not args.url:
        parser.error("give --start, or --url of a server seeded by an earlier --start")
    if args.url and urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be on the loopback address")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    accounts, plans = accounts_for(args.target, args.operators, args.societies)
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    server = None
    try:
        if args.start:
            starter = start_production if args.target == "production" else start_demo
            server, base = starter(args, plans, workdir)
        else:
            base = args.url.rstrip("/")
        warm_up(base, accounts[0][0], args.warmup)
        load_before = os.getloadavg()
        cpu_before = group_cpu_seconds(server.process.pid) if server is not None else None
        print(f"load: {len(accounts)} operators of {len(plans)} societies against {base}: sign-ins over "
              f"{args.ramp:g} s, then {args.duration:g} s of work", flush=True)
        stats = run_load(base=base, accounts=accounts, duration=args.duration, think=args.think, ramp=args.ramp,
                         max_requests=args.max_requests, seed=args.seed)
        errors = report(stats, target=args.target, operators=len(accounts), duration=args.duration,
                        think=args.think, ramp=args.ramp)
        load_after = os.getloadavg()
        print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} at the start, "
              f"{load_after[0]:.1f} at the end (1 min)")
        if cpu_before is not None and stats.count:
            cpu = group_cpu_seconds(server.process.pid) - cpu_before
            print(f"server CPU (its process group{', not PostgreSQL' if args.target == 'production' else ''}): "
                  f"{cpu:.1f} s over the run, {cpu / stats.count * 1000:.1f} ms per request")
        if server is not None and errors:
            log = server.tail(6000)
            print("\nserver log (end):\n" + log)
        return 1 if errors or stats.count == 0 else 0
    finally:
        if server is not None:
            server.stop()
            print("server stopped", flush=True)
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
