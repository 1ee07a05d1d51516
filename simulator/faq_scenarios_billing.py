"""SIM-3 for seed 003's 請求・入金 flows (support/flows/faq_billing.py, sandboxes only): a member for every outcome
that depends on the record, built through the domain services like the other scenarios, and the rows of シナリオ一覧
that name, for each such outcome, the member whose record leads there (a billing scenario member where one already
does: ``paid``, ``unpaid``, ``overpaid``…).

Not here: the outcomes of a billing run still 作成依頼中 / 作成中 or failed (a sandbox's worker runs a requested run
at once, so such a state does not stay), and the two of [faq-pay-by-affiliation] that depend on the society's bank
account setting rather than on a member. The tests build those from factory records.

Japanese here is fixture data (names, what each member shows)."""

from __future__ import annotations

import datetime

from backoffice import clock
from billing import selectors as billing_selectors
from billing.models import ONLINE_METHODS, Category, Invoice, PaymentMethod
from billing.services import invoices as invoice_services
from billing.services import payments as payment_services
from billing.services import runs as run_services
from members import services as member_services
from members.factories import create_member_with_history
from members.models import Member, MemberAdjustment, Status

RUN_MARK = "(シナリオ)"  # the runs these scenarios request carry it in their name, so a reset removes them


def _scenarios():
    from .scenarios import DOMAIN, Scenario

    return [
        Scenario("faq_no_invoice", "菅原 陽子", "スガワラ ヨウコ", f"yoko.sugawara@{DOMAIN}", "regular",
                 "請求なし: 請求も請求作成の記録もない会員(請求・入金のよくある問い合わせで「記録がない」場合)"),
        Scenario("faq_run_excluded", "西村 直樹", "ニシムラ ナオキ", f"naoki.nishimura@{DOMAIN}", "regular",
                 "請求作成で会員種別を除外: 今年度の年会費請求(この会員だけ)を正会員を除外して作成、請求されていない"),
        Scenario("faq_run_withdrawal", "太田 美穂", "オオタ ミホ", f"miho.ota@{DOMAIN}", "regular",
                 "年度末で退会予定: 退会予定日が次年度の請求引当開始月より前のため、次年度の年会費請求から自動的に除外"),
        Scenario("faq_scheduled_included", "小川 智子", "オガワ トモコ", f"tomoko.ogawa@{DOMAIN}", "regular",
                 "次年度の途中で退会予定: 退会予定日が次年度の請求引当開始月と同月のため、次年度の年会費請求の対象"),
        Scenario("faq_run_already_billed", "三浦 健太", "ミウラ ケンタ", f"kenta.miura@{DOMAIN}", "regular",
                 "請求済み: 個別に作成した今年度の年会費があるため、年会費請求(この会員だけ)で重ねて請求されていない"),
        Scenario("faq_run_not_eligible", "福田 久美子", "フクダ クミコ", f"kumiko.fukuda@{DOMAIN}", "regular",
                 "退会済み: 先月退会した会員を年会費請求の対象者に選んで作成、会員状況のため請求されていない"),
        Scenario("faq_cancelled_only", "中野 修", "ナカノ オサム", f"osamu.nakano@{DOMAIN}", "regular",
                 "取消済みの請求だけ: 今年度の年会費を作成後に取消(入金なし)"),
        Scenario("faq_next_year_billed", "金子 翔太", "カネコ ショウタ", f"shota.kaneko@{DOMAIN}", "regular",
                 "来年度の請求作成済み: 来年度の年会費を個別に作成済み(減額は請求調整額で)"),
        Scenario("faq_permanent_adjustment", "和田 千尋", "ワダ チヒロ", f"chihiro.wada@{DOMAIN}", "regular",
                 "恒久的な調整金額: 毎回2,000円減額する恒久的な調整金額を登録済み"),
        Scenario("faq_overpaid_transfer", "中島 誠", "ナカジマ マコト", f"makoto.nakajima@{DOMAIN}", "regular",
                 "過払い(銀行振込): 今年度の年会費に銀行振込で12,000円入金"),
        Scenario("faq_combined_bank_check", "前田 彩", "マエダ アヤ", f"aya.maeda@{DOMAIN}", "regular",
                 "まとめて入金(バンクチェック): 昨年度が未入金のまま、2年分を今年度の請求にバンクチェックで入金"),
        Scenario("faq_combined_transfer", "藤田 亮", "フジタ リョウ", f"ryo.fujita@{DOMAIN}", "regular",
                 "まとめて入金(銀行振込): 昨年度が未入金のまま、2年分を今年度の請求に銀行振込で入金"),
        Scenario("faq_move_online", "小野 恵子", "オノ ケイコ", f"keiko.ono@{DOMAIN}", "regular",
                 "最新年度に入金(オンライン): 昨年度が未入金のまま、今年度の年会費をクレジットカードで入金"),
        Scenario("faq_move_offline", "竹内 浩", "タケウチ ヒロシ", f"hiroshi.takeuchi@{DOMAIN}", "regular",
                 "最新年度に入金(オフライン): 昨年度が未入金のまま、今年度の年会費を銀行振込で入金"),
    ]


