"""The scenarios of a society (SIM-3), built in this one place: a member in every branch of every flow — seed
000's outcomes A–F (``members.showcase``, training sandboxes only) and the billing states (every 請求・入金状況,
a deleted payment, a split payment, an unconfirmed invoice, lapse candidates, an imported bank statement) — and
the scenario list that says which member demonstrates what.

``scenarios_reset`` (the command ``reset_scenarios`` and the button [シナリオ再作成]) removes the previous scenario
members of a sandbox and everything hanging off them, then builds them again, in one transaction; ``build`` is
what ``seed_demo`` calls for a society that has none yet. Everything is written through the domain services
(members from the factories, like the rest of the demo data), as a system actor; the reset itself is one audit
entry ``simulator.scenarios.reset`` by the operator who asked.

Japanese here is fixture data (names, what each member shows), like the factories' names.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import DomainError
from backoffice.services import Actor, check_society, holds, service
from billing import selectors as billing_selectors
from billing.models import (ONLINE_METHODS, BankStatement, BankStatementRow, BillingRun, Category, Invoice,
                            Payment, PaymentMethod, Reminder)
from billing.services import invoices as invoice_services
from billing.services import payments as payment_services
from billing.services import runs as run_services
from billing.services import statements as statement_services
from members import services as member_services
from members import showcase
from members.factories import create_member_with_history
from members.models import APass, APassUnlink, Member, MemberType, MyPageSignIn, Society, Status

from . import faq_scenarios_members, operator_scenarios, procedure_scenarios
from .models import ScenarioMember

DOMAIN = "example.ac.jp"
STATEMENT_FILENAME = "シナリオ_入金明細.csv"
#: Member types the billing scenarios use (created in a sandbox that has none).
TYPES = {"regular": ("正会員", 10_000), "honorary": ("名誉会員", 0)}


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    kana: str
    email: str
    member_type: str  # a MemberType code
    shows: str  # what the member demonstrates


# Family names outside the factories' list, so that a bank statement's kana finds exactly the member meant.
BILLING = [
    Scenario("paid", "岡田 和也", "オカダ カズヤ", f"kazuya.okada@{DOMAIN}", "regular",
             "入金済: 昨年度・今年度とも銀行振込で全額入金"),
    Scenario("unpaid", "松田 恵", "マツダ メグミ", f"megumi.matsuda@{DOMAIN}", "regular",
             "未入金: 昨年度は入金済、今年度の年会費が未入金(督促メールの対象)"),
    Scenario("partially_paid", "石井 大輔", "イシイ ダイスケ", f"daisuke.ishii@{DOMAIN}", "regular",
             "一部入金: 今年度の年会費を郵便振替で一部だけ入金"),
    Scenario("overpaid", "原田 真理", "ハラダ マリ", f"mari.harada@{DOMAIN}", "regular",
             "過入金: 今年度の年会費をバンクチェック(ROBOT PAYMENT、決済番号あり)で請求額より多く入金"),
    Scenario("no_payment_needed", "藤原 昭", "フジワラ アキラ", f"akira.fujiwara@{DOMAIN}", "honorary",
             "入金不要: 名誉会員(年会費0円)の請求"),
    Scenario("cancelled", "後藤 翔", "ゴトウ ショウ", f"sho.goto@{DOMAIN}", "regular",
             "取消・入金履歴削除: 今年度の入金を削除(PAY-2、取り消し線で表示)してから請求取消(BIL-7)"),
    Scenario("split", "長谷川 聡", "ハセガワ サトシ", f"satoshi.hasegawa@{DOMAIN}", "regular",
             "複数年度への振り分け: 1回の銀行振込を昨年度と今年度の請求に振り分け(PAY-4)"),
    Scenario("unconfirmed", "村上 優", "ムラカミ ユウ", f"yu.murakami@{DOMAIN}", "regular",
             "請求内容未確定: 今年度の大会参加費の請求が未確定(マイページに表示されない、BIL-3)"),
    Scenario("lapse_unpaid", "近藤 隆", "コンドウ タカシ", f"takashi.kondo@{DOMAIN}", "regular",
             "会員資格喪失候補: 一昨年度の入会時請求と昨年度・今年度の年会費が未入金(MEM-9)"),
    Scenario("lapse_partial", "坂本 由紀", "サカモト ユキ", f"yuki.sakamoto@{DOMAIN}", "regular",
             "会員資格喪失候補: 一昨年度が未入金、昨年度が一部入金(MEM-9)"),
    Scenario("statement_matched", "遠藤 健", "エンドウ ケン", f"ken.endo@{DOMAIN}", "regular",
             "入金消込: 明細の振込人名義(ｴﾝﾄﾞｳ ｹﾝ)と金額が一致して消込済(PAY-6)"),
    Scenario("statement_ambiguous_1", "青木 翼", "アオキ ツバサ", f"tsubasa.aoki@{DOMAIN}", "regular",
             "入金消込: 同じフリガナの会員が2人いるため明細の行が候補複数([消込]で手作業、PAY-6)"),
    Scenario("statement_ambiguous_2", "青木 翼", "アオキ ツバサ", f"tsubasa.aoki2@{DOMAIN}", "regular",
             "入金消込: 候補複数のもう1人の青木 翼(PAY-6)"),
]
#: Support scenarios (issue 13 point 8, sandboxes only): the triage codes seed 000's members do not show.
SUPPORT = [
    Scenario("support_verification_expired", "岩崎 舞", "イワサキ マイ", f"mai.iwasaki@{DOMAIN}", "regular",
             "メールアドレス認証のリンクが期限切れ: 3日前の「メールアドレス認証のご連絡」を開かないまま期限切れ、事務局が代理申請(申請中)"),
    Scenario("support_email_change", "横山 拓也", "ヨコヤマ タクヤ", f"takuya.yokoyama@{DOMAIN}", "regular",
             "メールアドレス変更確定URLが未使用で有効: マイページでメールアドレス変更を依頼した直後(確定前)"),
]
SUPPORT_NEW_EMAIL = f"takuya.yokoyama.new@{DOMAIN}"
LOGIN, LOOKUP = "login-trouble", "apass-lookup"
#: Rows that name a member shown elsewhere in the list (flow, label, what it shows, the scenario member's key).
SUPPORT_ROWS = [
    (LOGIN, "ログインできない B_declined", "再入会を許可しない → B_declined(Bと同じ会員、会員状況は変えずにその旨を伝える)",
     "seed000_B"),
    (LOOKUP, "A-Pass照会 not_registered", "A-Pass未作成 → 登録されている「ユーザーID/メールアドレス」がない: 初回登録を案内",
     "seed000_A"),
    (LOOKUP, "A-Pass照会 retry_login・self_reset・change_email",
     "A-Passあり → 「PASS」が分かる: retry_login/分からない・メールが使える: self_reset/使えない: change_email", "seed000_C"),
]
#: Every triage code of API.md and the scenario member whose record shows it (the table-driven test holds it).
TRIAGE_SCENARIOS = {
    "verification_link_expired": "support_verification_expired", "email_change_pending": "support_email_change",
    "reset_mail_recent": "seed000_C", "no_recovery_contact": "seed000_F", "sign_in_width_or_case": "seed000_D",
    "sign_in_password_typo": "seed000_D", "not_eligible_sign_in": "seed000_B", "invoice_unconfirmed": "unconfirmed",
    "invoice_overpaid": "overpaid", "unpaid_years": "lapse_unpaid",
}

#: The statement's row that points at nobody (該当なし).
UNMATCHED_PAYER = "ｶ)ｻﾝﾌﾟﾙｼｮｳｼﾞ"

MSG_NOT_SANDBOX = _("Scenarios can be reset only in a training sandbox society.")
MSG_DENIED = _("Only trainers and administrators reset the scenarios.")


def seed000_key(outcome: str) -> str:
    return f"seed000_{outcome}"


def scenario_count(society: Society) -> int:
    from . import faq_scenarios_billing

    return ((len(showcase.SHOWCASES) + len(SUPPORT) + len(procedure_scenarios.SCENARIOS)
             + len(faq_scenarios_members.MEMBERS) if society.is_sandbox else 0) + len(BILLING)
            + faq_scenarios_billing.count(society))


def is_built(society: Society) -> bool:
    """Whether the society already has its scenarios (the seed 000 showcase of an older demo counts)."""
    return ScenarioMember.objects.filter(society=society).exists() or (
        society.is_sandbox and showcase.is_built(society))


# ---------------------------------------------------------------------------------------------------
# The scenario list
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    key: str
    label: str  # "A"…"F", "4" or the billing case
    shows: str
    member: Member | None
    flow: str = ""  # the support flow its case link starts (a plain POST to /admin/support/start/), or none
    alias: bool = False  # a row naming a member another row already has (B_declined, apass-lookup, triage codes)
    procedure: str = ""  # the guided procedure whose variant the member shows (simulator.procedure_scenarios)
    procedure_url: str = ""  # [ガイド付き手順を開く]: its page with the params the member's records give
    email: str = ""  # an applicant's address, for a scenario of someone not yet a member (member is None)


def scenario_list(society: Society) -> list[Row]:
    """Each scenario of ``society`` with its member (``None`` when it is missing), in the order of the list."""
    registered = {s.key: s.member for s in
                  ScenarioMember.objects.filter(society=society).select_related("member", "member__apass")}
    rows = []
    if society.is_sandbox:
        for case, member in showcase.members_shown(society):
            rows.append(Row(seed000_key(case.outcome), f"ログインできない {case.outcome}",
                            case.shows, registered.get(seed000_key(case.outcome)) or member,
                            LOGIN if case.outcome != "4" else ""))
    for case in BILLING:
        rows.append(Row(case.key, case.shows.split(":")[0], case.shows, registered.get(case.key)))
    if society.is_sandbox:
        for case in SUPPORT:
            rows.append(Row(case.key, case.shows.split(":")[0], case.shows, registered.get(case.key), LOGIN))
        by_key = {r.key: r for r in rows}
        for flow, label, shows, key in SUPPORT_ROWS:
            rows.append(Row(f"{flow}_{label.split()[-1]}", label, shows, by_key[key].member, flow, alias=True))
        from . import faq_scenarios_billing  # seed 003 請求・入金 flows: a member for every record-dependent outcome

        for code, key in TRIAGE_SCENARIOS.items():
            flow = faq_scenarios_members.TRIAGE_FLOWS.get(code) or faq_scenarios_billing.TRIAGE_FLOWS.get(code) or (
                LOGIN if key.startswith("seed000_") or key.startswith("support_") else "")
            rows.append(Row(f"triage_{code}", f"トリアージ {code}", by_key[key].shows, by_key[key].member, flow,
                            alias=True))
        rows += _procedure_rows(society, registered)
        rows += faq_scenarios_members.rows(registered, by_key, Row)  # seed 003's member flows
        rows += faq_scenarios_billing.rows(registered, by_key, Row)
    return rows


def _procedure_rows(society: Society, registered: dict[str, Member]) -> list[Row]:
    """One row per guided procedure variant (SUP-4, PAY-5) with its page's link; three queries for all of them."""
    members = [(case, registered.get(case.key)) for case in procedure_scenarios.SCENARIOS]
    records = procedure_scenarios.records_of(society, [m for _case, m in members if m is not None])
    return [Row(case.key, f"ガイド付き手順 {case.procedure} {case.label}", case.shows, member,
                procedure=case.procedure,
                procedure_url=procedure_scenarios.page_url(case, records[member.pk]) if member else "")
            for case, member in members]


