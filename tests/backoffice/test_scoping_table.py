"""SOC-2 (an operator sees only their own society: another society's object is "not found"), issue 16 §6: the
society scoping table.

Society A is the demo's ``training`` sandbox (``seed_demo``: seed 000's members, every billing scenario, mails,
statements, a support case); society B (``other``, a sandbox too, so that its administrator may use the training
tools) has its own operators and one member of a name no other society has. B's administrator — the widest role of
a society — asks every URL of the resolver for A's objects:

- ``ONE``: a URL naming one of A's objects (a detail, a PDF, an export of one member, a write on it). GET (and the
  write, where the entry names one) answers the token of the entry — ``404``, or ``home`` where Django's own admin
  view answers an unknown id by sending to the first page — exactly as it answers an id that does not exist at all
  (nothing tells B the object exists), and writes no audit entry.
- ``LISTS``: a URL listing society data (a list, a search, a CSV export, an autocomplete), with the queries that
  point it at A's records (``?member=<A's member>``, ``?q=<A's e-mail>``, …). The answer is never a 5xx and its body
  holds none of A's member names, e-mail addresses or record links.
- ``NOT_SOCIETY_DATA``: the routes that neither take an object id nor list society data, each with its reason.

Every route of the resolver is in exactly one of them; a route with a parameter is in ``ONE`` (or, for a parameter
that names no society's object, in ``NOT_SOCIETY_DATA`` with its reason). A new URL fails
``test_soc2_every_url_of_the_resolver_is_in_the_scoping_table`` by name: add it where it belongs.
"""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qsl

import pytest
from django.test import override_settings

from tests.backoffice import url_tables as T

pytestmark = pytest.mark.django_db

