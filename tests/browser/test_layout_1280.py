"""Issue 12, point 9: the screens at 1280 × 900 (Chromium, ja-JP), measured with the elements' boxes. Every page is
opened by clicking from the first page; screenshots var/screenshots/layout_*.png."""

from __future__ import annotations

import pytest

from billing.factories import InvoiceFactory
from mail.factories import SentMailFactory
from mail.models import MailKind
from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

PEOPLE = [  # name, kana, e-mail: the lengths the demo has
    ("長谷川 聡", "ハセガワ サトシ", "satoshi.hasegawa@example.ac.jp"),
    ("青木 翼", "アオキ ツバサ", "tsubasa.aoki2@example.ac.jp"),
    ("木村 愛", "キムラ アイ", "jsbo-m200@example.ac.jp"),
]
#: an address longer than any column should give it: it may wrap, but must not push the list out of the window
LONG_ADDRESS = "a-very-long-address.for-the-secretariat@graduate-school.example-university.ac.jp"

# The text of an element line by line, as the browser laid it out: one entry per line box.
LINES_JS = """el => {
  const lines = [];
  let top = null;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = [...range.getClientRects()].find(r => r.width > 0);
      if (!rect) { if (lines.length) lines[lines.length - 1] += node.data[i]; continue; }
      if (top === null || rect.top > top + 2) { lines.push(""); top = rect.top; }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""


def box(locator):
    b = locator.bounding_box()
    assert b is not None, locator
    return b


def overlaps(a, b) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def lines_of(locator) -> list[str]:
    return locator.evaluate(LINES_JS)


def assert_not_broken_inside_a_word(cells, what):
    """Each cell's lines end and begin between words: a name may break only at the space between family and given
    name, an e-mail address (one word) not at all."""
    for i in range(cells.count()):
        lines = [line for line in lines_of(cells.nth(i)) if line.strip()]
        for before, after in zip(lines, lines[1:]):
            assert before.endswith((" ", "\u3000")) or after.startswith((" ", "\u3000")), (what, lines)


def open_from_home(page, live_server, link_name):
    page.goto(f"{live_server.url}/admin/")
    page.locator("#content-main").get_by_role("link", name=link_name, exact=True).first.click()
    page.wait_for_load_state()


@pytest.fixture
def layout_world(society, regular_type):
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name=name,
                                          name_kana=kana, email=email) for name, kana, email in PEOPLE]
    for member in members:
        InvoiceFactory(member=member, fiscal_year=2025)
        InvoiceFactory(member=member, fiscal_year=2026, confirmed_at=None)  # 操作: [請求内容確定] and [請求取消]
    kinds = [MailKind.PAYMENT_RECEIPT, MailKind.APASS_UNLINKED, MailKind.PASSWORD_RESET, MailKind.EMAIL_CHANGE_CONFIRM]
    for i, kind in enumerate(kinds * 2):
        member = members[i % len(members)]
        SentMailFactory(society=society, member_id=member.pk, kind=kind, to=member.email,
                        subject=f"【日本バックオフィス学会】{MailKind(kind).label}")
    SentMailFactory(society=society, kind=MailKind.OTHER, to=LONG_ADDRESS,
                    subject="【日本バックオフィス学会】年次大会のご案内")
    return members


@pytest.mark.django_db(transaction=True)
def test_issue12_9_member_page_object_tools_stand_clear_of_the_title(page, live_server, staff_op, layout_world):
    """[会員情報変更]: the object tools ([会員状況変更], [会員調整額], the member's invoices, …) wrap below the title
    and the record's name instead of covering them."""
    sign_in(page, live_server, staff_op)
    open_from_home(page, live_server, "個人会員検索")
    page.locator("#result_list tr", has_text="長谷川 聡").get_by_role("link", name="[会員情報変更]").click()
    expect(page.locator("#content h1")).to_have_text("会員情報変更")
    page.screenshot(path=str(SHOTS / "layout_member_change.png"))
    tools = page.locator("#content .object-tools li")
    assert tools.count() >= 5
    titles = [box(page.locator("#content h1")), box(page.locator("#content h2").first)]
    assert "長谷川 聡" in page.locator("#content h2").first.inner_text()
    for i in range(tools.count()):
        tool = box(tools.nth(i))
        assert tool["x"] + tool["width"] <= 1280, tools.nth(i).inner_text()
        for title in titles:
            assert not overlaps(tool, title), (tools.nth(i).inner_text(), tool, title)
    # nor do they cover the form below them
    first_row = box(page.locator("#content form fieldset .form-row").first)
    assert all(box(tools.nth(i))["y"] + box(tools.nth(i))["height"] <= first_row["y"] for i in range(tools.count()))


@pytest.mark.django_db(transaction=True)
def test_issue12_9_member_list_names_and_emails_not_broken_inside_a_word(page, live_server, staff_op, layout_world):
    """[個人会員検索]: 氏名, フリガナ and メールアドレス break only between words (an e-mail address not at all), and the
    操作 column stays in the window."""
    sign_in(page, live_server, staff_op)
    open_from_home(page, live_server, "個人会員検索")
    page.screenshot(path=str(SHOTS / "layout_member_list.png"))
    for column in ("name", "name_kana", "email_col"):
        assert_not_broken_inside_a_word(page.locator(f"#result_list tbody td.field-{column}"), column)
    emails = page.locator("#result_list tbody td.field-email_col")
    assert all(len([x for x in lines_of(emails.nth(i)) if x.strip()]) == 1 for i in range(emails.count()))
    links = page.locator("#result_list tbody td.field-operations a")
    assert links.count() == 2 * len(PEOPLE)
    for i in range(links.count()):
        b = box(links.nth(i))
        assert b["x"] + b["width"] <= 1280


@pytest.mark.django_db(transaction=True)
def test_issue12_9_invoice_list_every_operation_button_inside_the_table(page, live_server, staff_op, layout_world):
    """[個人会員請求検索]: every 操作 button — two on an unconfirmed invoice — is wholly inside the window and the
    table's visible part (nothing to scroll sideways); the member's name is not broken inside a word."""
    sign_in(page, live_server, staff_op)
    open_from_home(page, live_server, "個人会員請求検索")
    expect(page.locator("#result_list")).to_be_visible()
    page.screenshot(path=str(SHOTS / "layout_invoice_list.png"), full_page=True)
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), "the list scrolls sideways"
    area, table = box(results), box(page.locator("#result_list"))
    buttons = page.locator("#result_list tbody td.field-operations").locator("button, a.button")
    assert buttons.count() == 3 * len(PEOPLE)  # [請求取消] on each, [請求内容確定] on the unconfirmed ones
    assert page.locator("#result_list tbody td.field-operations", has_text="請求内容確定").count() == len(PEOPLE)
    for i in range(buttons.count()):
        b = box(buttons.nth(i))
        for outer in ({"x": 0, "width": 1280}, area, table):
            assert outer["x"] <= b["x"] and b["x"] + b["width"] <= outer["x"] + outer["width"], (
                buttons.nth(i).inner_text(), b, outer)
    assert_not_broken_inside_a_word(page.locator("#result_list tbody td.field-member_col"), "member")


