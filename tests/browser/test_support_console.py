"""Issue 13 point 7 in Chromium, clicking only (sign-in and the first page are the only typed URLs): as staff of the
training sandbox holding seed 000's members (members/showcase.py), start ``login-trouble`` from a member's page
([個人会員検索] › [会員情報変更] › [サポート案件]), run it to B with 会員状況を「申請中」に変更 (preview, [確定], the record
changed) and to F with ログイン情報統合解除 (a new e-mail; an answer taken back on the way, struck through), the
chart with the path lit; answers update the page in place (htmx, no reload). A viewer sees the case, no buttons.
Screenshots: var/screenshots/support_*.png."""

from __future__ import annotations

import pytest

from backoffice import clock
from members.factories import OperatorFactory
from members.models import Member, Status
from support.models import Case, CaseAction
from tests.support.conftest import sandbox, sandbox_type, showcase_members  # noqa: F401  (fixtures)

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"support_{name}.png"), full_page=True)


def open_member_case(page, name: str, flow: str = "login-trouble") -> None:
    """事務局メニュー › search › [会員情報変更] › [サポート案件] › the flow (「ログインできない」と問い合わせがあった場合)."""
    page.locator("#site-name a").click()
    page.fill("#home-q", name)
    page.click("#home-search-individual")
    page.get_by_role("link", name="[会員情報変更]").first.click()
    page.click("#member-support-start-link")
    expect(page.locator("#start-caller")).to_contain_text(name)
    page.click(f"#start-{flow}")
    expect(page.locator("#case-body")).to_be_visible()


def status_today(member) -> str:
    member = Member.objects.select_related("society").get(pk=member.pk)
    return member.status_on(clock.today(member.society))


def confirm_identity(page, member) -> None:
    """SUP-9: the identity form — 氏名, 電話番号 and what the caller gave — then [本人確認]."""
    form = page.locator("#identity-form")
    form.locator("#identity-name").fill(member.name)
    form.locator("#identity-item").select_option(label="電話番号")
    form.locator("#identity-value").fill(member.phone)
    page.click("#identity-confirm")
    expect(page.locator("#identity-form")).to_have_count(0)


def answer(page, label: str) -> None:
    page.locator("#answer-form").get_by_role("button", name=label, exact=True).click()


