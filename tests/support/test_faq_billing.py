"""SUP-2, SUP-4 (issue 14 §2, §4): seed 003's 請求 and 入金 entries as flows, through API.md's Support endpoints.
For every outcome of the 23 flows a member whose records lead there: the case is created, the caller answers only
what the records cannot know, the facts come from the record (source ``record``) with the evidence the agent sees,
and the outcome offers the guided procedures (``outcome.procedures: [{id, title}]``) whose page the case page's
button opens, prefilled with the invoice or payment the facts found."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from backoffice import clock
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice, Payment
from billing.selectors import current_fiscal_year
from billing.services import invoices as invoice_services
from billing.services import runs as run_services
from members.factories import MemberTypeFactory, create_member_with_history
from members.models import MemberAdjustment, Status
from support.flows import SHIPPED
from support.flows import faq_billing
from support.models import CaseAction

from .conftest import client_for

pytestmark = pytest.mark.django_db

CASES = "/api/v1/support/cases/"
SEED_ENTRIES = {  # the 23 entries of 請求に関すること and 入金に関すること, word for word as in the seed
    "faq-run-pending": "請求作成が作成途中のまま完了しません。",
    "faq-run-slow": "請求の作成に時間がかかります。",
    "faq-run-no-invoice": "請求を作成したのに[個人会員請求検索]画面に表示されません。",
    "faq-invoice-not-on-mypage": "請求を作成したのに会員マイページに表示されません。",
    "faq-zero-fee": "会費0円の会員種別で請求を作成した場合どうなりますか。",
    "faq-scheduled-withdrawal": "年度末で退会予定の会員は次年度の年会費請求を作成したときに、自動的に対象から除外できますか。",
    "faq-invoice-rename": "請求名称を変更したいです。",
    "faq-invoice-cancel": "請求を取消したいです。",
    "faq-invoice-cannot-cancel": "請求が取り消せません。",
    "faq-rebill-next-year": "次年度からの入会希望者に対して、誤って当年度の請求を作成してしまいました。次年度の請求に変更したいです。",
    "faq-discount-next-year": "来年度の年会費用を減額したい会員がいます。",
    "faq-discount-permanent": "年会費用を一定額毎回減額したい会員がいます。",
    "faq-type-correction": "正会員で年会費請求した後に、今年度も学生会員のままであることが分かりました。請求金額が異なるため修正したいです。",
    "faq-type-change-midterm": "会期途中で学生会員から正会員に会員種別が変わり、追加の請求が発生しました。",
    "faq-unpaid-last-year": "昨年の年会費未納者を抽出したいです。",
    "faq-unpaid-multi-year": "過去複数年分の請求に対する未納会員を抽出したいです。",
    "faq-pay-multi-year": "会員から複数年会費まとめて支払いたいと言われました。",
    "faq-pay-by-affiliation": "支払方法はオンライン決済のみですが、年会費を所属先が支払うと連絡がありました。どうしたらよいですか?",
    "faq-overpayment-possible": "請求金額よりも多く払われることはありますか。",
    "faq-combined-payment": "未納の年会費を1つの請求にまとめて入金されました。",
    "faq-overpaid": "間違えて多く入金されました。",
    "faq-move-payment": "複数年度未入金となっている請求がありますが、最新年度に入金があったため、古い年度に割り当てたいです。",
    "faq-paid-multi-year": "複数年分の請求に対する入金済み会員を抽出したいです。",
}


class World:
    """What a builder needs: the society, its member types, an operator, today on the society clock."""

    def __init__(self, society, regular, student, actor):
        self.society, self.regular, self.student, self.actor = society, regular, student, actor
        self.year = current_fiscal_year(society)
        self.today = clock.today(society)

    def member(self, status=Status.ACTIVE, member_type=None, **kw):
        return create_member_with_history(status, applied_on=self.today - datetime.timedelta(days=800),
                                          society=self.society, member_type=member_type or self.regular, **kw)

    def invoice(self, member, year=None, amount=10_000, **kw):
        return InvoiceFactory(member=member, fiscal_year=year or self.year, amount=amount, **kw)

    def pay(self, invoice, amount=None, method="bank_transfer"):
        return PaymentFactory(invoice=invoice, method=method, paid_on=self.today - datetime.timedelta(days=3),
                              **({} if amount is None else {"amount": amount}))

    def run(self, members, *, execute=True, state=None, **kw):
        params = dict(society=self.society, name=f"{self.year}年度 年会費", category="annual", fiscal_year=self.year,
                      allocation_start=datetime.date(self.year, 4, 1), member_ids=[m.pk for m in members])
        params.update(kw)
        run = run_services.billing_run_request(actor=self.actor, **params)
        if execute:
            run_services.billing_run_execute(actor="system: test run", run_id=run.pk)
        if state is not None:
            BillingRun.objects.filter(pk=run.pk).update(**state)
        run.refresh_from_db()
        return run


@pytest.fixture
def world(society, regular_type, student_type, staff_op):
    return World(society, regular_type, student_type, staff_op)


def _requested_at(world, run, weekday: int, hour: int) -> None:
    """Move the run's request to ``hour`` o'clock of the last ``weekday`` (0 Monday) on the society clock."""
    tz = clock.society_timezone(world.society)
    day = world.today - datetime.timedelta(days=(world.today.weekday() - weekday) % 7 or 7)
    BillingRun.objects.filter(pk=run.pk).update(requested_at=datetime.datetime.combine(day, datetime.time(hour), tz))


def _zero_fee_member(world):
    honorary = MemberTypeFactory(society=world.society, code="honorary", name="名誉会員", annual_fee=0)
    member = world.member(member_type=honorary)
    world.invoice(member, amount=0)
    return member


def _paid(world, method="bank_transfer"):
    member = world.member()
    world.pay(world.invoice(member), method=method)
    return member


def _unpaid(world):
    member = world.member()
    world.invoice(member)
    return member


def _overpaid(world, method="bank_check", older_unpaid=False):
    member = world.member()
    if older_unpaid:
        world.invoice(member, year=world.year - 1)
    world.pay(world.invoice(member), amount=25_000 if method == "bank_check" else 12_000, method=method)
    return member


def _newest_paid_older_unpaid(world, method):
    member = world.member()
    world.invoice(member, year=world.year - 1)
    world.pay(world.invoice(member), method=method)
    return member


def _cancelled_only(world):
    member = world.member()
    invoice_services.invoice_cancel(actor=world.actor, invoice=world.invoice(member))
    return member


def _run_member(world, *, cancel=False, **run_kw):
    member = world.member(**run_kw.pop("member_kw", {}))
    world.run([member], **run_kw)
    if cancel:
        invoice_services.invoice_cancel(actor=world.actor, invoice=Invoice.objects.get(member=member))
    return member


def _already_billed(world):
    member = world.member()
    world.invoice(member)  # made by hand, of the run's category and fiscal year
    world.run([member])
    return member


def _busy(world, weekday, hour):
    member = world.member()
    run = world.run([member], execute=False)
    _requested_at(world, run, weekday, hour)
    return member


def _withdrawal(world, days_from_next_year_start: int):
    member = world.member()
    start = datetime.date(world.year + 1, 4, 1)
    member.scheduled_withdrawal_date = start + datetime.timedelta(days=days_from_next_year_start)
    member.save(update_fields=["scheduled_withdrawal_date"])
    return member


def _withdrawn_with_date(world):
    member = world.member(status=Status.WITHDRAWN)
    member.scheduled_withdrawal_date = world.today - datetime.timedelta(days=30)
    member.save(update_fields=["scheduled_withdrawal_date"])
    return member


def _adjusted(world, kind):
    member = world.member()
    MemberAdjustment.objects.create(member=member, kind=kind, amount=-2_000, note="減額")
    return member


def _next_year_billed(world):
    member = world.member()
    world.invoice(member, year=world.year + 1)
    return member


def _bank_account(world, text):
    world.society.bank_account_text = text
    world.society.save(update_fields=["bank_account_text"])
    return world.member()


def _two_unpaid(world):
    member = world.member()
    world.invoice(member, year=world.year - 1)
    world.invoice(member)
    return member


Builder = Callable[[World], object]
REQUESTED, RUNNING = {"state": "requested"}, {"state": "running", "processed_count": 1, "target_count": 3}
FAILED = {"state": "failed", "error": "RuntimeError: the database went away"}

# (flow, outcome) → (the member's records, the caller's answers, {fact node: value the record gives},
#                    {procedure id: fits the record})
TABLE: dict[tuple[str, str], tuple[Builder, list, dict, dict]] = {
    ("faq-run-pending", "refresh"): (lambda w: _run_member(w, execute=False), [], {"run_state": "requested"}, {}),
    ("faq-run-pending", "running"): (lambda w: _run_member(w, execute=False, state=RUNNING), [],
                                     {"run_state": "running"}, {}),
    ("faq-run-pending", "run_done"): (lambda w: _run_member(w), [], {"run_state": "done"}, {}),
    ("faq-run-pending", "run_failed"): (lambda w: _run_member(w, execute=False, state=FAILED), [],
                                        {"run_state": "failed"}, {}),
    ("faq-run-pending", "no_run"): (lambda w: w.member(), [], {"run_state": None}, {}),
    ("faq-run-slow", "night_or_weekend"): (lambda w: _busy(w, 5, 10), [], {"run_state": "requested",
                                                                          "busy_hours": True}, {}),
    ("faq-run-slow", "server_load"): (lambda w: _busy(w, 2, 10), [], {"run_state": "requested",
                                                                     "busy_hours": False}, {}),
    ("faq-run-slow", "run_done"): (lambda w: _run_member(w), [], {"run_state": "done"}, {}),
    ("faq-run-slow", "run_failed"): (lambda w: _run_member(w, execute=False, state=FAILED), [],
                                     {"run_state": "failed"}, {}),
    ("faq-run-slow", "no_run"): (lambda w: w.member(), [], {"run_state": None}, {}),
    ("faq-run-no-invoice", "in_progress"): (lambda w: _run_member(w, execute=False, state=RUNNING), [],
                                            {"run_state": "running"}, {}),
    ("faq-run-no-invoice", "billed"): (lambda w: _run_member(w), [], {"run_state": "done", "run_member": "billed"}, {}),
    ("faq-run-no-invoice", "cancelled"): (lambda w: _run_member(w, cancel=True), [],
                                          {"run_state": "done", "run_member": "cancelled"}, {}),
    ("faq-run-no-invoice", "excluded_type"): (lambda w: _run_member(w, exclude_member_types=[w.regular]), [],
                                              {"run_member": "excluded_type"}, {}),
    ("faq-run-no-invoice", "withdrawal"): (
        lambda w: _run_member(w, member_kw={"scheduled_withdrawal_date": datetime.date(w.year, 3, 31)}), [],
        {"run_member": "withdrawal_before_allocation"}, {}),
    ("faq-run-no-invoice", "already_billed"): (_already_billed, [], {"run_member": "already_billed"}, {}),
    ("faq-run-no-invoice", "not_eligible"): (lambda w: _run_member(w, member_kw={"status": Status.WITHDRAWN}), [],
                                             {"run_member": "not_active"}, {}),
    ("faq-run-no-invoice", "run_failed"): (lambda w: _run_member(w, execute=False, state=FAILED), [],
                                           {"run_state": "failed"}, {}),
    ("faq-run-no-invoice", "no_run"): (lambda w: w.member(), [], {"run_state": None}, {}),
    ("faq-invoice-not-on-mypage", "unconfirmed"): (lambda w: (m := w.member(), w.invoice(m, confirmed_at=None))[0], [],
                                                   {"mypage_invoice": "unconfirmed"}, {}),
    ("faq-invoice-not-on-mypage", "shown"): (_unpaid, [], {"mypage_invoice": "shown"}, {}),
    ("faq-invoice-not-on-mypage", "no_invoice"): (lambda w: w.member(), [], {"mypage_invoice": "none"}, {}),
    ("faq-zero-fee", "no_payment_needed"): (_zero_fee_member, [("wants_invoice", "yes")], {"zero_fee": True}, {}),
    ("faq-zero-fee", "exclude_type"): (_zero_fee_member, [("wants_invoice", "no")], {"zero_fee": True}, {}),
    ("faq-scheduled-withdrawal", "excluded"): (lambda w: _withdrawal(w, -1), [], {"withdrawal": "before"}, {}),
    ("faq-scheduled-withdrawal", "included"): (lambda w: _withdrawal(w, 0), [], {"withdrawal": "same_or_after"}, {}),
    ("faq-scheduled-withdrawal", "no_date"): (lambda w: w.member(), [], {"withdrawal": "none"}, {}),
    ("faq-scheduled-withdrawal", "not_billed"): (_withdrawn_with_date, [], {"withdrawal": "not_billed"}, {}),
    ("faq-invoice-rename", "edit"): (lambda w: _run_member(w), [], {"rename": "allowed"}, {}),
    ("faq-invoice-rename", "wait"): (lambda w: _run_member(w, execute=False), [],
                                     {"rename": "billing_run_in_progress"}, {}),
    ("faq-invoice-rename", "no_run"): (lambda w: w.member(), [], {"rename": None}, {}),
    ("faq-invoice-cancel", "before_payment"): (_unpaid, [], {"cancel": "cancellable"}, {}),
    ("faq-invoice-cancel", "after_payment"): (_paid, [], {"cancel": "invoice_has_payments"},
                                              {"rebill_next_year": True, "member_type_correction": True}),
    ("faq-invoice-cancel", "already_cancelled"): (_cancelled_only, [], {"cancel": "invoice_cancelled"}, {}),
    ("faq-invoice-cancel", "no_invoice"): (lambda w: w.member(), [], {"cancel": "none"}, {}),
    ("faq-invoice-cannot-cancel", "has_payments"): (_paid, [], {"cancel": "invoice_has_payments"},
                                                    {"rebill_next_year": True, "member_type_correction": True}),
    ("faq-invoice-cannot-cancel", "cancellable"): (_unpaid, [], {"cancel": "cancellable"}, {}),
    ("faq-invoice-cannot-cancel", "already_cancelled"): (_cancelled_only, [], {"cancel": "invoice_cancelled"}, {}),
    ("faq-invoice-cannot-cancel", "no_invoice"): (lambda w: w.member(), [], {"cancel": "none"}, {}),
    ("faq-rebill-next-year", "before_payment"): (_unpaid, [], {"paid": "before_payment"}, {"rebill_next_year": True}),
    ("faq-rebill-next-year", "after_payment"): (_paid, [], {"paid": "after_payment", "channel": "offline"},
                                                {"rebill_next_year": True}),
    ("faq-rebill-next-year", "after_payment_online"): (lambda w: _paid(w, "credit_card"), [],
                                                       {"paid": "after_payment", "channel": "online"},
                                                       {"rebill_next_year": True}),
    ("faq-rebill-next-year", "no_invoice"): (lambda w: w.member(), [], {"paid": "none"}, {}),
    ("faq-discount-next-year", "before_billing"): (lambda w: _adjusted(w, "one_time"), [], {"next_year": False}, {}),
    ("faq-discount-next-year", "after_billing"): (_next_year_billed, [], {"next_year": True}, {}),
    ("faq-discount-permanent", "register"): (lambda w: w.member(), [], {"permanent": False}, {}),
    ("faq-discount-permanent", "registered"): (lambda w: _adjusted(w, "permanent"), [], {"permanent": True}, {}),
    ("faq-type-correction", "before_payment"): (_unpaid, [], {"paid": "before_payment"},
                                                {"member_type_correction": True}),
    ("faq-type-correction", "after_payment"): (_paid, [], {"paid": "after_payment"}, {"member_type_correction": True}),
    ("faq-type-correction", "no_invoice"): (lambda w: w.member(), [], {"paid": "none"}, {}),
    ("faq-type-change-midterm", "before_payment"): (_unpaid, [], {"paid": "before_payment"},
                                                    {"member_type_correction": True}),
    ("faq-type-change-midterm", "after_payment"): (_paid, [], {"paid": "after_payment"},
                                                   {"member_type_correction": True}),
    ("faq-type-change-midterm", "no_invoice"): (lambda w: w.member(), [], {"paid": "none"}, {}),
    ("faq-unpaid-last-year", "search"): (lambda w: (m := w.member(), w.invoice(m, year=w.year - 1))[0], [],
                                         {"unpaid": 1}, {}),
    ("faq-unpaid-multi-year", "download"): (lambda w: w.member(), [], {"years": None}, {}),
    ("faq-paid-multi-year", "download"): (lambda w: w.member(), [], {"years": None}, {}),
    ("faq-pay-multi-year", "online"): (_two_unpaid, [("method", "online")], {"open_invoices": 2},
                                       {"combine_invoices": True}),
    ("faq-pay-multi-year", "offline"): (_two_unpaid, [("method", "offline")], {"open_invoices": 2}, {}),
    ("faq-pay-by-affiliation", "receipt"): (lambda w: w.member(), [("pattern", "receipt")], {}, {}),
    ("faq-pay-by-affiliation", "invoice_bank_account"): (lambda w: _bank_account(w, "○○銀行 本店 普通 1234567"),
                                                         [("pattern", "invoice")], {"bank_account": True}, {}),
    ("faq-pay-by-affiliation", "no_bank_account"): (lambda w: _bank_account(w, ""), [("pattern", "invoice")],
                                                    {"bank_account": False}, {}),
    ("faq-pay-by-affiliation", "individual_mail"): (lambda w: w.member(), [("pattern", "mail")], {}, {}),
    ("faq-overpayment-possible", "possible"): (_paid, [], {"overpaid_check": "none"}, {}),
    ("faq-overpayment-possible", "bank_check_overpaid"): (_overpaid, [], {"overpaid_check": "bank_check"},
                                                          {"overpayment_to_next_year": True}),
    ("faq-overpayment-possible", "overpaid"): (lambda w: _overpaid(w, "bank_transfer"), [],
                                               {"overpaid_check": "other_method"}, {"overpayment_to_next_year": True}),
    ("faq-combined-payment", "split_bank_check"): (lambda w: _overpaid(w, older_unpaid=True), [],
                                                   {"combined": "bank_check"}, {"split_combined_payment": True}),
    ("faq-combined-payment", "split"): (lambda w: _overpaid(w, "bank_transfer", older_unpaid=True), [],
                                        {"combined": "other_method"}, {"split_combined_payment": True}),
    ("faq-combined-payment", "not_found"): (_overpaid, [], {"combined": "none"}, {}),
    ("faq-overpaid", "overpaid_bank_check"): (_overpaid, [], {"overpaid_check": "bank_check"},
                                              {"overpayment_to_next_year": True}),
    ("faq-overpaid", "overpaid"): (lambda w: _overpaid(w, "postal_transfer"), [], {"overpaid_check": "other_method"},
                                   {"overpayment_to_next_year": True}),
    ("faq-overpaid", "not_overpaid"): (_paid, [], {"overpaid_check": "none"}, {}),
    ("faq-move-payment", "online"): (lambda w: _newest_paid_older_unpaid(w, "credit_card"), [], {"payment": "online"},
                                     {"move_payment": True}),
    ("faq-move-payment", "offline"): (lambda w: _newest_paid_older_unpaid(w, "bank_transfer"), [],
                                      {"payment": "offline"}, {"move_payment": True}),
    ("faq-move-payment", "not_found"): (_paid, [], {"payment": "none"}, {}),
}


def _outcome_codes(flow_id: str) -> set[str]:
    return {s["code"] for s in SHIPPED[flow_id]["nodes"].values() if s["kind"] == "outcome"}


def test_sup2_the_23_entries_of_billing_and_payments_are_shipped_word_for_word():
    seed = (__import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "seeds"
            / faq_billing.SEED)
    text = seed.read_text(encoding="utf-8") if seed.exists() else ""
    for flow_id, entry in SEED_ENTRIES.items():
        source = SHIPPED[flow_id]["source"]
        assert source["entry"] == entry and source["seed"] == faq_billing.SEED
        assert source["section"] in ("請求に関すること", "入金に関すること")
        if text:
            assert entry in text
    assert {f["id"] for f in faq_billing.FLOWS} == set(SEED_ENTRIES)


def test_sup2_every_outcome_of_the_billing_flows_has_a_member_in_the_table():
    for flow_id in SEED_ENTRIES:
        assert {o for f, o in TABLE if f == flow_id} == _outcome_codes(flow_id), flow_id


def answer(api, case: dict, node: str, value: str) -> dict:
    response = api.post(f"{CASES}{case['id']}/answer/", {"node": node, "answer": value}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def run_case(api, member, flow: str, answers: list) -> dict:
    response = api.post(CASES, {"flow": flow, "member": member.pk}, format="json")
    assert response.status_code == 201, response.content
    case = response.json()
    for node, value in answers:
        assert case["current"]["node"] == node and case["current"]["kind"] == "question"
        case = answer(api, case, node, value)
    return case


@pytest.mark.parametrize(("flow", "outcome"), sorted(TABLE))
def test_sup2_the_member_s_records_lead_to_the_outcome(flow, outcome, world, api):
    build, answers, facts, procedures = TABLE[(flow, outcome)]
    member = build(world)
    case = run_case(api, member, flow, answers)
    assert case["status"] == "resolved" and case["outcome"]["code"] == outcome, case["facts"]
    got = {f["node"]: f for f in case["facts"]}
    for node, value in facts.items():
        if value is not None or node != "years":
            assert got[node]["value"] == value, (node, got[node])
        assert got[node]["evidence"], node
    # every fact is the record's, every answer the caller's
    kinds = {n: s["kind"] for n, s in SHIPPED[flow]["nodes"].items()}
    assert all(p["source"] == ("record" if kinds[p["node"]] == "fact" else "caller") for p in case["path"])
    spec = SHIPPED[flow]["nodes"][next(n for n, s in SHIPPED[flow]["nodes"].items()
                                       if s["kind"] == "outcome" and s["code"] == outcome)]
    assert [p["id"] for p in case["outcome"].get("procedures", [])] == spec.get("procedures", [])
    assert all(p["title"] for p in case["outcome"].get("procedures", []))
    assert case["outcome"].get("escalates", False) is spec.get("escalates", False)


def _receipt(member) -> str:
    return str(Payment.objects.get(invoice__member=member).receipt_number)


def _settlement(member) -> str:
    return Payment.objects.get(invoice__member=member).settlement_number


EVIDENCE = {  # what the agent reads, from the record (in any language)
    ("faq-run-pending", "running"): lambda m: ["1", "3"],
    ("faq-run-pending", "run_failed"): lambda m: ["the database went away"],
    ("faq-run-no-invoice", "excluded_type"): lambda m: ["正会員"],
    ("faq-run-no-invoice", "already_billed"): lambda m: [str(Invoice.objects.get(member=m).number)],
    ("faq-rebill-next-year", "after_payment_online"): lambda m: [_settlement(m), _receipt(m)],
    ("faq-invoice-cancel", "after_payment"): lambda m: [_receipt(m)],
    ("faq-scheduled-withdrawal", "excluded"): lambda m: [m.scheduled_withdrawal_date.isoformat()],
    ("faq-move-payment", "online"): lambda m: [_settlement(m)],
    ("faq-discount-permanent", "registered"): lambda m: ["-2,000円"],
}


@pytest.mark.parametrize(("flow", "outcome"), sorted(EVIDENCE))
def test_sup2_evidence_names_what_the_record_holds(flow, outcome, world, api):
    build, answers, _facts, _procedures = TABLE[(flow, outcome)]
    member = build(world)
    case = run_case(api, member, flow, answers)
    evidence = " / ".join(f["evidence"] for f in case["facts"])
    for expected in EVIDENCE[(flow, outcome)](member):
        assert expected and expected in evidence, (expected, evidence)


def test_sup2_a_run_flow_without_a_member_reads_the_society_s_newest_run(world, api):
    member = world.member()
    world.run([member], execute=False)
    response = api.post(CASES, {"flow": "faq-run-pending", "email": "secretariat@example.ac.jp"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"]["code"] == "refresh"


def test_sup3_unconfirmed_outcome_confirms_the_invoice_through_billing_s_service(world, api):
    member = world.member()
    invoice = world.invoice(member, confirmed_at=None)
    case = run_case(api, member, "faq-invoice-not-on-mypage", [])
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "invoice_confirm"}, format="json")
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert invoice.confirmed_at is not None
    taken = response.json()["actions_taken"]
    assert taken[-1]["ok"] is True and taken[-1]["result"]["number"] == invoice.number
    # and the facts, read again, now say the invoice is shown on My Page
    again = api.post(CASES, {"flow": "faq-invoice-not-on-mypage", "member": member.pk}, format="json").json()
    assert again["outcome"]["code"] == "shown"


def test_sup3_failed_run_outcome_retries_the_run(world, api, django_capture_on_commit_callbacks):
    member = world.member()
    run = world.run([member], execute=False, state=FAILED)
    case = run_case(api, member, "faq-run-pending", [])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{CASES}{case['id']}/actions/", {"action": "billing_run_retry"}, format="json")
    assert response.status_code == 200, response.content
    run.refresh_from_db()
    assert run.state == "done" and Invoice.objects.filter(run=run, member=member).exists()


def test_sup3_retry_of_a_run_that_did_not_fail_is_refused_by_its_rule_and_recorded(world, api):
    member = world.member()
    run = world.run([member], execute=False, state=FAILED)
    case = run_case(api, member, "faq-run-pending", [])
    BillingRun.objects.filter(pk=run.pk).update(state="done")  # another agent retried it meanwhile
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "billing_run_retry"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "billing_run_not_failed"
    assert CaseAction.objects.get(case_id=case["id"]).ok is False


def test_sup4_a_procedure_run_with_the_case_is_recorded_in_its_actions_taken(world, api):
    member = _overpaid(world)
    case = run_case(api, member, "faq-overpaid", [])
    invoice = Invoice.objects.get(member=member)
    response = api.post("/api/v1/support/procedures/run/", {"procedure": "overpayment_to_next_year",
                                                             "params": {"invoice": invoice.pk}, "case": case["id"]},
                        format="json")
    assert response.status_code == 200, response.content
    taken = api.get(f"{CASES}{case['id']}/").json()["actions_taken"]
    assert taken[-1]["action"] == "procedure" and taken[-1]["ok"] is True
    assert taken[-1]["params"]["procedure"] == "overpayment_to_next_year"


def test_sup2_viewer_reads_a_billing_case_but_cannot_start_one(world, api, viewer_op):
    member = _paid(world)
    case = run_case(api, member, "faq-invoice-cannot-cancel", [])
    viewer = client_for(viewer_op)
    assert viewer.get(f"{CASES}{case['id']}/").json()["outcome"]["code"] == "has_payments"
    assert viewer.post(CASES, {"flow": "faq-overpaid", "member": member.pk}, format="json").status_code == 403


def _with_outcome(**keys) -> dict:
    import copy

    definition = copy.deepcopy(SHIPPED["faq-overpaid"])
    definition["nodes"]["overpaid"].update(keys)
    return definition


@pytest.mark.parametrize(("keys", "problem"), [
    ({"procedures": ["no_such_procedure"]}, "overpaid: unknown procedure 'no_such_procedure'"),
    ({"procedures": "overpayment_to_next_year"}, "overpaid: procedures is a list of procedure ids"),
    ({"procedures": ["move_payment", "move_payment"]}, "overpaid: a procedure is offered twice"),
    ({"escalates": "yes"}, "overpaid: escalates is true or false"),
    ({"name": ""}, "overpaid: an outcome's name is a text"),
])
def test_sup4_engine_check_validates_an_outcome_s_procedures_against_the_registry(keys, problem):
    from support import engine, registry, services

    problems = engine.check(_with_outcome(**keys), facts=registry.FACTS, actions=registry.ACTIONS,
                            procedures=services.procedure_ids())
    assert problems == [problem]


def test_sup4_a_flow_offering_an_unknown_procedure_is_never_published(world):
    from support import engine, services

    with pytest.raises(engine.FlowError, match="unknown procedure"):
        services.flow_publish(actor="system: test", definition={**_with_outcome(procedures=["nope"]), "version": 99})


@pytest.mark.parametrize(("build", "code", "flow", "outcome"), [
    (lambda w: (m := w.member(), w.invoice(m, confirmed_at=None))[0], "invoice_unconfirmed",
     "faq-invoice-not-on-mypage", "unconfirmed"),
    (_overpaid, "invoice_overpaid", "faq-overpaid", "overpaid_bank_check"),
])
def test_sup8_billing_triage_items_name_their_seed_003_flow_which_reaches_the_same_finding(build, code, flow, outcome,
                                                                                           world, api):
    member = build(world)
    items = {i["code"]: i for i in api.get(f"/api/v1/support/triage/?member={member.pk}").json()}
    assert items[code]["flow"] == flow
    assert run_case(api, member, flow, [])["outcome"]["code"] == outcome


def test_sup6_a_fact_s_labels_must_name_its_values():
    import copy

    from support import engine, registry, services

    definition = copy.deepcopy(SHIPPED["faq-overpaid"])
    definition["nodes"]["overpaid_check"]["value_labels"] = {"cheque": "バンクチェック"}
    assert engine.check(definition, facts=registry.FACTS, actions=registry.ACTIONS,
                        procedures=services.procedure_ids()) == ["overpaid_check: value_labels name branch values"]


def test_sup6_the_chart_names_the_billing_outcomes_and_values_in_japanese():
    from support import chart

    svg = str(chart.render(SHIPPED["faq-overpaid"]))
    for text in ("過払い(バンクチェック)", "過払いなし", "バンクチェック", "ほかの支払方法"):
        assert text in svg
    import re

    edge_labels = re.findall(r'class="chart-edge-label"[^>]*>([^<]*)<', svg)
    assert edge_labels and not [t for t in edge_labels if re.search(r"[a-z_]{4,}", t)]  # no raw value on an edge


@pytest.mark.parametrize("flow", ["faq-run-no-invoice", "faq-move-payment", "faq-combined-payment",
                                  "faq-invoice-cancel"])
def test_sup2_a_billing_case_reads_the_record_in_bounded_queries(flow, world, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(years: int) -> int:
        member = world.member()
        for back in range(years):
            world.pay(world.invoice(member, year=world.year - back), amount=3_000)
        world.run([member])
        with CaptureQueriesContext(connection) as queries:
            assert api.post(CASES, {"flow": flow, "member": member.pk}, format="json").status_code == 201
        return len(queries)

    count(1)  # the flow's first case publishes its version
    assert count(2) == count(8) <= 25


def test_sup7_publish_flows_publishes_the_23_billing_flows_once(capsys):
    from django.core.management import call_command

    from support.models import FlowVersion

    call_command("publish_flows")
    call_command("publish_flows")  # a second run publishes nothing new
    published = set(FlowVersion.objects.values_list("flow", flat=True))
    assert set(SEED_ENTRIES) <= published
    assert FlowVersion.objects.filter(flow__in=SEED_ENTRIES).count() == len(SEED_ENTRIES)
