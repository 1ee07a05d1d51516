"""Issue 13 point 7 in Chromium, clicking only (sign-in and the first page are the only typed URLs): as staff of the
training sandbox holding seed 000's members (members/showcase.py), start ``login-trouble`` from a member page's
triage panel ([個人会員検索] › [会員情報変更] › 「サポート: この会員の記録で分かること」 › [対応を開始]), confirm the caller at
the identity gate (SUP-9), run it to B with 会員状況を「申請中」に変更 (preview, [確定], the record changed, the facts
read again) and to F with ログイン情報統合解除 (a new e-mail; an answer taken back on the way, struck through), the
chart with the path lit; answers update the page in place (htmx, no reload). A viewer sees the case, no buttons,
and a POST is refused 403. Screenshots: var/screenshots/support_*.png."""

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


def open_member_page(page, name: str) -> None:
    """事務局メニュー › search › [会員情報変更]: the member's page with its triage panel (SUP-8)."""
    page.locator("#site-name a").click()
    page.fill("#home-q", name)
    page.click("#home-search-individual")
    page.get_by_role("link", name="[会員情報変更]").first.click()
    expect(page.locator("#support-triage")).to_be_visible()


def start_from_triage(page, name: str, code: str) -> None:
    """The triage panel's row ``code`` → [対応を開始 (「ログインできない」と問い合わせがあった場合)] → the case page."""
    open_member_page(page, name)
    row = page.locator(f'#support-triage-items tr[data-code="{code}"]')
    expect(row).to_be_visible()
    row.get_by_role("button").click()
    expect(page.locator("#case-body")).to_be_visible()


def post_as_page(page, url: str, form: str) -> tuple[int, str]:
    """A POST from the signed-in page with its CSRF token (what a hand-made form would send)."""
    return page.evaluate("""async ([url, form]) => {
        const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const r = await fetch(url, {method: 'POST', body: form, headers: {
            'X-CSRFToken': token, 'Content-Type': 'application/x-www-form-urlencoded'}});
        return [r.status, await r.text()];
    }""", [url, form])


