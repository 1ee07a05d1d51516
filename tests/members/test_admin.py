"""The secretariat's admin screens: [個人会員検索], [法人会員検索], [会員情報変更], [会員状況変更],
[会員状況の一括更新], [会員番号採番], with scoping (SOC-2) and roles (SOC-3)."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from backoffice.models import AuditEntry
from members.models import APass, Member, MemberAdjustment, MemberStatus, Status
from members.factories import MemberFactory, create_member_with_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


@pytest.fixture
def active_member(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                      name="佐藤 花子", name_kana="サトウ ハナコ", email="hanako@example.ac.jp")


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context and "messages" in response.context else []


def test_soc3_soc4_operator_signs_in_at_the_society_page_and_is_sent_there_from_the_general_page(client, staff_op):
    r = client.post("/office/jsbo/login/?next=/admin/", {"username": "STAFF@jsbo.example.jp",
                                                         "password": "password-123", "next": "/admin/"})
    assert r.status_code == 302 and r.url == "/admin/"
    client.logout()
    r = client.post("/admin/login/", {"society": "ｊｓｂｏ", "username": "staff@jsbo.example.jp", "password": "password-123"})
    assert r.status_code == 200
    assert "/office/jsbo/login/" in r.content.decode()  # which page is theirs (the password was right)
    r = client.post("/admin/login/", {"society": "other", "username": "staff@jsbo.example.jp", "password": "password-123"})
    assert r.status_code == 200
    assert "メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。" in r.content.decode()


def test_mem10_individual_member_search_page_named_and_chain_mark(staff_client, active_member, society, regular_type):
    # named here: the factory's names follow a sequence the tests before this one advance (one may be a サトウ)
    linked = MemberFactory(society=society, member_type=regular_type, email="linked@example.ac.jp",
                           name="鈴木 一郎", name_kana="スズキ イチロウ",
                           apass=APass.objects.create(email="linked@example.ac.jp", password="!"))
    MemberStatus.objects.create(member=linked, status=Status.APPLYING, effective_date=datetime.date(2025, 4, 1))
    r = staff_client.get("/admin/members/member/")
    html = r.content.decode()
    assert "個人会員検索" in html
    assert "会員情報変更" in html and "会員状況変更" in html
    assert html.count('class="chain-mark"') == 1
    r = staff_client.get("/admin/members/member/", {"q": "さとう"})
    assert [m.pk for m in r.context["cl"].result_list] == [active_member.pk]
    r = staff_client.get("/admin/members/member/", {"q": "ｻﾄｳ"})
    assert [m.pk for m in r.context["cl"].result_list] == [active_member.pk]


def test_mem10_search_page_query_count_is_bounded(staff_client, society, regular_type, django_assert_max_num_queries):
    for _ in range(40):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    with django_assert_max_num_queries(14):
        r = staff_client.get("/admin/members/member/")
    assert r.status_code == 200 and len(r.context["cl"].result_list) == 40


def test_mem1_corporate_member_search_lists_only_corporate(staff_client, society, regular_type, active_member):
    corp = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, corporate=True,
                                      organization="株式会社アトラス製薬")
    r = staff_client.get("/admin/members/corporatemember/")
    assert "法人会員検索" in r.content.decode()
    assert [m.pk for m in r.context["cl"].result_list] == [corp.pk]


def test_mem1_register_member_from_admin(staff_client, society, regular_type):
    r = staff_client.post("/admin/members/member/add/", {
        "name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "ＴＡＲＯ@example.jp", "member_type": regular_type.pk,
        "phone": "０３－１１１１－２２２２", "application_date": "２０２６－０４－０１",
    })
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    member = Member.objects.get(email="taro@example.jp")
    assert member.phone == "03-1111-2222"
    assert member.statuses.get().effective_date == datetime.date(2026, 4, 1)
    assert AuditEntry.objects.filter(action="members.member.created", target_id=str(member.pk)).count() == 1


def test_mem3_admin_edit_with_used_email_shows_manual_message(staff_client, active_member, society, regular_type):
    other = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type,
                                       email="old@example.ac.jp")
    r = staff_client.get(f"/admin/members/member/{active_member.pk}/change/")
    assert "会員情報変更" in r.content.decode()
    data = {"name": active_member.name, "name_kana": active_member.name_kana, "email": "OLD@example.ac.jp",
            "member_type": regular_type.pk, "affiliation": "", "phone": "", "postal_code": "", "address": "",
            "scheduled_withdrawal_date": ""}
    r = staff_client.post(f"/admin/members/member/{active_member.pk}/change/", data)
    assert r.status_code == 200
    assert "このメールアドレスは既に使用されています。" in r.content.decode()
    active_member.refresh_from_db()
    assert active_member.email == "hanako@example.ac.jp"
    assert other.email == "old@example.ac.jp"


def test_mem5_status_page_refuses_same_day_and_allows_editing_applying_into_active(staff_client, society, regular_type):
    member = create_member_with_history(Status.APPLYING, society=society, member_type=regular_type,
                                        applied_on=datetime.date(2026, 4, 1))
    url = f"/admin/members/member/{member.pk}/status/"
    r = staff_client.get(url)
    html = r.content.decode()
    assert "会員状況履歴" in html and "会員状況変更・変更予定登録" in html
    r = staff_client.post(url, {"add-status": "active", "add-effective_date": "2026-04-01", "add": "1"}, follow=True)
    assert "同日で2つの会員状況を登録することはできません。" in r.content.decode()
    assert member.statuses.count() == 1
    entry = member.statuses.get()
    r = staff_client.post(url, {"edit-entry": entry.pk, "edit-status": "active", "edit-effective_date": "2026-04-01",
                                "edit": "1"})
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Status.ACTIVE
    assert AuditEntry.objects.filter(action="members.member.status_edited").count() == 1


def test_mem7_withdraw_application_from_status_page(staff_client, society, regular_type):
    member = create_member_with_history(Status.APPLYING, society=society, member_type=regular_type,
                                        applied_on=datetime.date(2026, 4, 1))
    r = staff_client.get(f"/admin/members/member/{member.pk}/status/")
    assert "入会申請取下" in r.content.decode()
    r = staff_client.post(f"/admin/members/member/{member.pk}/status/",
                          {"withdraw-effective_date": "2026-04-03", "withdraw": "1"})
    assert r.status_code == 302
    assert member.statuses.order_by("-effective_date").first().status == Status.APPLICATION_WITHDRAWN
    assert AuditEntry.objects.filter(action="members.member.application_withdrawn").count() == 1


def test_mem6_bulk_status_action_refuses_too_early_date_naming_it(staff_client, society, regular_type):
    a = create_member_with_history(Status.APPLYING, society=society, member_type=regular_type,
                                   applied_on=datetime.date(2018, 9, 20))
    b = create_member_with_history(Status.APPLYING, society=society, member_type=regular_type,
                                   applied_on=datetime.date(2018, 9, 25))
    base = {"action": "bulk_status_action", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}
    r = staff_client.post("/admin/members/member/", base)
    assert "会員状況の一括更新" in r.content.decode()
    assert "2018-09-26" in r.content.decode()
    r = staff_client.post("/admin/members/member/", {**base, "apply": "1", "status": "active",
                                                     "effective_date": "2018-09-25"})
    assert "2018-09-26" in r.content.decode()
    assert MemberStatus.objects.filter(status=Status.ACTIVE).count() == 0
    r = staff_client.post("/admin/members/member/", {**base, "apply": "1", "status": "active",
                                                     "effective_date": "2018-09-26"})
    assert r.status_code == 302
    assert MemberStatus.objects.filter(status=Status.ACTIVE, effective_date=datetime.date(2018, 9, 26)).count() == 2


def test_num2_numbers_screen_refuses_gap_and_taken_number(staff_client, society, regular_type):
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, member_number="000007",
                               name="既存 会員")
    p1 = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    p2 = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    r = staff_client.get("/admin/members/member/numbers/")
    html = r.content.decode()
    assert "会員番号採番" in html
    assert 'value="000008"' in html and 'value="000009"' in html
    r = staff_client.post("/admin/members/member/numbers/", {f"number_{p1.pk}": "000008", f"number_{p2.pk}": ""})
    assert "抜けのないように会員番号を採番してください" in r.content.decode()
    r = staff_client.post("/admin/members/member/numbers/", {f"number_{p1.pk}": "000007", f"number_{p2.pk}": "000009"})
    assert "既存 会員" in r.content.decode()
    assert Member.objects.filter(member_number__isnull=True).count() == 2
    r = staff_client.post("/admin/members/member/numbers/", {f"number_{p1.pk}": "０００００８", f"number_{p2.pk}": "000009"})
    assert r.status_code == 302
    assert sorted(Member.objects.values_list("member_number", flat=True)) == ["000007", "000008", "000009"]


def test_mem3_release_email_from_admin(staff_client, society, regular_type):
    w = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type, email="back@example.jp")
    r = staff_client.post(f"/admin/members/member/{w.pk}/release-email/", {"note": "再入会のため"})
    assert r.status_code == 302
    w.refresh_from_db()
    assert w.email != "back@example.jp"
    assert w.email_changes.get().old_email == "back@example.jp"


def test_adj1_add_adjustment_from_admin(staff_client, active_member):
    r = staff_client.post(f"/admin/members/member/{active_member.pk}/adjustments/",
                          {"kind": "one_time", "amount": "－２０００", "note": "減額"})
    assert r.status_code == 302
    assert MemberAdjustment.objects.get(member=active_member).amount == -2000


def test_soc2_other_society_operator_sees_nothing_in_admin(client, other_op, active_member):
    client.force_login(other_op)
    r = client.get("/admin/members/member/")
    assert r.context["cl"].result_count == 0
    for url in (f"/admin/members/member/{active_member.pk}/change/", f"/admin/members/member/{active_member.pk}/status/",
                f"/admin/members/member/{active_member.pk}/adjustments/"):
        r = client.get(url, follow=True)
        assert r.status_code == 404 or active_member.name not in r.content.decode()
    r = client.post(f"/admin/members/member/{active_member.pk}/status/",
                    {"add-status": "withdrawn", "add-effective_date": "2030-01-01", "add": "1"})
    assert r.status_code == 404
    assert active_member.statuses.count() == 2


def test_soc3_viewer_can_read_but_not_write(client, viewer_op, active_member):
    client.force_login(viewer_op)
    assert client.get("/admin/members/member/").status_code == 200
    r = client.post(f"/admin/members/member/{active_member.pk}/status/",
                    {"add-status": "withdrawn", "add-effective_date": "2030-01-01", "add": "1"})
    assert r.status_code == 403
    assert client.get("/admin/members/member/add/").status_code == 403
    assert active_member.statuses.count() == 2


def test_soc3_only_admins_manage_operators(client, staff_op, admin_op):
    client.force_login(staff_op)
    assert client.get("/admin/members/operator/").status_code == 403
    client.force_login(admin_op)
    r = client.post("/admin/members/operator/add/", {"email": "new@jsbo.example.jp", "name": "新人", "role": "staff",
                                                     "is_active": "on", "password": "long-enough-1"})
    assert r.status_code == 302
    r = client.post("/admin/members/operator/add/", {"email": "NEW@jsbo.example.jp", "name": "重複", "role": "staff",
                                                     "is_active": "on", "password": "long-enough-1"})
    assert r.status_code == 200  # SOC-5: one e-mail per society
    assert AuditEntry.objects.filter(action="members.operator.created").count() == 1


def test_sec1_audit_history_is_viewable_per_object(staff_client, active_member):
    staff_client.post(f"/admin/members/member/{active_member.pk}/adjustments/", {"kind": "permanent", "amount": "-500"})
    r = staff_client.get(f"/admin/members/member/{active_member.pk}/history/")
    html = r.content.decode()
    assert "会員調整額登録" in html  # the action's label, not its code (the 履歴 page is tested in tests/backoffice)
    assert "members.adjustment.added" not in html


def test_soc3_platform_superuser_signs_in_without_society_and_sees_all(client, active_member, other_society):
    from django.core.management import call_command

    call_command("createsuperuser", username="root@example.jp", interactive=False)
    from members.models import Operator

    root = Operator.objects.get(email="root@example.jp", society__isnull=True)
    root.set_password("root-pass-123")
    root.save()
    r = client.post("/admin/login/", {"society": "", "username": "root@example.jp", "password": "root-pass-123",
                                      "next": "/admin/"})
    assert r.status_code == 302
    r = client.get("/admin/members/member/")
    assert active_member.pk in [m.pk for m in r.context["cl"].result_list]


def test_soc2_member_type_autocomplete_offers_only_own_society(staff_client, regular_type, other_society):
    from members.factories import MemberTypeFactory

    MemberTypeFactory(society=other_society, code="foreign", name="他学会の正会員")
    r = staff_client.get("/admin/autocomplete/", {"app_label": "members", "model_name": "member",
                                                  "field_name": "member_type", "term": "正会員"})
    assert r.status_code == 200
    assert [item["text"] for item in r.json()["results"]] == ["正会員"]


def test_soc2_member_form_offers_only_own_society_member_types(staff_client, regular_type, other_society):
    from members.factories import MemberTypeFactory

    foreign = MemberTypeFactory(society=other_society, code="foreign", name="他学会の正会員")
    r = staff_client.post("/admin/members/member/add/", {"name": "越境 太郎", "email": "x@example.jp",
                                                         "member_type": foreign.pk})
    assert r.status_code == 200
    assert "member_type" in r.context["adminform"].form.errors
    assert not Member.objects.exists()


def test_aps3_linked_member_email_cannot_be_edited_on_member_information_screen(staff_client, society, regular_type):
    apass = APass.objects.create(email="linked@example.ac.jp", password="!")
    member = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                        email="linked@example.ac.jp", apass=apass)
    r = staff_client.get(f"/admin/members/member/{member.pk}/change/")
    assert r.context["adminform"].form.fields["email"].disabled
    data = {"name": "改名 後", "name_kana": "", "email": "hijack@example.jp", "member_type": regular_type.pk,
            "affiliation": "", "phone": "", "postal_code": "", "address": "", "scheduled_withdrawal_date": ""}
    r = staff_client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert r.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.email) == ("改名 後", "linked@example.ac.jp")


def test_mem1_corporate_member_screen_names_the_contact_person(staff_client, society, regular_type):
    r = staff_client.get("/admin/members/corporatemember/add/")
    html = r.content.decode()
    assert "連絡者氏名" in html and "法人名" in html
    r = staff_client.post("/admin/members/corporatemember/add/", {
        "organization": "株式会社アトラス製薬", "name": "山本 健一", "name_kana": "ヤマモト ケンイチ",
        "email": "contact@atlas.example.jp", "member_type": regular_type.pk})
    assert r.status_code == 302
    assert Member.objects.get().kind == Member.Kind.CORPORATE


def test_mem10_member_list_counts_at_most_the_cap(staff_client, society, regular_type, monkeypatch):
    from backoffice import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for _ in range(5):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    r = staff_client.get("/admin/members/member/")
    assert r.context["cl"].result_count == 3
    assert "3件以上" in r.content.decode()
    assert len(r.context["cl"].result_list) == 5  # every row is still listed
