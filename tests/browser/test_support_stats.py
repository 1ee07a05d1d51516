"""SUP-10 in Chromium at 1280 px, clicking only (sign-in is the one typed URL): a viewer opens 「サポートの集計」 from the
first page's menu and from 「サポート案件」, sees the outcomes (resolved / escalated / open), the drop-off and the time per
node drawn as SVG bars, then narrows it to one version. Screenshots: var/screenshots/support_stats_*.png."""

from __future__ import annotations

import datetime

import pytest

from tests.support.test_stats import SHIPPED_VERSION, T0, make_case, versions

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

EMAIL = [("sign_ins", "record", 0), ("apass_linked", "record", 0), ("reset_mail", "record", 0)]


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"support_stats_{name}.png"), full_page=True)


def build(society) -> None:
    v1, v2 = versions()  # v2: F escalates
    for i in range(12):
        version = v1 if i % 3 else v2
        at = T0 + datetime.timedelta(days=i)
        wait = 40 + 15 * i
        make_case(society, version, at=at, outcome="C", steps=EMAIL + [("email_usable", "caller", wait)])
        if i % 2:
            make_case(society, version, at=at, outcome="F",
                      steps=EMAIL + [("email_usable", "caller", wait), ("knows_password", "caller", wait + 95),
                                     ("recovery_contact", "record", wait + 95)])
        if i % 4 == 0:
            make_case(society, version, at=at, node="email_usable", steps=EMAIL)
        make_case(society, version, at=at, outcome="A",
                  steps=[("sign_ins", "record", 0), ("apass_linked", "record", 0), ("status", "record", 0)])
    make_case(society, v2, outcome="F", status="open", steps=EMAIL + [("email_usable", "caller", 200)])


@pytest.mark.django_db(transaction=True)
def test_sup10_viewer_opens_the_dashboard_from_the_menu_and_filters_a_version(page, live_server, society,
                                                                              viewer_op):
    build(society)
    sign_in(page, live_server, viewer_op)
    page.locator("#shortcut-support-stats a").click()
    expect(page.locator("h1")).to_contain_text("サポートの集計")
    expect(page.locator("#stats-cases")).to_have_text("34")
    expect(page.locator('#stats-outcomes tr[data-outcome="F"] td.num').nth(2)).to_have_text("2")  # escalated (v2)
    expect(page.locator('#stats-drop-off tr[data-drop-off="email_usable"]')).to_contain_text("3")
    expect(page.locator('#stats-node-time tr[data-node-time="knows_password"]')).to_contain_text("1分35秒")
    expect(page.locator("#stats-outcomes svg .bar.escalated")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling at 1280 px
    shot(page, "all_versions")

    # back to 「サポート案件」 and in again from its link, then one version only
    page.locator(".breadcrumbs a", has_text="サポート案件").click()
    page.click("#support-stats-link")
    page.select_option("#id_version", str(SHIPPED_VERSION))
    page.click("#stats-show")
    expect(page.locator("#stats-cases")).to_have_text("22")
    expect(page.locator('#stats-outcomes tr[data-outcome="F"] td.num').nth(2)).to_have_text("0")  # v1: none escalates
    shot(page, "version_1")
