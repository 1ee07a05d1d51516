"""The guided procedures' scenarios (SIM-3 for SUP-4, PAY-5; issue 14): one member for every variant of every one
of the six procedures of API.md (support/procedures/), each holding the record the variant needs — an invoice
before payment, paid online or offline, overpaid, two years unpaid with this year's payment on the wrong one —
built through the real services (``invoice_create``, ``invoice_confirm``, ``payment_register``) by
``simulator.scenarios.build`` in a training sandbox, and listed in シナリオ一覧 with [ガイド付き手順を開く]: the
procedure page (``/admin/support/procedures/<id>/``) with the params the member's records give, prefilled.

The simulator imports no support/: the page is named by its URL name, and its query is the page's own form
fields (``invoice`` / ``payment`` / ``invoices``, ``member_type``, ``to_invoice``, ``amount_<invoice id>``).

Japanese here is fixture data (names, what each member shows), like ``simulator.scenarios``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.urls import reverse
from django.utils.http import urlencode

from backoffice import clock
from backoffice.services import Actor
from billing import selectors as billing_selectors
from billing.models import ONLINE_METHODS, Category, Invoice, Payment, PaymentMethod
from billing.services import invoices as invoice_services
from billing.services import payments as payment_services
from members.factories import create_member_with_history
from members.models import Member, MemberType, Society, Status

DOMAIN = "example.ac.jp"
#: The member types the procedures' scenarios use besides 正会員 (created in a sandbox that has none).
STUDENT = ("student", "学生会員", 3_000)
REGULAR_FEE = 10_000


@dataclasses.dataclass
class Records:
    """A scenario member's records as the list and the params read them: live invoices (fiscal year, number
    order), live payments (oldest first) and the society's member types by code."""

    member: Member
    invoices: list[Invoice]
    payments: list[Payment]
    types: dict[str, MemberType]

    def latest(self) -> Invoice | None:
        return self.invoices[-1] if self.invoices else None

    def oldest(self) -> Invoice | None:
        return self.invoices[0] if self.invoices else None

    def payment(self) -> Payment | None:
        return self.payments[-1] if self.payments else None


@dataclasses.dataclass(frozen=True)
class ProcedureScenario:
    procedure: str  # the procedure's id (support.procedures)
    variant: str  # before, after-offline, … (the e-mail's and the key's last part)
    label: str  # the variant as the manual names it
    name: str
    kana: str
    member_type: str  # the member's type code when built ("regular" or "student")
    shows: str
    steps: tuple[str, ...]  # the manual's steps the variant runs (the procedure's labels)
    build: Callable[["Builder", Member], None]
    params: Callable[[Records], dict]

    @property
    def key(self) -> str:  # ScenarioMember.key (40 characters)
        return f"proc-{SHORT[self.procedure]}-{self.variant}"

    @property
    def email(self) -> str:
        return f"proc-{self.procedure}-{self.variant}@{DOMAIN}"


SHORT = {"rebill_next_year": "rebill", "member_type_correction": "mtc", "overpayment_to_next_year": "overpaid",
         "move_payment": "move", "split_combined_payment": "split", "combine_invoices": "combine"}


@dataclasses.dataclass
class Builder:
    """What a scenario's ``build`` needs: the society, the system actor, the fiscal years and the member types."""

    society: Society
    actor: Actor
    types: dict[str, MemberType]

    @property
    def this_year(self) -> int:
        return billing_selectors.current_fiscal_year(self.society)

    def invoice(self, member: Member, year_offset: int = 0, amount: int | None = None) -> Invoice:
        """[請求作成] and [請求内容確定]: 「<year>年度 年会費」 (annual) of the member's type's fee, on My Page."""
        year = self.this_year + year_offset
        start_month = getattr(self.society, "fiscal_year_start_month", 4) or 4
        fee = member.member_type.annual_fee if amount is None else amount
        invoice = invoice_services.invoice_create(
            actor=self.actor, society=self.society, member=member, name=f"{year}年度 年会費", category=Category.ANNUAL,
            fiscal_year=year, amount=fee, due_date=datetime.date(year, start_month, 1) + datetime.timedelta(days=90))
        return invoice_services.invoice_confirm(actor=self.actor, invoice=invoice)

    def pay(self, invoice: Invoice, amount: int, method: str, days_ago: int = 7) -> Payment:
        """[入金情報登録]: an online payment carries its 決済番号, as one made on My Page does."""
        online = method in ONLINE_METHODS
        return payment_services.payment_register(
            actor=self.actor, invoice=invoice, amount=amount, method=method,
            paid_on=clock.today(self.society) - datetime.timedelta(days=days_ago),
            settlement_number=payment_services.new_settlement_number(self.society) if online else "")