# ---------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------


def _member_type(society: Society, code: str, *, actor: Actor) -> MemberType:
    found = MemberType.objects.filter(society=society, code=code).first()
    if found is None:
        name, fee = TYPES[code]
        found = member_services.member_type_create(actor=actor, society=society, code=code, name=name,
                                                   annual_fee=fee)
    return found


def _past(society: Society, days: int) -> Society:
    earlier = Society.objects.get(pk=society.pk)
    earlier.clock_offset = (society.clock_offset or datetime.timedelta()) - datetime.timedelta(days=days)
    return earlier


def build(society: Society, *, actor: Actor, link_url_template: str | None = None) -> list[Row]:
    """Build the scenarios of ``society`` (it has none: see ``is_built``): seed 000's members in a sandbox, then
    the billing scenarios. Returns the scenario list. Mail links are full URLs (``link_url_template`` of the
    request that asked, else the site's: ``mail.links.link_url_template``)."""
    position = 0

    def register(key: str, member: Member) -> None:
        nonlocal position
        ScenarioMember.objects.create(society=society, member=member, key=key, position=position)
        position += 1

    if society.is_sandbox:
        for case, member in showcase.build(society, _member_type(society, "regular", actor=actor), actor=actor,
                                           link_url_template=link_url_template):
            register(seed000_key(case.outcome), member)
    for key, member in _build_billing(society, actor=actor).items():
        register(key, member)
    if society.is_sandbox:
        for key, member in _build_support(society, actor=actor, link_url_template=link_url_template).items():
            register(key, member)
        from . import faq_scenarios_billing

        for key, member in faq_scenarios_billing.build(society, actor=actor,
                                                       member_type=_member_type(society, "regular", actor=actor)).items():
            register(key, member)
        for key, member in faq_scenarios_members.build(society, actor=actor, regular=_member_type(
                society, "regular", actor=actor), link_url_template=link_url_template).items():
            register(key, member)
        member_type_of = lambda code: _member_type(society, code, actor=actor)  # noqa: E731
        for key, member in procedure_scenarios.build(society, actor=actor, member_type_of=member_type_of).items():
            register(key, member)
        operator_scenarios.build(society, actor=actor)  # seed 001's causes (operator-login)
    return scenario_list(society)


