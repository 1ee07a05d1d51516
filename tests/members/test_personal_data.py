"""SEC-5 (個人情報保護法): every opening of a member's record is recorded (who, when, from which screen or endpoint)
in a log of its own (``MemberAccess``, not the audit trail); an admin produces a member's disclosure — everything
the society holds on that person (API.md "Personal data") — over the API and as a download from [会員情報変更];
never a password or a hash."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from mail.services import mail_send
from members import services
from members.factories import MemberFactory
from members.models import APass, APassUnlink, MemberAccess, MemberEmailChange, MemberStatus, MyPageSignIn

pytestmark = pytest.mark.django_db

APASS_PASSWORD = "apass-secret-2026"


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="開示 花子", name_kana="カイジ ハナコ",
                         member_number="000777", email="hanako@example.ac.jp", phone="03-1234-5678")


@pytest.fixture
def everything(society, member, staff_op, admin_op):
    """One record of every kind the product keeps about a person."""
    MemberStatus.objects.create(member=member, status="active", effective_date=datetime.date(2026, 4, 1),
                                note="入会承認")
    services.member_update(actor=staff_op, member=member, affiliation="開示大学")  # an audit entry
    services.member_adjustment_add(actor=staff_op, member=member, kind="permanent", amount=-1000, note="学生割引")
    MemberEmailChange.objects.create(member=member, old_email="old-hanako@example.ac.jp",
                                     new_email="hanako@example.ac.jp", reason="edit", actor_label=staff_op.email)
    apass = APass.objects.create(email="hanako@example.ac.jp", recovery_contact="090-0000-0000",
                                 password=make_password(APASS_PASSWORD))
    old_apass = APass.objects.create(email="before@example.ac.jp", password="x")
    APassUnlink.objects.create(member=member, apass=old_apass, old_email="before@example.ac.jp",
                               new_email="hanako@example.ac.jp", actor_label=staff_op.email, at=timezone.now())
    member.refresh_from_db()
    member.apass, member.apass_linked_at = apass, timezone.now()
    member.save()
    MyPageSignIn.objects.create(society=society, apass=apass, member=member, typed_id="Hanako@example.ac.jp",
                                reason="ok", at=timezone.now(), client_address="192.0.2.7")
    invoice = InvoiceFactory(member=member, amount=10_000, fiscal_year=2026, name="2026年度 年会費")
    PaymentFactory(invoice=invoice, amount=4_000, method="bank_transfer", remarks="窓口入金")
    PaymentFactory(invoice=invoice, amount=1_000, method="bank_transfer", deleted_at=timezone.now(),
                   deleted_by=staff_op.email, deleted_reason="二重登録")
    mail_send(actor=staff_op, society=society, kind="payment_receipt", to=member.email, subject="領収書のお知らせ",
              body="開示 花子 様", member_id=member.pk)
    from support import services as support_services

    case = support_services.case_create(actor=staff_op, society=society, flow="login-trouble", member=member)
    services.member_access_record(actor=admin_op, member=member, via="admin", where="/admin/members/member/x/")
    return {"invoice": invoice, "case": case, "apass": apass}


def test_sec5_opening_a_record_in_the_api_is_recorded_lists_are_not(api, staff_op, member, django_assert_num_queries):
    assert api.get("/api/v1/members/").status_code == 200
    assert api.get(f"/api/v1/members/?q={member.name}").status_code == 200
    assert not MemberAccess.objects.exists()  # lists and searches are not openings
    assert api.get(f"/api/v1/members/{member.pk}/").status_code == 200
    access = MemberAccess.objects.get()
    assert (access.member, access.operator, access.operator_email, access.via) == (member, staff_op, staff_op.email,
                                                                                  "api")
    assert access.where == f"GET /api/v1/members/{member.pk}/"
    assert not AuditEntry.objects.filter(action__icontains="access").exists()  # not the audit chain


def test_sec5_opening_the_admin_page_is_recorded_with_one_insert(staff_op, member, django_assert_num_queries):
    client = Client()
    client.force_login(staff_op)
    url = f"/admin/members/member/{member.pk}/change/"
    client.get(url)  # warm caches (content types, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "members_memberaccess" in inserts[0]
    assert MemberAccess.objects.filter(member=member, via="admin", where=url).count() == 2
    client.get("/admin/members/member/")  # the list is not an opening
    assert MemberAccess.objects.count() == 2


def test_sec5_disclosure_holds_every_kind_of_record_and_no_password(admin_api, admin_op, member, everything):
    answer = admin_api.get(f"/api/v1/members/{member.pk}/disclosure/")
    assert answer.status_code == 200, answer.content[:500]
    assert answer["Cache-Control"] == "no-store"
    body = answer.json()
    for key in ("member", "statuses", "email_history", "apass", "sign_ins", "mails", "invoices", "payments",
                "cases", "audit", "accesses"):
        assert key in body, key
    assert body["member"]["name"] == "開示 花子" and body["member"]["phone"] == "03-1234-5678"
    assert body["member"]["affiliation"] == "開示大学"
    assert [s["note"] for s in body["statuses"]] == ["入会承認"]
    assert body["email_history"][0]["old_email"] == "old-hanako@example.ac.jp"
    assert body["adjustments"][0]["amount"] == -1000
    assert body["apass"]["email"] == "hanako@example.ac.jp"
    assert body["apass"]["recovery_contact_registered"] is True and body["apass"]["linked_at"]
    assert body["apass_unlinks"][0]["old_email"] == "before@example.ac.jp"
    assert body["sign_ins"][0]["typed_id"] == "Hanako@example.ac.jp"
    assert [m["subject"] for m in body["mails"]] == ["領収書のお知らせ"]
    assert [i["name"] for i in body["invoices"]] == ["2026年度 年会費"]
    assert sorted((p["amount"], p["deleted"]) for p in body["payments"]) == [(1_000, True), (4_000, False)]
    assert [c["id"] for c in body["cases"]] == [everything["case"].pk]
    assert any(e["action"] == "members.member.updated" for e in body["audit"])
    # the accesses: the one recorded before, and this reading of the disclosure itself
    assert [a["via"] for a in body["accesses"]][-1] == "admin"
    assert MemberAccess.objects.filter(member=member, where=f"GET /api/v1/members/{member.pk}/disclosure/").exists()
    text = answer.content.decode()
    for secret in (everything["apass"].password, "md5$", "pbkdf2_sha256$", "090-0000-0000", APASS_PASSWORD, '"password"'):
        assert secret not in text, secret


def test_sec5_accesses_newest_first_admins_only(admin_api, api, viewer_api, other_api, admin_op, staff_op, member):
    api.get(f"/api/v1/members/{member.pk}/")
    answer = admin_api.get(f"/api/v1/members/{member.pk}/accesses/")
    assert answer.status_code == 200
    rows = answer.json()
    assert [r["operator"] for r in rows] == [admin_op.email, staff_op.email]  # this reading is recorded too
    assert set(rows[0]) >= {"at", "operator", "via"} and rows[1]["via"] == "api"


@pytest.mark.parametrize("path", ["disclosure", "accesses"])
def test_sec5_non_admins_get_403_and_another_society_404(api, viewer_api, other_api, member, path):
    for client in (api, viewer_api):
        answer = client.get(f"/api/v1/members/{member.pk}/{path}/")
        assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    assert other_api.get(f"/api/v1/members/{member.pk}/{path}/").status_code == 404
    assert not MemberAccess.objects.exists()


def test_sec5_download_from_the_member_page_admins_only(admin_op, staff_op, member, everything):
    client = Client()
    client.force_login(admin_op)
    page = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "保有個人データの開示（ダウンロード）" in page
    url = f"/admin/members/member/{member.pk}/disclosure/"
    assert f'href="{url}"' in page
    answer = client.get(url)
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    assert "attachment" in answer["Content-Disposition"] and "000777" in answer["Content-Disposition"]
    body = json.loads(answer.content)
    assert body["member"]["member_number"] == "000777" and len(body["payments"]) == 2 and body["cases"]
    assert everything["apass"].password not in answer.content.decode()
    assert MemberAccess.objects.filter(member=member, where=url, operator=admin_op).exists()
    staff = Client()
    staff.force_login(staff_op)
    assert "保有個人データの開示" not in staff.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert staff.get(url).status_code == 403


def test_sec5_disclosure_queries_do_not_grow_with_the_records(admin_api, staff_op, member, everything, society):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from support import services as support_services

    url = f"/api/v1/members/{member.pk}/disclosure/"
    admin_api.get(url)
    with CaptureQueriesContext(connection) as first:
        admin_api.get(url)
    for _ in range(3):
        invoice = InvoiceFactory(member=member, amount=5_000, fiscal_year=2025)
        PaymentFactory(invoice=invoice, amount=5_000, method="bank_transfer")
        support_services.case_create(actor=staff_op, society=society, flow="login-trouble", member=member)
        services.member_update(actor=staff_op, member=member, affiliation=f"開示大学 {_}")
    with CaptureQueriesContext(connection) as second:
        body = admin_api.get(url).json()
    assert len(body["invoices"]) == 4 and len(body["cases"]) == 4
    assert len(second) == len(first) <= 25
