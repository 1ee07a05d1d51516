"""SUP-4, PAY-5 (issue 14 "Done when"): seed 003's 正会員で年会費請求した後に…学生会員のままであることが分かりました
【入金後の場合】 in Chromium, twice, as staff of the training sandbox holding the scenarios (SIM-3):

- by hand through the screens, as tests/browser/test_seed003_corrections.py (a) does — ①入金履歴削除 → ②請求取消 →
  ③会員種別変更 → ④請求作成 (a run for the selection) → ⑤入金情報登録 — on 岡田 和也 (入金済, bank transfer);
- as the guided procedure ``member_type_correction`` from the invoice's page of the scenario member
  ``proc-member_type_correction-overpaid`` (水野 健太, the same record: 正会員, 10,000円 paid by bank transfer):
  「ガイド付き手順: 会員種別の修正(請求の再作成)」 → 会員種別 → [プレビュー] → [実行].

Both start on the first page after signing in and only click (no typed URL). Playwright is instrumented: every
click (``Page.click``, ``Locator.click``, ``Locator.check`` and a choice in a ``<select>``), every typed field and
every page ``load`` is counted. The procedure needs at most a third of the clicks by hand (and it does more: the
7,000円 paid over the student fee goes to next year's invoice, ⑥⑦, which the hand run leaves for later).
Screenshots: var/screenshots/procedure_clicks_*.png (the preview: procedure_clicks_2_preview.png)."""

from __future__ import annotations

import json

import pytest

from billing import selectors
from billing.models import BillingRun, Invoice, InvoiceStatus, Payment
from members.factories import OperatorFactory, SocietyFactory
from members.models import Member, MemberType
from simulator import scenarios

from .conftest import CHROMIUM, SHOTS, expect, sign_in
from .test_seed003_corrections import cancel_invoice, delete_payment, go_home, open_invoice, open_member, \
    register_payment, status_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

PROCEDURE_LINK = "ガイド付き手順: 会員種別の修正(請求の再作成)"


class Meter:
    """Counts what the person does on ``page``: clicks, typed fields and page loads."""

    def __init__(self, page):
        self.clicks = self.fills = self.loads = 0
        self.counting = False
        page.on("load", self._load)

    def _load(self, _page) -> None:
        if self.counting:
            self.loads += 1

    def start(self) -> None:
        self.clicks = self.fills = self.loads = 0
        self.counting = True

    def stop(self) -> dict:
        self.counting = False
        return {"clicks": self.clicks, "fills": self.fills, "loads": self.loads}


@pytest.fixture
def meter(page, monkeypatch):
    from playwright.sync_api import Locator, Page

    found = Meter(page)

    def counted(cls, name: str, kind: str) -> None:
        real = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            if found.counting:
                setattr(found, kind, getattr(found, kind) + 1)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for cls in (Page, Locator):
        counted(cls, "click", "clicks")
        counted(cls, "select_option", "clicks")
        counted(cls, "fill", "fills")
    counted(Locator, "check", "clicks")
    return found


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    scenarios.build(society, actor="system: test")
    return society


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"procedure_clicks_{name}.png"), full_page=True)


def by_hand(page, member, invoice, paid, student, year) -> None:
    """Seed 003's five screens, as test_seed003_corrections.py (a) clicks them."""
    open_invoice(page, member.name, invoice)  # ① 入金履歴削除
    delete_payment(page, "学生会員のため請求を取消して再作成", status_after="未入金")
    page.locator("#payment-delete input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("入金履歴を削除しました")

    page.get_by_role("link", name=f"{invoice.number} {invoice.name}").first.click()  # ② 請求取消
    page.click("#register-invoice-link")
    cancel_invoice(page, invoice)
    page.click("#cancel-confirm-submit")
    expect(page.locator(".messagelist")).to_contain_text("取消しました")

    open_member(page, member.name)  # ③ 会員種別変更
    page.locator("#id_member_type + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("学生")
    page.locator(".select2-results__option", has_text="学生会員").click()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()

    go_home(page)  # ④ 請求作成: a run for the selection, then [請求内容確定]
    page.fill("#home-q", member.name)
    page.click("#home-search-individual")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "bill_selected_members")
    page.locator("button[name=index]").first.click()
    expect(page.locator("#id_name")).to_have_value(f"{year}年度 年会費")
    page.click("#billing-run-form input[type=submit]")
    run = BillingRun.objects.order_by("-pk").first()
    expect(page.locator(f"#run-progress-{run.pk} .run-state")).to_have_text("完了", timeout=20_000)
    page.click(f"a[href='/admin/billing/billingrun/{run.pk}/change/']")
    page.click("#run-confirm")
    expect(page.locator(".messagelist")).to_contain_text("1件の請求内容を確定しました")
    rebilled = Invoice.objects.get(run=run)

    page.click("#run-invoices")  # ⑤ 入金情報登録
    page.locator("#result_list").get_by_role("link", name=str(rebilled.number), exact=True).click()
    register_payment(page, amount=3_000, method="bank_transfer",
                     remarks=f"領収書番号{paid.receipt_number}の入金履歴を削除、学生会員の年会費として再登録")
    expect(page.locator("#invoice-status")).to_have_text("入金済")
    shot(page, "1_by_hand_done")


def guided(page, member, invoice, student) -> None:
    """The invoice's page → 「ガイド付き手順: 会員種別の修正(請求の再作成)」 → 会員種別 → [プレビュー] → [実行]."""
    open_invoice(page, member.name, invoice)
    page.get_by_role("link", name=PROCEDURE_LINK).click()
    expect(page.locator("#procedure-subject")).to_contain_text(str(invoice.number))
    page.select_option("#param-member_type", str(student.pk))
    page.click("#procedure-preview")
    steps = page.locator("#procedure-steps h3")
    expect(steps).to_have_text(["①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録",
                                "⑥次年度請求作成", "⑦過払い分入金情報登録"])
    expect(page.locator("#procedure-steps")).to_contain_text("会員種別")
    expect(page.locator("#procedure-steps")).to_contain_text("7,000円")  # ⑦: what goes to next year
    shot(page, "2_preview")
    page.locator("#procedure-steps h3").nth(4).scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "procedure_clicks_2_preview_payments.png"))
    assert Payment.objects.get(invoice=invoice, deleted_at__isnull=True)  # the preview changed nothing
    page.click("#procedure-run")
    expect(page.locator("#procedure-done")).to_contain_text("⑦過払い分入金情報登録")
    shot(page, "3_done")