def _build_support(society: Society, *, actor: Actor, link_url_template: str | None) -> dict[str, Member]:
    """The triage codes seed 000's members do not show (API.md): an expired verification link, a pending
    e-mail change."""
    from members.services import applications, mypage

    today = clock.today(society)
    regular = _member_type(society, "regular", actor=actor)
    expired, change = SUPPORT
    # the applicant let the verification link of three days ago expire; the secretariat then applied for them
    applications.application_request(actor=actor, society=_past(society, 3), email=expired.email,
                                     link_url_template=link_url_template)
    members = {expired.key: create_member_with_history(
        Status.APPLYING, applied_on=today, society=society, member_type=regular, name=expired.name,
        name_kana=expired.kana, email=expired.email)}
    members[change.key] = create_member_with_history(
        Status.ACTIVE, applied_on=today - datetime.timedelta(days=800), society=society, member_type=regular,
        name=change.name, name_kana=change.kana, email=change.email)
    member_services.apass_create(actor=actor, society=_past(society, 100), email=change.email,
                                 password=showcase.APASS_PASSWORD)
    member_services.mypage_sign_in(actor=actor, society=society, email=change.email, password=showcase.APASS_PASSWORD)
    mypage.email_change_request(actor=actor, society=society, session_email=change.email,
                                password=showcase.APASS_PASSWORD, new_email=SUPPORT_NEW_EMAIL,
                                link_url_template=link_url_template)
    return members


