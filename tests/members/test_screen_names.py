"""The menu and the breadcrumbs name the member screens as the manuals do: [個人会員検索] and [法人会員検索]."""

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from members.factories import create_member_with_history
from members.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


@pytest.fixture
def person(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="佐藤 花子")


@pytest.fixture
def corporation(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, corporate=True,
                                      organization="株式会社アトラス製薬", name="山本 健一")


def breadcrumbs(response) -> str:
    html = response.content.decode()
    found = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S)
    assert found, "no breadcrumbs"
    return re.sub(r"\s+", " ", found.group(1).replace("&rsaquo;", "›")).strip()


def test_menu_names_individual_and_corporate_member_search(staff_client, person):
    html = staff_client.get(f"/admin/members/member/{person.pk}/change/").content.decode()
    sidebar = re.search(r'<nav class="sticky" id="nav-sidebar".*?</nav>', html, re.S).group(0)
    assert '<a href="/admin/members/member/" aria-current="page">個人会員検索</a>' in sidebar
    assert '<a href="/admin/members/corporatemember/">法人会員検索</a>' in sidebar
    assert ">個人会員<" not in sidebar and ">法人会員<" not in sidebar


def test_individual_member_screens_breadcrumbs_say_individual_member_search(staff_client, person, society,
                                                                            regular_type):
    link = '<a href="/admin/members/member/">個人会員検索</a>'
    pages = {
        "[個人会員検索]": "/admin/members/member/",
        "[会員情報変更]": f"/admin/members/member/{person.pk}/change/",
        "[会員状況変更]": f"/admin/members/member/{person.pk}/status/",
        "[会員番号採番]": "/admin/members/member/numbers/",
        "会員調整額": f"/admin/members/member/{person.pk}/adjustments/",
        "履歴": f"/admin/members/member/{person.pk}/history/",
    }
    for screen, url in pages.items():
        crumbs = breadcrumbs(staff_client.get(url))
        assert crumbs.startswith('<a href="/admin/">ホーム</a> › <a href="/admin/members/">会員</a> › '), screen
        if screen == "[個人会員検索]":
            assert crumbs.endswith("› 個人会員検索"), crumbs
        else:
            assert link in crumbs, (screen, crumbs)
    assert breadcrumbs(staff_client.get(pages["[会員状況変更]"])).endswith(
        f'<a href="/admin/members/member/{person.pk}/change/">{person}</a> › 会員状況変更')
    assert breadcrumbs(staff_client.get(pages["会員調整額"])).endswith(f"{person}</a> › 会員調整額")
    assert breadcrumbs(staff_client.get(pages["[会員番号採番]"])).endswith(f"{link} › 会員番号採番")

    withdrawn = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type)
    crumbs = breadcrumbs(staff_client.get(f"/admin/members/member/{withdrawn.pk}/release-email/"))
    assert link in crumbs and crumbs.endswith("› メールアドレスの書き換え(再入会用)")


def test_bulk_status_page_breadcrumbs_say_individual_member_search(staff_client, person):
    r = staff_client.post("/admin/members/member/", {"action": "bulk_status_action", ACTION_CHECKBOX_NAME: [person.pk]})
    crumbs = breadcrumbs(r)
    assert crumbs.endswith('<a href="/admin/members/member/">個人会員検索</a> › 会員状況の一括更新'), crumbs


def test_corporate_member_screens_breadcrumbs_say_corporate_member_search(staff_client, corporation):
    link = '<a href="/admin/members/corporatemember/">法人会員検索</a>'
    assert breadcrumbs(staff_client.get("/admin/members/corporatemember/")).endswith("› 法人会員検索")
    for url in (f"/admin/members/corporatemember/{corporation.pk}/change/",
                f"/admin/members/corporatemember/{corporation.pk}/status/",
                f"/admin/members/corporatemember/{corporation.pk}/adjustments/",
                f"/admin/members/corporatemember/{corporation.pk}/history/"):
        crumbs = breadcrumbs(staff_client.get(url))
        assert link in crumbs and "株式会社アトラス製薬" in crumbs, (url, crumbs)


def test_corporate_member_search_help_speaks_of_organisation_and_contact_person(staff_client, corporation):
    html = staff_client.get("/admin/members/corporatemember/").content.decode()
    help_text = re.search(r'<div class="help" id="searchbar_helptext">(.*?)</div>', html, re.S).group(1)
    assert "法人名" in help_text and "連絡者氏名" in help_text and "連絡者フリガナ" in help_text
    assert not help_text.startswith("氏名")
    individual = staff_client.get("/admin/members/member/").content.decode()
    assert "氏名・フリガナ(部分一致)" in individual


def test_member_list_counts_in_ken_not_in_screen_names(staff_client, person, society, regular_type):
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    html = staff_client.get("/admin/members/member/").content.decode()
    paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S).group(1)
    assert "2件" in paginator and "個人会員検索" not in paginator


def test_member_list_select_all_speaks_of_members(staff_client, society, regular_type, monkeypatch):
    from members.admin import MemberAdmin

    monkeypatch.setattr(MemberAdmin, "list_per_page", 1)
    for _ in range(2):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                   applied_on=datetime.date(2024, 4, 1))
    html = staff_client.get("/admin/members/member/").content.decode()
    assert "会員 2件をすべて選択" in html
