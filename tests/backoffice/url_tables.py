"""Helpers of the two URL tables (issue 16 §6): ``test_role_url_table.py`` (SOC-3: what each role gets at every URL
the project serves) and ``test_scoping_table.py`` (SOC-2: another society's objects are not found and never listed).

- ``resolver_routes()`` walks ``django.urls.get_resolver()`` through every include (the admin site's ModelAdmins,
  their custom views, the API router, the support console, the simulator, …) and names each pattern by its full
  route, as the tables key their entries.
- ``missing_from_table()`` is the completeness check both tables call: every route of the resolver that the table
  has no entry for.
- ``build_world()`` builds, once per module, the demo's societies (``seed_demo``: the ``training`` sandbox and
  ``jsbo``, with seed 000's members and every billing scenario) plus what the demo lacks (a platform superuser, a
  support case, a notice, a mail template, an API token), and the ids the URLs need.
- ``attempt()`` makes one request inside a savepoint that is rolled back afterwards: whatever an allowed request
  writes (a confirmed invoice, a deleted object, a moved clock) is undone, so the requests do not depend on each
  other's order, and the audit entries the request wrote are counted before the rollback.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from backoffice.models import AuditEntry

ROLES = ("anon", "viewer", "staff", "trainer", "admin", "root")
ROLE_NAMES = {"anon": "anonymous", "viewer": "viewer", "staff": "staff", "trainer": "trainer",
              "admin": "admin (contract holder)", "root": "platform superuser"}
ACTOR = "system: url table test"


# --- the resolver -----------------------------------------------------------------------------------------------


def resolver_routes(urlconf: str | None = None) -> list[str]:
    """Every URL pattern the project serves, by its full route (``admin/members/member/<path:object_id>/change/``,
    ``api/v1/^members/(?P<pk>[^/.]+)/$``), in the resolver's order, each once (a route shadowed by an earlier
    identical one — ``admin/login/`` — is the same URL)."""
    routes: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route not in routes:
                    routes.append(route)

    walk(get_resolver(urlconf), "")
    return routes


def missing_from_table(table: dict, urlconf: str | None = None) -> list[str]:
    """The routes of the resolver that ``table`` has no entry for."""
    return [route for route in resolver_routes(urlconf) if route not in table]


def stale_in_table(table: dict, urlconf: str | None = None) -> list[str]:
    """Entries of ``table`` naming a route the resolver no longer has (a renamed or removed URL)."""
    routes = set(resolver_routes(urlconf))
    return [route for route in table if route not in routes]


# --- the objects the URLs need ----------------------------------------------------------------------------------


@dataclass
class World:
    ids: dict
    operators: dict


def _first(qs):
    obj = qs.order_by("pk").first()
    assert obj is not None, f"the demo has no {qs.model.__name__}"
    return obj


def society_objects(society, actor) -> dict:
    """The ids of one society's objects every URL of the tables is asked for (built through the services where
    the demo lacks them)."""
    from billing.models import BankStatement, BankStatementRow, BillingRun, Invoice, Payment
    from mail import services as mail_services
    from mail.models import LinkToken, MailTemplate, SentMail
    from members.models import Member, MemberType, Operator
    from simulator import services as sim_services
    from simulator.models import MyPageNotice
    from support import services as support_services

    payment = _first(Payment.objects.filter(invoice__society=society, deleted_at__isnull=True))
    invoice = payment.invoice
    member = invoice.member
    corporate = _first(Member.objects.filter(society=society, kind="corporate"))
    statement = _first(BankStatement.objects.filter(society=society))
    row = _first(BankStatementRow.objects.filter(statement=statement, state="unmatched")
                 if BankStatementRow.objects.filter(statement=statement, state="unmatched").exists()
                 else BankStatementRow.objects.filter(statement=statement))
    mail = _first(SentMail.objects.filter(society=society, link__isnull=False)
                  if SentMail.objects.filter(society=society, link__isnull=False).exists()
                  else SentMail.objects.filter(society=society))
    token = LinkToken.objects.filter(society=society).order_by("pk").first()
    if not MailTemplate.objects.filter(society=society).exists():
        mail_services.mail_template_update(actor=actor, society=society, kind="payment_receipt",
                                           subject="入金確認のお知らせ", body="{{ member_name }} 様")
    sim_services.notice_create(actor=actor, society=society, title=f"お知らせ {society.slug} 1",
                               published_on=datetime.date(2026, 4, 1), body="本文")
    notice = sim_services.notice_create(  # the last of two: [↑] moves it
        actor=actor, society=society, title=f"お知らせ {society.slug} 2", published_on=datetime.date(2026, 4, 2),
        body="本文")
    case = support_services.case_create(actor=actor, society=society, flow="login-trouble", member=member)
    from django.contrib.contenttypes.models import ContentType

    return {
        "society": society.pk, "slug": society.slug, "member": member.pk, "corporate": corporate.pk,
        "member_name": member.name, "member_email": member.email,
        "status": member.statuses.order_by("pk").first().pk,
        "member_type": _first(MemberType.objects.filter(society=society)).pk,
        "operator": _first(Operator.objects.filter(society=society, role="staff")).pk,
        "invoice": invoice.pk,
        "unconfirmed_invoice": _first(Invoice.objects.filter(society=society, confirmed_at__isnull=True,
                                                             cancelled_at__isnull=True)).pk,
        "unpaid_invoice": _first(Invoice.objects.filter(society=society).with_status().filter(status="unpaid")).pk,
        "payment": payment.pk, "run": _first(BillingRun.objects.filter(society=society)).pk,
        "statement": statement.pk, "row": row.pk, "mail": mail.pk, "mail_to": mail.to,
        "token": token.token if token else "no-such-token",
        "template": _first(MailTemplate.objects.filter(society=society)).pk, "notice": notice.pk,
        "case": case.pk, "member_ct": ContentType.objects.get_for_model(Member).pk,
        "audit": _first(AuditEntry.objects.filter(society_id=society.pk)).pk,
    }


def build_world(*, extra_society: str | None = None) -> World:
    """``seed_demo`` (few bulk members: the scenarios are what the URLs need), a platform superuser and, with
    ``extra_society``, one more society of its own (operators of every role, one member of a name no other society
    has) for the scoping table."""
    from members import services
    from members.models import Operator, Society

    call_command("seed_demo", "--members", "12", stdout=io.StringIO())
    root = services.operator_create(actor=ACTOR, society=None, email="root@platform.example.jp",
                                    password="root-pass-2026", role="admin", is_superuser=True, name="基盤 管理者")
    operators = {"root": root}
    for slug in ("training", "jsbo"):
        for role in ("admin", "staff", "trainer", "viewer"):
            operators[(slug, role)] = Operator.objects.get(society__slug=slug, email=f"{role}@{slug}.example.jp")
    ids = {slug: society_objects(Society.objects.get(slug=slug), operators[(slug, "admin")])
           for slug in ("training", "jsbo")}
    from rest_framework.authtoken.models import Token

    ids["training"]["api_token_user"] = Token.objects.get_or_create(user=operators[("training", "staff")])[0].user_id
    if extra_society:
        society = services.society_create(actor=ACTOR, slug=extra_society, name="別学会", sandbox=True)
        for role in ("admin", "staff", "trainer", "viewer"):
            operators[(extra_society, role)] = services.operator_create(
                actor=ACTOR, society=society, email=f"{role}@{extra_society}.example.jp", password="pass-2026-x",
                role=role, name=f"別学会 {role}")
    return World(ids=ids, operators=operators)


# --- one request ------------------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


@dataclass
class Answer:
    status: int
    location: str
    code: str  # the API's error code, or ""
    audit_written: int
    body: bytes


def client_for(operator) -> Client:
    client = Client(raise_request_exception=False)
    if operator is not None:
        client.force_login(operator)
    return client


def attempt(client: Client, method: str, url: str, data=None) -> Answer:
    """``method`` ``url`` (POST with ``data``, by default an empty body: ``{}`` under /api/), rolled back."""
    answer: Answer | None = None
    cookies = client.cookies.__class__()
    cookies.load(client.cookies.output(header="", sep=";"))
    try:
        with transaction.atomic():
            before = AuditEntry.objects.count()
            if method == "GET":
                response = client.get(url)
            elif url.startswith("/api/"):
                import json

                response = client.generic(method, url, json.dumps(data or {}), content_type="application/json")
            else:
                response = client.generic(method, url, _form(data or {}),
                                          content_type="application/x-www-form-urlencoded")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            code = ""
            if response.get("Content-Type", "").startswith("application/json") and response.status_code >= 400:
                try:
                    code = response.json().get("code", "")
                except Exception:  # noqa: BLE001 - a non-JSON error body is itself reported by the status
                    code = ""
            answer = Answer(response.status_code, response.get("Location", ""), code,
                            AuditEntry.objects.count() - before, body)
            raise _Rollback
    except _Rollback:
        pass
    client.cookies = cookies  # a sign-out (or a sign-in) answered a new session, which the rollback took away
    assert answer is not None
    return answer


def fill(data, ids: dict):
    """A body's ``{name}`` placeholders filled in from ``ids``."""
    if data is None:
        return None
    if isinstance(data, str):
        return data.format(**ids)
    if isinstance(data, dict):
        return {k: fill(v, ids) for k, v in data.items()}
    if isinstance(data, list):
        return [fill(v, ids) for v in data]
    return data


