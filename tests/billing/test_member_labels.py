"""Issue 12 point 13: a member not numbered yet is named with the e-mail beside the name wherever one is picked or
listed — the invoice form's member autocomplete, [個人会員請求検索]'s member column, [入金履歴], the candidates of
[入金消込]'s [消込] form — so that the two 青木 翼 of the scenario 入金消込 never look the same. A numbered member
reads 「会員番号 氏名」."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from billing import statement_files
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BankStatementRow
from billing.services.statements import statement_import
from members.factories import MemberFactory, create_member_with_history
from members.models import Status

pytestmark = pytest.mark.django_db
FIRST, SECOND = "tsubasa.aoki@example.ac.jp", "tsubasa.aoki2@example.ac.jp"


@pytest.fixture
def namesakes(society, regular_type):
    return [create_member_with_history(Status.ACTIVE, applied_on=datetime.date(2015, 4, 1), society=society,
                                       member_type=regular_type, name="青木 翼", name_kana="アオキ ツバサ",
                                       member_number=None, email=email) for email in (FIRST, SECOND)]


def test_issue12_13_member_label_is_number_and_name_or_name_and_email(society, regular_type, namesakes):
    assert [str(m) for m in namesakes] == [f"青木 翼 ({FIRST})", f"青木 翼 ({SECOND})"]
    numbered = MemberFactory(society=society, member_type=regular_type, name="山田 太郎", member_number="000123")
    assert str(numbered) == "000123 山田 太郎"


def test_issue12_13_member_autocomplete_of_the_invoice_form_tells_namesakes_apart(staff_client, namesakes):
    response = staff_client.get(reverse("admin:autocomplete"), {
        "app_label": "billing", "model_name": "invoice", "field_name": "member", "term": "青木"})
    assert response.status_code == 200
    texts = [result["text"] for result in json.loads(response.content)["results"]]
    assert sorted(texts) == sorted([f"青木 翼 ({FIRST})", f"青木 翼 ({SECOND})"])


def test_issue12_13_invoice_list_and_payment_history_show_the_email_beside_the_name(staff_client, namesakes):
    for member in namesakes:
        PaymentFactory(invoice=InvoiceFactory(member=member))
    for url in (reverse("admin:billing_invoice_changelist"), reverse("admin:billing_payment_changelist")):
        page = staff_client.get(url).content.decode()
        assert f"青木 翼 ({FIRST})" in page and f"青木 翼 ({SECOND})" in page, url


def test_issue12_13_statement_match_candidates_tell_namesakes_apart(staff_client, staff_op, society, namesakes):
    for member in namesakes:
        InvoiceFactory(member=member, amount=10_000)
    statement = statement_import(actor=staff_op, society=society, file_format="csv",
                                 data=statement_files.write_csv([(datetime.date(2026, 5, 8), 10_000, "ｱｵｷ ﾂﾊﾞｻ")]))
    row = BankStatementRow.objects.get(statement=statement)
    assert row.state == "ambiguous"
    page = staff_client.get(f"/admin/billing/bankstatement/{statement.pk}/rows/{row.pk}/match/").content.decode()
    assert f"青木 翼 ({FIRST})" in page and f"青木 翼 ({SECOND})" in page


def test_issue12_13_lapse_candidates_to_tick_tell_namesakes_apart(staff_client, namesakes, this_year):
    for member in namesakes:
        for year in (this_year - 2, this_year - 1):
            InvoiceFactory(member=member, fiscal_year=year)
    page = staff_client.get("/admin/billing/lapsecandidate/").content.decode()
    assert f"青木 翼 ({FIRST})" in page and f"青木 翼 ({SECOND})" in page
