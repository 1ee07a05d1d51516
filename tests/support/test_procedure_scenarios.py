"""SIM-3 × SUP-4, PAY-5 (issue 14 §1/§4): the guided procedures' scenario members (``simulator.procedure_scenarios``),
one per variant of every procedure, built through the real services in a training sandbox — table-driven over them:

- the preview lists the manual's steps and changes nothing: no record, no invoice or receipt number used up (the run
  gets the very numbers the preview showed), no mail, no audit entry;
- the run leaves what seed 003 describes: the new invoice's name, fiscal year and amount, each payment's method,
  channel, 入金日 and 決済番号 carried over with PAY-3's remarks, the member type;
- a refusal forced at each step in turn — the step's service raising its own rule's error (PAY-2, BIL-7, MEM-3,
  BIL-1, PAY-1) — answers that step and leaves nothing changed;
- シナリオ一覧 lists every procedure member with [ガイド付き手順を開く], which opens the procedure page prefilled."""

from __future__ import annotations

import re
import uuid
from collections import Counter

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from backoffice import clock
from backoffice.errors import Conflict, DomainError
from backoffice.models import AuditEntry
from billing import selectors as billing_selectors
from billing.models import Category, Invoice, InvoiceStatus, NumberSequence, Payment, channel_of
from billing.services import invoices as invoice_services
from billing.services import payments as payment_services
from billing.services.runs import clean_fiscal_year
from mail.models import SentMail
from members import services as member_services
from members.models import Member
from members.services.members import MSG_EMAIL_IN_USE
from simulator import procedure_scenarios as ps
from simulator import scenarios
from simulator.models import ScenarioMember
from support import procedures

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/support/procedures/preview/"
RUN = "/api/v1/support/procedures/run/"
CASES = {case.key: case for case in ps.SCENARIOS}


def build_one(sandbox, sandbox_type, key: str) -> Member:
    """The one scenario member ``key`` (the others are not needed), built as ``scenarios.build`` builds it."""
    members = ps.build(sandbox, actor="system: test procedure scenarios", member_type_of=lambda code: sandbox_type,
                       cases=[CASES[key]])
    return members[key]


def params_for(sandbox, member: Member) -> dict:
    """The params シナリオ一覧's link gives for the scenario member (from its records as they are now)."""
    case = next(c for c in ps.SCENARIOS if c.email == member.email)
    return ps.params_of(case, ps.records_of(sandbox, [member])[member.pk])


def state() -> tuple:
    """Everything a preview or a refused run must leave as it was: the records, the numbers, the mails, the audit."""
    return (tuple(Invoice.objects.order_by("pk").values_list("pk", "number", "name", "fiscal_year", "amount",
                                                              "adjustment", "cancelled_at", "confirmed_at")),
            tuple(Payment.objects.order_by("pk").values_list("pk", "receipt_number", "invoice_id", "amount",
                                                              "deleted_at", "remarks")),
            tuple(Member.objects.order_by("pk").values_list("pk", "member_type_id", "email")),
            tuple(NumberSequence.objects.order_by("pk").values_list("kind", "last")),
            AuditEntry.objects.count(), SentMail.objects.count(), len(mail.outbox))


def next_number(society, kind: str) -> int:
    found = NumberSequence.objects.filter(society=society, kind=kind).first()
    return (found.last if found else 0) + 1


def post(api, url: str, procedure: str, params: dict):
    return api.post(url, {"procedure": procedure, "params": params}, format="json")


def live_invoices(member) -> list[Invoice]:
    return list(Invoice.objects.with_status().filter(member=member, cancelled_at__isnull=True)
                .order_by("fiscal_year", "number"))


# --- the final state seed 003 describes, per scenario member ------------------------------------------------------
# member type afterwards; the member's live invoices (fiscal year offset, name's years, amount, category, status,
# amounts of the live payments on it); how many invoices are cancelled afterwards.