def _total(invoice: Invoice) -> int:
    return invoice.amount + invoice.adjustment


def _build_billing(society: Society, *, actor: Actor) -> dict[str, Member]:
    today = clock.today(society)
    this_year = billing_selectors.current_fiscal_year(society)
    last_year = this_year - 1
    start_month = getattr(society, "fiscal_year_start_month", 4) or 4
    types = {code: _member_type(society, code, actor=actor) for code in TYPES}
    members = {
        s.key: create_member_with_history(Status.ACTIVE, applied_on=today - datetime.timedelta(days=800),
                                          society=society, member_type=types[s.member_type], name=s.name,
                                          name_kana=s.kana, email=s.email)
        for s in BILLING
    }
    ids = sorted(m.pk for m in members.values())

    def run(year: int, days_ago: int) -> dict[int, Invoice]:
        """An annual run of ``year`` for the scenario members, requested ``days_ago`` on the society clock,
        executed here (not in the background) and confirmed."""
        requested = run_services.billing_run_request(
            actor=actor, society=_past(society, days_ago), name=f"{year}年度 年会費", category=Category.ANNUAL,
            fiscal_year=year, allocation_start=datetime.date(year, start_month, 1),
            due_date=datetime.date(year, start_month, 1) + datetime.timedelta(days=90), member_ids=ids)
        run_services.billing_run_execute(actor=actor, run_id=requested.pk)
        requested.refresh_from_db()
        invoice_services.billing_run_confirm(actor=actor, run=requested)
        return {i.member_id: i for i in Invoice.objects.filter(run=requested)}

    # Last year's run was requested a year ago, this year's a month ago (or today, early in the year).
    last = run(last_year, 365)
    this = run(this_year, min(30, (today - datetime.date(this_year, start_month, 1)).days))

    def pay(invoice: Invoice, amount: int | None = None, method: str = PaymentMethod.BANK_TRANSFER,
            days_ago: int = 0, remarks: str = "") -> Payment:
        online = method in ONLINE_METHODS  # an online payment carries its 決済番号, as one made on My Page does
        return payment_services.payment_register(
            actor=actor, invoice=invoice, amount=_total(invoice) if amount is None else amount, method=method,
            paid_on=today - datetime.timedelta(days=days_ago), remarks=remarks,
            settlement_number=payment_services.new_settlement_number(society) if online else "")

    m = {key: member.pk for key, member in members.items()}
    # last year: everyone paid (about ten months ago) except the split, the lapse and the statement cases
    for key in ("paid", "unpaid", "partially_paid", "overpaid", "cancelled", "unconfirmed", "statement_matched",
                "statement_ambiguous_1", "statement_ambiguous_2"):
        pay(last[m[key]], days_ago=300)
    pay(last[m["lapse_partial"]], amount=3_000, method=PaymentMethod.POSTAL_TRANSFER, days_ago=280)
    # this year
    pay(this[m["paid"]], days_ago=20)
    pay(this[m["partially_paid"]], amount=_total(this[m["partially_paid"]]) // 2,
        method=PaymentMethod.POSTAL_TRANSFER, days_ago=15)
    pay(this[m["overpaid"]], amount=_total(this[m["overpaid"]]) + 2_000, method=PaymentMethod.BANK_CHECK,
        days_ago=10)
    pay(this[m["unconfirmed"]], days_ago=12)
    wrong = pay(this[m["cancelled"]], days_ago=14, remarks="二重請求分")
    payment_services.payment_delete(actor=actor, payment=wrong, reason="請求取消のため入金履歴を削除(別の請求へ振替)")
    invoice_services.invoice_cancel(actor=actor, invoice=this[m["cancelled"]])
    both = [last[m["split"]], this[m["split"]]]
    payment_services.payments_split(actor=actor, member=members["split"], method=PaymentMethod.BANK_TRANSFER,
                                    paid_on=today - datetime.timedelta(days=5), remarks="2年度分をまとめて振込",
                                    allocations=[(i, _total(i)) for i in both])
    # not confirmed: a single invoice (その他) still being prepared
    invoice_services.invoice_create(actor=actor, society=society, member=members["unconfirmed"],
                                    name=f"{this_year}年度 年次大会参加費", category=Category.OTHER,
                                    fiscal_year=this_year, amount=5_000)
    # lapse candidates: the admission invoice of the year before last, never paid
    for key in ("lapse_unpaid", "lapse_partial"):
        admission = invoice_services.invoice_create(
            actor=actor, society=society, member=members[key], name=f"{last_year - 1}年度 入会金・年会費",
            category=Category.ADMISSION, fiscal_year=last_year - 1, amount=_total(last[m[key]]))
        invoice_services.invoice_confirm(actor=actor, invoice=admission)
    # the bank statement: one row matched, one pointing at two members, one at nobody
    paid_on = (today - datetime.timedelta(days=2)).isoformat()
    rows = [("ｴﾝﾄﾞｳ ｹﾝ", _total(this[m["statement_matched"]])), ("ｱｵｷ ﾂﾊﾞｻ", _total(this[m["statement_ambiguous_1"]])),
            (UNMATCHED_PAYER, 7_000)]
    csv = "取引日,金額,振込人名義\n" + "".join(f"{paid_on},{amount},{payer}\n" for payer, amount in rows)
    statement_services.statement_import(actor=actor, society=society, data=csv.encode("utf-8"), file_format="csv",
                                        filename=STATEMENT_FILENAME)
    return members


