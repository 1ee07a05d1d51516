"""SUP-2 (issue 14 §2) in Chromium, clicking only (sign-in and the first page are the only typed URLs; the caller's
address is typed into 「サポート案件の開始」): an applicant whose 「メールアドレス認証のご連絡」 is still valid calls about
[代理申請]; the case shows, before any question, that the link blocks [代理申請] and until when, tells the caller the
manual's two ways out, and its link [個人会員送信済みメール] opens the sent-mail list searched by the applicant's address.
Then an applying member's mistaken application is withdrawn from the case (preview, [確定]).
Screenshots: var/screenshots/support_faq_*.png."""

from __future__ import annotations

import pytest

from backoffice import clock
from members import services as member_services
from members.factories import OperatorFactory, create_member_with_history
from members.models import Member, Status
from tests.support.conftest import sandbox, sandbox_type  # noqa: F401  (fixtures)

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

APPLICANT = "applicant.browser@example.ac.jp"


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"support_faq_{name}.png"), full_page=True)


def open_start(page) -> None:
    page.locator("#site-name a").click()
    page.locator("#shortcut-support-cases a").click()
    page.click("#support-start-link")


@pytest.mark.django_db(transaction=True)
def test_sup2_proxy_application_blocked_by_a_valid_link_and_a_withdrawn_application(page, live_server, sandbox,  # noqa: F811
                                                                                     sandbox_type, viewport):  # noqa: F811
    agent = OperatorFactory(society=sandbox, role="staff", email="agent@training.example.jp")
    mail = member_services.application_request(actor="system: test", society=sandbox, email=APPLICANT)
    applying = create_member_with_history(Status.APPLYING, applied_on=clock.today(sandbox), society=sandbox,
                                          member_type=sandbox_type, name="野口 大樹", email="daiki@example.ac.jp")
    sign_in(page, live_server, agent)

    open_start(page)
    page.fill("#start-email-input", APPLICANT)
    page.locator("#start-email input[type=submit]").click()
    page.click("#start-faq-proxy-email-in-use")
    outcome = page.locator("#case-outcome")
    expect(outcome).to_have_attribute("data-code", "wait_or_open")
    until = mail.link.expires_at.astimezone(clock.society_timezone(sandbox)).strftime("%Y-%m-%d %H:%M")
    expect(page.locator('#case-facts tr[data-node="pending"]')).to_contain_text(until)
    expect(page.locator("#tell-caller")).to_contain_text("有効期間はメール送信日時から24時間です")
    shot(page, "proxy_wait_or_open")
    page.locator("#outcome-links").get_by_role("link", name="[個人会員送信済みメール]").click()
    expect(page.locator("#result_list")).to_contain_text(APPLICANT)
    shot(page, "sent_mails_of_the_applicant")

    open_start(page)
    page.fill("#start-email-input", applying.email)
    page.locator("#start-email input[type=submit]").click()
    page.click("#start-faq-application-withdraw")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "withdraw")
    page.click("#action-withdraw_application")
    expect(page.locator("#preview-changes")).to_be_visible()
    assert Member.objects.get(pk=applying.pk).status_on(clock.today(sandbox)) == Status.APPLYING  # a preview
    page.click("#action-confirm")
    expect(page.locator("#case-actions-taken")).to_contain_text("withdraw_application")
    shot(page, "application_withdrawn")
    assert Member.objects.get(pk=applying.pk).status_on(clock.today(sandbox)) == Status.APPLICATION_WITHDRAWN
    page.locator("#outcome-links").get_by_role("link", name="[会員状況変更]").click()
    expect(page.locator("#content")).to_contain_text("申請取下")
