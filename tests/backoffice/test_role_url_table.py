"""SOC-3 (roles), SEC-* (sign-in first, nothing written by a refused request), issue 16 §6: the role × URL table.

Every URL pattern of the project's resolver (``url_tables.resolver_routes``: every include, the admin site's
ModelAdmins with their changelist/add/change/delete/history and custom views, the /api/v1/ router, the sign-in pages,
the My Page simulator, the support console, the API docs, the simulation clock, …) has one entry in ``TABLE``: what
each role gets on GET and, where the URL takes a write, on its write (POST, or PATCH/DELETE for an API object) with
an empty or harmless body (``WRITES``).

The roles (``members.models.Operator``; columns in this order): ``anon`` (not signed in), ``viewer``, ``staff``,
``trainer`` and ``admin`` (the society's administrator, the contract holder) of the ``training`` sandbox, and
``root``, the platform superuser (no society). The objects the URLs name are the sandbox's (``url_tables.World``).

Tokens (``url_tables.outcome``): ``ok`` let through, nothing written (a page, a download, a redirect elsewhere, or
the form's own refusal of the empty body, 400/409); ``wrote`` let through, and it wrote audit entries (so the same
body refused to another role proves a real refusal); ``in`` sent to a sign-in page; ``home`` sent back to the first
page with a message; ``401`` ``403`` ``404`` ``405`` refused with that status. A 5xx is never in the table: it fails
the test. Every refused answer (and every answer to anonymous or a viewer) must have written no audit entry.

Adding a URL: add its route (as the failure message prints it) to ``TABLE`` with the six tokens for GET (and for
the write, with its body in ``WRITES`` if the empty one is not what the URL takes); an object id in the route is
filled in by ``url_tables.concrete_url`` (add the model to ``ADMIN_OBJECTS``/``API_OBJECTS`` if it is new).
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.backoffice import url_tables as T
from tests.backoffice.test_crawl import crawl

pytestmark = pytest.mark.django_db

#: the write each URL takes, when it is not an empty POST: (method, body or None). ``{name}`` is an id of the world.
WRITES: dict[str, tuple[str, object]] = {
    "admin/simulation/clock/": ("POST", {"move": "day"}),
    "admin/members/member/<path:object_id>/status/": (
        "POST", {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-12-01"}),
    "admin/members/corporatemember/<path:object_id>/status/": (
        "POST", {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-12-01"}),
    "admin/billing/remind/": ("POST", {"ids": "{unpaid_invoice}"}),
    "admin/simulator/mypagenotice/<int:pk>/move/": ("POST", {"direction": "up"}),
    "admin/members/member/": ("POST", {"action": "bulk_status_action", "_selected_action": "{member}"}),
    "admin/billing/invoice/": ("POST", {"action": "confirm_selected", "_selected_action": "{unconfirmed_invoice}"}),
    "api/v1/^members/(?P<pk>[^/.]+)/$": ("PATCH", {"affiliation": "変更"}),
    "api/v1/^members/(?P<pk>[^/.]+)/statuses/(?P<sid>[0-9]+)/$": ("PATCH", {"note": "x"}),
    "api/v1/^invoices/(?P<pk>[0-9]+)/$": ("PATCH", {"name": "改名"}),
    "api/v1/^billing-runs/(?P<pk>[0-9]+)/$": ("PATCH", {"name": "改名"}),
    "api/v1/^payments/(?P<pk>[^/.]+)/$": ("DELETE", {"reason": "表のテスト"}),
}

#: route → (GET tokens, write tokens). Columns: anon viewer staff trainer admin root. The write is None where the URL
#: takes none: its view answers POST as GET (history, downloads, read-only lists, redirects) or 405.
TABLE: dict[str, tuple[str, str | None]] = {
    '': ('home home home home home home', 'home home home home home home'),
    'login/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),
    'office/<slug:slug>/login/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),
    'office/<slug:slug>/password-reset/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),
    'login/password-reset/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),  # an empty POST: 400, the 学会ID missing
    # the table's token is a member's mail link, no operator's reset link: not found for everyone
    'office/<slug:slug>/password-reset/<str:token>/': ('404 404 404 404 404 404', '404 404 404 404 404 404'),
    'admin/login/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),
    'admin/two-step/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    # trainer/admin: moved, back on the first page; the others refused there
    'admin/simulation/clock/': ('in 405 405 405 405 405', 'in home home wrote wrote home'),
    'admin/simulation/scenarios/': ('in ok ok ok ok 404', None),
    # GET by staff/viewer/root: sent back with the refusal (SIM-3)
    'admin/simulation/scenarios/reset/': ('in home home ok ok home', 'in home home wrote wrote home'),
    'admin/simulation/mypage/invoices/': ('in 403 403 ok ok 403', None),
    # an empty POST names no form of the simulator: not found
    'admin/simulation/mypage/': ('in 403 403 ok ok 403', 'in 403 403 404 404 403'),
    'admin/simulation/mypage/links/<str:token>/': ('in 403 403 ok ok 403', 'in 403 403 ok ok 403'),
    'admin/billing/pdf/invoice/<int:pk>/': ('in ok ok ok ok ok', None),
    'admin/billing/pdf/receipt/<int:pk>/': ('in ok ok ok ok ok', None),
    'admin/billing/export/member/<int:pk>/billing.csv': ('in ok ok ok ok ok', None),
    'admin/billing/remind/': ('in ok ok ok ok ok', 'in 403 wrote wrote wrote wrote'),
    # root has no society: the console is not found for it
    'admin/support/cases/': ('in ok ok ok ok 404', None),
    'admin/support/stats/': ('in ok ok ok ok 404', None),
    # root: the platform's help desk starts operator cases of the society it chooses (seed 001 原因⑥)
    'admin/support/start/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/support/cases/<int:pk>/': ('in ok ok ok ok ok', None),
    'admin/support/cases/<int:pk>/answer/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/support/cases/<int:pk>/back/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/support/cases/<int:pk>/actions/preview/': ('in 405 405 405 405 405', None),
    'admin/support/cases/<int:pk>/actions/run/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/support/cases/<int:pk>/notes/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/support/cases/<int:pk>/resume/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/support/procedures/<slug:procedure_id>/': ('in ok ok ok ok 404', 'in 403 ok ok ok 404'),
    'admin/': ('in ok ok ok ok ok', None),
    # anonymous: nothing to end, back to the first page (and from there to sign-in)
    'admin/logout/': ('home 405 405 405 405 405', 'home ok ok ok ok ok'),
    'admin/password_change/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/password_change/done/': ('in ok ok ok ok ok', None),
    'admin/autocomplete/': ('in ok ok ok ok ok', None),
    'admin/jsi18n/': ('in ok ok ok ok ok', None),
    'admin/r/<path:content_type_id>/<path:object_id>/': ('in 404 404 404 404 404', None),
    # DRF's TokenAdmin: the platform superuser only; it lists every operator's API token key (reported)
    # django-tasks' results: the platform superuser only (read)
    'admin/django_tasks_database/dbtaskresult/': ('in 403 403 403 403 ok', 'in 403 403 403 403 ok'),
    'admin/django_tasks_database/dbtaskresult/add/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    # the tests' immediate backend stores no result: an unknown id
    'admin/django_tasks_database/dbtaskresult/<path:object_id>/history/': ('in home home home home home', None),
    'admin/django_tasks_database/dbtaskresult/<path:object_id>/delete/':
        ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/django_tasks_database/dbtaskresult/<path:object_id>/change/':
        ('in 403 403 403 403 home', 'in 403 403 403 403 403'),
    'admin/django_tasks_database/dbtaskresult/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/backoffice/auditentry/': ('in ok ok ok ok ok', None),
    'admin/backoffice/auditentry/add/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/backoffice/auditentry/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/backoffice/auditentry/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/backoffice/auditentry/<path:object_id>/change/': ('in ok ok ok ok ok', None),
    'admin/backoffice/auditentry/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/mail/sentmail/<path:object_id>/open-link/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/mail/sentmail/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/mail/sentmail/add/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/mail/sentmail/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/mail/sentmail/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/mail/sentmail/<path:object_id>/change/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/mail/sentmail/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/mail/mailtemplate/': ('in 403 403 403 ok 403', 'in 403 403 403 ok 403'),
    'admin/mail/mailtemplate/add/': ('in 403 403 403 ok 403', 'in 403 403 403 ok 403'),
    'admin/mail/mailtemplate/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/mail/mailtemplate/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/mail/mailtemplate/<path:object_id>/change/': ('in 403 403 403 ok 403', 'in 403 403 403 ok 403'),
    'admin/mail/mailtemplate/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/members/society/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/society/add/': ('in 403 403 403 403 ok', 'in 403 403 403 403 ok'),
    'admin/members/society/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/members/society/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/members/society/<path:object_id>/change/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/society/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/members/operator/<path:object_id>/delete-operator/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/operator/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/operator/add/': ('in 403 403 403 ok 403', 'in 403 403 403 ok 403'),
    'admin/members/operator/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/members/operator/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/members/operator/<path:object_id>/change/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/operator/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/members/membertype/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/members/membertype/add/': ('in 403 403 403 ok 403', 'in 403 403 403 ok 403'),
    'admin/members/membertype/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/members/membertype/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/members/membertype/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 403 403 ok 403'),
    'admin/members/membertype/<path:object_id>/': ('in ok ok ok ok ok', None),
    # root: the society's screens need a society (403/404); its pages offer no link to them (last test)
    'admin/members/member/numbers/': ('in ok ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/member/apass-lookup/': ('in ok ok ok ok ok', None),
    'admin/members/member/proxy-application/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/member/<path:object_id>/status/': ('in ok ok ok ok ok', 'in 403 wrote wrote wrote wrote'),
    'admin/members/member/<path:object_id>/release-email/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/member/<path:object_id>/adjustments/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/member/<path:object_id>/member-number/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/member/<path:object_id>/unlink-apass/': ('in 403 ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/member/<path:object_id>/disclosure/': ('in 403 403 403 ok ok', 'in 403 403 403 405 405'),
    'admin/members/member/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/members/member/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/member/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/members/member/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/members/member/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/member/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/members/corporatemember/numbers/': ('in ok ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/corporatemember/apass-lookup/': ('in ok ok ok ok ok', None),
    'admin/members/corporatemember/proxy-application/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/corporatemember/<path:object_id>/status/': ('in ok ok ok ok ok', 'in 403 wrote wrote wrote wrote'),
    'admin/members/corporatemember/<path:object_id>/release-email/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/corporatemember/<path:object_id>/adjustments/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/corporatemember/<path:object_id>/member-number/': ('in 403 403 403 ok ok', 'in 403 403 403 ok ok'),
    'admin/members/corporatemember/<path:object_id>/unlink-apass/': ('in 403 ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/corporatemember/<path:object_id>/disclosure/': ('in 403 403 403 ok ok', 'in 403 403 403 405 405'),
    'admin/members/corporatemember/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/members/corporatemember/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/members/corporatemember/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/members/corporatemember/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/members/corporatemember/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/members/corporatemember/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/billing/invoice/<path:object_id>/confirm/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/billing/invoice/<path:object_id>/cancel/': ('in 403 ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/invoice/': ('in ok ok ok ok ok', 'in ok wrote wrote wrote ok'),
    'admin/billing/invoice/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/billing/invoice/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/billing/invoice/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/billing/invoice/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/invoice/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/billing/lapsecandidate/': ('in ok ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/billing/payment/register/<int:invoice_id>/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/payment/split/<int:member_id>/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/payment/<int:payment_id>/delete-history/': ('in 403 ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/payment/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/billing/payment/add/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/billing/payment/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/billing/payment/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 403 403 403 403'),
    'admin/billing/payment/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/billing/billingrun/<path:object_id>/progress/': ('in ok ok ok ok ok', None),
    'admin/billing/billingrun/<path:object_id>/confirm/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/billing/billingrun/<path:object_id>/cancel/': ('in 403 ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/billingrun/<path:object_id>/rename/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/billing/billingrun/<path:object_id>/retry/': ('in 405 405 405 405 405', 'in 403 ok ok ok ok'),
    'admin/billing/billingrun/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/billing/billingrun/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/billing/billingrun/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/billing/billingrun/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/billing/billingrun/<path:object_id>/change/': ('in ok ok ok ok ok', None),
    'admin/billing/billingrun/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/billing/bankstatement/<int:statement_id>/rows/<int:row_id>/match/':
        ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/billing/bankstatement/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/billing/bankstatement/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/billing/bankstatement/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/billing/bankstatement/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/billing/bankstatement/<path:object_id>/change/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/billing/bankstatement/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/simulator/mypagenotice/<int:pk>/move/': ('in 405 405 405 405 405', 'in ok wrote wrote wrote ok'),
    'admin/simulator/mypagenotice/preview/': ('in ok ok ok ok ok', None),
    'admin/simulator/mypagenotice/': ('in ok ok ok ok ok', 'in ok ok ok ok ok'),
    'admin/simulator/mypagenotice/add/': ('in 403 ok ok ok 403', 'in 403 ok ok ok 403'),
    'admin/simulator/mypagenotice/<path:object_id>/history/': ('in ok ok ok ok ok', None),
    'admin/simulator/mypagenotice/<path:object_id>/delete/': ('in 403 403 403 403 403', 'in 403 403 403 403 403'),
    'admin/simulator/mypagenotice/<path:object_id>/change/': ('in ok ok ok ok ok', 'in 403 ok ok ok ok'),
    'admin/simulator/mypagenotice/<path:object_id>/': ('in ok ok ok ok ok', None),
    'admin/^(?P<app_label>django_tasks_database|backoffice|mail|members|billing|simulator)/$':
        ('in home home home home home', None),
    'admin/(?P<url>.*)$': ('in 404 404 404 404 404', None),
    'i18n/setlang/': ('ok ok ok ok ok ok', 'ok ok ok ok ok ok'),
    'api/schema/': ('ok ok ok ok ok ok', None),
    'api/docs/': ('ok ok ok ok ok ok', None),
    'api/v1/auth/token/': ('405 405 405 405 405 405', 'ok ok ok ok ok ok'),
    'api/v1/member-numbers/pending/': ('401 ok ok ok ok 403', '401 403 405 405 405 405'),
    'api/v1/member-numbers/assign/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/apass/lookup/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/proxy-applications/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^member-types/$': ('401 ok ok ok ok ok', '401 403 403 403 ok ok'),
    'api/v1/^members/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^members/bulk-status/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^members/(?P<pk>[^/.]+)/$': ('401 ok ok ok ok ok', '401 403 wrote wrote wrote wrote'),
    'api/v1/^members/(?P<pk>[^/.]+)/accesses/$': ('401 403 403 403 ok ok', '401 403 405 405 405 405'),
    'api/v1/^members/(?P<pk>[^/.]+)/adjustments/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^members/(?P<pk>[^/.]+)/disclosure/$': ('401 403 403 403 ok ok', '401 403 405 405 405 405'),
    'api/v1/^members/(?P<pk>[^/.]+)/member-number/$': ('401 405 405 405 405 405', '401 403 403 403 ok ok'),
    'api/v1/^members/(?P<pk>[^/.]+)/release-email/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^members/(?P<pk>[^/.]+)/statuses/(?P<sid>[0-9]+)/$':
        ('401 405 405 405 405 405', '401 403 wrote wrote wrote wrote'),
    'api/v1/^members/(?P<pk>[^/.]+)/statuses/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^members/(?P<pk>[^/.]+)/unlink-apass/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^sent-mails/$': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/^sent-mails/(?P<pk>[^/.]+)/$': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/^sent-mails/(?P<pk>[^/.]+)/open-link/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/invoices/remind/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^billing-runs/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^billing-runs/(?P<pk>[0-9]+)/$': ('401 ok ok ok ok ok', '401 403 wrote wrote wrote wrote'),
    'api/v1/^billing-runs/(?P<pk>[0-9]+)/cancel/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^billing-runs/(?P<pk>[0-9]+)/confirm/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^invoices/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^invoices/bulk-cancel/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^invoices/(?P<pk>[0-9]+)/$': ('401 ok ok ok ok ok', '401 403 wrote wrote wrote wrote'),
    'api/v1/^invoices/(?P<pk>[0-9]+)/cancel/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^invoices/(?P<pk>[0-9]+)/confirm/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^payments/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^payments/split/$': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^payments/(?P<pk>[^/.]+)/$': ('401 ok ok ok ok ok', '401 403 wrote wrote wrote wrote'),
    'api/v1/^bank-statements/$': ('401 ok ok ok ok ok', '401 403 ok ok ok ok'),
    'api/v1/^bank-statements/(?P<pk>[^/.]+)/$': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/^bank-statements/(?P<pk>[^/.]+)/rows/(?P<row_id>[^/.]+)/match/$':
        ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/^bank-statements/(?P<pk>[^/.]+)/rows/$': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/invoices/<int:pk>/pdf/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/payments/<int:pk>/receipt.pdf': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/members/<int:pk>/billing.csv': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/exports/billing.csv': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/sim/mypage/invoices/<int:pk>/pdf/': ('401 403 403 ok ok 403', '401 403 405 405 405 405'),
    'api/v1/sim/mypage/payments/<int:pk>/receipt.pdf': ('401 403 403 ok ok 403', '401 403 405 405 405 405'),
    'api/v1/lapse-candidates/': ('401 ok ok ok ok 403', '401 403 405 405 405 405'),
    # root: not_sandbox (it has no society); staff/viewer: permission_denied
    'api/v1/sim/clock/': ('401 403 403 ok ok 403', '401 403 403 ok ok 403'),
    'api/v1/sim/apass/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/mypage/login/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/applications/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/links/<str:token>/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/mypage/password-reset/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/mypage/email-change/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/sim/mypage/invoices/': ('401 403 403 ok ok 403', None),
    'api/v1/sim/mypage/pay/': ('401 405 405 405 405 405', '401 403 403 ok ok 403'),
    'api/v1/support/flows/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/support/cases/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/support/cases/<int:pk>/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/support/cases/<int:pk>/answer/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/support/cases/<int:pk>/back/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/support/cases/<int:pk>/actions/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/support/stats/': ('401 ok ok ok ok 403', '401 403 405 405 405 405'),
    'api/v1/support/triage/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/support/procedures/': ('401 ok ok ok ok ok', '401 403 405 405 405 405'),
    'api/v1/support/procedures/preview/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    'api/v1/support/procedures/run/': ('401 405 405 405 405 405', '401 403 ok ok ok ok'),
    '^api(?:/.*)?$': ('404 404 404 404 404 404', '404 404 404 404 404 404'),
}


def check_table(table: dict, urlconf: str | None = None) -> list[str]:
    """The completeness check: every route of the resolver has an entry (and no entry names a route that is gone)."""
    return ([f"no entry in the role × URL table for {route!r}" for route in T.missing_from_table(table, urlconf)]
            + [f"entry for a route the resolver does not have: {route!r}"
               for route in T.stale_in_table(table, urlconf)])


def test_soc3_every_url_of_the_resolver_has_an_entry_in_the_role_table():
    """Issue 16 §6: a URL added to the project without saying what each role gets there fails here, by name."""
    problems = check_table(TABLE)
    assert not problems, "the role × URL table is incomplete:\n" + "\n".join(problems)


@override_settings(ROOT_URLCONF="tests.backoffice.urls_with_one_more")
def test_soc3_the_completeness_check_names_a_url_the_table_lacks():
    """The check is the resolver's: with the real URLs plus one new path, it names exactly that path."""
    assert check_table(TABLE, "tests.backoffice.urls_with_one_more") == [
        "no entry in the role × URL table for 'admin/reports/new-screen/<int:pk>/'"]
    assert T.missing_from_table(TABLE, "tests.backoffice.urls_with_one_more") == ["admin/reports/new-screen/<int:pk>/"]