# ---------------------------------------------------------------------------------------------------
# Removing
# ---------------------------------------------------------------------------------------------------


def _legacy_emails() -> set[str]:
    return {s.email for s in showcase.SHOWCASES} | {showcase.F_NEW_EMAIL, showcase.UNLINKED_NEW_EMAIL} | {
        s.email for s in SUPPORT}


def _scenario_apass_emails() -> set[str]:
    return (_legacy_emails() | {showcase.OTHER_SITE_EMAIL} | {s.email for s in BILLING}
            | faq_scenarios_members.member_emails())


def remove(society: Society) -> int:
    """Delete the scenario members of ``society`` and what hangs off them: invoices, payments, reminders, the
    scenario runs and bank statement, My Page sign-ins, e-mail and status history, the A-Passes created for the
    scenarios (unless a member outside them uses one). Sent mails stay in the log; the audit trail stays.
    Returns how many members were removed."""
    member_ids = set(ScenarioMember.objects.filter(society=society).values_list("member_id", flat=True))
    if society.is_sandbox:
        operator_scenarios.remove(society)
    if society.is_sandbox:  # the seed 000 showcase of a demo built before scenarios were registered
        member_ids |= set(Member.objects.filter(society=society, email__in=_legacy_emails())
                          .values_list("pk", flat=True))
    if not member_ids and not society.is_sandbox:
        return 0
    apass_ids = set(Member.objects.filter(pk__in=member_ids, apass__isnull=False).values_list("apass_id", flat=True))
    apass_ids |= set(APassUnlink.objects.filter(member_id__in=member_ids).values_list("apass_id", flat=True))
    if society.is_sandbox:
        apass_ids |= set(APass.objects.filter(email__in=_scenario_apass_emails()).values_list("pk", flat=True))
    # an A-Pass some other member (another society's, or one an operator created) uses stays
    apass_ids -= set(Member.objects.filter(apass_id__in=apass_ids).exclude(pk__in=member_ids)
                     .values_list("apass_id", flat=True))
    apass_ids -= set(APassUnlink.objects.filter(apass_id__in=apass_ids).exclude(member_id__in=member_ids)
                     .values_list("apass_id", flat=True))

    invoices = Invoice.objects.filter(member_id__in=member_ids)
    run_ids = set(invoices.exclude(run=None).values_list("run_id", flat=True))
    Reminder.objects.filter(Q(invoice__in=invoices) | Q(member_id__in=member_ids)).delete()
    payments = Payment.objects.filter(invoice__in=invoices)
    payments.delete()
    statements = BankStatement.objects.filter(society=society, filename=STATEMENT_FILENAME)
    # a scenario statement whose rows an operator matched to their own members' invoices stays
    statements.exclude(lines__payments__isnull=False).delete()
    BankStatementRow.objects.filter(member_id__in=member_ids).update(member=None)
    invoices.delete()
    BillingRun.objects.filter(pk__in=run_ids, invoices__isnull=True).delete()
    from . import faq_scenarios_billing

    faq_scenarios_billing.remove_runs(society)
    MyPageSignIn.objects.filter(Q(member_id__in=member_ids) | Q(apass_id__in=apass_ids)).delete()
    APassUnlink.objects.filter(member_id__in=member_ids).delete()
    Member.objects.filter(pk__in=member_ids).delete()  # status and e-mail history, adjustments, registrations
    APass.objects.filter(pk__in=apass_ids).delete()
    return len(member_ids)