ANNUAL, OTHER = Category.ANNUAL, Category.OTHER
PAID, UNPAID, PARTLY, OVER = (InvoiceStatus.PAID, InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID,
                              InvoiceStatus.OVERPAID)
EXPECT = {
    "proc-rebill-before": ("regular", [(1, "{y}", 10_000, ANNUAL, UNPAID, [])], 1),
    "proc-rebill-after-offline": ("regular", [(1, "{y}", 10_000, ANNUAL, PAID, [10_000])], 1),
    "proc-rebill-after-online": ("regular", [(1, "{y}", 10_000, ANNUAL, PAID, [10_000])], 1),
    "proc-mtc-before": ("student", [(0, "{y}", 3_000, ANNUAL, UNPAID, [])], 1),
    "proc-mtc-after-offline": ("student", [(0, "{y}", 3_000, ANNUAL, PAID, [3_000])], 1),
    "proc-mtc-after-online": ("regular", [(0, "{y}", 10_000, ANNUAL, PARTLY, [3_000])], 1),
    "proc-mtc-overpaid": ("student", [(0, "{y}", 3_000, ANNUAL, PAID, [3_000]),
                                      (1, "{y}", 3_000, ANNUAL, OVER, [7_000])], 1),
    "proc-overpaid-online": ("regular", [(0, "{y}", 10_000, ANNUAL, PAID, [10_000]),
                                         (1, "{y}", 10_000, ANNUAL, PARTLY, [2_000])], 0),
    "proc-overpaid-offline": ("regular", [(0, "{y}", 10_000, ANNUAL, PAID, [10_000]),
                                          (1, "{y}", 10_000, ANNUAL, PARTLY, [2_000])], 0),
    "proc-move-online": ("regular", [(-1, "{y}", 10_000, ANNUAL, PAID, [10_000]),
                                     (0, "{y}", 10_000, ANNUAL, UNPAID, [])], 1),
    "proc-move-offline": ("regular", [(-1, "{y}", 10_000, ANNUAL, PAID, [10_000]),
                                      (0, "{y}", 10_000, ANNUAL, UNPAID, [])], 0),
    "proc-split-offline": ("regular", [(-1, "{y}", 10_000, ANNUAL, PAID, [10_000]),
                                       (0, "{y}", 10_000, ANNUAL, PAID, [10_000])], 0),
    "proc-combine-online": ("regular", [(0, "{p}・{y}", 20_000, OTHER, UNPAID, [])], 2),
}


def test_sim3_every_variant_of_every_procedure_has_a_scenario_member():
    """PAY-5's list: before/after payment, online/offline, with overpayment — one member each, the e-mail naming
    the procedure and the variant."""
    assert set(EXPECT) == set(CASES)
    variants = {(c.procedure, c.variant) for c in ps.SCENARIOS}
    assert {p for p, _v in variants} == {p["id"] for p in procedures.procedure_list()}
    assert {v for p, v in variants if p == "member_type_correction"} == {
        "before", "after-offline", "after-online", "overpaid"}
    assert {v for p, v in variants if p == "rebill_next_year"} == {"before", "after-offline", "after-online"}
    assert {v for p, v in variants if p in ("overpayment_to_next_year", "move_payment")} == {"online", "offline"}
    for case in ps.SCENARIOS:
        assert case.email == f"proc-{case.procedure}-{case.variant}@example.ac.jp"
        assert len(case.key) <= ScenarioMember._meta.get_field("key").max_length


