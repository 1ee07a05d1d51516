"""SIM-4: My Page notices (seed 003, 会員マイページお知らせに関すること): shown in the secretariat's order, not by date;
links allowed; no file uploads."""

from __future__ import annotations

import datetime

import pytest

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from simulator import services
from simulator.models import MyPageNotice

pytestmark = pytest.mark.django_db
D = datetime.date
LIST = "/admin/simulator/mypagenotice/"


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


def titles(society) -> list[str]:
    return list(MyPageNotice.objects.in_society(society).in_display_order().values_list("title", flat=True))


def make(staff_op, society, title, day):
    return services.notice_create(actor=staff_op, society=society, title=title, published_on=day)


def test_sim4_notices_keep_the_secretariats_order_not_the_date(staff_op, society):
    make(staff_op, society, "総会のご案内", D(2026, 5, 1))
    make(staff_op, society, "年会費のお知らせ", D(2026, 4, 1))
    late = make(staff_op, society, "学術大会", D(2026, 9, 1))
    assert titles(society) == ["総会のご案内", "年会費のお知らせ", "学術大会"]  # new ones at the bottom
    services.notice_move(actor=staff_op, notice=late, index=0)
    assert titles(society) == ["学術大会", "総会のご案内", "年会費のお知らせ"]
    entry = AuditEntry.objects.filter(action="simulator.notice.moved").get()
    assert (entry.before, entry.after) == ({"position": 3}, {"position": 1})


def test_sim4_move_up_and_down_from_the_list(staff_client, staff_op, society):
    first = make(staff_op, society, "一", D(2026, 1, 1))
    second = make(staff_op, society, "二", D(2026, 1, 2))
    page = staff_client.get(LIST).content.decode()
    assert 'id="notice-move"' in page and "掲載日" in page
    r = staff_client.post(f"{LIST}{second.pk}/move/", {"direction": "up"})
    assert r.status_code == 302
    assert titles(society) == ["二", "一"]
    staff_client.post(f"{LIST}{second.pk}/move/", {"direction": "up"})  # already at the top: nothing moves
    assert titles(society) == ["二", "一"]
    staff_client.post(f"{LIST}{second.pk}/move/", {"direction": "down"})
    assert titles(society) == ["一", "二"]
    assert staff_client.post(f"{LIST}{first.pk}/move/", {"direction": "sideways"}).status_code == 302
    assert staff_client.get(f"{LIST}{first.pk}/move/").status_code == 405


def test_sim4_links_allowed_and_preview_in_order(staff_client, staff_op, society):
    notice = make(staff_op, society, "資料", D(2026, 6, 1))
    services.notice_update(actor=staff_op, notice=notice,
                           body="資料はこちら https://www.example.ac.jp/files/a.pdf <script>alert(1)</script>")
    services.notice_update(actor=staff_op, notice=make(staff_op, society, "非公開", D(2026, 6, 2)), is_published=False)
    html = staff_client.get(f"{LIST}preview/").content.decode()
    assert '<a href="https://www.example.ac.jp/files/a.pdf"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "非公開" not in html


def test_sim4_no_file_upload_on_my_page(staff_client):
    html = staff_client.get(f"{LIST}add/").content.decode()
    assert 'type="file"' not in html
    assert "ファイルを置くことはできません" in html


def test_sim4_add_from_the_admin_is_audited(staff_client, society):
    r = staff_client.post(f"{LIST}add/", {"title": "お知らせ", "published_on": "２０２６－０７－０１", "body": "",
                                          "is_published": "on"})
    assert r.status_code == 302
    notice = MyPageNotice.objects.get()
    assert notice.published_on == D(2026, 7, 1) and notice.society == society
    assert AuditEntry.objects.for_object(notice).get().action == "simulator.notice.created"


def test_sim4_scoped_and_viewer_reads_only(client, staff_op, viewer_op, other_op, society):
    notice = make(staff_op, society, "内部", D(2026, 1, 1))
    client.force_login(other_op)
    assert client.get(f"{LIST}{notice.pk}/change/").status_code in (302, 404)
    assert client.post(f"{LIST}{notice.pk}/move/", {"direction": "up"}).status_code == 404
    client.force_login(viewer_op)
    assert "notice-move" not in client.get(LIST).content.decode().split('id="result_list"')[1]
    with pytest.raises(DomainError):
        services.notice_update(actor=viewer_op, notice=notice, title="書換")
