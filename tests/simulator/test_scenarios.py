"""SIM-3 scenarios: ``scenarios_reset`` (command ``reset_scenarios`` and the button [シナリオ再作成]) rebuilds a
sandbox's scenario members — seed 000's outcomes A–F and the billing states — once, in one audited act, without
touching the members the operators created; the scenario list (シナリオ一覧) says which member shows what."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing import selectors as billing_selectors
from billing.models import BankStatementRow, Invoice, InvoiceStatus, Payment
from members import showcase
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory, create_member_with_history
from members.models import APass, Member, Status
from simulator import scenarios
from simulator.models import ScenarioMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0)
    return society


@pytest.fixture
def trainer(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


@pytest.fixture
def built(sandbox, trainer):
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    return sandbox


def statuses(society) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in Invoice.objects.filter(society=society).with_status().values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def test_sim3_reset_twice_leaves_exactly_one_set_of_scenario_members(built, trainer):
    first = set(Member.objects.filter(society=built).values_list("email", flat=True))
    scenarios.scenarios_reset(actor=trainer, society=built)
    members = Member.objects.filter(society=built)
    assert set(members.values_list("email", flat=True)) == first
    assert members.count() == scenarios.scenario_count(built) == ScenarioMember.objects.filter(society=built).count()
    # every row names its member, or an applicant's address (someone not yet a member, seed 003's mail flows)
    assert all(row.member is not None or (row.email and not Member.objects.filter(society=built, email=row.email))
               for row in scenarios.scenario_list(built))
    # one A-Pass per scenario address, no leftovers of the first build
    assert APass.objects.filter(email=showcase.SHOWCASES[1].email).count() == 1
    assert APass.objects.filter(email=showcase.OTHER_SITE_EMAIL).count() == 1


def test_sim3_every_billing_status_exists_after_a_reset(built, trainer):
    scenarios.scenarios_reset(actor=trainer, society=built)
    assert set(statuses(built)) == {s.value for s in InvoiceStatus}
    invoices = Invoice.objects.filter(society=built)
    assert invoices.filter(confirmed_at__isnull=True).exists()  # an unconfirmed one (BIL-3)
    assert {f for f in invoices.values_list("fiscal_year", flat=True)} >= {
        billing_selectors.current_fiscal_year(built), billing_selectors.current_fiscal_year(built) - 1}
    payments = Payment.objects.filter(society=built)
    assert payments.filter(deleted_at__isnull=False).count() == 1  # PAY-2
    split = Member.objects.get(society=built, scenario__key="split")
    assert payments.filter(invoice__member=split).values("invoice__fiscal_year").distinct().count() == 2  # PAY-4
    rows = BankStatementRow.objects.filter(society=built)
    assert sorted(rows.values_list("state", flat=True)) == ["ambiguous", "matched", "unmatched"]  # PAY-6


def test_sim3_mem9_lapse_candidates_exist(built):
    candidates = set(billing_selectors.lapse_candidates(built).values_list("scenario__key", flat=True))
    assert candidates == {"lapse_unpaid", "lapse_partial"}


def test_sim3_operator_created_members_survive_a_reset(built, trainer):
    mine = create_member_with_history(Status.ACTIVE, society=built, email="mine@example.jp",
                                      member_type=built.member_types.get(code="regular"))
    scenarios.scenarios_reset(actor=trainer, society=built)
    assert Member.objects.filter(pk=mine.pk).exists()
    assert not ScenarioMember.objects.filter(member=mine).exists()


def test_sim3_reset_refused_outside_a_sandbox(society, admin_op):
    with pytest.raises(DomainError) as exc:
        scenarios.scenarios_reset(actor=admin_op, society=society)
    assert (exc.value.code, exc.value.status) == ("not_sandbox", 403)
    assert not AuditEntry.objects.filter(action="simulator.scenarios.reset").exists()


def test_sim3_reset_refused_for_staff_and_viewers_of_the_sandbox(sandbox):
    for role in ("staff", "viewer"):
        with pytest.raises(DomainError) as exc:
            scenarios.scenarios_reset(actor=OperatorFactory(society=sandbox, role=role), society=sandbox)
        assert (exc.value.code, exc.value.status) == ("permission_denied", 403)
    assert not Member.objects.filter(society=sandbox).exists()


def test_sim3_reset_of_another_society_is_not_found(sandbox, other_op):
    with pytest.raises(DomainError) as exc:
        scenarios.scenarios_reset(actor=other_op, society=sandbox)
    assert exc.value.status == 404


def test_sim3_reset_is_one_audited_act(built, trainer):
    entries = AuditEntry.objects.filter(action="simulator.scenarios.reset")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor_user == trainer and entry.society_id == built.pk
    assert entry.after == {"scenario_members": scenarios.scenario_count(built)}
    from backoffice import audit
    assert audit.action_label("simulator.scenarios.reset") != "simulator.scenarios.reset"


def test_sim3_reset_scenarios_command(sandbox, capsys):
    call_command("reset_scenarios", "--society", "training")
    call_command("reset_scenarios", "--society", "training")
    out = capsys.readouterr().out
    assert Member.objects.filter(society=sandbox).count() == scenarios.scenario_count(sandbox)
    for row in scenarios.scenario_list(sandbox):
        assert (row.member.email if row.member else row.email) in out
    assert AuditEntry.objects.filter(action="simulator.scenarios.reset", actor_label="system: reset_scenarios").count() == 2


def test_sim3_reset_scenarios_command_refuses_outside_a_sandbox(society):
    with pytest.raises(CommandError, match="not_sandbox"):
        call_command("reset_scenarios", "--society", "jsbo")
    with pytest.raises(CommandError):
        call_command("reset_scenarios", "--society", "nope")


# --- the screens: シナリオ一覧 and [シナリオ再作成] -----------------------------------------------------------


def test_sim3_first_page_links_the_scenario_list_and_reset_for_trainers_only(sandbox, trainer, client):
    client.force_login(trainer)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("sim-scenarios") in page and reverse("sim-scenarios-reset") in page
    client.force_login(OperatorFactory(society=sandbox, role="staff"))
    assert reverse("sim-scenarios-reset") not in client.get(reverse("admin:index")).content.decode()


def test_sim3_scenario_list_names_each_member_and_what_it_shows(built, trainer, client, django_assert_max_num_queries):
    client.force_login(trainer)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("sim-scenarios")).content.decode()
    for row in scenarios.scenario_list(built):
        assert row.shows in page
        if row.member is None:  # an applicant: the address and the button starting the case for it
            assert f'<input type="hidden" name="email" value="{row.email}">' in page
            continue
        assert row.member.name in page
        assert reverse("admin:members_member_change", args=[row.member.pk]) in page


def test_sim3_reset_button_confirms_then_rebuilds(built, trainer, client):
    client.force_login(trainer)
    before = set(Member.objects.filter(society=built).values_list("pk", flat=True))
    confirm = client.get(reverse("sim-scenarios-reset"))
    assert confirm.status_code == 200 and set(Member.objects.filter(society=built).values_list("pk", flat=True)) == before
    response = client.post(reverse("sim-scenarios-reset"))
    assert response.status_code == 302 and response.url == reverse("sim-scenarios")
    after = set(Member.objects.filter(society=built).values_list("pk", flat=True))
    assert len(after) == len(before) and not after & before
    assert AuditEntry.objects.filter(action="simulator.scenarios.reset").count() == 2


def test_sim3_reset_button_refused_for_staff_and_outside_a_sandbox(built, client, society, admin_op):
    before = Member.objects.filter(society=built).count()
    client.force_login(OperatorFactory(society=built, role="staff"))
    response = client.post(reverse("sim-scenarios-reset"), follow=True)
    assert response.status_code == 200 and Member.objects.filter(society=built).count() == before
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    client.force_login(admin_op)
    response = client.post(reverse("sim-scenarios-reset"), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Member.objects.filter(society=society).exists()
    assert AuditEntry.objects.filter(action="simulator.scenarios.reset").count() == 1


def test_sim3_reset_after_a_training_session_removes_what_the_trainees_did_to_scenario_members(built, trainer):
    """Payments, reminders, a matched statement row, an unlink and a new A-Pass, sign-ins: all of it hangs off
    the scenario members and goes with them; the rebuilt set is whole again."""

    from backoffice import clock
    from billing.services import payments, reminders, statements
    from members import services as member_services

    today = clock.today(built)
    unpaid = Invoice.objects.get(member__scenario__key="unpaid", fiscal_year=billing_selectors.current_fiscal_year(built))
    payments.payment_register(actor=trainer, invoice=unpaid, amount=1_000, method="bank_transfer", paid_on=today)
    reminders.invoices_remind(actor=trainer, invoices=[Invoice.objects.get(
        member__scenario__key="partially_paid", fiscal_year=unpaid.fiscal_year)])
    row = BankStatementRow.objects.get(society=built, state="ambiguous")
    aoki = Invoice.objects.get(member__scenario__key="statement_ambiguous_2", fiscal_year=unpaid.fiscal_year)
    statements.statement_row_match(actor=trainer, row=row, allocations=[(aoki, row.amount)])
    f = Member.objects.get(society=built, scenario__key="seed000_F")
    member_services.apass_unlink(actor=trainer, member=f, new_email=showcase.F_NEW_EMAIL)
    member_services.apass_create(actor=trainer, society=built, email=showcase.F_NEW_EMAIL, password="new-pass-2026")
    member_services.mypage_sign_in(actor=trainer, society=built, email=showcase.F_NEW_EMAIL, password="new-pass-2026")
    mine = create_member_with_history(Status.ACTIVE, society=built, email="mine@example.jp",
                                      member_type=built.member_types.get(code="regular"))

    scenarios.scenarios_reset(actor=trainer, society=built)
    assert Member.objects.filter(society=built).count() == scenarios.scenario_count(built) + 1
    assert Member.objects.filter(pk=mine.pk).exists()
    assert not APass.objects.filter(email=showcase.F_NEW_EMAIL).exists()
    f = Member.objects.get(society=built, scenario__key="seed000_F")
    assert f.email == showcase.SHOWCASES[5].email and f.apass_id is not None
    assert set(statuses(built)) == {s.value for s in InvoiceStatus}
    assert sorted(BankStatementRow.objects.filter(society=built).values_list("state", flat=True)) == [
        "ambiguous", "matched", "unmatched"]


def test_issue12_overpaid_scenario_has_a_settlement_number_and_the_manuals_correction_works(built, trainer):
    """Issue 12 point 3: the 過入金 scenario's bank check carries its 決済番号, so seed 003's 「間違えて多く入金されました」
    is done with its online method: ①入金履歴削除 → ②当年度の請求に入金情報登録 (bank check, remarks = the settlement
    number and a memo) → ③次年度の請求作成 → ④過払い分の入金情報登録."""
    from billing.services import invoices as invoice_services
    from billing.services import payments as payment_services
    from members.factories import OperatorFactory

    staff = OperatorFactory(society=built, role="staff", email="staff@training.example.jp")
    member = Member.objects.get(society=built, scenario__key="overpaid")
    invoice = Invoice.objects.with_status().get(member=member, status=InvoiceStatus.OVERPAID)
    paid = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    assert paid.method == "bank_check" and paid.settlement_number
    number, excess = paid.settlement_number, paid.amount - invoice.total
    payment_services.payment_delete(actor=staff, payment=paid, reason="間違えて多く入金されました")  # ①
    memo = f"{number} 過入金のため入金履歴を削除し再登録"
    again = payment_services.payment_register(actor=staff, invoice=invoice, amount=invoice.total,  # ②
                                              method="bank_check", paid_on=paid.paid_on, remarks=memo)
    assert again.settlement_number == number
    following = invoice_services.invoice_create(actor=staff, society=built, member=member,  # ③
                                                name=f"{invoice.fiscal_year + 1}年度 年会費", category="annual",
                                                fiscal_year=invoice.fiscal_year + 1, amount=10_000)
    rest = payment_services.payment_register(actor=staff, invoice=following, amount=excess,  # ④
                                             method="bank_check", paid_on=paid.paid_on, remarks=memo)
    assert rest.settlement_number == number
    assert Invoice.objects.with_status().get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert Invoice.objects.with_status().get(pk=following.pk).status == InvoiceStatus.PARTIALLY_PAID


@pytest.mark.parametrize("code", sorted(scenarios.TRIAGE_SCENARIOS))
def test_sim3_issue13_point8_every_triage_code_has_a_scenario_member(code, built, trainer):
    """After [シナリオ再作成] the triage of the member listed for each of API.md's triage codes lists that code
    (GET /api/v1/support/triage/)."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(OperatorFactory(society=built, role="staff"))
    row = {r.key: r for r in scenarios.scenario_list(built)}[f"triage_{code}"]
    response = api.get(f"/api/v1/support/triage/?member={row.member.pk}")
    assert response.status_code == 200
    items = {item["code"]: item for item in response.json()}
    assert code in items
    if items[code]["flow"] is not None:  # the row starts the flow the triage item names
        assert row.flow == items[code]["flow"]


def test_sim3_issue13_point8_list_starts_a_case_for_every_outcome(built, trainer, client):
    """シナリオ一覧 names a member for every outcome of every shipped flow and a button that starts its case."""
    rows = scenarios.scenario_list(built)
    labels = {r.label for r in rows if r.flow and r.member}
    for outcome in ("A", "B", "B_declined", "C", "D", "E", "F"):
        assert f"ログインできない {outcome}" in labels
    assert {"A-Pass照会 not_registered", "A-Pass照会 retry_login・self_reset・change_email"} <= labels
    client.force_login(trainer)
    page = client.get(reverse("sim-scenarios")).content.decode()
    members_table = page[page.index('id="scenario-table"'):page.index("</table>", page.index('id="scenario-table"'))]
    assert members_table.count('action="/admin/support/start/"') == sum(
        1 for r in rows if r.flow and (r.member or r.email))
    b = next(r for r in rows if r.label == "ログインできない B_declined")
    assert b.member == next(r for r in rows if r.label == "ログインできない B").member
    response = client.post("/admin/support/start/", {"member": b.member.pk, "flow": "login-trouble"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/support/cases/")
