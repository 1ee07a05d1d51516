"""Members through the REST API: MEM-1 (records), MEM-2 (member types), MEM-3 (unique e-mail, release),
MEM-8 (name and status are the secretariat's to change)."""

from __future__ import annotations

import datetime

import pytest

from backoffice import clock
from backoffice.models import AuditEntry
from members.models import APass, Member, MemberEmailChange, MemberType
from members.factories import MemberFactory

from .helpers import assert_error, history, last_audit, make_member, state

pytestmark = pytest.mark.django_db

MEMBER_FIELDS = {
    "id", "kind", "member_number", "name", "name_kana", "organization", "email", "member_type", "status",
    "status_label", "apass_linked", "scheduled_withdrawal_date", "affiliation", "phone", "created_at",
}


def new_member(**overrides) -> dict:
    body = {"name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp", "member_type": "regular"}
    body.update(overrides)
    return body


# --- MEM-1 ---------------------------------------------------------------------------------------------


def test_mem1_create_individual_member_as_applying_today(api, society, regular_type, staff_op):
    audits = AuditEntry.objects.count()
    r = api.post("/api/v1/members/", new_member(affiliation="東京大学 医学部", phone="03-1234-5678"), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert MEMBER_FIELDS <= set(body)
    assert body["kind"] == "individual"
    assert body["member_number"] is None
    assert body["name"] == "山田 太郎"
    assert body["name_kana"] == "ヤマダ タロウ"
    assert body["email"] == "taro@example.jp"
    assert body["member_type"] == "regular"
    assert body["status"] == "applying"
    assert body["apass_linked"] is False
    assert body["affiliation"] == "東京大学 医学部"
    assert body["phone"] == "03-1234-5678"
    assert body["scheduled_withdrawal_date"] is None
    datetime.datetime.fromisoformat(body["created_at"])  # ISO 8601 with offset
    assert "+" in body["created_at"][10:]

    member = Member.objects.get(pk=body["id"])
    assert member.society == society
    assert history(member) == [("applying", clock.today(society))]

    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member.created"
    assert entry.actor_label == staff_op.email
    assert entry.actor_user_id == staff_op.pk
    assert entry.society_id == society.pk
    assert entry.target_id == str(member.pk)
    assert entry.before is None
    assert entry.after["email"] == "taro@example.jp"
    assert entry.after["status"] == "applying"
    assert entry.after["application_date"] == clock.today(society).isoformat()


def test_mem1_create_with_application_date(api, regular_type):
    r = api.post("/api/v1/members/", new_member(application_date="2025-04-01"), format="json")
    assert r.status_code == 201, r.json()
    assert history(Member.objects.get(pk=r.json()["id"])) == [("applying", datetime.date(2025, 4, 1))]


def test_mem1_create_corporate_member_with_organisation_and_contact(api, regular_type):
    r = api.post(
        "/api/v1/members/",
        new_member(kind="corporate", organization="株式会社アトラス製薬", name="連絡 一郎", email="corp@atlas.example.jp"),
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == "corporate"
    assert body["organization"] == "株式会社アトラス製薬"
    assert body["name"] == "連絡 一郎"  # the contact person (連絡者)


def test_mem1_corporate_member_without_organisation_refused(api, regular_type):
    before = state()
    r = api.post("/api/v1/members/", new_member(kind="corporate"), format="json")
    body = assert_error(r, 400, "invalid")
    assert "organization" in body["fields"]
    assert state() == before


def test_mem1_unknown_kind_refused(api, regular_type):
    before = state()
    body = assert_error(api.post("/api/v1/members/", new_member(kind="family"), format="json"), 400, "invalid")
    assert "kind" in body["fields"]
    assert state() == before


def test_mem1_detail_and_edit(api, society, regular_type, student_type, staff_op):
    member = make_member(society, regular_type)
    r = api.get(f"/api/v1/members/{member.pk}/")
    assert r.status_code == 200
    assert MEMBER_FIELDS <= set(r.json())
    assert r.json()["status"] == "active"
    assert r.json()["status_label"]

    audits = AuditEntry.objects.count()
    r = api.patch(
        f"/api/v1/members/{member.pk}/",
        {"affiliation": "京都大学", "member_type": "student", "scheduled_withdrawal_date": "2027-03-31",
         "postal_code": "606-8501", "address": "京都府京都市左京区吉田本町"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["affiliation"] == "京都大学"
    assert body["member_type"] == "student"
    assert body["scheduled_withdrawal_date"] == "2027-03-31"
    member.refresh_from_db()
    assert member.member_type == student_type
    assert member.address == "京都府京都市左京区吉田本町"

    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member.updated"
    assert entry.actor_label == staff_op.email
    assert entry.before["member_type"] == "regular"
    assert entry.after["member_type"] == "student"
    assert entry.after["scheduled_withdrawal_date"] == "2027-03-31"
    assert "name" not in entry.after  # only what changed


def test_mem1_edit_with_unknown_member_type_refused(api, society, regular_type):
    member = make_member(society, regular_type)
    before = state()
    body = assert_error(api.patch(f"/api/v1/members/{member.pk}/", {"member_type": "honorary"}, format="json"),
                        400, "invalid")
    assert "member_type" in body["fields"]
    assert state() == before


def test_mem1_put_is_not_offered(api, society, regular_type):
    member = make_member(society, regular_type)
    assert_error(api.put(f"/api/v1/members/{member.pk}/", new_member(), format="json"), 405, "invalid")


# --- MEM-2 ---------------------------------------------------------------------------------------------


def test_mem2_member_types_listed_with_fee(api, regular_type, student_type, other_society):
    MemberType.objects.create(society=other_society, code="foreign", name="他学会", annual_fee=1)
    r = api.get("/api/v1/member-types/")
    assert r.status_code == 200
    assert r.json() == [
        {"code": "regular", "name": "正会員", "annual_fee": 10_000},
        {"code": "student", "name": "学生会員", "annual_fee": 3_000},
    ]


def test_mem2_admin_creates_member_type_with_zero_fee(admin_api, society, admin_op):
    audits = AuditEntry.objects.count()
    r = admin_api.post("/api/v1/member-types/", {"code": "honorary", "name": "名誉会員", "annual_fee": 0}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json() == {"code": "honorary", "name": "名誉会員", "annual_fee": 0}
    assert MemberType.objects.get(society=society, code="honorary").annual_fee == 0
    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member_type.created"
    assert entry.actor_label == admin_op.email
    assert entry.after == {"code": "honorary", "name": "名誉会員", "annual_fee": 0, "sort_order": 0}


def test_mem2_member_type_fee_full_width_accepted(admin_api, society):
    r = admin_api.post("/api/v1/member-types/", {"code": "senior", "name": "シニア会員", "annual_fee": "５０００"},
                       format="json")
    assert r.status_code == 201, r.json()
    assert MemberType.objects.get(society=society, code="senior").annual_fee == 5000


def test_mem2_member_type_create_is_admin_only(api, viewer_api, society):
    before = state()
    for client in (api, viewer_api):
        r = client.post("/api/v1/member-types/", {"code": "x", "name": "X", "annual_fee": 0}, format="json")
        assert_error(r, 403, "permission_denied")
    assert state() == before


def test_mem2_member_type_duplicate_code_refused(admin_api, regular_type):
    """Issue 13 §0: the conflict has its own code, member_type_code_taken (it was the generic invalid)."""
    before = state()
    r = admin_api.post("/api/v1/member-types/", {"code": "regular", "name": "別名", "annual_fee": 1}, format="json")
    body = assert_error(r, 409, "member_type_code_taken")
    assert "code" in body["fields"]
    assert state() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"code": "neg", "name": "負", "annual_fee": -1}, "annual_fee"),
        ({"code": "abc", "name": "文字", "annual_fee": "abc"}, "annual_fee"),
        ({"code": "has space", "name": "空白", "annual_fee": 1}, "code"),
        ({"code": "nameless", "annual_fee": 1}, "name"),
        ({"code": "long", "name": "x" * 101, "annual_fee": 1}, "name"),
    ],
)
def test_mem2_member_type_bad_input_refused(admin_api, society, payload, field):
    before = state()
    body = assert_error(admin_api.post("/api/v1/member-types/", payload, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert state() == before


# --- MEM-3 ---------------------------------------------------------------------------------------------


def test_mem3_email_unique_whatever_the_status(api, society, regular_type):
    make_member(society, regular_type, status="withdrawn", email="taro@example.jp")
    before = state()
    r = api.post("/api/v1/members/", new_member(email="TARO@Example.JP"), format="json")
    body = assert_error(r, 409, "email_in_use")
    assert "email" in body["fields"]
    assert state() == before


def test_mem3_email_in_use_on_edit_refused(api, society, regular_type):
    make_member(society, regular_type, email="taken@example.jp")
    member = make_member(society, regular_type, email="mine@example.jp")
    before = state()
    body = assert_error(api.patch(f"/api/v1/members/{member.pk}/", {"email": "Taken@example.jp"}, format="json"),
                        409, "email_in_use")
    assert "email" in body["fields"]
    assert state() == before


def test_mem3_same_email_in_another_society_allowed(api, society, regular_type, other_society):
    MemberFactory(society=other_society, email="taro@example.jp")
    r = api.post("/api/v1/members/", new_member(), format="json")
    assert r.status_code == 201, r.json()


def test_mem3_email_edit_kept_in_history(api, society, regular_type, staff_op):
    member = make_member(society, regular_type, email="old@example.jp")
    r = api.patch(f"/api/v1/members/{member.pk}/", {"email": "New@Example.jp"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["email"] == "new@example.jp"
    change = MemberEmailChange.objects.get(member=member)
    assert (change.old_email, change.new_email, change.reason) == ("old@example.jp", "new@example.jp", "edited")
    assert change.actor_label == staff_op.email
    entry = last_audit()
    assert entry.action == "members.member.updated"
    assert entry.before == {"email": "old@example.jp"}
    assert entry.after == {"email": "new@example.jp"}


@pytest.mark.parametrize("ended", ["withdrawn", "expelled", "application_withdrawn"])
def test_mem3_release_email_of_ended_record_then_reapply(api, society, regular_type, staff_op, ended):
    old = make_member(society, regular_type, status=ended, email="taro@example.jp")
    audits = AuditEntry.objects.count()
    r = api.post(f"/api/v1/members/{old.pk}/release-email/", {"note": "再入会のため"}, format="json")
    assert r.status_code == 200, r.json()
    released = r.json()["email"]
    assert released != "taro@example.jp"
    assert r.json()["id"] == old.pk
    assert r.json()["status"] == ended
    old.refresh_from_db()
    assert old.email == released

    change = MemberEmailChange.objects.get(member=old)
    assert change.old_email == "taro@example.jp"
    assert change.new_email == released
    assert change.reason == "released"
    assert change.note == "再入会のため"
    assert change.actor_label == staff_op.email

    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member.email_released"
    assert entry.actor_label == staff_op.email
    assert entry.before == {"email": "taro@example.jp"}
    assert entry.after["email"] == released

    # The person re-applies as a new record with the old address.
    r = api.post("/api/v1/members/", new_member(email="taro@example.jp"), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["id"] != old.pk


def test_mem3_release_email_twice_gives_distinct_addresses(api, society, regular_type):
    first = make_member(society, regular_type, status="withdrawn", email="taro@example.jp")
    assert api.post(f"/api/v1/members/{first.pk}/release-email/", {}, format="json").status_code == 200
    second = make_member(society, regular_type, status="withdrawn", email="taro@example.jp")
    r = api.post(f"/api/v1/members/{second.pk}/release-email/", {}, format="json")
    assert r.status_code == 200, r.json()
    first.refresh_from_db()
    second.refresh_from_db()
    assert len({first.email, second.email, "taro@example.jp"}) == 3


@pytest.mark.parametrize("current", ["applying", "active"])
def test_mem3_release_email_refused_unless_withdrawn(api, society, regular_type, current):
    member = make_member(society, regular_type, status=current, email="taro@example.jp")
    before = state()
    assert_error(api.post(f"/api/v1/members/{member.pk}/release-email/", {}, format="json"), 409, "member_not_withdrawn")
    assert state() == before


def test_mem3_release_email_refused_while_withdrawal_only_scheduled(api, society, regular_type):
    member = make_member(society, regular_type, status="active", email="taro@example.jp")
    tomorrow = clock.today(society) + datetime.timedelta(days=1)
    member.statuses.create(status="withdrawn", effective_date=tomorrow)  # scheduled, not yet current
    before = state()
    assert_error(api.post(f"/api/v1/members/{member.pk}/release-email/", {}, format="json"), 409, "member_not_withdrawn")
    assert state() == before


def test_mem3_release_email_refused_while_linked_to_apass(api, society, regular_type):
    member = make_member(society, regular_type, status="withdrawn", email="taro@example.jp")
    member.apass = APass.objects.create(email="taro@example.jp", password="!")
    member.save()
    before = state()
    assert_error(api.post(f"/api/v1/members/{member.pk}/release-email/", {}, format="json"), 409, "email_locked_by_apass")
    assert state() == before


def test_mem3_linked_member_email_cannot_be_edited(api, society, regular_type):
    member = make_member(society, regular_type, email="taro@example.jp")
    member.apass = APass.objects.create(email="taro@example.jp", password="!")
    member.save()
    before = state()
    assert_error(api.patch(f"/api/v1/members/{member.pk}/", {"email": "new@example.jp"}, format="json"),
                 409, "email_locked_by_apass")
    assert state() == before
    # Sending the unchanged address with other edits is fine.
    r = api.patch(f"/api/v1/members/{member.pk}/", {"email": "TARO@example.jp", "affiliation": "新所属"}, format="json")
    assert r.status_code == 200, r.json()


def test_mem3_email_in_use_message_in_english_on_request(api, society, regular_type):
    make_member(society, regular_type, email="taro@example.jp")
    r = api.post("/api/v1/members/", new_member(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_error(r, 409, "email_in_use")
    assert body["detail"] == "This e-mail address is already in use."


def test_mem3_email_in_use_message_in_japanese(api, society, regular_type):
    make_member(society, regular_type, email="taro@example.jp")
    body = assert_error(api.post("/api/v1/members/", new_member(), format="json"), 409, "email_in_use")
    assert body["detail"] == "このメールアドレスは既に使用されています。"
    assert body["fields"]["email"] == ["このメールアドレスは既に使用されています。"]


# --- MEM-8 ---------------------------------------------------------------------------------------------


def test_mem8_member_patch_cannot_change_status_or_number(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    before_history = history(member)
    r = api.patch(f"/api/v1/members/{member.pk}/",
                  {"status": "withdrawn", "status_label": "退会", "member_number": "999999"}, format="json")
    # status and member_number are not editable fields: ignored, never applied.
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "active"
    assert r.json()["member_number"] is None
    assert history(member) == before_history
    member.refresh_from_db()
    assert member.member_number is None


def test_mem8_name_change_is_a_secretariat_action_in_the_audit_trail(api, society, regular_type, staff_op):
    member = make_member(society, regular_type, name="山田 太郎", name_kana="ヤマダ タロウ")
    audits = AuditEntry.objects.count()
    r = api.patch(f"/api/v1/members/{member.pk}/", {"name": "田中 太郎", "name_kana": "タナカ タロウ"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["name"] == "田中 太郎"
    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member.updated"
    assert entry.actor_label == staff_op.email
    assert entry.actor_user_id == staff_op.pk
    assert entry.before == {"name": "山田 太郎", "name_kana": "ヤマダ タロウ"}
    assert entry.after == {"name": "田中 太郎", "name_kana": "タナカ タロウ"}
    # The search keys follow the new name.
    assert [m["id"] for m in api.get("/api/v1/members/?q=たなか").json()["results"]] == [member.pk]
    assert api.get("/api/v1/members/?q=やまだ").json()["results"] == []


def test_mem8_viewer_cannot_change_a_name(viewer_api, society, regular_type):
    member = make_member(society, regular_type, name="山田 太郎")
    before = state()
    assert_error(viewer_api.patch(f"/api/v1/members/{member.pk}/", {"name": "別人"}, format="json"),
                 403, "permission_denied")
    assert state() == before


def test_mem8_service_refuses_status_and_number_as_member_fields(society, regular_type):
    from backoffice.errors import DomainError
    from members import services

    member = make_member(society, regular_type, status="active")
    before = state()
    for field, value in (("status", "withdrawn"), ("member_number", "000001"), ("society", society)):
        with pytest.raises(DomainError) as exc:
            services.member_update(actor="system: test", member=member, **{field: value})
        assert exc.value.code == "invalid"
    assert state() == before
