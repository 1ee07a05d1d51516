"""SUP-4, PAY-5 (issue 14 point 1): seed 003's corrections as guided procedures, through API.md's endpoints.

Table-driven over every procedure and variant: the preview lists the manual's steps with their changes and
changes nothing (records, invoice and receipt numbers, audit, outbox); the run makes what API.md's "What the
steps make" says as one audit batch; a refusal at any step leaves nothing changed and answers with ``step``;
the records that do not fit answer 409 ``procedure_not_applicable``."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

import pytest

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Category, Invoice, InvoiceStatus, NumberSequence, Payment
from billing.selectors import current_fiscal_year
from mail.models import SentMail
from members.factories import MemberFactory, OperatorFactory
from rest_framework.test import APIClient
from support import procedures
from support.models import CaseAction

pytestmark = pytest.mark.django_db

LIST = "/api/v1/support/procedures/"
PREVIEW = "/api/v1/support/procedures/preview/"
RUN = "/api/v1/support/procedures/run/"


@dataclasses.dataclass
class World:
    society: object
    regular: object
    student: object
    member: object
    fy: int
    paid_on: datetime.date
    objs: dict


@pytest.fixture
def world(society, regular_type, student_type):
    member = MemberFactory(society=society, member_type=regular_type, name="山田 太郎", email="yamada@example.ac.jp")
    return World(society, regular_type, student_type, member, current_fiscal_year(society),
                 clock.today(society) - datetime.timedelta(days=3), {})


def invoice(w: World, year_offset: int = 0, amount: int = 10_000, **kw) -> Invoice:
    return InvoiceFactory(member=w.member, fiscal_year=w.fy + year_offset, amount=amount, **kw)


def pay(w: World, inv: Invoice, amount: int, method: str = "bank_transfer") -> Payment:
    return PaymentFactory(invoice=inv, amount=amount, method=method, paid_on=w.paid_on)


def status(inv: Invoice) -> str:
    return Invoice.objects.with_status().get(pk=inv.pk).status


def state() -> tuple:
    """Everything a preview or a refused run must leave as it was."""
    return (Invoice.objects.count(), Payment.objects.count(), Payment.objects.live().count(),
            Invoice.objects.filter(cancelled_at__isnull=False).count(), AuditEntry.objects.count(),
            SentMail.objects.count(), tuple(NumberSequence.objects.order_by("pk").values_list("kind", "last")),
            tuple(Invoice.objects.order_by("pk").values_list("pk", "amount", "confirmed_at")))


def new_invoices(before_ids: set[int]) -> list[Invoice]:
    return list(Invoice.objects.exclude(pk__in=before_ids).with_status().order_by("fiscal_year", "pk"))


def payments_on(inv: Invoice) -> list[Payment]:
    return list(Payment.objects.live().filter(invoice=inv).order_by("pk"))


# --- the table: procedure, variant → (build the record, params, step labels, check the final state) ---------------


def rebill_before(w):
    w.objs["old"] = invoice(w)
    return {"invoice": w.objs["old"].pk}


def rebill_before_check(w, new):
    assert status(w.objs["old"]) == InvoiceStatus.CANCELLED
    (inv,) = new
    assert (inv.fiscal_year, inv.name, inv.category, inv.amount) == (w.fy + 1, f"{w.fy + 1}年度 年会費", "annual", 10_000)


def rebill_after(method):
    def build(w):
        w.objs["old"] = invoice(w)
        w.objs["paid"] = pay(w, w.objs["old"], 10_000, method)
        return {"invoice": w.objs["old"].pk}
    return build


def rebill_after_check(w, new):
    rebill_before_check(w, new)
    old_payment = Payment.objects.get(pk=w.objs["paid"].pk)
    assert old_payment.deleted and old_payment.deleted_reason == "当年度の請求を次年度の請求に変更"
    (p,) = payments_on(new[0])
    assert (p.amount, p.method, p.paid_on, p.settlement_number) == (10_000, old_payment.method, w.paid_on,
                                                                    old_payment.settlement_number)
    assert "作業メモ" in p.remarks and "当年度の請求を次年度の請求に変更" in p.remarks
    if old_payment.settlement_number:  # PAY-3: online — the settlement number in the remarks
        assert p.remarks.startswith(old_payment.settlement_number)
    assert status(new[0]) == InvoiceStatus.PAID


def mtc_before(w):
    w.objs["old"] = invoice(w, name=f"{w.fy}年度 年会費", adjustment=-1_000)
    return {"invoice": w.objs["old"].pk, "member_type": w.student.pk}


def mtc_before_check(w, new):
    assert status(w.objs["old"]) == InvoiceStatus.CANCELLED
    w.member.refresh_from_db()
    assert w.member.member_type_id == w.student.pk
    (inv,) = new
    assert (inv.fiscal_year, inv.name, inv.category, inv.amount, inv.adjustment) == (
        w.fy, f"{w.fy}年度 年会費", "annual", 3_000, -1_000)
    assert inv.confirmed_at is not None  # the cancelled one was on My Page


def mtc_mid_term(w):
    """会期途中で学生会員から正会員に: paid the student fee, re-billed the regular one — only the difference is left."""
    w.member.member_type = w.student
    w.member.save()
    w.objs["old"] = invoice(w, amount=3_000)
    w.objs["paid"] = pay(w, w.objs["old"], 3_000)
    return {"invoice": w.objs["old"].pk, "member_type": w.regular.pk}


def mtc_mid_term_check(w, new):
    w.member.refresh_from_db()
    assert w.member.member_type_id == w.regular.pk
    (inv,) = new
    assert inv.amount == 10_000 and inv.paid == 3_000 and inv.status == InvoiceStatus.PARTIALLY_PAID
    (p,) = payments_on(inv)
    assert (p.amount, p.method, p.paid_on) == (3_000, "bank_transfer", w.paid_on)


def mtc_overpaid(w):
    w.objs["old"] = invoice(w)
    w.objs["paid"] = pay(w, w.objs["old"], 10_000, "bank_check")
    return {"invoice": w.objs["old"].pk, "member_type": w.student.pk}


def mtc_overpaid_check(w, new):
    this, nxt = new
    settlement = w.objs["paid"].settlement_number
    assert (this.fiscal_year, this.amount, this.paid, this.status) == (w.fy, 3_000, 3_000, InvoiceStatus.PAID)
    assert (nxt.fiscal_year, nxt.name, nxt.amount, nxt.paid) == (w.fy + 1, f"{w.fy + 1}年度 年会費", 3_000, 7_000)
    for inv, amount in ((this, 3_000), (nxt, 7_000)):
        (p,) = payments_on(inv)
        assert (p.amount, p.method, p.paid_on, p.settlement_number) == (amount, "bank_check", w.paid_on, settlement)
        assert p.remarks.startswith(settlement) and "会員種別の修正" in p.remarks


def overpaid(w):
    w.objs["old"] = invoice(w)
    w.objs["paid"] = pay(w, w.objs["old"], 15_000, "bank_check")
    return {"invoice": w.objs["old"].pk}


def overpaid_check(w, new):
    assert status(w.objs["old"]) == InvoiceStatus.PAID
    (p,) = payments_on(w.objs["old"])
    assert p.amount == 10_000 and p.remarks.startswith(w.objs["paid"].settlement_number)
    (nxt,) = new
    assert (nxt.fiscal_year, nxt.amount, nxt.paid, nxt.category) == (w.fy + 1, 10_000, 5_000, "annual")
    (q,) = payments_on(nxt)
    assert (q.amount, q.method, q.paid_on, q.settlement_number) == (5_000, "bank_check", w.paid_on,
                                                                    w.objs["paid"].settlement_number)


def move(method):
    def build(w):
        w.objs["older"] = invoice(w, -1)
        w.objs["latest"] = invoice(w)
        w.objs["paid"] = pay(w, w.objs["latest"], 10_000, method)
        return {"payment": w.objs["paid"].pk, "to_invoice": w.objs["older"].pk}
    return build


def move_offline_check(w, new):
    assert new == []
    assert status(w.objs["older"]) == InvoiceStatus.PAID and status(w.objs["latest"]) == InvoiceStatus.UNPAID
    (p,) = payments_on(w.objs["older"])
    assert (p.method, p.paid_on, p.settlement_number) == ("bank_transfer", w.paid_on, "")
    assert p.remarks.startswith("作業メモ")  # 【オフライン決済の場合】: the work memo alone


def move_online_check(w, new):
    assert status(w.objs["latest"]) == InvoiceStatus.CANCELLED and status(w.objs["older"]) == InvoiceStatus.PAID
    (again,) = new  # 請求作成: the latest year's invoice again, unpaid
    latest = w.objs["latest"]
    assert (again.fiscal_year, again.name, again.amount, again.status) == (latest.fiscal_year, latest.name,
                                                                           latest.amount, InvoiceStatus.UNPAID)
    (p,) = payments_on(w.objs["older"])
    settlement = w.objs["paid"].settlement_number
    assert (p.method, p.paid_on, p.settlement_number) == ("credit_card", w.paid_on, settlement)
    assert p.remarks.startswith(settlement) and "作業メモ" in p.remarks


def split(w):
    w.objs["older"] = invoice(w, -1)
    w.objs["latest"] = invoice(w)
    w.objs["paid"] = pay(w, w.objs["latest"], 20_000, "bank_check")
    return {"payment": w.objs["paid"].pk,
            "allocations": [{"invoice": w.objs["older"].pk, "amount": 10_000},
                            {"invoice": w.objs["latest"].pk, "amount": 10_000}]}


def split_check(w, new):
    assert new == []
    for key in ("older", "latest"):
        assert status(w.objs[key]) == InvoiceStatus.PAID
        (p,) = payments_on(w.objs[key])
        assert (p.amount, p.method, p.paid_on) == (10_000, "bank_check", w.paid_on)
        assert p.remarks.startswith(w.objs["paid"].settlement_number)


def combine(w):
    w.objs["older"] = invoice(w, -1)
    w.objs["latest"] = invoice(w, adjustment=-2_000)
    return {"invoices": [w.objs["latest"].pk, w.objs["older"].pk]}


def combine_check(w, new):
    assert status(w.objs["older"]) == status(w.objs["latest"]) == InvoiceStatus.CANCELLED
    (inv,) = new
    assert (inv.fiscal_year, inv.category, inv.amount, inv.name) == (
        w.fy, Category.OTHER, 18_000, f"{w.fy - 1}・{w.fy}年度 年会費")
    assert inv.confirmed_at is not None  # on My Page, to be paid online in one go


TABLE = {
    "rebill_next_year/before": ("rebill_next_year", rebill_before, ["①請求取消", "②次年度の請求作成"], rebill_before_check),
    "rebill_next_year/after-offline": ("rebill_next_year", rebill_after("bank_transfer"),
                                       ["①入金履歴削除", "②請求取消", "③次年度の請求作成", "④入金情報登録"], rebill_after_check),
    "rebill_next_year/after-online": ("rebill_next_year", rebill_after("credit_card"),
                                      ["①入金履歴削除", "②請求取消", "③次年度の請求作成", "④入金情報登録"], rebill_after_check),
    "member_type_correction/before": ("member_type_correction", mtc_before, ["①請求取消", "②会員種別変更", "③請求作成"],
                                      mtc_before_check),
    "member_type_correction/after": ("member_type_correction", mtc_mid_term,
                                     ["①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録"],
                                     mtc_mid_term_check),
    "member_type_correction/overpaid": ("member_type_correction", mtc_overpaid,
                                        ["①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録",
                                         "⑥次年度請求作成", "⑦過払い分入金情報登録"], mtc_overpaid_check),
    "overpayment_to_next_year": ("overpayment_to_next_year", overpaid,
                                 ["①入金履歴削除", "②当年度の請求に入金情報登録", "③次年度の請求作成", "④過払い分の入金情報登録"],
                                 overpaid_check),
    "move_payment/offline": ("move_payment", move("bank_transfer"), ["①入金履歴削除", "②割り当てたい請求に入金情報登録"],
                             move_offline_check),
    "move_payment/online": ("move_payment", move("credit_card"),
                            ["①入金履歴削除", "②請求取消", "③請求作成", "④割り当てたい請求に入金情報登録"], move_online_check),
    "split_combined_payment": ("split_combined_payment", split, ["①入金履歴削除", "②当該年度の請求に入金情報登録"],
                               split_check),
    "combine_invoices": ("combine_invoices", combine, ["①請求取消", "②複数年度を1つにまとめた請求作成"], combine_check),
}


def post(api, url, procedure, params, **extra):
    return api.post(url, {"procedure": procedure, "params": params, **extra}, format="json")


def test_sup4_list_has_the_six_procedures_of_api_md(api):
    response = api.get(LIST)
    assert response.status_code == 200
    listed = {p["id"]: p for p in response.json()}
    assert set(listed) == {"rebill_next_year", "member_type_correction", "overpayment_to_next_year", "move_payment",
                           "split_combined_payment", "combine_invoices"}
    assert listed["member_type_correction"]["params"] == ["invoice", "member_type"]
    assert listed["split_combined_payment"]["params"] == ["payment", "allocations"]
    assert all(p["title"] and p["source"]["seed"].startswith("003_") and p["source"]["entry"] for p in listed.values())


@pytest.mark.parametrize("variant", list(TABLE))
def test_sup4_preview_lists_the_steps_and_changes_nothing(variant, world, api, django_capture_on_commit_callbacks):
    procedure, build, labels, _check = TABLE[variant]
    params = build(world)
    before = state()
    next_invoice = NumberSequence.objects.get(society=world.society, kind="invoice").last + 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(api, PREVIEW, procedure, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["procedure"] == procedure and body["ok"] is True and body["refused"] is None
    assert [s["label"] for s in body["steps"]] == labels
    assert [s["index"] for s in body["steps"]] == list(range(1, len(labels) + 1))
    assert all(s["changes"] for s in body["steps"]), body["steps"]
    for step in body["steps"]:
        actions = {c["action"] for c in step["changes"]}
        expected = {"payment_delete": "billing.payment.deleted", "invoice_cancel": "billing.invoice.cancelled",
                    "member_update": "members.member.updated", "invoice_create": "billing.invoice.created",
                    "payment_register": "billing.payment.registered"}[step["action"]]
        assert expected in actions, (step["label"], actions)
        if step["action"] == "payment_register":  # the receipt mail that would go out
            assert "mail.sent_mail.queued" in actions
    created = [c for s in body["steps"] for c in s["changes"]
               if c["action"] == "billing.invoice.created" and c["field"] == "number"]
    if created:  # the number the first new invoice would get
        assert created[0]["after"] == next_invoice
    assert state() == before
    assert callbacks == []


@pytest.mark.parametrize("variant", list(TABLE))
def test_sup4_pay5_run_makes_what_the_manual_says_as_one_batch(variant, world, api):
    procedure, build, labels, check = TABLE[variant]
    params = build(world)
    existing = set(Invoice.objects.values_list("pk", flat=True))
    last_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = post(api, RUN, procedure, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and [s["label"] for s in body["steps"]] == labels
    entries = AuditEntry.objects.filter(id__gt=last_entry)
    assert entries.exists()
    assert set(entries.values_list("batch_id", flat=True)) == {uuid.UUID(body["batch"])}
    assert set(entries.values_list("act_label", flat=True)) == {f"procedure {procedure}"}
    check(world, new_invoices(existing))


def _refusing_at(monkeypatch, procedure_id: str, index: int):
    """The procedure with step ``index`` refused by its rule after its services ran (a forced refusal)."""
    procedure = procedures.get_procedure(procedure_id)

    def plan(record, params):
        steps = procedure.plan(record, params)

        def refuse(carry, run=steps[index - 1].run):
            run(carry)
            raise DomainError("invalid", "forced refusal")

        steps[index - 1] = dataclasses.replace(steps[index - 1], run=refuse)
        return steps

    monkeypatch.setitem(procedures.PROCEDURES, procedure_id, dataclasses.replace(procedure, plan=plan))


@pytest.mark.parametrize("variant,index", [(v, i) for v, row in TABLE.items() for i in range(1, len(row[2]) + 1)])
def test_sup4_a_refusal_at_any_step_leaves_nothing_changed(variant, index, world, api, monkeypatch):
    procedure, build, labels, _check = TABLE[variant]
    params = build(world)
    _refusing_at(monkeypatch, procedure, index)
    before = state()
    response = post(api, RUN, procedure, params)
    assert response.status_code == 400, response.content
    assert response.json() == {"code": "invalid", "detail": "forced refusal", "fields": {}, "step": index}
    assert state() == before
    preview = post(api, PREVIEW, procedure, params).json()
    assert preview["ok"] is False and preview["refused"] == {"step": index, "code": "invalid",
                                                            "detail": "forced refusal"}
    assert [s["label"] for s in preview["steps"]] == labels
    assert all(s["changes"] for s in preview["steps"][:index - 1])
    assert all(not s["changes"] for s in preview["steps"][index:])
    assert state() == before


def test_sup4_member_type_change_refused_by_its_rule_answers_step_3(world, api, monkeypatch):
    """③会員種別変更 refused by [会員情報変更]'s service: the payment deletion and the cancellation are undone."""
    from members import services as member_services

    params = mtc_mid_term(world)

    def refused(**kw):
        raise DomainError("email_locked_by_apass", "refused by the rule", status=409)

    monkeypatch.setattr(member_services, "member_update", refused)
    before = state()
    response = post(api, RUN, "member_type_correction", params)
    assert response.status_code == 409
    assert response.json()["code"] == "email_locked_by_apass" and response.json()["step"] == 3
    assert state() == before
    assert not Payment.objects.get(pk=world.objs["paid"].pk).deleted