#: route → (GET token, write token or None): B's administrator asking for A's object
ONE: dict[str, tuple[str, str | None]] = {
    "admin/simulation/mypage/links/<str:token>/": ("404", "404"),
    "admin/billing/pdf/invoice/<int:pk>/": ("404", None),
    "admin/billing/pdf/receipt/<int:pk>/": ("404", None),
    "admin/billing/export/member/<int:pk>/billing.csv": ("404", None),
    "admin/support/cases/<int:pk>/": ("404", "404"),
    "admin/support/cases/<int:pk>/answer/": ("405", "404"),
    "admin/support/cases/<int:pk>/back/": ("405", "404"),
    "admin/support/cases/<int:pk>/actions/preview/": ("405", "404"),
    "admin/support/cases/<int:pk>/actions/run/": ("405", "404"),
    "admin/support/cases/<int:pk>/notes/": ("405", "404"),
    "admin/support/cases/<int:pk>/resume/": ("405", "404"),
    "admin/support/procedures/<slug:procedure_id>/": ("404", "404"),
    "admin/r/<path:content_type_id>/<path:object_id>/": ("404", None),
    "admin/django_tasks_database/dbtaskresult/<path:object_id>/history/": ("home", None),
    "admin/django_tasks_database/dbtaskresult/<path:object_id>/delete/": ("403", "403"),
    "admin/django_tasks_database/dbtaskresult/<path:object_id>/change/": ("403", "403"),
    "admin/backoffice/auditentry/<path:object_id>/history/": ("home", None),
    "admin/backoffice/auditentry/<path:object_id>/delete/": ("403", "403"),
    "admin/backoffice/auditentry/<path:object_id>/change/": ("home", None),
    "admin/mail/sentmail/<path:object_id>/open-link/": ("405", "404"),
    "admin/mail/sentmail/<path:object_id>/history/": ("home", None),
    "admin/mail/sentmail/<path:object_id>/delete/": ("403", "403"),
    "admin/mail/sentmail/<path:object_id>/change/": ("404", "404"),
    "admin/mail/mailtemplate/<path:object_id>/history/": ("home", None),
    "admin/mail/mailtemplate/<path:object_id>/delete/": ("403", "403"),
    "admin/mail/mailtemplate/<path:object_id>/change/": ("home", "home"),
    "admin/members/society/<path:object_id>/history/": ("home", None),
    "admin/members/society/<path:object_id>/delete/": ("403", "403"),
    "admin/members/society/<path:object_id>/change/": ("home", "home"),
    "admin/members/operator/<path:object_id>/delete-operator/": ("404", "404"),
    "admin/members/operator/<path:object_id>/history/": ("home", None),
    "admin/members/operator/<path:object_id>/delete/": ("403", "403"),
    "admin/members/operator/<path:object_id>/change/": ("home", "home"),
    "admin/members/membertype/<path:object_id>/history/": ("home", None),
    "admin/members/membertype/<path:object_id>/delete/": ("403", "403"),
    "admin/members/membertype/<path:object_id>/change/": ("home", "home"),
    "admin/members/member/<path:object_id>/status/": ("404", "404"),
    "admin/members/member/<path:object_id>/release-email/": ("404", "404"),
    "admin/members/member/<path:object_id>/adjustments/": ("404", "404"),
    "admin/members/member/<path:object_id>/member-number/": ("404", "404"),
    "admin/members/member/<path:object_id>/unlink-apass/": ("404", "404"),
    "admin/members/member/<path:object_id>/disclosure/": ("404", None),
    "admin/members/member/<path:object_id>/history/": ("home", None),
    "admin/members/member/<path:object_id>/delete/": ("403", "403"),
    "admin/members/member/<path:object_id>/change/": ("home", "home"),
    "admin/members/corporatemember/<path:object_id>/status/": ("404", "404"),
    "admin/members/corporatemember/<path:object_id>/release-email/": ("404", "404"),
    "admin/members/corporatemember/<path:object_id>/adjustments/": ("404", "404"),
    "admin/members/corporatemember/<path:object_id>/member-number/": ("404", "404"),
    "admin/members/corporatemember/<path:object_id>/unlink-apass/": ("404", "404"),
    "admin/members/corporatemember/<path:object_id>/disclosure/": ("404", None),
    "admin/members/corporatemember/<path:object_id>/history/": ("home", None),
    "admin/members/corporatemember/<path:object_id>/delete/": ("403", "403"),
    "admin/members/corporatemember/<path:object_id>/change/": ("home", "home"),
    "admin/billing/invoice/<path:object_id>/confirm/": ("405", "404"),
    "admin/billing/invoice/<path:object_id>/cancel/": ("404", "404"),
    "admin/billing/invoice/<path:object_id>/history/": ("home", None),
    "admin/billing/invoice/<path:object_id>/delete/": ("403", "403"),
    "admin/billing/invoice/<path:object_id>/change/": ("home", "home"),
    "admin/billing/payment/register/<int:invoice_id>/": ("404", "404"),
    "admin/billing/payment/split/<int:member_id>/": ("404", "404"),
    "admin/billing/payment/<int:payment_id>/delete-history/": ("404", "404"),
    "admin/billing/payment/<path:object_id>/history/": ("home", None),
    "admin/billing/payment/<path:object_id>/change/": ("home", "403"),
    "admin/billing/billingrun/<path:object_id>/progress/": ("404", None),
    "admin/billing/billingrun/<path:object_id>/confirm/": ("405", "404"),
    "admin/billing/billingrun/<path:object_id>/cancel/": ("404", "404"),
    "admin/billing/billingrun/<path:object_id>/rename/": ("405", "404"),
    "admin/billing/billingrun/<path:object_id>/retry/": ("405", "404"),
    "admin/billing/billingrun/<path:object_id>/history/": ("home", None),
    "admin/billing/billingrun/<path:object_id>/delete/": ("403", "403"),
    "admin/billing/billingrun/<path:object_id>/change/": ("404", None),
    "admin/billing/bankstatement/<int:statement_id>/rows/<int:row_id>/match/": ("404", "404"),
    "admin/billing/bankstatement/<path:object_id>/history/": ("home", None),
    "admin/billing/bankstatement/<path:object_id>/delete/": ("403", "403"),
    "admin/billing/bankstatement/<path:object_id>/change/": ("404", "404"),
    "admin/simulator/mypagenotice/<int:pk>/move/": ("405", "404"),
    "admin/simulator/mypagenotice/<path:object_id>/history/": ("home", None),
    "admin/simulator/mypagenotice/<path:object_id>/delete/": ("403", "403"),
    "admin/simulator/mypagenotice/<path:object_id>/change/": ("home", "home"),
    "api/v1/^members/(?P<pk>[^/.]+)/$": ("404", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/accesses/$": ("404", None),
    "api/v1/^members/(?P<pk>[^/.]+)/adjustments/$": ("405", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/disclosure/$": ("404", None),
    "api/v1/^members/(?P<pk>[^/.]+)/member-number/$": ("405", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/release-email/$": ("405", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/statuses/(?P<sid>[0-9]+)/$": ("405", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/statuses/$": ("404", "404"),
    "api/v1/^members/(?P<pk>[^/.]+)/unlink-apass/$": ("405", "404"),
    "api/v1/^sent-mails/(?P<pk>[^/.]+)/$": ("404", None),
    "api/v1/^sent-mails/(?P<pk>[^/.]+)/open-link/$": ("405", "404"),
    "api/v1/^billing-runs/(?P<pk>[0-9]+)/$": ("404", "404"),
    "api/v1/^billing-runs/(?P<pk>[0-9]+)/cancel/$": ("405", "404"),
    "api/v1/^billing-runs/(?P<pk>[0-9]+)/confirm/$": ("405", "404"),
    "api/v1/^invoices/(?P<pk>[0-9]+)/$": ("404", "404"),
    "api/v1/^invoices/(?P<pk>[0-9]+)/cancel/$": ("405", "404"),
    "api/v1/^invoices/(?P<pk>[0-9]+)/confirm/$": ("405", "404"),
    "api/v1/^payments/(?P<pk>[^/.]+)/$": ("404", "404"),
    "api/v1/^bank-statements/(?P<pk>[^/.]+)/$": ("404", None),
    "api/v1/^bank-statements/(?P<pk>[^/.]+)/rows/(?P<row_id>[^/.]+)/match/$": ("405", "404"),
    "api/v1/^bank-statements/(?P<pk>[^/.]+)/rows/$": ("404", None),
    "api/v1/invoices/<int:pk>/pdf/": ("404", None),
    "api/v1/payments/<int:pk>/receipt.pdf": ("404", None),
    "api/v1/members/<int:pk>/billing.csv": ("404", None),
    "api/v1/sim/mypage/invoices/<int:pk>/pdf/": ("404", None),
    "api/v1/sim/mypage/payments/<int:pk>/receipt.pdf": ("404", None),
    "api/v1/sim/links/<str:token>/": ("405", "404"),
    "api/v1/support/cases/<int:pk>/": ("404", None),
    "api/v1/support/cases/<int:pk>/answer/": ("405", "404"),
    "api/v1/support/cases/<int:pk>/back/": ("405", "404"),
    "api/v1/support/cases/<int:pk>/actions/": ("405", "404"),
}

#: ONE routes where Django's own admin answers a role without any permission on the model (403) before it looks
#: the id up, and a missing id with its "does not exist" redirect: a society's operator learns that some API token
#: of that number exists, never whose, and cannot open it (the platform superuser's screen)
ANSWERED_BEFORE_THE_LOOKUP = {
}

#: the bodies that get a write past the form's own checks to the object lookup (else: the role table's WRITES, or
#: an empty POST). ``{name}`` is an id of A's.
SCOPE_WRITES: dict[str, tuple[str, object]] = {
    "admin/members/member/<path:object_id>/status/": (
        "POST", {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-12-01"}),
    "admin/members/corporatemember/<path:object_id>/status/": (
        "POST", {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-12-01"}),
    "admin/simulator/mypagenotice/<int:pk>/move/": ("POST", {"direction": "up"}),
    "api/v1/^members/(?P<pk>[^/.]+)/$": ("PATCH", {"affiliation": "乗っ取り"}),
    "api/v1/^members/(?P<pk>[^/.]+)/statuses/(?P<sid>[0-9]+)/$": ("PATCH", {"note": "乗っ取り"}),
    "api/v1/^members/(?P<pk>[^/.]+)/adjustments/$": ("POST", {"kind": "one_time", "amount": 100}),
    "api/v1/^members/(?P<pk>[^/.]+)/statuses/$": ("POST", {"status": "withdrawn", "effective_date": "2026-12-01"}),
    "api/v1/^members/(?P<pk>[^/.]+)/member-number/$": ("POST", {"member_number": "999999"}),
    "api/v1/^members/(?P<pk>[^/.]+)/unlink-apass/$": ("POST", {"new_email": "x@example.jp", "confirm": True}),
    "api/v1/^invoices/(?P<pk>[0-9]+)/$": ("PATCH", {"name": "乗っ取り"}),
    "api/v1/^billing-runs/(?P<pk>[0-9]+)/$": ("PATCH", {"name": "乗っ取り"}),
    "api/v1/^payments/(?P<pk>[^/.]+)/$": ("DELETE", {"reason": "乗っ取り"}),
    "api/v1/^bank-statements/(?P<pk>[^/.]+)/rows/(?P<row_id>[^/.]+)/match/$": (
        "POST", {"allocations": [{"invoice": "{invoice}", "amount": 1}]}),
    "api/v1/support/cases/<int:pk>/answer/": ("POST", {"node": "start", "answer": "yes"}),
    "api/v1/support/cases/<int:pk>/back/": ("POST", {"node": "start"}),
    "api/v1/support/cases/<int:pk>/actions/": ("POST", {"action": "x"}),
}

#: the query of a ONE route that names A's object (beyond its path)
ONE_QUERIES = {
    "api/v1/sim/mypage/invoices/<int:pk>/pdf/": "?email={member_email}",
    "api/v1/sim/mypage/payments/<int:pk>/receipt.pdf": "?email={member_email}",
}

#: route → the queries to ask it with ("" for none); each answer must hold none of A's names, e-mails or links
LISTS: dict[str, list[str]] = {
    "admin/": [""],
    "admin/simulation/scenarios/": [""],
    "admin/simulation/mypage/invoices/": ["", "?email={member_email}"],
    "admin/simulation/mypage/": ["", "?mailbox={member_email}", "?email={member_email}"],
    "admin/billing/remind/": ["?ids={unpaid_invoice}"],
    "admin/support/cases/": ["", "?member={member}", "?q={member_email}"],
    "admin/support/stats/": [""],
    "admin/support/start/": ["", "?member={member}", "?mail={mail}", "?email={member_email}"],
    "admin/autocomplete/": ["?app_label=billing&model_name=invoice&field_name=member&term=",
                            "?app_label=billing&model_name=invoice&field_name=member&term={member_email}",
                            "?app_label=members&model_name=member&field_name=member_type&term="],
    "admin/backoffice/auditentry/": ["", "?q={member_name}"],
    "admin/mail/sentmail/": ["", "?member_id={member}", "?q={member_email}"],
    "admin/mail/mailtemplate/": [""],
    "admin/members/society/": [""],
    "admin/members/operator/": [""],
    "admin/members/membertype/": [""],
    "admin/members/member/numbers/": [""],
    "admin/members/member/apass-lookup/": ["", "?email={apass_email}", "?name={member_name}"],
    "admin/members/member/": ["", "?q={member_email}", "?q={member_name}"],
    "admin/members/corporatemember/numbers/": [""],
    "admin/members/corporatemember/apass-lookup/": ["?email={apass_email}"],
    "admin/members/corporatemember/": ["", "?q={corporate_email}"],
    "admin/billing/invoice/": ["", "?member={member}", "?run={run}"],
    "admin/billing/lapsecandidate/": [""],
    "admin/billing/payment/": ["", "?member={member}", "?invoice={invoice}"],
    "admin/billing/billingrun/": [""],
    "admin/billing/bankstatement/": [""],
    "admin/simulator/mypagenotice/": [""],
    "admin/simulator/mypagenotice/preview/": [""],
    "api/v1/member-numbers/pending/": [""],
    "api/v1/apass/lookup/": ["?email={apass_email}", "?name={member_name}"],
    "api/v1/^member-types/$": [""],
    "api/v1/^members/$": ["", "?q={member_name}", "?email={member_email}"],
    "api/v1/^sent-mails/$": ["", "?member={member}", "?to={member_email}", "?q={member_email}"],
    "api/v1/^billing-runs/$": [""],
    "api/v1/^invoices/$": ["", "?member={member}", "?run={run}"],
    "api/v1/^payments/$": ["", "?member={member}", "?invoice={invoice}&include_deleted=true"],
    "api/v1/^bank-statements/$": [""],
    "api/v1/exports/billing.csv": [""],
    "api/v1/lapse-candidates/": [""],
    "api/v1/sim/mypage/invoices/": ["?email={member_email}"],
    "api/v1/support/stats/": ["?flow=login-trouble"],
    "api/v1/support/triage/": ["?member={member}"],
}

#: the answers of LISTS that are not 200: (route, query) → status
LIST_STATUS: dict[tuple[str, str], int] = {
    ("admin/billing/remind/", "?ids={unpaid_invoice}"): 404,
    ("admin/support/start/", "?member={member}"): 404,
    ("admin/support/start/", "?mail={mail}"): 404,
    ("api/v1/sim/mypage/invoices/", "?email={member_email}"): 404,
    ("api/v1/support/triage/", "?member={member}"): 404,
}

#: routes that take no object id of a society and list no society data (or whose writes create in B only)
NOT_SOCIETY_DATA: dict[str, str] = {
    "": "redirects to the first page",
    "login/": "sign-in page", "office/<slug:slug>/login/": "sign-in page (the slug names the door, not data)",
    "office/<slug:slug>/password-reset/": "the reset request answers alike whether or not the account exists",
    "login/password-reset/": "the general page's reset request answers alike whatever society and account it names",
    "office/<slug:slug>/password-reset/<str:token>/": "the token names one operator's own reset, signed out",
    "admin/login/": "sign-in page", "admin/two-step/": "the operator's own second step",
    "admin/simulation/clock/": "moves the operator's own society's clock (POST only)",
    "admin/simulation/scenarios/reset/": "rebuilds the operator's own sandbox's scenarios",
    "admin/logout/": "sign-out", "admin/password_change/": "the operator's own password",
    "admin/password_change/done/": "static page", "admin/jsi18n/": "JavaScript catalogue",
    "admin/django_tasks_database/dbtaskresult/": "platform superuser only",
    "admin/django_tasks_database/dbtaskresult/add/": "nobody may add",
    "admin/django_tasks_database/dbtaskresult/<path:object_id>/": "redirects to …/change/ (in ONE)",
    "admin/backoffice/auditentry/add/": "nobody may add",
    "admin/backoffice/auditentry/<path:object_id>/": "redirects to …/change/ (in ONE)",
    "admin/mail/sentmail/add/": "nobody may add", "admin/mail/sentmail/<path:object_id>/": "redirects to …/change/",
    "admin/mail/mailtemplate/add/": "an empty form of B's own", "admin/mail/mailtemplate/<path:object_id>/":
        "redirects to …/change/", "admin/members/society/add/": "platform superuser only",
    "admin/members/society/<path:object_id>/": "redirects to …/change/",
    "admin/members/operator/add/": "an empty form of B's own",
    "admin/members/operator/<path:object_id>/": "redirects to …/change/",
    "admin/members/membertype/add/": "an empty form of B's own",
    "admin/members/membertype/<path:object_id>/": "redirects to …/change/",
    "admin/members/member/proxy-application/": "an empty form of B's own",
    "admin/members/member/add/": "an empty form of B's own",
    "admin/members/member/<path:object_id>/": "redirects to …/change/",
    "admin/members/corporatemember/proxy-application/": "an empty form of B's own",
    "admin/members/corporatemember/add/": "an empty form of B's own",
    "admin/members/corporatemember/<path:object_id>/": "redirects to …/change/",
    "admin/billing/invoice/add/": "an empty form of B's own", "admin/billing/invoice/<path:object_id>/":
        "redirects to …/change/", "admin/billing/payment/add/": "nobody may add",
    "admin/billing/payment/<path:object_id>/": "redirects to …/change/",
    "admin/billing/billingrun/add/": "an empty form of B's own",
    "admin/billing/billingrun/<path:object_id>/": "redirects to …/change/",
    "admin/billing/bankstatement/add/": "an empty form of B's own",
    "admin/billing/bankstatement/<path:object_id>/": "redirects to …/change/",
    "admin/simulator/mypagenotice/add/": "an empty form of B's own",
    "admin/simulator/mypagenotice/<path:object_id>/": "redirects to …/change/",
    "admin/^(?P<app_label>django_tasks_database|backoffice|mail|members|billing|simulator)/$":
        "an app label, redirected to the first page",
    "admin/(?P<url>.*)$": "unknown admin path: 404", "i18n/setlang/": "language switch",
    "api/schema/": "the API's schema", "api/docs/": "the API's docs", "api/v1/auth/token/": "sign-in",
    "api/v1/member-numbers/assign/": "a write whose ids are checked as 'not found' (tests/members/test_scoping.py)",
    "api/v1/proxy-applications/": "creates in B only", "api/v1/^members/bulk-status/$":
        "ids checked as 'not found' (tests/members/test_scoping.py)",
    "api/v1/invoices/remind/": "ids checked like admin/billing/remind/ (in LISTS)",
    "api/v1/^invoices/bulk-cancel/$": "ids checked as 'not found' (tests/billing)",
    "api/v1/^payments/split/$": "ids checked as 'not found' (tests/billing)",
    "api/v1/sim/clock/": "B's own clock", "api/v1/sim/apass/": "creates an A-Pass (platform-wide login)",
    "api/v1/sim/mypage/login/": "My Page sign-in at B", "api/v1/sim/applications/": "applies to B",
    "api/v1/sim/mypage/password-reset/": "My Page at B", "api/v1/sim/mypage/email-change/": "My Page at B",
    "api/v1/sim/mypage/pay/": "pays an invoice id: checked in tests/simulator", "api/v1/support/flows/":
        "the shipped flow definitions", "api/v1/support/cases/": "POST only: creates a case in B",
    "api/v1/support/procedures/": "the shipped procedures",
    "api/v1/support/procedures/preview/": "POST only; ids checked in tests/support",
    "api/v1/support/procedures/run/": "POST only; ids checked in tests/support",
    "^api(?:/.*)?$": "unknown API path: 404",
}


def check_scoping_table(urlconf: str | None = None) -> list[str]:
    """Every route of the resolver is in ONE, LISTS or NOT_SOCIETY_DATA — once; a route with a parameter in ONE or,
    with its reason, in NOT_SOCIETY_DATA."""
    tables = {"ONE": ONE, "LISTS": LISTS, "NOT_SOCIETY_DATA": NOT_SOCIETY_DATA}
    problems = []
    for route in T.resolver_routes(urlconf):
        homes = [name for name, table in tables.items() if route in table]
        if not homes:
            kind = "takes an object id" if T.GROUP.search(route) else "has no entry"
            problems.append(f"{route!r} {kind}: put it in ONE, LISTS or NOT_SOCIETY_DATA of the scoping table")
        elif len(homes) > 1:
            problems.append(f"{route!r} is in {' and '.join(homes)}")
        elif homes == ["LISTS"] and T.GROUP.search(route):
            problems.append(f"{route!r} takes an object id: it belongs in ONE")
    routes = set(T.resolver_routes(urlconf))
    problems += [f"{route!r} is in the scoping table but not in the resolver"
                 for table in tables.values() for route in table if route not in routes]
    return problems


def test_soc2_every_url_of_the_resolver_is_in_the_scoping_table():
    problems = check_scoping_table()
    assert not problems, "the scoping table is incomplete:\n" + "\n".join(problems)


@override_settings(ROOT_URLCONF="tests.backoffice.urls_with_one_more")
def test_soc2_the_scoping_completeness_check_names_a_url_the_table_lacks():
    assert check_scoping_table("tests.backoffice.urls_with_one_more") == [
        "'admin/reports/new-screen/<int:pk>/' takes an object id: put it in ONE, LISTS or NOT_SOCIETY_DATA of the "
        "scoping table"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo (A: ``training``) and B (``other``) with its one member, once for the module."""
    from members.factories import create_member_with_history
    from members.models import Member, MemberType, Society

    worlds = T.module_world(django_db_blocker, extra_society="other")
    world = next(worlds)
    with django_db_blocker.unblock():
        other = Society.objects.get(slug="other")
        member_type = MemberType.objects.create(society=other, code="regular", name="正会員", annual_fee=1000)
        create_member_with_history("active", society=other, member_type=member_type, name="別野 花子",
                                   name_kana="ベツノ ハナコ", email="only-b@example.jp")
        a = world.ids["training"]
        a["apass_email"] = Member.objects.filter(society_id=a["society"], apass__isnull=False).order_by("pk") \
            .values_list("email", flat=True).first()
        a["corporate_email"] = Member.objects.get(pk=a["corporate"]).email
    yield world
    next(worlds, None)  # rolls the module's world back


def _a_markers(ids: dict) -> list[str]:
    """What of A must never reach B: every member's name and e-mail, and the links to A's member records."""
    from members.models import Member

    markers = []
    for pk, name, kana, email in Member.objects.filter(society_id=ids["society"]).values_list(
            "pk", "name", "name_kana", "email"):
        markers += [name, kana, email, f"/admin/members/member/{pk}/", f"/admin/members/corporatemember/{pk}/"]
    return markers


#: text of B's pages that names seed people by design: the scenario list describes each scenario by its members'
#: names (the definitions, the same in every sandbox), so only e-mail addresses and record links are checked there
DESCRIBES_SCENARIOS = {"admin/simulation/scenarios/"}


def _leaks(body: bytes, markers: list[str], typed: tuple[str, ...] = ()) -> list[str]:
    """The markers the body holds, once the values the query typed (echoed in the search box, 「… の検索結果」) are
    taken out: the row of a member found would still show its record link and the fields not typed."""
    text = body.decode(errors="replace")
    if text.lstrip().startswith(("{", "[")):
        try:  # JSON escapes nothing we look for, but may have \uXXXX for non-ASCII
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    for value in typed:
        text = text.replace(value, "").replace(html.escape(value), "")
    return [m for m in markers if m and m in text]


def test_soc2_another_societys_objects_are_not_found_and_never_listed(world):
    """SOC-2 at every URL: B's administrator gets A's objects as not found (the same answer as an id that does not
    exist, nothing written) and never sees A's names, e-mails or record links in a list, search, export or
    autocomplete."""
    ids = world.ids["training"]
    missing = {k: (v if k in ("slug", "member_email", "member_name", "mail_to") else 987654321)
               for k, v in ids.items()} | {"token": "no-such-token-000"}
    b = T.client_for(world.operators[("other", "admin")])
    markers = _a_markers(ids)
    from tests.backoffice.test_role_url_table import WRITES

    problems: list[str] = []
    for route, (get_token, write_token) in ONE.items():
        query = ONE_QUERIES.get(route, "")
        url = T.concrete_url(route, ids) + query.format(**ids)
        absent = T.concrete_url(route, missing) + query.format(**missing)
        tries = [("GET", get_token, None)]
        if write_token:
            method, body = SCOPE_WRITES.get(route, WRITES.get(route, ("POST", None)))
            tries.append((method, write_token, body))
        for method, token, body in tries:
            answer = T.attempt(b, method, url, T.fill(body, ids))
            got = T.outcome(answer)
            where = f"{method} {url} ({route}) as B's administrator"
            if answer.status >= 500:
                problems.append(f"{where}: server error {answer.status}")
            elif got != token:
                problems.append(f"{where}: expected {token}, got {got} ({answer.status} {answer.code})")
            if answer.audit_written:
                problems.append(f"{where}: wrote {answer.audit_written} audit entries")
            leaks = _leaks(answer.body, markers)
            if leaks:
                problems.append(f"{where}: the answer shows A's {leaks[:3]}")
            control = T.attempt(b, method, absent, T.fill(body, missing))
            same = (control.status, control.code) == (answer.status, answer.code)
            if route not in ANSWERED_BEFORE_THE_LOOKUP and not same:
                problems.append(f"{where}: answers {answer.status} {answer.code} but {control.status} "
                                f"{control.code} for an id that does not exist ({absent})")
    for route, queries in LISTS.items():
        for query in queries:
            url = T.concrete_url(route, ids, with_query=False) + query.format(**ids)
            answer = T.attempt(b, "GET", url)
            where = f"GET {url} ({route}) as B's administrator"
            expected = LIST_STATUS.get((route, query), 200)
            if answer.status != expected:
                problems.append(f"{where}: expected {expected}, got {answer.status} {answer.code}")
            shown = [m for m in markers if "@" in m or "/" in m] if route in DESCRIBES_SCENARIOS else markers
            typed = tuple(v for _k, v in parse_qsl(query.format(**ids).lstrip("?")) if len(v) > 3)
            leaks = _leaks(answer.body, shown, typed)
            if leaks:
                problems.append(f"{where}: the answer shows A's {leaks[:3]}")
    assert not problems, f"{len(problems)} scoping problems:\n" + "\n".join(problems)


def test_soc2_the_lists_show_the_operators_own_society(world):
    """The control of the test above: B's lists are not empty because they are broken — B's own member is there."""
    b = T.client_for(world.operators[("other", "admin")])
    for url in ("/admin/members/member/", "/api/v1/members/", "/admin/members/member/?q=only-b@example.jp",
                "/admin/autocomplete/?app_label=billing&model_name=invoice&field_name=member&term="):
        answer = T.attempt(b, "GET", url)
        assert answer.status == 200 and "別野 花子" in _leaks(answer.body, ["別野 花子"]), url