def _tokens(line: str | None, route: str, what: str) -> dict[str, str]:
    words = line.split() if line else []
    assert len(words) == len(T.ROLES), f"{route} {what}: six tokens ({' '.join(T.ROLES)}), got {line!r}"
    return dict(zip(T.ROLES, words))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from T.module_world(django_db_blocker)


def test_soc3_every_role_gets_at_every_url_what_the_table_says_and_a_refusal_writes_nothing(world):
    """SOC-3, SEC-*: GET and the write of every URL, as anonymous, viewer, staff, trainer, admin and the platform
    superuser. A mismatch, a 5xx, an audit entry written by a refused request (or by anonymous or a viewer) fails,
    all of them listed at once."""
    ids = world.ids["training"]
    clients = {"anon": T.client_for(None), "root": T.client_for(world.operators["root"])}
    for role in ("viewer", "staff", "trainer", "admin"):
        clients[role] = T.client_for(world.operators[("training", role)])
    problems: list[str] = []
    for route, (get_line, write_line) in TABLE.items():
        url, gets, write = T.run_route(route, clients, ids, WRITES, want_write=write_line is not None)
        checks = [("GET", _tokens(get_line, route, "GET"), gets)]
        if write is not None:
            method, answers = write
            checks.append((method, _tokens(write_line, route, method), answers))
        for method, expected, answers in checks:
            for role in T.ROLES:
                answer = answers[role]
                got = T.outcome(answer)
                where = f"{method} {url} ({route}) as {T.ROLE_NAMES[role]}"
                if answer.status >= 500:
                    problems.append(f"{where}: server error {answer.status}")
                elif got != expected[role]:
                    problems.append(f"{where}: expected {expected[role]}, got {got} "
                                    f"({answer.status}{' ' + answer.code if answer.code else ''}"
                                    f"{' → ' + answer.location if answer.location else ''})")
                if answer.audit_written and (got in T.REFUSED or role in ("anon", "viewer")):
                    problems.append(f"{where}: refused ({got}) but wrote {answer.audit_written} audit entries")
    assert not problems, f"{len(problems)} answers differ from the role × URL table:\n" + "\n".join(problems)


def test_soc3_the_platform_superuser_is_offered_no_link_it_cannot_use(world, monkeypatch):
    """Issue 16 §6 (found by the table): the platform superuser has no society, so [代理申請], [会員番号採番],
    [請求情報作成] and the support console's links (which act in a society) answer it 403/404 — its pages must not
    offer them. The crawl of ``test_crawl`` as the superuser: no 403, 404 or 5xx behind a link a page showed."""
    from tests.backoffice import test_crawl

    monkeypatch.setattr(test_crawl, "PER_SHAPE", 1)  # one record of each screen: the links are the same
    problems, pages = crawl(T.client_for(world.operators["root"]))
    assert pages > 20
    refused = [p for p in problems if "behind a link" in p or "server error" in p]
    assert not refused, "\n".join(refused)


def test_sec2_no_admin_screen_lists_or_forges_api_tokens():
    """An API token is a password by another name: DRF's token admin (every operator's key, an add form) is not
    registered, and no route of the project serves it."""
    from django.contrib import admin
    from rest_framework.authtoken.models import Token, TokenProxy

    assert not admin.site.is_registered(TokenProxy) and not admin.site.is_registered(Token)
    assert not [route for route in T.resolver_routes() if "authtoken" in route]