def test_pay1_card_overpayment_to_next_year_is_refused_at_step_7(world, api):
    """A credit card payment cannot exceed the next-year invoice (PAY-1): ⑦ refused, nothing changed."""
    world.objs["old"] = invoice(world)
    pay(world, world.objs["old"], 10_000, "credit_card")
    before = state()
    response = post(api, RUN, "member_type_correction", {"invoice": world.objs["old"].pk,
                                                          "member_type": world.student.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "amount_exceeds_invoice" and response.json()["step"] == 7
    assert state() == before


def test_bil7_move_online_payment_from_an_invoice_with_another_payment_is_refused_at_the_cancel(world, api):
    params = move("credit_card")(world)
    pay(world, world.objs["latest"], 1_000)
    before = state()
    response = post(api, RUN, "move_payment", params)
    assert response.status_code == 409 and response.json()["code"] == "invoice_has_payments"
    assert response.json()["step"] == 2
    assert state() == before


# --- procedure_not_applicable (API.md) -------------------------------------------------------------------------


def _other_member_invoice(w):
    other = MemberFactory(society=w.society, member_type=w.regular)
    return InvoiceFactory(member=other, fiscal_year=w.fy - 1)


NOT_APPLICABLE = {
    "overpayment on an invoice not overpaid": lambda w: ("overpayment_to_next_year", {"invoice": invoice(w).pk}),
    "move to another member's invoice": lambda w: (
        "move_payment", {"payment": pay(w, invoice(w), 10_000).pk, "to_invoice": _other_member_invoice(w).pk}),
    "allocations not adding up": lambda w: (
        "split_combined_payment", {"payment": pay(w, invoice(w), 20_000, "bank_check").pk,
                                   "allocations": [{"invoice": invoice(w, -1).pk, "amount": 10_000}]}),
    "a cancelled invoice": lambda w: ("rebill_next_year", {"invoice": invoice(w, cancelled_at=clock.now(w.society)).pk}),
    "one invoice to combine": lambda w: ("combine_invoices", {"invoices": [invoice(w).pk]}),
    "already of that type and fee": lambda w: ("member_type_correction",
                                               {"invoice": invoice(w).pk, "member_type": w.regular.pk}),
    "next year already billed": lambda w: (invoice(w, 1) and "rebill_next_year", {"invoice": invoice(w).pk}),
}


@pytest.mark.parametrize("case", list(NOT_APPLICABLE))
def test_sup4_procedure_not_applicable_says_why(case, world, api):
    procedure, params = NOT_APPLICABLE[case](world)
    before = state()
    for url in (PREVIEW, RUN):
        response = post(api, url, procedure, params)
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["code"] == "procedure_not_applicable" and body["detail"]
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    assert state() == before


def test_sup4_bad_params_unknown_procedure_other_society_and_viewer(world, api, viewer_api, other_society):
    assert post(api, PREVIEW, "no_such", {}).json()["code"] == "invalid"
    response = post(api, RUN, "rebill_next_year", {"invoice": "x"})
    assert response.status_code == 400 and "invoice" in response.json()["fields"]
    foreign = InvoiceFactory(member=MemberFactory(society=other_society), fiscal_year=world.fy)
    for url in (PREVIEW, RUN):
        assert post(api, url, "rebill_next_year", {"invoice": foreign.pk}).status_code == 404
    mine = invoice(world)
    for url in (PREVIEW, RUN):
        response = post(viewer_api, url, "rebill_next_year", {"invoice": mine.pk})
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert viewer_api.get(LIST).status_code == 200
    assert status(mine) == InvoiceStatus.UNPAID


def test_sup4_run_from_a_case_is_recorded_in_its_actions_taken(world, api, staff_op):
    from support import services as support_services

    case = support_services.case_create(actor=staff_op, society=world.society, flow="login-trouble",
                                        member=world.member)
    params = overpaid(world)
    response = post(api, RUN, "overpayment_to_next_year", params, case=case.pk)
    assert response.status_code == 200, response.content
    (record,) = CaseAction.objects.filter(case=case)
    assert (record.action, record.ok, str(record.batch_id)) == ("procedure", True, response.json()["batch"])
    assert record.params["procedure"] == "overpayment_to_next_year"
    detail = api.get(f"/api/v1/support/cases/{case.pk}/").json()
    assert detail["actions_taken"][0]["action"] == "procedure"
    entries = AuditEntry.objects.filter(batch_id=record.batch_id)
    assert set(entries.values_list("act_label", flat=True)) == {f"support case {case.pk}: procedure overpayment_to_next_year"}
    # a refused run is recorded too, ok false, and changes no record (no longer overpaid: not applicable)
    before = state()[:4]
    again = post(api, RUN, "overpayment_to_next_year", params, case=case.pk)
    assert again.status_code == 409 and again.json()["code"] == "procedure_not_applicable"
    refused = CaseAction.objects.filter(case=case).order_by("id").last()
    assert (refused.action, refused.ok, refused.result["code"]) == ("procedure", False, "procedure_not_applicable")
    assert state()[:4] == before


def test_sup4_service_preview_of_another_society_operator_is_not_found(world, other_society):
    other = OperatorFactory(society=other_society, role="admin")
    inv = invoice(world)
    with pytest.raises(DomainError) as exc:
        procedures.procedure_preview(actor=other, procedure="rebill_next_year", params={"invoice": inv.pk})
    assert exc.value.status == 404
    client = APIClient()
    client.force_authenticate(other)
    assert post(client, RUN, "rebill_next_year", {"invoice": inv.pk}).status_code == 404