@pytest.mark.django_db(transaction=True)
def test_issue12_9_sent_mail_list_uses_the_width(page, live_server, staff_op, layout_world):
    """[個人会員送信済みメール]: the list takes at least 90 % of the content's width, a normal mail's 件名 is at most two
    lines and 種別 one, an address is never broken inside it; a very long address wraps rather than pushing the
    list out of the window."""
    sign_in(page, live_server, staff_op)
    open_from_home(page, live_server, "個人会員送信済みメール")
    expect(page.locator("#result_list")).to_be_visible()
    page.screenshot(path=str(SHOTS / "layout_sent_mail.png"), full_page=True)
    table, content = box(page.locator("#result_list")), box(page.locator("#content-main"))
    assert table["width"] >= 0.9 * content["width"], (table, content)
    assert table["x"] + table["width"] <= 1280
    assert page.locator("#changelist .results").evaluate("el => el.scrollWidth <= el.clientWidth")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 9
    for i in range(rows.count()):
        row = rows.nth(i)
        to = row.locator(".field-to").inner_text().strip()
        kind_lines = [x for x in lines_of(row.locator(".field-kind")) if x.strip()]
        subject_lines = [x for x in lines_of(row.locator(".field-subject")) if x.strip()]
        assert len(kind_lines) == 1, kind_lines
        assert len(subject_lines) <= 2, subject_lines
        if to != LONG_ADDRESS:
            assert len([x for x in lines_of(row.locator(".field-to")) if x.strip()]) == 1, to