REFUSED = {"in", "home", "401", "403", "404", "405"}


def _form(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


SIGN_IN = re.compile(r"^/(?:admin/)?login/|^/office/[^/]+/login/")


def outcome(answer: Answer) -> str:
    """What a role got, in the table's words: ``in`` (sent to a sign-in page), ``home`` (sent back to the first
    page with nothing written, where a message says why: the training tools' refusal, Django's "no such
    object"), ``ok`` (let through, nothing written: a page, a download, a redirect elsewhere, or the form's own
    refusal of the empty body, 400/409), ``wrote`` (let through, and it wrote audit entries: the body did
    something, so a role refused the same body proves the refusal), or the refusal's status
    ``401``/``403``/``404``/``405``; ``500`` is always a defect."""
    status = answer.status
    if status in (301, 302, 303) and SIGN_IN.match(urlsplit(answer.location).path):
        return "in"
    if status in (301, 302, 303) and urlsplit(answer.location).path == "/admin/" and not answer.audit_written:
        return "home"
    if status in (401, 403, 404, 405) or status >= 500:
        return str(status)
    return "wrote" if answer.audit_written else "ok"


# --- a route's concrete URL -------------------------------------------------------------------------------------

#: the ids an admin ``<path:object_id>`` takes, by the ModelAdmin's ``app/model``
ADMIN_OBJECTS = {
    "members/member": "member", "members/corporatemember": "corporate", "members/membertype": "member_type",
    "members/operator": "operator", "members/society": "society", "billing/invoice": "invoice",
    "billing/payment": "payment", "billing/billingrun": "run", "billing/bankstatement": "statement",
    "billing/lapsecandidate": "member", "mail/sentmail": "mail", "mail/mailtemplate": "template",
    "simulator/mypagenotice": "notice", "backoffice/auditentry": "audit", "authtoken/tokenproxy": "api_token_user",
    "django_tasks_database/dbtaskresult": None,
}
#: the ids an API path's ``pk`` takes, by its collection
API_OBJECTS = {
    "members": "member", "sent-mails": "mail", "billing-runs": "run", "invoices": "invoice", "payments": "payment",
    "bank-statements": "statement", "support/cases": "case", "sim/mypage/invoices": "invoice",
    "sim/mypage/payments": "payment",
}
#: the query a route needs to show its page (the rest take none)
QUERIES = {
    "admin/support/procedures/<slug:procedure_id>/": "?invoice={invoice}",
    "admin/autocomplete/": "?app_label=billing&model_name=invoice&field_name=member&term=",
}
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def concrete_url(route: str, ids: dict, *, with_query: bool = True) -> str:
    """The route with its parameters filled in from ``ids`` (one society's objects), and the query it needs
    (``QUERIES``) unless ``with_query`` is false."""
    path = route.replace("^", "").replace("$", "")
    admin = re.match(r"admin/(\w+/\w+)/", path)
    api = re.match(r"api/v1/((?:support/|sim/mypage/)?[\w-]+)/", path)

    def value(name: str) -> str:
        if route.startswith("admin/r/"):  # view_on_site: <content_type>/<object>
            return str(ids["member_ct"] if name == "content_type_id" else ids["member"])
        if name == "object_id" and admin:
            key = ADMIN_OBJECTS.get(admin.group(1), "missing")
            return str(ids[key]) if key else "00000000-0000-0000-0000-000000000000"
        if name == "pk" and api:
            return str(ids[API_OBJECTS[api.group(1)]])
        if name == "pk" and "admin/billing/pdf/receipt/" in path:
            return str(ids["payment"])
        if name == "pk" and "admin/billing/pdf/invoice/" in path:
            return str(ids["invoice"])
        if name == "pk" and "mypagenotice" in path:
            return str(ids["notice"])
        if name == "pk" and "admin/support/cases/" in path:
            return str(ids["case"])
        if name == "pk":  # admin/billing/export/member/<pk>/
            return str(ids["member"])
        fixed = {"slug": ids["slug"], "sid": ids["status"], "row_id": ids["row"], "statement_id": ids["statement"],
                 "invoice_id": ids["invoice"], "member_id": ids["member"], "payment_id": ids["payment"],
                 "token": ids["token"], "content_type_id": ids["member_ct"], "procedure_id": "rebill_next_year",
                 "app_label": "members", "url": "no-such-page/"}
        return str(fixed[name])

    filled = GROUP.sub(lambda m: value(m.group(1) or m.group(2)), path)
    filled = filled.replace("(?:/.*)?", "/v1/no-such-endpoint/")  # the API's catch-all
    return "/" + filled + (QUERIES.get(route, "").format(**ids) if with_query else "")


def run_route(route: str, clients: dict, ids: dict, writes: dict, *, want_write: bool = True):
    """The answers of every role at ``route``: ({role: Answer} for GET, (method, {role: Answer}) or None)."""
    url = concrete_url(route, ids)
    gets = {role: attempt(clients[role], "GET", url) for role in ROLES}
    method, body = writes.get(route, ("POST", None))
    if not want_write:
        return url, gets, None
    writes_ = {role: attempt(clients[role], method, url, fill(body, ids)) for role in ROLES}
    return url, gets, (method, writes_)


def module_world(django_db_blocker, **kwargs):
    """``build_world`` once for a whole test module: built in a transaction of its own that is rolled back after the
    module's last test (each test's own transaction nests inside it, and every request of the tables is rolled back
    by ``attempt``, so the tests see the same world)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(**kwargs)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