#: the triage codes whose item starts a billing faq flow (support/triage.py), for シナリオ一覧's triage rows
TRIAGE_FLOWS = {"invoice_unconfirmed": "faq-invoice-not-on-mypage", "invoice_overpaid": "faq-overpaid"}

#: (flow, outcome, the scenario member's key, the caller's answers): every outcome of the billing flows that
#: depends on the record and that a scenario member shows
ROWS = [
    ("faq-run-pending", "run_done", "paid", []), ("faq-run-pending", "no_run", "faq_no_invoice", []),
    ("faq-run-slow", "run_done", "paid", []), ("faq-run-slow", "no_run", "faq_no_invoice", []),
    ("faq-run-no-invoice", "billed", "paid", []), ("faq-run-no-invoice", "cancelled", "cancelled", []),
    ("faq-run-no-invoice", "excluded_type", "faq_run_excluded", []),
    ("faq-run-no-invoice", "withdrawal", "faq_run_withdrawal", []),
    ("faq-run-no-invoice", "already_billed", "faq_run_already_billed", []),
    ("faq-run-no-invoice", "not_eligible", "faq_run_not_eligible", []),
    ("faq-run-no-invoice", "no_run", "faq_no_invoice", []),
    ("faq-invoice-not-on-mypage", "unconfirmed", "unconfirmed", []),
    ("faq-invoice-not-on-mypage", "shown", "paid", []),
    ("faq-invoice-not-on-mypage", "no_invoice", "faq_no_invoice", []),
    ("faq-zero-fee", "no_payment_needed", "no_payment_needed", [("wants_invoice", "yes")]),
    ("faq-zero-fee", "exclude_type", "no_payment_needed", [("wants_invoice", "no")]),
    ("faq-scheduled-withdrawal", "excluded", "faq_run_withdrawal", []),
    ("faq-scheduled-withdrawal", "included", "faq_scheduled_included", []),
    ("faq-scheduled-withdrawal", "no_date", "paid", []),
    ("faq-scheduled-withdrawal", "not_billed", "faq_run_not_eligible", []),
    ("faq-invoice-rename", "edit", "paid", []), ("faq-invoice-rename", "no_run", "faq_no_invoice", []),
    ("faq-invoice-cancel", "before_payment", "unpaid", []), ("faq-invoice-cancel", "after_payment", "paid", []),
    ("faq-invoice-cancel", "already_cancelled", "faq_cancelled_only", []),
    ("faq-invoice-cancel", "no_invoice", "faq_no_invoice", []),
    ("faq-invoice-cannot-cancel", "has_payments", "paid", []),
    ("faq-invoice-cannot-cancel", "cancellable", "unpaid", []),
    ("faq-invoice-cannot-cancel", "already_cancelled", "faq_cancelled_only", []),
    ("faq-invoice-cannot-cancel", "no_invoice", "faq_no_invoice", []),
    ("faq-rebill-next-year", "before_payment", "unpaid", []), ("faq-rebill-next-year", "after_payment", "paid", []),
    ("faq-rebill-next-year", "after_payment_online", "overpaid", []),
    ("faq-rebill-next-year", "no_invoice", "faq_no_invoice", []),
    ("faq-discount-next-year", "before_billing", "paid", []),
    ("faq-discount-next-year", "after_billing", "faq_next_year_billed", []),
    ("faq-discount-permanent", "register", "paid", []),
    ("faq-discount-permanent", "registered", "faq_permanent_adjustment", []),
    ("faq-type-correction", "before_payment", "unpaid", []), ("faq-type-correction", "after_payment", "paid", []),
    ("faq-type-correction", "no_invoice", "faq_no_invoice", []),
    ("faq-type-change-midterm", "before_payment", "unpaid", []),
    ("faq-type-change-midterm", "after_payment", "paid", []),
    ("faq-type-change-midterm", "no_invoice", "faq_no_invoice", []),
    ("faq-pay-multi-year", "online", "lapse_unpaid", [("method", "online")]),
    ("faq-pay-multi-year", "offline", "lapse_unpaid", [("method", "offline")]),
    ("faq-overpayment-possible", "possible", "paid", []),
    ("faq-overpayment-possible", "bank_check_overpaid", "overpaid", []),
    ("faq-overpayment-possible", "overpaid", "faq_overpaid_transfer", []),
    ("faq-combined-payment", "split_bank_check", "faq_combined_bank_check", []),
    ("faq-combined-payment", "split", "faq_combined_transfer", []),
    ("faq-combined-payment", "not_found", "overpaid", []),
    ("faq-overpaid", "overpaid_bank_check", "overpaid", []), ("faq-overpaid", "overpaid", "faq_overpaid_transfer", []),
    ("faq-overpaid", "not_overpaid", "paid", []),
    ("faq-move-payment", "online", "faq_move_online", []), ("faq-move-payment", "offline", "faq_move_offline", []),
    ("faq-move-payment", "not_found", "paid", []),
]