# --- builds ---------------------------------------------------------------------------------------------------


def _unpaid(b: Builder, m: Member) -> None:
    b.invoice(m)


def _paid(method: str, amount: int | None = None):
    def build(b: Builder, m: Member) -> None:
        invoice = b.invoice(m)
        b.pay(invoice, invoice.amount if amount is None else amount, method)
    return build


def _two_years_latest_paid(method: str, amount: int = REGULAR_FEE):
    """Last year's and this year's invoices unpaid but for one payment on this year's (the wrong one)."""
    def build(b: Builder, m: Member) -> None:
        b.invoice(m, -1)
        b.pay(b.invoice(m), amount, method)
    return build


def _two_years_unpaid(b: Builder, m: Member) -> None:
    b.invoice(m, -1)
    b.invoice(m)


# --- params (from the member's records as they are now) --------------------------------------------------------


def _invoice_param(r: Records) -> dict:
    latest = r.latest()
    return {"invoice": latest.pk} if latest else {}


def _to_type(code: str):
    def params(r: Records) -> dict:
        found = _invoice_param(r)
        if found and code in r.types:
            found["member_type"] = r.types[code].pk
        return found
    return params


def _move_params(r: Records) -> dict:
    payment, oldest = r.payment(), r.oldest()
    if payment is None or oldest is None:
        return {}
    return {"payment": payment.pk, "to_invoice": oldest.pk}


def _split_params(r: Records) -> dict:
    payment = r.payment()
    if payment is None:
        return {}
    return {"payment": payment.pk,
            "allocations": [{"invoice": i.pk, "amount": i.amount + i.adjustment} for i in r.invoices]}


def _combine_params(r: Records) -> dict:
    return {"invoices": [i.pk for i in r.invoices]} if len(r.invoices) > 1 else {}


REBILL_AFTER = ("①入金履歴削除", "②請求取消", "③次年度の請求作成", "④入金情報登録")
MTC_AFTER = ("①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録")
OVERPAID = ("①入金履歴削除", "②当年度の請求に入金情報登録", "③次年度の請求作成", "④過払い分の入金情報登録")

