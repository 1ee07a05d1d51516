"""Browser tests of the secretariat's first page and of the member lists at 1280 × 800: open /admin/, search a
member from it, land on [個人会員検索] with results whose 操作 column is fully inside the window. Screenshots go
to var/screenshots/."""

from __future__ import annotations

import pytest

from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

LONG_EMAIL = "hanako.sato.department-of-internal-medicine@hospital.example.ac.jp"

# The 操作 column's right edge and the results' box: the column is readable without scrolling sideways.
OPERATIONS_GEOMETRY = """() => {
  const results = document.querySelector('#changelist .results');
  const cells = [...document.querySelectorAll('#result_list td.field-operations, #result_list td.field-operations_read_only')];
  const box = results.getBoundingClientRect();
  return {
    cells: cells.length,
    overflow: results.scrollWidth - results.clientWidth,
    window: document.documentElement.clientWidth,
    resultsRight: box.right,
    rightmost: Math.max(...cells.map(td => td.getBoundingClientRect().right)),
    linksCut: cells.flatMap(td => [...td.querySelectorAll('a')]).filter(a => a.getBoundingClientRect().right > box.right).length,
  };
}"""


@pytest.fixture
def viewport():
    return {"width": 1280, "height": 800}


def assert_operations_column_inside(page):
    geometry = page.evaluate(OPERATIONS_GEOMETRY)
    assert geometry["cells"] > 0, geometry
    assert geometry["overflow"] <= 0, geometry
    assert geometry["rightmost"] <= geometry["resultsRight"] <= geometry["window"], geometry
    assert geometry["linksCut"] == 0, geometry


@pytest.mark.django_db(transaction=True)
def test_first_page_search_lands_on_individual_member_search(page, live_server, staff_op, regular_type, society):
    """Seed 000, step 1: the member is searched on [個人会員検索] — here from the first page's search box."""
    hanako = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                        name="佐藤 花子", name_kana="サトウ ハナコ", email=LONG_EMAIL,
                                        member_number="000123")
    for n in range(12):  # others whose names the search must not match, whatever the factories' sequence
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                   name=f"鈴木 {n}", name_kana=f"スズキ {n}")
    sign_in(page, live_server, staff_op)
    expect(page.locator("#home-search")).to_be_visible()
    expect(page.locator("#home-society")).to_contain_text(society.name)
    page.screenshot(path=str(SHOTS / "home_staff.png"), full_page=True)

    page.fill("#home-q", "さとう")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/admin/members/member/?q=*")
    assert "個人会員検索" in page.title()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("佐藤 花子")
    expect(page.locator(".breadcrumbs")).to_contain_text("個人会員検索")
    assert_operations_column_inside(page)
    page.screenshot(path=str(SHOTS / "home_search_results_1280.png"), full_page=True)
    page.get_by_role("link", name="[会員情報変更]").click()
    page.wait_for_url(f"**/admin/members/member/{hanako.pk}/change/")


@pytest.mark.django_db(transaction=True)
def test_first_page_corporate_button_opens_corporate_member_search(page, live_server, staff_op, regular_type,
                                                                   society):
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, corporate=True,
                               organization="株式会社アトラス製薬", name="山本 健一", email="contact@atlas.example.jp")
    sign_in(page, live_server, staff_op)
    page.fill("#home-q", "アトラス")
    page.click("#home-search-corporate")
    page.wait_for_url("**/admin/members/corporatemember/?q=*")
    assert "法人会員検索" in page.title()
    expect(page.locator("#result_list")).to_contain_text("株式会社アトラス製薬")
    assert_operations_column_inside(page)


@pytest.mark.django_db(transaction=True)
def test_member_list_operations_column_fits_1280(page, live_server, staff_op, viewer_op, regular_type, society):
    """A full page of members with long names and e-mails: the 操作 column stays inside the window at 1280 × 800,
    for staff ([会員情報変更] [会員状況変更]) and for a viewer ([会員情報照会] [会員状況履歴], SOC-3)."""
    for n in range(30):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                   name=f"長谷川 久美子{n}", name_kana=f"ハセガワ クミコ{n}",
                                   email=f"{n}.{LONG_EMAIL}", member_number=f"{n:06d}")
    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/members/member/")
    expect(page.locator("#result_list")).to_contain_text("[会員状況変更]")
    assert_operations_column_inside(page)
    page.screenshot(path=str(SHOTS / "member_list_1280_staff.png"))

    page.click("#logout-form button")
    page.wait_for_url("**/admin/logout/")
    sign_in(page, live_server, viewer_op)
    page.screenshot(path=str(SHOTS / "home_viewer.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/members/member/")
    expect(page.locator("#result_list")).to_contain_text("[会員情報照会]")
    assert page.locator("text=[会員情報変更]").count() == 0
    assert_operations_column_inside(page)
    page.screenshot(path=str(SHOTS / "member_list_1280_viewer.png"))