def count(society) -> int:
    return len(_scenarios()) if society.is_sandbox else 0


def rows(registered: dict, existing: dict, row_type) -> list:
    """The rows of シナリオ一覧: each of these members' own row, then one row per (flow, outcome) of ``ROWS`` naming
    its member (``existing``: the list's rows so far by key; ``registered``: the scenario members by key)."""
    from support.flows import SHIPPED

    own = [row_type(case.key, case.shows.split(":")[0], case.shows, registered.get(case.key)) for case in _scenarios()]
    by_key = {**existing, **{r.key: r for r in own}}
    out = list(own)
    for flow, outcome, key, answers in ROWS:
        nodes = SHIPPED[flow]["nodes"]
        said = "、".join(next(o["label"] for o in nodes[node]["options"] if o["value"] == value)
                        for node, value in answers)
        shows = f"{SHIPPED[flow]['title']} → {outcome}" + (f"(回答: {said})" if said else "") + f" — {by_key[key].shows}"
        out.append(row_type(f"{flow}_{outcome}", f"{flow} {outcome}", shows, by_key[key].member, flow, alias=True))
    return out


def _invoice(actor, society, member, year: int, *, confirm: bool = True) -> Invoice:
    invoice = invoice_services.invoice_create(actor=actor, society=society, member=member, name=f"{year}年度 年会費",
                                              category=Category.ANNUAL, fiscal_year=year,
                                              amount=member.member_type.annual_fee)
    return invoice_services.invoice_confirm(actor=actor, invoice=invoice) if confirm else invoice