SCENARIOS = [
    ProcedureScenario(
        "rebill_next_year", "before", "入金前", "秋山 一郎", "アキヤマ イチロウ", "regular",
        "次年度からの入会希望者に当年度の請求を作成してしまった【入金前の場合】: 今年度の年会費が未入金 → ①請求取消 → ②次年度の請求作成",
        ("①請求取消", "②次年度の請求作成"), _unpaid, _invoice_param),
    ProcedureScenario(
        "rebill_next_year", "after-offline", "入金後(オフライン)", "秋山 二郎", "アキヤマ ジロウ", "regular",
        "次年度からの入会希望者に当年度の請求を作成してしまった【入金後の場合】: 今年度の年会費を銀行振込で入金済 → ①入金履歴削除 → "
        "②請求取消 → ③次年度の請求作成 → ④入金情報登録(入金日をそのまま)",
        REBILL_AFTER, _paid(PaymentMethod.BANK_TRANSFER), _invoice_param),
    ProcedureScenario(
        "rebill_next_year", "after-online", "入金後(オンライン)", "秋山 三郎", "アキヤマ サブロウ", "regular",
        "次年度からの入会希望者に当年度の請求を作成してしまった【入金後の場合】: 今年度の年会費をクレジットカードで入金済(決済番号あり) → "
        "①入金履歴削除 → ②請求取消 → ③次年度の請求作成 → ④入金情報登録(備考に決済番号と作業メモ、PAY-3)",
        REBILL_AFTER, _paid(PaymentMethod.CREDIT_CARD), _invoice_param),
    ProcedureScenario(
        "member_type_correction", "before", "入金前", "水野 花子", "ミズノ ハナコ", "regular",
        "正会員で年会費請求した後に学生会員のままと分かった【入金前の場合】: 正会員の年会費10,000円が未入金 → ①請求取消 → ②会員種別変更 → "
        "③請求作成(学生会員3,000円)",
        ("①請求取消", "②会員種別変更", "③請求作成"), _unpaid, _to_type("student")),
    ProcedureScenario(
        "member_type_correction", "after-offline", "入金後(オフライン)", "水野 次郎", "ミズノ ジロウ", "regular",
        "正会員で年会費請求した後に学生会員のままと分かった【入金後の場合】: 正会員の請求に学生会員の年会費3,000円を銀行振込で入金 → "
        "①入金履歴削除 → ②請求取消 → ③会員種別変更 → ④請求作成 → ⑤入金情報登録",
        MTC_AFTER, _paid(PaymentMethod.BANK_TRANSFER, 3_000), _to_type("student")),
    ProcedureScenario(
        "member_type_correction", "after-online", "入金後(オンライン)", "水野 美咲", "ミズノ ミサキ", "student",
        "会期途中で学生会員から正会員に会員種別が変わった: 学生会員の年会費3,000円をクレジットカードで入金済(決済番号あり) → ①入金履歴削除 → "
        "②請求取消 → ③会員種別変更 → ④請求作成(正会員10,000円) → ⑤入金情報登録(決済番号と作業メモ、残り7,000円が未入金)",
        MTC_AFTER, _paid(PaymentMethod.CREDIT_CARD), _to_type("regular")),
    ProcedureScenario(
        "member_type_correction", "overpaid", "入金後・過払いあり(⑥⑦)", "水野 健太", "ミズノ ケンタ", "regular",
        "正会員で年会費請求した後に学生会員のままと分かった【入金後の場合】: 正会員の年会費10,000円を銀行振込で全額入金済 → ①〜⑤、"
        "学生会員3,000円を超える7,000円は ⑥次年度請求作成 → ⑦過払い分入金情報登録",
        (*MTC_AFTER, "⑥次年度請求作成", "⑦過払い分入金情報登録"), _paid(PaymentMethod.BANK_TRANSFER),
        _to_type("student")),
    ProcedureScenario(
        "overpayment_to_next_year", "online", "オンライン(バンクチェック)", "野口 里美", "ノグチ サトミ", "regular",
        "間違えて多く入金されました(オンライン): 今年度の年会費10,000円にバンクチェック(ROBOT PAYMENT、決済番号あり)で12,000円 → "
        "①入金履歴削除 → ②当年度の請求に入金情報登録 → ③次年度の請求作成 → ④過払い分の入金情報登録(どちらも決済番号と作業メモ)",
        OVERPAID, _paid(PaymentMethod.BANK_CHECK, 12_000), _invoice_param),
    ProcedureScenario(
        "overpayment_to_next_year", "offline", "オフライン(銀行振込)", "野口 正人", "ノグチ マサト", "regular",
        "間違えて多く入金されました(オフライン): 今年度の年会費10,000円に銀行振込で12,000円 → ①入金履歴削除 → ②当年度の請求に入金情報登録 → "
        "③次年度の請求作成 → ④過払い分の入金情報登録(作業メモ)",
        OVERPAID, _paid(PaymentMethod.BANK_TRANSFER, 12_000), _invoice_param),
    ProcedureScenario(
        "move_payment", "online", "オンライン", "菅原 大地", "スガワラ ダイチ", "regular",
        "複数年度未入金で最新年度に入金があったので古い年度に割り当てたい(オンライン): 昨年度・今年度が未入金、今年度にクレジットカードで"
        "10,000円 → ①入金履歴削除 → ②請求取消 → ③請求作成 → ④割り当てたい請求(昨年度)に入金情報登録",
        ("①入金履歴削除", "②請求取消", "③請求作成", "④割り当てたい請求に入金情報登録"),
        _two_years_latest_paid(PaymentMethod.CREDIT_CARD), _move_params),
    ProcedureScenario(
        "move_payment", "offline", "オフライン", "菅原 千尋", "スガワラ チヒロ", "regular",
        "複数年度未入金で最新年度に入金があったので古い年度に割り当てたい(オフライン): 昨年度・今年度が未入金、今年度に郵便振替で10,000円 → "
        "①入金履歴削除 → ②割り当てたい請求(昨年度)に入金情報登録",
        ("①入金履歴削除", "②割り当てたい請求に入金情報登録"),
        _two_years_latest_paid(PaymentMethod.POSTAL_TRANSFER), _move_params),
    ProcedureScenario(
        "split_combined_payment", "offline", "オフライン", "宮本 彩花", "ミヤモト アヤカ", "regular",
        "未納の年会費を1つの請求にまとめて入金されました: 昨年度・今年度の未納分20,000円を今年度の請求に銀行振込 → ①入金履歴削除 → "
        "②当該年度の請求に入金情報登録(年度ごとに10,000円ずつ)",
        ("①入金履歴削除", "②当該年度の請求に入金情報登録"),
        _two_years_latest_paid(PaymentMethod.BANK_TRANSFER, 2 * REGULAR_FEE), _split_params),
    ProcedureScenario(
        "combine_invoices", "online", "オンライン決済", "宮本 拓海", "ミヤモト タクミ", "regular",
        "会員から複数年会費まとめて支払いたいと言われました【オンライン決済の場合】: 昨年度・今年度が未入金 → ①請求取消(両方) → "
        "②複数年度を1つにまとめた請求作成(20,000円、マイページで一度に支払える)",
        ("①請求取消", "②複数年度を1つにまとめた請求作成"), _two_years_unpaid, _combine_params),
]
BY_KEY = {s.key: s for s in SCENARIOS}


