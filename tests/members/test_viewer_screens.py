"""A viewer (SOC-3: reads only) gets read-only links on every member screen: [会員情報照会] and [会員状況履歴]
instead of [会員情報変更] and [会員状況変更], and no button or link that ends in a 403."""

import re
from html.parser import HTMLParser

import pytest

from members.factories import create_member_with_history
from members.models import APass, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, viewer_op):
    client.force_login(viewer_op)
    return client


@pytest.fixture
def person(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="佐藤 花子",
                                      name_kana="サトウ ハナコ", email="hanako@example.ac.jp")


@pytest.fixture
def corporation(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, corporate=True,
                                      organization="株式会社アトラス製薬", name="山本 健一", email="contact@atlas.example.jp")


class PageParts(HTMLParser):
    """The links and the submit buttons of POST forms on a page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.post_submits: list[tuple[str, str]] = []  # (form id or action, button)
        self._post_form: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and (a.get("href") or "").startswith("/admin/"):
            self.links.append(a["href"].split("#")[0])
        elif tag == "form":
            self._post_form = (a.get("id") or a.get("action") or "?") if (a.get("method") or "").lower() == "post" else None
        elif self._post_form and (tag == "input" and a.get("type") == "submit" or tag == "button"):
            self.post_submits.append((self._post_form, a.get("value") or a.get("name") or tag))

    def handle_endtag(self, tag):
        if tag == "form":
            self._post_form = None

    @property
    def change_buttons(self) -> list[tuple[str, str]]:
        """Submit buttons of POST forms, but signing out."""
        return [s for s in self.post_submits if s[0] != "logout-form"]


def parts(response) -> PageParts:
    parser = PageParts()
    parser.feed(response.content.decode())
    return parser


def test_soc3_viewer_operations_column_links_read_only_screens(viewer_client, person):
    html = viewer_client.get("/admin/members/member/").content.decode()
    assert f'<a href="/admin/members/member/{person.pk}/change/">[会員情報照会]</a>' in html
    assert f'<a href="/admin/members/member/{person.pk}/status/">[会員状況履歴]</a>' in html
    assert "会員情報変更" not in html and "会員状況変更" not in html


def test_soc3_staff_operations_column_keeps_the_manuals_write_links(client, staff_op, viewer_op, person):
    client.force_login(viewer_op)
    client.get("/admin/members/member/")
    client.force_login(staff_op)  # the viewer's request left nothing behind for the next one
    html = client.get("/admin/members/member/").content.decode()
    assert "[会員情報変更]" in html and "[会員状況変更]" in html
    assert "会員情報照会" not in html


def test_soc3_viewer_corporate_member_search_links_read_only_screens(viewer_client, corporation):
    html = viewer_client.get("/admin/members/corporatemember/").content.decode()
    assert f'<a href="/admin/members/corporatemember/{corporation.pk}/change/">[会員情報照会]</a>' in html
    assert "会員情報変更" not in html and "会員状況変更" not in html


def test_soc3_viewer_member_information_page_is_read_only(viewer_client, person):
    r = viewer_client.get(f"/admin/members/member/{person.pk}/change/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>会員情報照会</h1>" in html
    assert "hanako@example.ac.jp" in html and 'name="email"' not in html
    assert "[会員状況履歴]" in html and "会員状況変更" not in html
    assert not parts(r).change_buttons


def test_soc3_viewer_status_page_is_the_history_without_forms(viewer_client, person):
    r = viewer_client.get(f"/admin/members/member/{person.pk}/status/")
    html = r.content.decode()
    assert "<h1>会員状況履歴</h1>" in html and "入会/在会" in html
    assert "会員状況変更・変更予定登録" not in html and "入会申請取下" not in html
    assert not parts(r).change_buttons


@pytest.mark.parametrize("screen", ["member", "corporatemember"])
def test_soc3_viewer_finds_no_button_or_link_that_ends_in_403(viewer_client, person, corporation, screen):
    """Open the member screens a viewer reaches and follow every link on them: none is refused, and no page
    has a button that would send a change."""
    member = corporation if screen == "corporatemember" else person
    base = f"/admin/members/{screen}/"
    start = [base, f"{base}?q=さとう", f"{base}{member.pk}/status/", f"{base}{member.pk}/adjustments/",
             f"{base}{member.pk}/history/", f"{base}{member.pk}/change/"]
    seen: set[str] = set()
    for url in start:
        r = viewer_client.get(url)
        assert r.status_code == 200, url
        page = parts(r)
        assert page.change_buttons == [], url
        for link in page.links:
            if link in seen or link.startswith("/admin/logout/"):
                continue
            seen.add(link)
            assert viewer_client.get(link).status_code not in (403, 500), (url, link)
    assert seen


def test_soc3_viewer_opens_corporate_member_information_read_only(viewer_client, corporation):
    r = viewer_client.get(f"/admin/members/corporatemember/{corporation.pk}/change/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>会員情報照会</h1>" in html and "株式会社アトラス製薬" in html


def test_soc3_viewer_opens_apass_linked_member_information_read_only(viewer_client, society, regular_type):
    linked = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                        email="linked@example.ac.jp",
                                        apass=APass.objects.create(email="linked@example.ac.jp", password="!"))
    r = viewer_client.get(f"/admin/members/member/{linked.pk}/change/")
    assert r.status_code == 200 and "linked@example.ac.jp" in r.content.decode()


def test_soc3_viewer_release_email_page_has_no_form(viewer_client, society, regular_type):
    withdrawn = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type)
    r = viewer_client.get(f"/admin/members/member/{withdrawn.pk}/release-email/")
    assert r.status_code == 200
    assert 'name="note"' not in r.content.decode()
    assert not parts(r).change_buttons
