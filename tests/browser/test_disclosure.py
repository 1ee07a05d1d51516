"""Browser test of SEC-5: an administrator opens [会員情報変更] from [個人会員検索] and downloads the member's
disclosure with [保有個人データの開示（ダウンロード）]; the openings are recorded. Screenshots in var/screenshots/."""

from __future__ import annotations

import json

import pytest

from members.factories import create_member_with_history
from members.models import MemberAccess, Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_sec5_admin_downloads_the_disclosure_from_the_member_page(page, live_server, admin_op, regular_type, society):
    member = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="開示 花子",
                                        name_kana="カイジ ハナコ", email="hanako@example.ac.jp")
    sign_in(page, live_server, admin_op)
    page.goto(f"{live_server.url}/admin/members/member/")
    page.fill("#searchbar", "かいじ")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=*")
    page.get_by_role("link", name="[会員情報変更]").click()
    link = page.get_by_role("link", name="保有個人データの開示（ダウンロード）")
    expect(link).to_be_visible()
    page.screenshot(path=str(SHOTS / "sec5_member_page_disclosure_link.png"), full_page=True)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.startswith("disclosure-")
    body = json.loads(open(download.path(), encoding="utf-8").read())
    assert body["member"]["name"] == "開示 花子" and [s["status"] for s in body["statuses"]] == ["applying", "active"]
    # the opening of the page and the download are both recorded, for this operator
    assert list(MemberAccess.objects.filter(member=member).values_list("operator_email", "via").distinct()) == [
        (admin_op.email, "admin")]
    assert MemberAccess.objects.filter(member=member).count() == 2