@pytest.mark.parametrize("key", list(CASES))
def test_sup4_preview_of_the_scenario_member_lists_the_steps_and_changes_nothing(
        key, sandbox, sandbox_type, agent_api, django_capture_on_commit_callbacks):
    case = CASES[key]
    member = build_one(sandbox, sandbox_type, key)
    params = params_for(sandbox, member)
    before = state()
    numbers = {"invoice": next_number(sandbox, "invoice"), "receipt": next_number(sandbox, "receipt")}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(agent_api, PREVIEW, case.procedure, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["refused"] is None
    assert [s["label"] for s in body["steps"]] == list(case.steps)
    assert all(s["changes"] for s in body["steps"])
    assert state() == before and callbacks == []  # no row, number, audit entry or mail (not even on commit)
    # the numbers the preview shows are the next ones, and the run gets exactly those: none was used up
    shown = {"invoice": [c["after"] for s in body["steps"] for c in s["changes"]
                         if c["action"] == "billing.invoice.created" and c["field"] == "number"],
             "receipt": [c["after"] for s in body["steps"] for c in s["changes"]
                         if c["action"] == "billing.payment.registered" and c["field"] == "receipt_number"]}
    for kind, found in shown.items():
        assert found == list(range(numbers[kind], numbers[kind] + len(found))), (kind, found)
    existing = set(Invoice.objects.values_list("pk", flat=True))
    old_payments = set(Payment.objects.values_list("pk", flat=True))
    run = post(agent_api, RUN, case.procedure, params)
    assert run.status_code == 200, run.content
    made = Invoice.objects.exclude(pk__in=existing).order_by("number").values_list("number", flat=True)
    receipts = Payment.objects.exclude(pk__in=old_payments).order_by("receipt_number").values_list(
        "receipt_number", flat=True)
    assert list(made) == shown["invoice"] and list(receipts) == shown["receipt"]


@pytest.mark.parametrize("key", list(CASES))
def test_sup4_pay5_run_on_the_scenario_member_leaves_what_the_manual_describes(key, sandbox, sandbox_type,
                                                                               agent_api):
    case = CASES[key]
    member = build_one(sandbox, sandbox_type, key)
    params = params_for(sandbox, member)
    title = procedures.get_procedure(case.procedure).title
    year = billing_selectors.current_fiscal_year(sandbox)
    originals = list(Payment.objects.live().filter(invoice__member=member).order_by("paid_on", "pk"))
    last_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = post(agent_api, RUN, case.procedure, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and [s["label"] for s in body["steps"]] == list(case.steps)
    entries = AuditEntry.objects.filter(id__gt=last_entry)
    assert set(entries.values_list("batch_id", flat=True)) == {uuid.UUID(body["batch"])}  # one act

    type_code, invoices, cancelled = EXPECT[key]
    member.refresh_from_db()
    assert member.member_type.code == type_code  # ③会員種別変更 (or unchanged)
    found = live_invoices(member)
    assert [(i.fiscal_year - year, i.name, i.amount, i.category, i.status) for i in found] == [
        (offset, f"{name.format(y=year + offset, p=year + offset - 1)}年度 年会費", amount, category, status)
        for offset, name, amount, category, status, _pays in invoices]
    assert all(i.confirmed_at is not None for i in found)  # on My Page, as the invoices they replace were
    assert Invoice.objects.filter(member=member, cancelled_at__isnull=False).count() == cancelled
    # 入金情報登録: every payment now live is one the procedure registered, carrying the deleted one's method,
    # channel, 入金日 and 決済番号, with PAY-3's remarks (決済番号 + the work memo; the memo alone offline)
    for invoice, (*_rest, amounts) in zip(found, invoices):
        assert [p.amount for p in Payment.objects.live().filter(invoice=invoice).order_by("pk")] == amounts
    for original in originals:
        original.refresh_from_db()
        assert original.deleted and original.deleted_reason == title  # ①入金履歴削除, the title as the reason
    again = list(Payment.objects.live().filter(invoice__member=member).order_by("pk"))
    assert len(again) == sum(len(row[-1]) for row in invoices)
    assert len(originals) == (1 if again else 0)  # each scenario's record holds at most one payment
    for payment in again:
        (source,) = originals
        memo = f"作業メモ: ガイド付き手順「{title}」で再登録(元の領収書番号 {source.receipt_number})"
        assert (payment.method, payment.channel, payment.paid_on, payment.settlement_number) == (
            source.method, channel_of(source.method), source.paid_on, source.settlement_number)
        assert payment.remarks == (f"{source.settlement_number} {memo}" if source.settlement_number else memo)
        assert bool(source.settlement_number) == (payment.channel == "online")


# --- a refusal at each step: the step's service raises its own rule's error ---------------------------------------
# action → (module, service name, audit action one call records, rule id, the rule's error for the record)


def _pay2(record):  # PAY-2: payment_delete_refusal of a payment someone else deleted meanwhile
    payment = Payment.objects.live().filter(invoice__member=record).first()
    payment.deleted_at = clock.now(payment.society)
    return billing_selectors.payment_delete_refusal(payment)


def _bil7(record):  # BIL-7: invoice_cancel_refusal of an invoice someone else cancelled meanwhile
    invoice = Invoice.objects.filter(member=record).first()
    invoice.cancelled_at = clock.now(invoice.society)
    return billing_selectors.invoice_cancel_refusal(invoice)


def _mem3(record):  # MEM-3: [会員情報変更]'s save refused by the one-e-mail-per-society constraint
    return Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]})