def emails() -> set[str]:
    return {s.email for s in SCENARIOS}


def _types(society: Society, *, actor: Actor, member_type_of: Callable[[str], MemberType]) -> dict[str, MemberType]:
    from members import services as member_services

    types = {"regular": member_type_of("regular")}
    code, name, fee = STUDENT
    types[code] = (MemberType.objects.filter(society=society, code=code).first()
                   or member_services.member_type_create(actor=actor, society=society, code=code, name=name,
                                                         annual_fee=fee))
    return types


def build(society: Society, *, actor: Actor, member_type_of: Callable[[str], MemberType],
          cases: list[ProcedureScenario] | None = None) -> dict[str, Member]:
    """Every procedure's scenario member of ``society`` (or those of ``cases``) with its invoices and payments
    ({key: member})."""
    types = _types(society, actor=actor, member_type_of=member_type_of)
    builder = Builder(society=society, actor=actor, types=types)
    today = clock.today(society)
    members = {}
    for case in SCENARIOS if cases is None else cases:
        member = create_member_with_history(
            Status.ACTIVE, applied_on=today - datetime.timedelta(days=800), society=society,
            member_type=types[case.member_type], name=case.name, name_kana=case.kana, email=case.email)
        case.build(builder, member)
        members[case.key] = member
    return members


# --- the list: the records now and the procedure page's link -------------------------------------------------


def records_of(society: Society, members: list[Member]) -> dict[int, Records]:
    """The records of ``members`` in three queries (invoices, payments, member types), whatever their number."""
    found = {m.pk: Records(m, [], [], {}) for m in members}
    if not found:
        return found
    types = {t.code: t for t in MemberType.objects.filter(society=society)}
    for invoice in (Invoice.objects.filter(member_id__in=found, cancelled_at__isnull=True)
                    .order_by("fiscal_year", "number")):
        found[invoice.member_id].invoices.append(invoice)
    for payment in (Payment.objects.live().filter(invoice__member_id__in=found, invoice__cancelled_at__isnull=True)
                    .select_related("invoice").order_by("paid_on", "pk")):
        found[payment.invoice.member_id].payments.append(payment)
    for records in found.values():
        records.types = types
    return found


def params_of(case: ProcedureScenario, records: Records) -> dict:
    """The procedure's params as the member's records give them now (API.md's shape)."""
    return case.params(records)


def page_query(params: dict) -> list[tuple[str, object]]:
    """The procedure page's form fields for ``params``: the subject (``invoice`` / ``payment``, or ``invoices``
    repeated) and ``member_type``, ``to_invoice``, ``amount_<invoice id>`` — what the page reads from its query."""
    query: list[tuple[str, object]] = []
    for key in ("invoice", "payment", "member_type", "to_invoice"):
        if key in params:
            query.append((key, params[key]))
    query += [("invoices", pk) for pk in params.get("invoices", [])]
    query += [(f"amount_{a['invoice']}", a["amount"]) for a in params.get("allocations", [])]
    return query


def page_url(case: ProcedureScenario, records: Records) -> str:
    """[ガイド付き手順を開く]: the procedure page with the params prefilled ('' when the records give none)."""
    params = params_of(case, records)
    if not params:
        return ""
    return f"{reverse('support-page-procedure', args=[case.procedure])}?{urlencode(page_query(params))}"
