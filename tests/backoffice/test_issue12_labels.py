"""Issue 12 point 10: raw codes, English and stock phrases — each at its root (model ``__str__``, audit labels and
formats, the admin's wording, the side menu's order, the app index pages)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import translation

from backoffice import audit
from backoffice.audit_display import change_rows, target_display, target_model, viewer_timezone
from backoffice.models import AuditEntry
from billing.models import BankStatement, BankStatementRow, Payment
from members.models import Operator, Society

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("seed_demo", "--members", "20")
    capsys.readouterr()
    return Society.objects.get(slug="jsbo")


def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_issue12_p10_every_audit_key_of_the_demo_reads_in_japanese(demo):
    """No 「format / filename / rows / statement row / channel=offline / member=11」 and no 10000: every key an
    entry carries has a label, codes read as their labels and amounts as money."""
    raw = []
    with translation.override("ja"):
        for entry in AuditEntry.objects.all():
            model = target_model(entry)
            for key in {*_keys(entry.before), *_keys(entry.after)}:
                label = audit.field_label(key, action=entry.action, model=model)
                if re.fullmatch(r"[a-z_ ]+", label):
                    raw.append(f"{entry.action} {key} → {label}")
            for row in change_rows(entry, viewer_timezone(demo)):
                if row.key in ("channel", "format", "state") and re.fullmatch(r"[a-z_]+", row.after):
                    raw.append(f"{entry.action} {row.key} = {row.after}")
                if "amount" in row.key and re.fullmatch(r"\d{4,}", row.after):
                    raw.append(f"{entry.action} {row.key} = {row.after}")
    assert not sorted(set(raw))


def test_issue12_p10_statements_rows_and_payments_have_japanese_names(demo):
    with translation.override("ja"):
        statement = BankStatement.objects.filter(society=demo).first()
        row = BankStatementRow.objects.filter(statement=statement).first()
        payment = Payment.objects.filter(society=demo, amount__gte=1000).first()
        assert str(statement) == f"明細{statement.pk} シナリオ_入金明細.csv"
        assert str(row) == f"明細{statement.pk} {row.line}行目"  # the words of the payments' 備考
        assert str(payment) == f"領収書番号{payment.receipt_number} {payment.amount:,}円"
        entry = AuditEntry.objects.filter(action="billing.statement.imported", society_id=demo.pk).first()
        assert "object (" not in target_display(entry)


def test_issue12_p10_apass_lookup_with_two_fields_names_them_by_their_labels(client, staff_op):
    client.force_login(staff_op)
    r = client.get("/admin/members/member/apass-lookup/", {"email": "a@example.jp", "name": "山田"})
    page = r.content.decode()
    assert "メールアドレス、会員番号、電話番号、氏名のうち1つだけを入力してください。" in page
    assert "email、member_number" not in page


def test_issue12_p10_payment_history_filter_names_the_invoice_not_its_id(demo, client):
    client.force_login(Operator.objects.get(email="staff@jsbo.example.jp"))
    payment = Payment.objects.filter(society=demo).select_related("invoice").first()
    page = client.get("/admin/billing/payment/", {"invoice": payment.invoice_id}).content.decode()
    filters = page.split('id="changelist-filter"', 1)[1].split("</nav>", 1)[0]
    assert str(payment.invoice) in filters and f">{payment.invoice_id}<" not in filters


def test_issue12_p10_app_index_pages_lead_to_the_first_page(client, staff_op):
    client.force_login(staff_op)
    for app in ("members", "billing", "mail", "backoffice", "simulator"):
        r = client.get(f"/admin/{app}/")
        assert r.status_code == 302 and r["Location"] == "/admin/", app


def test_issue12_p10_side_menu_follows_the_first_page_order(demo, client):
    client.force_login(Operator.objects.get(email="staff@jsbo.example.jp"))
    home = client.get("/admin/").content.decode()
    first_page = re.findall(r'<tr id="shortcut-[^"]+"><th scope="row"><a href="([^"]+)"', home)
    page = client.get("/admin/members/membertype/").content.decode()
    sidebar = page.split('id="nav-sidebar"', 1)[1].split("</nav>", 1)[0]
    menu = re.findall(r'<th scope="row"><a href="([^"]+)"', sidebar)
    assert menu[: len(first_page)] == first_page and "ようこそ" not in page and "ログイン中:" in page
    assert menu[0] == "/admin/members/member/"  # 個人会員検索 first, not Django's app order (メール first)


def test_issue12_p10_member_type_list_shows_names_and_fees_as_money(demo, client):
    client.force_login(Operator.objects.get(email="viewer@jsbo.example.jp"))
    page = client.get("/admin/members/membertype/").content.decode()
    assert "10,000円" in page and ">10000<" not in page and ">regular<" not in page