def _bil1(record):  # BIL-1: [請求作成]'s fiscal year out of range (clean_fiscal_year)
    with pytest.raises(DomainError) as exc:
        clean_fiscal_year(0)
    return exc.value


def _pay1(record):  # PAY-1: payment_register_refusal of a card payment over what is outstanding
    invoice = Invoice.objects.with_status().filter(member=record).first()
    return billing_selectors.payment_register_refusal(invoice, method="credit_card", amount=invoice.total + 1)


RULES = {
    "payment_delete": (payment_services, "payment_delete", "billing.payment.deleted", "PAY-2", _pay2),
    "invoice_cancel": (invoice_services, "invoice_cancel", "billing.invoice.cancelled", "BIL-7", _bil7),
    "member_update": (member_services, "member_update", "members.member.updated", "MEM-3", _mem3),
    "invoice_create": (invoice_services, "invoice_create", "billing.invoice.created", "BIL-1", _bil1),
    "payment_register": (payment_services, "payment_register", "billing.payment.registered", "PAY-1", _pay1),
}
CODES = {"PAY-2": "payment_already_deleted", "BIL-7": "invoice_cancelled", "MEM-3": "email_in_use",
         "BIL-1": "invalid", "PAY-1": "amount_exceeds_invoice"}
#: the service each step of the manual calls, by the step's name (「⑤入金情報登録」 → payment_register)
ACTION_OF = {"入金履歴削除": "payment_delete", "請求取消": "invoice_cancel", "会員種別変更": "member_update",
             "請求作成": "invoice_create", "入金情報登録": "payment_register"}


def action_of(label: str) -> str:
    return next(action for name, action in ACTION_OF.items() if label.endswith(name))


STEPS = [(key, index, RULES[action_of(label)][3]) for key, case in CASES.items()
         for index, label in enumerate(case.steps, start=1)]


def _calls_per_step(body: dict, audit_action: str) -> list[int]:
    """How many times each step of a preview called the service that records ``audit_action``."""
    return [len({(c["target_type"], c["target_id"]) for c in s["changes"] if c["action"] == audit_action})
            for s in body["steps"]]


def _refuse_call(monkeypatch, module, name: str, nth: int, error: DomainError) -> None:
    """``module.name`` runs as it does but for its ``nth`` call, which raises ``error``."""
    real = getattr(module, name)
    calls = Counter()

    def refusing(**kwargs):
        calls[name] += 1
        if calls[name] == nth:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(module, name, refusing)