def scenarios_reset_refusal(actor: Actor, society: Society | None) -> DomainError | None:
    """SIM-3: may ``actor`` rebuild ``society``'s scenarios? Only in a training sandbox (403 ``not_sandbox``), and
    only its trainers and administrators (``Operator.can_use_training_tools``) or a system actor (403
    ``permission_denied``). The service enforces it; the screens ask it before offering [シナリオ再作成]."""
    if society is None or not society.is_sandbox:
        return DomainError("not_sandbox", MSG_NOT_SANDBOX, status=403)
    if not holds(actor, "can_use_training_tools"):
        return DomainError("permission_denied", MSG_DENIED, status=403)
    return None


def _reset_permission(actor: Actor, *, society: Society, **_call) -> DomainError | None:
    check_society(actor, society.pk)
    return scenarios_reset_refusal(actor, society)


@service(permission=_reset_permission)
def scenarios_reset(*, actor: Actor, society: Society, link_url_template: str | None = None) -> list[Row]:
    """SIM-3 [シナリオ再作成]: remove the sandbox's scenario members and build them again, in one transaction and
    one audit entry. Outside a sandbox 403 ``not_sandbox``; only trainers and administrators of the sandbox
    (``can_use_training_tools``), else 403 ``permission_denied``. Operator-created members are not touched."""
    society = Society.objects.select_for_update().get(pk=society.pk)  # two resets at once queue here
    before = ScenarioMember.objects.filter(society=society).count()
    removed = remove(society)
    system = f"system: scenarios reset by {audit.actor_label(actor)}"[:255]
    rows = build(society, actor=system, link_url_template=link_url_template)
    audit.record(actor=actor, action="simulator.scenarios.reset", target=society, society_id=society.pk,
                 before={"scenario_members": max(before, removed)},
                 after={"scenario_members": sum(1 for r in rows if r.member is not None and not r.alias)})
    return rows
