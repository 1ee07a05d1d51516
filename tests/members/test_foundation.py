"""Foundation, second pass: one service shape, one door in the admin, one place for who sees what, rules as
selectors, the society clock of a superuser, member number format and correction, 退会予定日 as one fact."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from members import selectors, services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.forms import MemberForm
from members.models import Member, MemberStatus, MemberType, Operator, Society, Status

from .helpers import assert_error, history, last_audit, make_member, state

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def admin_client(client, admin_op):
    client.force_login(admin_op)
    return client


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


# --- one service shape (SEC-1, SOC-3) ------------------------------------------------------------------


def test_soc3_service_checks_the_actor_before_touching_anything(society, regular_type, viewer_op):
    member = make_member(society, regular_type)
    before = state()
    with pytest.raises(DomainError) as refused:
        services.member_update(actor=viewer_op, member=member, name="書き換え")
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError):
        services.member_type_create(actor=viewer_op, society=society, code="x", name="X", annual_fee=0)
    assert state() == before


def test_soc3_staff_cannot_change_settings_through_the_service(society, staff_op, regular_type):
    with pytest.raises(DomainError) as refused:
        services.member_type_update(actor=staff_op, member_type=regular_type, annual_fee=1)
    assert refused.value.code == "permission_denied"
    regular_type.refresh_from_db()
    assert regular_type.annual_fee == 10_000


def test_soc2_service_refuses_another_societys_record_as_not_found(society, regular_type, other_op):
    member = make_member(society, regular_type)
    with pytest.raises(DomainError) as refused:
        services.member_update(actor=other_op, member=member, name="越境")
    assert refused.value.code == "not_found"
    member.refresh_from_db()
    assert member.name != "越境"


def test_sec1_services_are_keyword_only():
    with pytest.raises(TypeError):
        services.member_update("system: test", None)


def test_sec1_a_save_that_changed_nothing_writes_no_entry(api, society, regular_type):
    member = make_member(society, regular_type, affiliation="東京大学")
    audits = AuditEntry.objects.count()
    r = api.patch(f"/api/v1/members/{member.pk}/", {"affiliation": "東京大学", "name": member.name}, format="json")
    assert r.status_code == 200, r.json()
    assert AuditEntry.objects.count() == audits


def test_sec1_an_entry_holds_only_what_changed(api, society, regular_type):
    member = make_member(society, regular_type, affiliation="東京大学")
    api.patch(f"/api/v1/members/{member.pk}/", {"affiliation": "京都大学", "name": member.name}, format="json")
    entry = last_audit()
    assert (entry.before, entry.after) == ({"affiliation": "東京大学"}, {"affiliation": "京都大学"})


def test_mem7_withdrawing_an_application_is_one_act_whatever_the_door(api, staff_client, society, regular_type):
    by_api = make_member(society, regular_type, status="applying")
    r = api.post(f"/api/v1/members/{by_api.pk}/statuses/", {"status": "application_withdrawn",
                                                             "effective_date": "2024-04-10"}, format="json")
    assert r.status_code == 201, r.json()
    by_admin = make_member(society, regular_type, status="applying")
    r = staff_client.post(f"/admin/members/member/{by_admin.pk}/status/",
                          {"withdraw-effective_date": "2024-04-10", "withdraw": "1"})
    assert r.status_code == 302
    for member in (by_api, by_admin):
        actions = list(AuditEntry.objects.for_object(member).values_list("action", flat=True))
        assert actions == ["members.member.application_withdrawn"]


def test_sec1_admin_add_writes_our_audit_entry_and_not_djangos_log(staff_client, regular_type):
    r = staff_client.post("/admin/members/member/add/", {
        "name": "新規 太郎", "name_kana": "シンキ タロウ", "email": "new@example.jp", "member_type": regular_type.pk,
        "affiliation": "", "phone": "", "postal_code": "", "address": "", "scheduled_withdrawal_date": "",
        "application_date": ""})
    assert r.status_code == 302, r.content[:2000]
    member = Member.objects.get(email="new@example.jp")
    assert AuditEntry.objects.for_object(member).count() == 1
    assert not LogEntry.objects.exists()


def test_sec1_creating_an_inactive_operator_is_one_entry(admin_client, society):
    r = admin_client.post("/admin/members/operator/add/", {"email": "off@jsbo.example.jp", "name": "休止",
                                                           "role": "staff", "password": "long-enough-1"})
    assert r.status_code == 302
    operator = Operator.objects.get(email="off@jsbo.example.jp")
    assert operator.is_active is False
    (entry,) = AuditEntry.objects.for_object(operator)
    assert entry.action == "members.operator.created"
    assert entry.after["is_active"] is False
    assert not LogEntry.objects.exists()


def test_sec1_a_form_only_parses_and_never_writes(society, regular_type):
    form = MemberForm(data={"name": "佐藤 次郎", "email": "jiro@example.jp", "member_type": regular_type.pk})
    assert form.is_valid(), form.errors
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists()


def test_sec1_admin_refusal_lands_on_the_field_and_changes_nothing(staff_client, society, regular_type):
    make_member(society, regular_type, email="taken@example.jp")
    member = make_member(society, regular_type, email="mine@example.jp")
    before = state()
    r = staff_client.post(f"/admin/members/member/{member.pk}/change/", {
        "name": "佐藤 花子", "email": "taken@example.jp", "member_type": regular_type.pk})
    assert r.status_code == 200
    assert "このメールアドレスは既に使用されています。" in r.context["adminform"].form.errors["email"]
    assert state() == before


# --- one place for who sees what (SOC-2, SOC-3) -------------------------------------------------------


def test_soc2_visible_to_scopes_every_model(society, other_society, admin_op, other_op, regular_type):
    other_type = MemberTypeFactory(society=other_society, code="regular")
    mine = make_member(society, regular_type)
    theirs = make_member(other_society, other_type)
    assert list(Member.objects.visible_to(admin_op)) == [mine]
    assert list(Member.objects.visible_to(other_op)) == [theirs]
    assert list(MemberType.objects.visible_to(admin_op)) == [regular_type]
    assert list(Society.objects.visible_to(admin_op)) == [society]
    assert set(Operator.objects.visible_to(admin_op)) == {admin_op}
    root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
    assert set(Member.objects.visible_to(root)) == {mine, theirs}
    admin_op.is_active = False
    assert not Member.objects.visible_to(admin_op).exists()
    assert not Member.objects.visible_to(None).exists()


@pytest.mark.parametrize(("role", "write", "settings", "training"), [
    ("admin", True, True, True), ("staff", True, False, False), ("trainer", True, False, True),
    ("viewer", False, False, False),
])
def test_soc3_role_predicates(role, write, settings, training):
    sandbox = SocietyFactory(slug=f"sb-{role}", is_sandbox=True)
    operator = OperatorFactory(society=sandbox, role=role)
    assert (operator.can_write, operator.can_manage_settings, operator.can_use_training_tools) == (write, settings, training)
    assert operator.can_manage_platform is False
    real = OperatorFactory(society=SocietyFactory(slug=f"real-{role}"), role=role)
    assert real.can_use_training_tools is False


def test_soc3_society_admin_cannot_change_its_slug_or_contract_status(admin_client, admin_op, society):
    with pytest.raises(DomainError) as refused:
        services.society_update(actor=admin_op, society=society, contract_status="suspended")
    assert refused.value.code == "permission_denied"
    page = admin_client.get(f"/admin/members/society/{society.pk}/change/")
    assert page.status_code == 200
    assert "slug" not in page.context["adminform"].form.fields
    assert "contract_status" not in page.context["adminform"].form.fields
    r = admin_client.post(f"/admin/members/society/{society.pk}/change/", {
        "name": "改名学会", "slug": "hacked", "contract_status": "cancelled", "fiscal_year_start_month": 4,
        "bank_account_text": "", "lapse_threshold_years": 2, "timezone": "Asia/Tokyo",
        "member_number_prefix": "", "member_number_digits": 6})
    assert r.status_code == 302
    society.refresh_from_db()
    assert (society.name, society.slug, society.contract_status) == ("改名学会", "jsbo", "active")


def test_soc3_platform_superuser_sets_contract_status_and_slug(society, admin_op):
    root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
    services.society_update(actor=root, society=society, contract_status="suspended", slug="jsbo2")
    society.refresh_from_db()
    admin_op.refresh_from_db()
    assert (society.contract_status, society.slug) == ("suspended", "jsbo2")
    assert admin_op.username == "jsbo2/admin@jsbo.example.jp"  # signs in with the new 学会ID
    entry = last_audit()
    assert entry.action == "members.society.updated"
    assert entry.after == {"slug": "jsbo2", "contract_status": "suspended"}


# --- rules as selectors -----------------------------------------------------------------------------------


def test_mem2_annual_fee_cap_is_the_services(society, admin_op):
    with pytest.raises(DomainError) as refused:
        services.member_type_create(actor=admin_op, society=society, code="gold", name="特別", annual_fee=50_000_000)
    assert refused.value.code == "invalid"
    assert not MemberType.objects.filter(code="gold").exists()


def test_adj1_adjustment_bound_is_one_constant(society, regular_type, staff_op):
    member = make_member(society, regular_type)
    limit = selectors.MAX_ADJUSTMENT
    services.member_adjustment_add(actor=staff_op, member=member, kind="one_time", amount=-limit)
    with pytest.raises(DomainError):
        services.member_adjustment_add(actor=staff_op, member=member, kind="one_time", amount=limit + 1)


def test_mem4_status_page_offers_only_the_statuses_the_member_may_move_to(staff_client, society, regular_type):
    member = make_member(society, regular_type, status="active")
    r = staff_client.get(f"/admin/members/member/{member.pk}/status/")
    offered = [value for value, _label in r.context["add_form"].fields["status"].choices]
    assert offered == ["withdrawn", "expelled"]
    assert r.context["earliest_next_date"] == D(2024, 4, 16)
    assert r.context["can_withdraw_application"] is False


def test_mem4_superusers_list_reads_each_members_society_clock(client, regular_type):
    sandbox = SocietyFactory(slug="sandbox", is_sandbox=True, clock_offset=datetime.timedelta(days=400))
    sandbox_type = MemberTypeFactory(society=sandbox)
    member = make_member(sandbox, sandbox_type, status="active")
    future = clock.today(sandbox) - datetime.timedelta(days=10)  # in the sandbox's past, the real future
    MemberStatus.objects.create(member=member, status=Status.WITHDRAWN, effective_date=future)
    root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
    listed = selectors.visible_members(root).get(pk=member.pk)
    assert listed.current_status == Status.WITHDRAWN == member.status_on(clock.today(sandbox))
    client.force_login(root)
    r = client.get("/admin/members/member/")
    assert {m.pk: m.current_status for m in r.context["cl"].result_list}[member.pk] == Status.WITHDRAWN


# --- MEM-5 / MEM-7: the same-day application withdrawal --------------------------------------------------


def test_mem7_withdrawing_an_application_on_its_own_day_edits_the_applying_entry(staff_client, society, regular_type):
    member = make_member(society, regular_type, status="applying", applied_on=D(2024, 4, 1))
    r = staff_client.post(f"/admin/members/member/{member.pk}/status/",
                          {"withdraw-effective_date": "2024-04-01", "withdraw": "1"})
    assert r.status_code == 302
    assert history(member) == [("application_withdrawn", D(2024, 4, 1))]
    entry = last_audit()
    assert entry.action == "members.member.application_withdrawn"
    assert (entry.before["status"], entry.after["status"]) == ("applying", "application_withdrawn")


def test_mem5_same_day_withdrawal_entry_is_refused_with_the_right_advice(api, society, regular_type):
    member = make_member(society, regular_type, status="applying", applied_on=D(2024, 4, 1))
    body = assert_error(api.post(f"/api/v1/members/{member.pk}/statuses/",
                                 {"status": "application_withdrawn", "effective_date": "2024-04-01"}, format="json"),
                        409, "status_same_day")
    assert "入会申請取下" in body["detail"]
    assert "入会/在会" not in body["detail"]


# --- NUM-1 / NUM-2: format, holder, correction -------------------------------------------------------------


def test_num1_proposals_follow_the_society_number_format(api, society, regular_type):
    society.member_number_prefix, society.member_number_digits = "A", 4
    society.save()
    make_member(society, regular_type, member_number="A0041")
    make_member(society, regular_type)
    make_member(society, regular_type)
    assert api.get("/api/v1/member-numbers/pending/").json()["next_numbers"] == ["A0042", "A0043"]


def test_num2_a_number_outside_the_format_is_refused(api, society, regular_type):
    member = make_member(society, regular_type)
    before = state()
    body = assert_error(api.post("/api/v1/member-numbers/assign/",
                                 {"assignments": [{"member": member.pk, "member_number": "abc"}]}, format="json"),
                        400, "invalid")
    assert "000001" in body["detail"]  # shows how a number of this society is written
    assert state() == before


def test_num2_the_same_number_on_two_rows_names_both_rows(api, society, regular_type):
    a = make_member(society, regular_type, name="青木 一郎")
    b = make_member(society, regular_type, name="井上 二郎")
    body = assert_error(api.post("/api/v1/member-numbers/assign/", {"assignments": [
        {"member": a.pk, "member_number": "000007"}, {"member": b.pk, "member_number": "000007"}]}, format="json"),
        409, "member_number_taken")
    assert "青木 一郎" in body["detail"] and "井上 二郎" in body["detail"]


def test_num2_admin_corrects_a_wrong_number_keeping_the_old_in_the_history(admin_client, society, regular_type):
    member = make_member(society, regular_type, member_number="000099")
    r = admin_client.post(f"/admin/members/member/{member.pk}/member-number/",
                          {"member_number": "０００００５", "note": "採番誤り"})
    assert r.status_code == 302
    member.refresh_from_db()
    assert member.member_number == "000005"
    entry = last_audit()
    assert entry.action == "members.member_number.corrected"
    assert (entry.before, entry.after) == ({"member_number": "000099"}, {"member_number": "000005", "note": "採番誤り"})
    history_page = admin_client.get(f"/admin/members/member/{member.pk}/history/")
    assert "000099" in history_page.content.decode()


def test_num2_correction_refuses_a_taken_number_naming_its_holder(admin_api, society, regular_type):
    make_member(society, regular_type, member_number="000001", name="先客 花子")
    member = make_member(society, regular_type, member_number="000002")
    body = assert_error(admin_api.post(f"/api/v1/members/{member.pk}/member-number/", {"member_number": "000001"},
                                       format="json"), 409, "member_number_taken")
    assert "000001" in body["detail"] and "先客 花子" in body["detail"]


def test_num2_only_administrators_correct_numbers(api, staff_client, society, regular_type):
    member = make_member(society, regular_type, member_number="000003")
    assert_error(api.post(f"/api/v1/members/{member.pk}/member-number/", {"member_number": "000004"},
                          format="json"), 403, "permission_denied")
    assert staff_client.get(f"/admin/members/member/{member.pk}/member-number/").status_code == 403
    member.refresh_from_db()
    assert member.member_number == "000003"


# --- contact formats (SEC-3) and 退会予定日 as one fact ----------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("phone", "電話なし"), ("phone", "12"), ("postal_code", "abc-defg"),
                                              ("postal_code", "12345")])
def test_sec3_phone_and_postal_code_formats(api, society, regular_type, field, value):
    member = make_member(society, regular_type)
    before = state()
    body = assert_error(api.patch(f"/api/v1/members/{member.pk}/", {field: value}, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert state() == before


def test_sec3_postal_code_stored_with_its_hyphen(api, society, regular_type):
    member = make_member(society, regular_type)
    r = api.patch(f"/api/v1/members/{member.pk}/", {"postal_code": "１１３００３３", "phone": "(03) 1234 5678"},
                  format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["postal_code"], r.json()["phone"]) == ("113-0033", "(03) 1234 5678")


def test_mem4_setting_the_scheduled_withdrawal_date_schedules_the_withdrawal(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    r = api.patch(f"/api/v1/members/{member.pk}/", {"scheduled_withdrawal_date": "2099-03-31"}, format="json")
    assert r.status_code == 200, r.json()
    assert history(member)[-1] == ("withdrawn", D(2099, 3, 31))
    r = api.patch(f"/api/v1/members/{member.pk}/", {"scheduled_withdrawal_date": "2099-06-30"}, format="json")
    assert history(member)[-1] == ("withdrawn", D(2099, 6, 30))
    assert len(history(member)) == 3
    r = api.patch(f"/api/v1/members/{member.pk}/", {"scheduled_withdrawal_date": None}, format="json")
    assert r.status_code == 200, r.json()
    assert history(member)[-1][0] == "active"
    assert r.json()["scheduled_withdrawal_date"] is None


def test_mem4_a_scheduled_withdrawal_entry_shows_as_the_scheduled_withdrawal_date(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    r = api.post(f"/api/v1/members/{member.pk}/statuses/", {"status": "withdrawn", "effective_date": "2099-03-31"},
                 format="json")
    assert r.status_code == 201
    assert api.get(f"/api/v1/members/{member.pk}/").json()["scheduled_withdrawal_date"] == "2099-03-31"


def test_mem4_a_date_set_while_applying_is_scheduled_on_joining(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    api.patch(f"/api/v1/members/{member.pk}/", {"scheduled_withdrawal_date": "2099-03-31"}, format="json")
    assert history(member) == [("applying", D(2024, 4, 1))]
    r = api.post(f"/api/v1/members/{member.pk}/statuses/", {"status": "active", "effective_date": "2024-05-01"},
                 format="json")
    assert r.status_code == 201, r.json()
    assert history(member)[-2:] == [("active", D(2024, 5, 1)), ("withdrawn", D(2099, 3, 31))]


def test_mem4_a_withdrawal_that_took_effect_cannot_be_unscheduled(api, society, regular_type):
    member = make_member(society, regular_type, status="withdrawn")
    api.post(f"/api/v1/members/{member.pk}/statuses/", {"status": "applying", "effective_date": "2026-01-01"},
             format="json")
    member2 = make_member(society, regular_type, status="active")
    api.post(f"/api/v1/members/{member2.pk}/statuses/", {"status": "withdrawn", "effective_date": "2025-01-01"},
             format="json")
    before = state()
    assert_error(api.patch(f"/api/v1/members/{member2.pk}/", {"scheduled_withdrawal_date": None}, format="json"),
                 409, "invalid_transition")
    assert state() == before


# --- packaging ----------------------------------------------------------------------------------------------


def test_factories_ship_with_the_package():
    import members.factories
    from simulator.management.commands import seed_demo

    assert "tests" not in members.factories.__name__
    source = open(seed_demo.__file__, encoding="utf-8").read()
    assert "tests." not in source


def test_soc3_platform_superuser_bulk_updates_one_societys_members(client, society, regular_type, other_society):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
    client.force_login(root)
    assert client.get("/admin/members/member/add/").status_code == 403  # no society to add a member to
    a = make_member(society, regular_type)
    b = make_member(society, regular_type)
    r = client.post("/admin/members/member/", {"action": "bulk_status_action", ACTION_CHECKBOX_NAME: [a.pk, b.pk],
                                               "apply": "1", "status": "withdrawn", "effective_date": "2025-01-01"})
    assert r.status_code == 302
    assert history(a)[-1] == history(b)[-1] == ("withdrawn", D(2025, 1, 1))
    other = make_member(other_society, MemberTypeFactory(society=other_society))
    r = client.post("/admin/members/member/", {"action": "bulk_status_action", ACTION_CHECKBOX_NAME: [a.pk, other.pk],
                                               "apply": "1", "status": "applying", "effective_date": "2025-02-01"})
    assert r.status_code == 200
    assert history(other)[-1][0] == "active"


def test_sec1_a_members_history_shows_every_change_by_any_door_once(staff_client, api, admin_api, society,
                                                                      regular_type, student_type):
    r = staff_client.post("/admin/members/member/add/", {
        "name": "履歴 太郎", "name_kana": "リレキ タロウ", "email": "rireki@example.jp", "member_type": regular_type.pk,
        "application_date": "2024-04-01"})
    assert r.status_code == 302
    member = Member.objects.get(email="rireki@example.jp")
    assert api.patch(f"/api/v1/members/{member.pk}/", {"member_type": "student"}, format="json").status_code == 200
    assert staff_client.post(f"/admin/members/member/{member.pk}/status/", {
        "add-status": "active", "add-effective_date": "2024-04-15", "add": "1"}).status_code == 302
    numbers = api.get("/api/v1/member-numbers/pending/").json()
    assert staff_client.post("/admin/members/member/numbers/", {
        f"number_{m['id']}": n for m, n in zip(numbers["members"], numbers["next_numbers"])}).status_code == 302
    assert admin_api.post(f"/api/v1/members/{member.pk}/member-number/", {"member_number": "000050"},
                          format="json").status_code == 200
    assert api.post(f"/api/v1/members/{member.pk}/adjustments/", {"kind": "one_time", "amount": -1000},
                    format="json").status_code == 201
    assert api.post("/api/v1/members/bulk-status/", {"member_ids": [member.pk], "status": "withdrawn",
                                                     "effective_date": "2025-03-31"}, format="json").status_code == 200
    actions = list(AuditEntry.objects.for_object(member).order_by("id").values_list("action", flat=True))
    assert actions == [
        "members.member.created", "members.member.updated", "members.member.status_added",
        "members.member_number.assigned", "members.member_number.corrected", "members.adjustment.added",
        "members.member.status_bulk_updated",
    ]
    page = staff_client.get(f"/admin/members/member/{member.pk}/history/")
    assert page.status_code == 200
    assert len(page.context["entries"]) == len(actions)


def test_mem2_member_type_code_format_is_the_services(admin_api, admin_op, society):
    body = assert_error(admin_api.post("/api/v1/member-types/", {"code": "正会員", "name": "正会員", "annual_fee": 0},
                                       format="json"), 400, "invalid")
    assert body["fields"]["code"] == ["半角英数字・ハイフン・アンダースコアで入力してください。"]
    with pytest.raises(DomainError):
        services.member_type_create(actor=admin_op, society=society, code="a b", name="x", annual_fee=0)
