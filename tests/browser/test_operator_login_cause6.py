"""Seed 001 原因⑥ in Chromium, from its scenario operator (issue 16 §3, SUP-2, SOC-5): the sandbox's suspended
companion society refuses its operator with the manual's message, and the platform's help desk — signed in at the
general page — starts the case from its first page by clicking, choosing that society. Screenshots in
var/screenshots/."""

from __future__ import annotations

import pytest

from members import services as member_services
from members.factories import OperatorFactory
from simulator import operator_scenarios, scenarios

from .conftest import CHROMIUM, SHOTS, expect, sign_in
from tests.support.conftest import sandbox, sandbox_type  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

SEED001_6 = "メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。"


@pytest.mark.django_db(transaction=True)
def test_sup2_soc5_cause6_from_the_scenario_operator_to_the_platforms_case(page, live_server, sandbox,  # noqa: F811
                                                                            sandbox_type):  # noqa: F811
    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    other = operator_scenarios.companion(sandbox)
    address = operator_scenarios.email(sandbox, operator_scenarios.CAUSE6.local)

    # the trainer's シナリオ一覧 → the companion's sign-in page: the operator is refused with seed 001's words
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server.url}/admin/simulation/scenarios/")
    row = page.locator("tr.scenario-operator_cause6")
    expect(row).to_contain_text(other.name)
    with page.context.expect_page() as opened:
        row.locator("#scenario-cause6-login").click()
    login = opened.value
    login.wait_for_load_state()
    # SOC-6: the page says who is signed in in this browser and what signing in here does (no stock admin phrase)
    expect(login.locator("#login-signed-in-as")).to_contain_text(trainer.email)
    login.fill("input[name=username]", address)
    login.fill("input[name=password]", operator_scenarios.PASSWORD)
    login.click("#login-form input[type=submit]")
    expect(login.locator(".errornote")).to_contain_text(SEED001_6)
    login.screenshot(path=str(SHOTS / "soc5_cause6_refused.png"), full_page=True)
    login.close()

    # the platform's help desk: the general page, its first page's shortcut, the society chosen, the flow clicked
    page.context.clear_cookies()
    root = member_services.operator_create(actor="system: test", society=None, email="root@example.jp",
                                           password="password-123", role="admin", is_superuser=True)
    sign_in(page, live_server, root)
    page.click("#shortcut-support-platform-start a")
    page.select_option("#start-society-input", other.slug)
    page.fill("#start-operator-input", address)
    page.click("#start-operator-submit")
    expect(page.locator("#start-caller-society")).to_contain_text(other.name)
    page.click("#start-operator-login")
    expect(page.locator("#case-member")).to_contain_text(other.name)  # which society's operator, for the platform
    expect(page.locator("body")).to_contain_text("原因⑥")
    expect(page.locator("body")).to_contain_text(SEED001_6)
    page.screenshot(path=str(SHOTS / "sup2_cause6_platform_case.png"), full_page=True)