@pytest.mark.parametrize("key,index,rule", STEPS, ids=[f"{k}-step{i}-{r}" for k, i, r in STEPS])
def test_sup4_a_rule_refusing_at_any_step_of_a_scenario_member_leaves_nothing_changed(
        key, index, rule, sandbox, sandbox_type, agent_api, monkeypatch):
    """PAY-2 入金履歴削除, BIL-7 請求取消, MEM-3 会員種別変更, BIL-1 請求作成, PAY-1 入金情報登録: the step's service
    refuses by its rule at that step; the run answers the rule's error with the step and changes nothing."""
    case = CASES[key]
    member = build_one(sandbox, sandbox_type, key)
    params = params_for(sandbox, member)
    preview = post(agent_api, PREVIEW, case.procedure, params).json()
    step = preview["steps"][index - 1]
    assert step["action"] == action_of(case.steps[index - 1])
    module, name, audit_action, step_rule, error_of = RULES[step["action"]]
    assert step_rule == rule
    calls = _calls_per_step(preview, audit_action)
    assert calls[index - 1] >= 1, (rule, step)
    error = error_of(member)
    assert error is not None and error.code == CODES[rule], rule  # the rule's own predicate refuses
    _refuse_call(monkeypatch, module, name, sum(calls[:index - 1]) + 1, error)

    before = state()
    response = post(agent_api, RUN, case.procedure, params)
    assert response.status_code == error.status, response.content
    assert (response.json()["code"], response.json()["step"]) == (CODES[rule], index), rule
    assert state() == before  # the steps before it are undone: nothing half-done
    monkeypatch.undo()
    _refuse_call(monkeypatch, module, name, sum(calls[:index - 1]) + 1, error)
    refused = post(agent_api, PREVIEW, case.procedure, params).json()
    assert refused["ok"] is False and refused["refused"]["step"] == index
    assert refused["refused"]["code"] == CODES[rule]
    assert state() == before


# --- シナリオ一覧 and [ガイド付き手順を開く] ---------------------------------------------------------------------------


@pytest.fixture
def built(sandbox, sandbox_type):
    from members.factories import MemberTypeFactory, OperatorFactory

    MemberTypeFactory(society=sandbox, code="honorary", name="名誉会員", annual_fee=0)
    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    return trainer


def test_sim3_reset_builds_every_procedure_member_and_the_list_links_its_procedure_page(
        built, sandbox, agent, django_assert_num_queries):
    registered = dict(ScenarioMember.objects.filter(society=sandbox).values_list("key", "member__email"))
    assert {k: registered.get(k) for k in CASES} == {k: c.email for k, c in CASES.items()}
    rows = {r.key: r for r in scenarios.scenario_list(sandbox) if r.procedure}
    assert set(rows) == set(CASES)
    members = [r.member for r in rows.values()]
    with django_assert_num_queries(3):  # invoices, payments, member types: whatever the number of members
        ps.records_of(sandbox, members)

    client = Client()
    client.force_login(built)
    page = client.get(reverse("sim-scenarios")).content.decode()
    assert page.count("[ガイド付き手順を開く]") == len(CASES)
    for key, row in rows.items():
        assert row.procedure_url.startswith(f"/admin/support/procedures/{CASES[key].procedure}/?")
        assert f'href="{row.procedure_url.replace("&", "&amp;")}"' in page
        assert row.label.startswith(f"ガイド付き手順 {CASES[key].procedure} ") and row.shows in page

    # the link opens the procedure page with the params prefilled; its [プレビュー] previews them as they are
    staff = Client()
    staff.force_login(agent)
    for key, row in rows.items():
        response = staff.get(row.procedure_url)
        assert response.status_code == 200, (key, response.status_code)
        html = response.content.decode()
        params = params_for(sandbox, row.member)
        if "member_type" in params:
            assert re.search(rf'<option value="{params["member_type"]}" selected>', html), key
        if "to_invoice" in params:
            assert re.search(rf'<option value="{params["to_invoice"]}" selected>', html), key
        for allocation in params.get("allocations", []):
            assert (f'name="amount_{allocation["invoice"]}" id="param-amount_{allocation["invoice"]}" '
                    f'value="{allocation["amount"]}"') in html, key
        for invoice_id in params.get("invoices", []):
            assert reverse("admin:billing_invoice_change", args=[invoice_id]) in html, key
        data = {"preview": "1"}
        if "member_type" in params:
            data["member_type"] = params["member_type"]
        if "to_invoice" in params:
            data["to_invoice"] = params["to_invoice"]
        for allocation in params.get("allocations", []):
            data[f"amount_{allocation['invoice']}"] = allocation["amount"]
        before = state()
        preview = staff.post(row.procedure_url, data)
        assert preview.status_code == 200
        steps = preview.context["steps"]
        assert [s["label"] for s in steps] == list(CASES[key].steps), key
        assert state() == before