@pytest.mark.django_db(transaction=True)
def test_sup7_console_runs_login_trouble_to_b_and_f_and_a_viewer_reads(page, live_server, sandbox, showcase_members,  # noqa: F811
                                                                         viewport):
    agent = OperatorFactory(society=sandbox, role="staff", email="agent@training.example.jp")
    viewer = OperatorFactory(society=sandbox, role="viewer", email="viewer@training.example.jp")
    b, f = showcase_members["B"], showcase_members["F"]
    sign_in(page, live_server, agent)

    # B: 退会 and not linked — the record answers two questions; only 再入会を許可しますか? is asked
    open_member_case(page, b.name)
    expect(page.locator("#case-facts")).to_contain_text("退会")
    expect(page.locator("#case-current")).to_contain_text("再入会を許可しますか?")
    page.evaluate("window.__sameDocument = true")
    answer(page, "はい")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "B")
    assert page.evaluate("window.__sameDocument === true")  # updated in place, no reload
    expect(page.locator("#tell-caller-hidden")).to_be_visible()  # SUP-9: not before the identity check
    confirm_identity(page, b)
    expect(page.locator("#tell-caller")).to_contain_text("会員状況を「申請中」に変更した後")
    page.get_by_role("button", name="会員状況を「申請中」に変更").click()
    expect(page.locator("#preview-changes")).to_contain_text("申請中")
    assert status_today(b) == Status.WITHDRAWN and not CaseAction.objects.exists()  # the preview changed nothing
    shot(page, "b_preview")
    page.click("#action-confirm")
    expect(page.locator("#case-actions-taken")).to_contain_text("完了")
    expect(page.locator("#case-member-status")).to_have_text("申請中")
    assert CaseAction.objects.get().ok and status_today(b) == Status.APPLYING
    expect(page.locator('#case-chart .chart-node.on-path[data-node="B"]')).to_be_visible()
    shot(page, "b_done")

    # F: linked, the caller cannot use the address — an answer taken back (SUP-7), then the unlink with a new e-mail
    open_member_case(page, f.name)
    expect(page.locator("#case-facts")).to_contain_text("鎖マークあり")
    confirm_identity(page, f)
    answer(page, "はい")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "C")
    page.locator("#case-path").get_by_role("button", name="ここからやり直す").click()
    expect(page.locator("#case-path del")).to_contain_text("受け取れますか")
    answer(page, "いいえ")
    expect(page.locator("#case-body")).to_have_attribute("data-current", "knows_password")
    answer(page, "いいえ")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "F")
    page.get_by_role("button", name="ログイン情報統合解除", exact=True).click()
    page.get_by_label("ログイン情報統合解除後に使用するメールアドレス").fill("makoto.console@example.ac.jp")
    page.click("#action-check")
    expect(page.locator("#preview-changes")).to_contain_text("makoto.console@example.ac.jp")
    assert Member.objects.get(pk=f.pk).apass_id is not None  # the preview changed nothing
    page.click("#action-confirm")
    expect(page.locator("#case-actions-taken")).to_contain_text("完了")
    member = Member.objects.get(pk=f.pk)
    assert member.apass_id is None and member.email == "makoto.console@example.ac.jp"
    for node in ("sign_ins", "apass_linked", "reset_mail", "email_usable", "knows_password", "recovery_contact", "F"):
        expect(page.locator(f'#case-chart .chart-node.on-path[data-node="{node}"]')).to_have_count(1)
    expect(page.locator('#case-chart .chart-node.on-path[data-node="C"]')).to_have_count(0)
    expect(page.locator('#case-chart .chart-edge.on-path[data-source="recovery_contact"][data-target="F"]')).to_have_count(1)
    shot(page, "f_done")

    # a viewer: サポート案件 from the first page, the case, the chart — and no buttons
    viewer_page = page.context.browser.new_context(locale="ja-JP", viewport=viewport).new_page()
    sign_in(viewer_page, live_server, viewer)
    viewer_page.locator("#shortcut-support-cases a").click()
    case = Case.objects.get(member=member)
    viewer_page.locator(f'#case-list tr[data-case="{case.pk}"] a.case-open').click()
    expect(viewer_page.locator("#case-outcome")).to_have_attribute("data-code", "F")
    expect(viewer_page.locator("#case-chart svg")).to_be_visible()
    expect(viewer_page.locator(".action-button")).to_have_count(0)
    expect(viewer_page.locator("#answer-form, #note-form, .case-back")).to_have_count(0)
    shot(viewer_page, "viewer")


@pytest.mark.django_db(transaction=True)
def test_sup9_console_runs_apass_lookup_through_the_identity_form(page, live_server, sandbox, showcase_members,  # noqa: F811
                                                                   viewport):
    """SUP-9 in the console: apass-lookup from a member's page — a wrong phone is refused on the page and the case
    stays at the check; the right name and phone pass it, the facts appear and the flow runs to its outcome."""
    agent = OperatorFactory(society=sandbox, role="staff", email="agent@training.example.jp")
    e = showcase_members["E"]
    sign_in(page, live_server, agent)
    open_member_case(page, e.name, "apass-lookup")
    form = page.locator("#identity-form")
    expect(form).to_be_visible()
    expect(page.locator("#case-facts")).not_to_contain_text(e.email)
    form.locator("#identity-name").fill(e.name)
    form.locator("#identity-item").select_option(label="電話番号")
    form.locator("#identity-value").fill("03-0000-0000")
    page.click("#identity-confirm")
    expect(page.locator("#case-body .messagelist")).to_contain_text("identity_not_confirmed")
    expect(page.locator("#case-body")).to_have_attribute("data-current", "identity")
    shot(page, "identity_refused")
    page.locator("#identity-name").fill(e.name)
    page.locator("#identity-item").select_option(label="電話番号")
    page.locator("#identity-value").fill(e.phone)
    page.click("#identity-confirm")
    expect(page.locator("#identity-form")).to_have_count(0)
    expect(page.locator("#case-facts")).to_contain_text(e.email)
    expect(page.locator("#case-path")).to_contain_text("確認済み（電話番号）")
    answer(page, "はい")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "retry_login")
    shot(page, "identity_passed")
    assert Case.objects.get().outcome == "retry_login"