def _pay(actor, society, invoice: Invoice, amount: int, method: str, days_ago: int = 7):
    online = method in ONLINE_METHODS  # an online payment carries its 決済番号, as one made on My Page does
    return payment_services.payment_register(
        actor=actor, invoice=invoice, amount=amount, method=method,
        paid_on=clock.today(society) - datetime.timedelta(days=days_ago),
        settlement_number=payment_services.new_settlement_number(society) if online else "")


def build(society, *, actor, member_type) -> dict[str, Member]:
    """The members of ``_scenarios()`` with their runs, invoices, payments and adjustments."""
    from .scenarios import _past

    today = clock.today(society)
    year = billing_selectors.current_fiscal_year(society)
    start_month = getattr(society, "fiscal_year_start_month", 4) or 4
    next_start = datetime.date(year + 1, start_month, 1)
    members = {
        s.key: create_member_with_history(Status.ACTIVE, applied_on=today - datetime.timedelta(days=800),
                                          society=society, member_type=member_type, name=s.name, name_kana=s.kana,
                                          email=s.email)
        for s in _scenarios()
    }

    def run(member, *, fiscal_year=year, allocation_start=None, days_ago=0, **kw):
        requested = run_services.billing_run_request(
            actor=actor, society=_past(society, days_ago), name=f"{fiscal_year}年度 年会費{RUN_MARK}",
            category=Category.ANNUAL, fiscal_year=fiscal_year,
            allocation_start=allocation_start or datetime.date(fiscal_year, start_month, 1),
            member_ids=[member.pk], **kw)
        run_services.billing_run_execute(actor=actor, run_id=requested.pk)

    run(members["faq_run_excluded"], exclude_member_types=[member_type], days_ago=20)
    # 退会予定: the last day of this fiscal year, before next year's allocation start month; and one in it
    member_services.member_status_add(actor=actor, member=members["faq_run_withdrawal"], status=Status.WITHDRAWN,
                                      effective_date=next_start - datetime.timedelta(days=1))
    run(members["faq_run_withdrawal"], fiscal_year=year + 1, allocation_start=next_start)
    member_services.member_status_add(actor=actor, member=members["faq_scheduled_included"], status=Status.WITHDRAWN,
                                      effective_date=next_start + datetime.timedelta(days=14))
    _invoice(actor, society, members["faq_run_already_billed"], year)
    run(members["faq_run_already_billed"], days_ago=10)
    member_services.member_status_add(actor=actor, member=members["faq_run_not_eligible"], status=Status.WITHDRAWN,
                                      effective_date=today - datetime.timedelta(days=30))
    run(members["faq_run_not_eligible"])
    invoice_services.invoice_cancel(actor=actor, invoice=_invoice(actor, society, members["faq_cancelled_only"], year))
    _invoice(actor, society, members["faq_next_year_billed"], year + 1, confirm=False)
    member_services.member_adjustment_add(actor=actor, member=members["faq_permanent_adjustment"],
                                          kind=MemberAdjustment.Kind.PERMANENT, amount=-2_000, note="シナリオ: 毎回減額")
    fee = member_type.annual_fee
    _pay(actor, society, _invoice(actor, society, members["faq_overpaid_transfer"], year), fee + 2_000,
         PaymentMethod.BANK_TRANSFER)
    for key, method, amount in (("faq_combined_bank_check", PaymentMethod.BANK_CHECK, 2 * fee),
                                ("faq_combined_transfer", PaymentMethod.BANK_TRANSFER, 2 * fee),
                                ("faq_move_online", PaymentMethod.CREDIT_CARD, fee),
                                ("faq_move_offline", PaymentMethod.BANK_TRANSFER, fee)):
        _invoice(actor, society, members[key], year - 1)
        _pay(actor, society, _invoice(actor, society, members[key], year), amount, method)
    return members


def remove_runs(society) -> None:
    """The runs these scenarios requested (marked in their name), once their members' invoices are gone."""
    from billing.models import BillingRun

    BillingRun.objects.filter(society=society, name__endswith=RUN_MARK, invoices__isnull=True).delete()