@pytest.mark.django_db(transaction=True)
def test_sup7_sup9_sup10_console_from_the_triage_panel_to_b_and_f_and_a_viewer_reads(  # noqa: F811
        page, live_server, sandbox, showcase_members, viewport):
    """SUP-3, SUP-7, SUP-9, SUP-10 in Chromium: from a member page's triage panel [対応を開始] (click), login-trouble to
    B with the re-admission and to F with the unlink (a new e-mail), each with the identity check at the gate; the
    facts read again after the action; the chart with the path lit; a viewer sees the case and cannot act."""
    agent = OperatorFactory(society=sandbox, role="staff", email="agent@training.example.jp")
    viewer = OperatorFactory(society=sandbox, role="viewer", email="viewer@training.example.jp")
    b, f = showcase_members["B"], showcase_members["F"]
    sign_in(page, live_server, agent)

    # B: 退会 and not linked, the sign-in refused as 会員資格なし — the triage panel's row starts the case
    start_from_triage(page, b.name, "not_eligible_sign_in")
    expect(page.locator("#case-facts")).to_contain_text("退会")
    expect(page.locator("#case-current")).to_contain_text("再入会を許可しますか?")
    expect(page.locator("#case-identity #identity-form")).to_be_visible()  # the gate, beside the question
    expect(page.locator("#case-member")).not_to_contain_text(b.email)
    page.evaluate("window.__sameDocument = true")
    answer(page, "はい")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "B")
    assert page.evaluate("window.__sameDocument === true")  # updated in place, no reload
    # SUP-9: before the check nothing to tell, the action disabled and saying why
    expect(page.locator("#tell-caller")).to_have_count(0)
    expect(page.locator("#tell-caller-hidden")).to_contain_text("本人確認の後に表示されます")
    button = page.locator("#action-set_status_applying")
    expect(button).to_be_disabled()
    expect(button).to_contain_text("本人確認の後に実行できます")
    shot(page, "b_before_identity")
    confirm_identity(page, b)
    expect(page.locator("#case-member-email")).to_have_text(b.email)
    expect(page.locator("#tell-caller")).to_contain_text("会員状況を「申請中」に変更した後")
    page.get_by_role("button", name="会員状況を「申請中」に変更").click()
    expect(page.locator("#preview-changes")).to_contain_text("申請中")
    assert status_today(b) == Status.WITHDRAWN and not CaseAction.objects.exists()  # the preview changed nothing
    shot(page, "b_preview")
    page.click("#action-confirm")
    expect(page.locator("#case-actions-taken")).to_contain_text("完了")
    expect(page.locator("#case-member-status")).to_have_text("申請中")
    assert CaseAction.objects.get().ok and status_today(b) == Status.APPLYING
    # SUP-3: the facts read again after the action — 会員状況 now 申請中, marked, the earlier reading beside it
    status_row = page.locator('#case-facts tr.fact.changed[data-node="status"]')
    expect(status_row).to_contain_text("申請中")
    expect(status_row).to_contain_text("前回から変化")
    expect(page.locator("#case-body .messagelist")).to_contain_text("操作の後に記録を読み直しました")
    for node in ("sign_ins", "apass_linked", "status", "readmit", "B"):
        expect(page.locator(f'#case-chart .chart-node.on-path[data-node="{node}"]')).to_have_count(1)
    expect(page.locator('#case-chart .chart-edge.on-path[data-source="readmit"][data-target="B"]')).to_have_count(1)
    shot(page, "b_done")

    # F: linked, no reset contact — from its triage row; an answer taken back (SUP-7), then the unlink
    start_from_triage(page, f.name, "no_recovery_contact")
    expect(page.locator("#case-facts")).to_contain_text("鎖マークあり")
    expect(page.locator("#case-facts")).not_to_contain_text(f.email)  # the reset mail's address waits for the check
    confirm_identity(page, f)
    expect(page.locator("#case-facts")).to_contain_text(f.email)
    answer(page, "はい")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "C")
    page.locator("#case-path").get_by_role("button", name="ここからやり直す").click()
    expect(page.locator("#case-path del")).to_contain_text("受け取れますか")
    expect(page.locator("#case-path")).to_contain_text("確認済み（電話番号）")  # stepping back keeps the check
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
    expect(page.locator('#case-facts tr.fact.changed[data-node="apass_linked"]')).to_contain_text("前回から変化")
    for node in ("sign_ins", "apass_linked", "reset_mail", "email_usable", "knows_password", "recovery_contact", "F"):
        expect(page.locator(f'#case-chart .chart-node.on-path[data-node="{node}"]')).to_have_count(1)
    expect(page.locator('#case-chart .chart-node.on-path[data-node="C"]')).to_have_count(0)
    expect(page.locator('#case-chart .chart-edge.on-path[data-source="recovery_contact"][data-target="F"]')).to_have_count(1)
    shot(page, "f_done")

    # a viewer: サポート案件 from the first page, the case, the chart — no buttons, and a POST is refused 403
    viewer_page = page.context.browser.new_context(locale="ja-JP", viewport=viewport).new_page()
    sign_in(viewer_page, live_server, viewer)
    viewer_page.locator("#shortcut-support-cases a").click()
    case = Case.objects.get(member=member)
    viewer_page.locator(f'#case-list tr[data-case="{case.pk}"] a.case-open').click()
    expect(viewer_page.locator("#case-outcome")).to_have_attribute("data-code", "F")
    expect(viewer_page.locator("#case-chart svg")).to_be_visible()
    expect(viewer_page.locator("#tell-caller")).to_be_visible()
    expect(viewer_page.locator(".action-button:enabled")).to_have_count(0)
    expect(viewer_page.locator("#answer-form, #note-form, #identity-form, .case-back, #action-confirm")).to_have_count(0)
    shot(viewer_page, "viewer")
    actions = len(CaseAction.objects.filter(case=case))
    status, body = post_as_page(viewer_page, f"/admin/support/cases/{case.pk}/actions/run/",
                                "action=unlink_apass&new_email=viewer.try%40example.ac.jp")
    assert status == 403 and "CSRF" not in body
    status, _body = post_as_page(viewer_page, f"/admin/support/cases/{case.pk}/notes/", "note=x")
    assert status == 403
    assert CaseAction.objects.filter(case=case).count() == actions and not case.notes.exists()
    assert Member.objects.get(pk=f.pk).email == "makoto.console@example.ac.jp"


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