def test_sup4_combine_invoices_page_reads_its_invoices_from_the_query(built, sandbox, agent, other_society):
    member = Member.objects.get(society=sandbox, scenario__key="proc-combine-online")
    older, latest = live_invoices(member)
    staff = Client()
    staff.force_login(agent)
    url = reverse("support-page-procedure", args=["combine_invoices"])
    assert staff.get(f"{url}?invoices={older.pk}&invoices={latest.pk}").status_code == 200
    for query in ("", f"?invoices={older.pk}&invoices=x", f"?invoice={older.pk}", f"?invoices={older.pk}&invoices=0"):
        assert staff.get(url + query).status_code == 404, query
    from billing.factories import InvoiceFactory
    from members.factories import MemberFactory

    foreign = InvoiceFactory(member=MemberFactory(society=other_society), fiscal_year=older.fiscal_year)
    assert staff.get(f"{url}?invoices={older.pk}&invoices={foreign.pk}").status_code == 404
    before = state()
    response = staff.post(f"{url}?invoices={older.pk}&invoices={latest.pk}", {"run": "1"})
    assert response.status_code == 200 and response.context.get("done"), response.content.decode()[:2000]
    assert state() != before
    (combined,) = live_invoices(member)
    assert (combined.amount, combined.category) == (older.amount + latest.amount, Category.OTHER)


def test_sim3_procedure_members_are_in_the_sandbox_only(society, regular_type, student_type):
    """jsbo (not a sandbox) keeps its billing scenarios only: the procedures' members train in the sandbox."""
    scenarios.build(society, actor="system: test")
    assert not Member.objects.filter(society=society, email__in=ps.emails()).exists()
    assert not [r for r in scenarios.scenario_list(society) if r.procedure]


def test_sim3_a_reset_after_a_procedure_ran_rebuilds_the_member_as_it_was(built, sandbox, agent_api):
    member = Member.objects.get(society=sandbox, scenario__key="proc-mtc-overpaid")
    assert post(agent_api, RUN, "member_type_correction", params_for(sandbox, member)).status_code == 200
    scenarios.scenarios_reset(actor=built, society=sandbox)
    again = Member.objects.get(society=sandbox, scenario__key="proc-mtc-overpaid")
    assert again.pk != member.pk and again.member_type.code == "regular"
    (invoice,) = live_invoices(again)
    assert (invoice.amount, invoice.status) == (10_000, InvoiceStatus.PAID)
    assert not Member.objects.filter(pk=member.pk).exists()



def test_bil7_move_online_scenario_with_another_payment_is_refused_at_its_cancel_by_the_record(
        sandbox, sandbox_type, agent_api):
    """Not forced: the record itself makes BIL-7 refuse ②請求取消 (a second live payment on the latest invoice)."""
    member = build_one(sandbox, sandbox_type, "proc-move-online")
    params = params_for(sandbox, member)
    latest = live_invoices(member)[-1]
    payment_services.payment_register(actor="system: test", invoice=latest, amount=1_000, method="bank_transfer",
                                      paid_on=clock.today(sandbox))
    before = state()
    response = post(agent_api, RUN, "move_payment", params)
    assert response.status_code == 409, response.content
    assert (response.json()["code"], response.json()["step"]) == ("invoice_has_payments", 2)
    assert state() == before
    preview = post(agent_api, PREVIEW, "move_payment", params).json()
    assert preview["refused"]["step"] == 2 and preview["refused"]["code"] == "invoice_has_payments"