@pytest.mark.django_db(transaction=True)
def test_sup4_guided_member_type_correction_needs_at_most_a_third_of_the_hand_clicks(page, live_server, sandbox,
                                                                                      meter):
    year = selectors.current_fiscal_year(sandbox)
    student = MemberType.objects.get(society=sandbox, code="student")
    staff = OperatorFactory(society=sandbox, role="staff", email="staff@training.example.jp")
    sign_in(page, live_server, staff)

    okada = Member.objects.get(society=sandbox, scenario__key="paid")
    invoice = Invoice.objects.get(member=okada, fiscal_year=year)
    paid = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    meter.start()
    by_hand(page, okada, invoice, paid, student, year)
    hand = meter.stop()
    okada.refresh_from_db()
    assert okada.member_type_id == student.pk and status_of(invoice) == InvoiceStatus.CANCELLED
    (rebilled,) = Invoice.objects.filter(member=okada, fiscal_year=year, cancelled_at__isnull=True)
    assert (rebilled.amount, status_of(rebilled)) == (3_000, InvoiceStatus.PAID)

    mizuno = Member.objects.get(society=sandbox, scenario__key="proc-mtc-overpaid")
    invoice = Invoice.objects.get(member=mizuno, fiscal_year=year)
    paid = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    meter.start()
    guided(page, mizuno, invoice, student)
    procedure = meter.stop()
    mizuno.refresh_from_db()
    assert mizuno.member_type_id == student.pk and status_of(invoice) == InvoiceStatus.CANCELLED
    this, following = Invoice.objects.with_status().filter(member=mizuno, cancelled_at__isnull=True).order_by(
        "fiscal_year")
    assert (this.fiscal_year, this.amount, this.status) == (year, 3_000, InvoiceStatus.PAID)
    assert (following.fiscal_year, following.paid) == (year + 1, 7_000)
    again = Payment.objects.get(invoice=this, deleted_at__isnull=True)
    assert (again.method, again.paid_on) == (paid.method, paid.paid_on)
    assert again.remarks.startswith("作業メモ: ガイド付き手順「会員種別の修正(請求の再作成)」")

    counts = {"by_hand": hand, "guided_procedure": procedure}
    (SHOTS / "procedure_clicks_counts.json").write_text(json.dumps(counts, indent=1))
    print(counts)
    assert procedure["clicks"] * 3 <= hand["clicks"], counts
    assert procedure["loads"] < hand["loads"] and procedure["fills"] < hand["fills"], counts


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key,done", [("proc-split-offline", "②当該年度の請求に入金情報登録"),
                                      ("proc-combine-online", "②複数年度を1つにまとめた請求作成")])
def test_sim3_scenario_list_opens_the_procedure_prefilled(key, done, page, live_server, sandbox):
    """シナリオ一覧 › [ガイド付き手順を開く] of a procedure member › [プレビュー] (the params already filled in) › [実行]."""
    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    member = Member.objects.get(society=sandbox, scenario__key=key)
    sign_in(page, live_server, trainer)
    page.click("#sim-scenarios-link")
    page.click(f"#scenario-{key}-procedure")
    expect(page.locator("#procedure-subject")).to_contain_text(member.name)
    page.click("#procedure-preview")
    expect(page.locator("#procedure-steps h3").last).to_have_text(done)
    shot(page, f"4_{key}_preview")
    page.click("#procedure-run")
    expect(page.locator("#procedure-done")).to_contain_text(done)
    invoices = Invoice.objects.with_status().filter(member=member, cancelled_at__isnull=True)
    if key == "proc-split-offline":
        assert sorted(i.status for i in invoices) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    else:
        (combined,) = invoices
        assert combined.amount == 20_000
