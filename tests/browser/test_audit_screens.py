"""Browser test of the audit screens (SEC-1): 監査ログ list and detail and a record's 履歴 page, in Japanese, in
Debian's Chromium, with screenshots saved under var/screenshots/."""

from __future__ import annotations

import datetime

import pytest

from backoffice import audit
from backoffice.models import AuditEntry
from members import services
from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_sec1_audit_list_detail_and_history_in_japanese(page, live_server, staff_op, regular_type, society):
    member = services.member_create(actor=staff_op, society=society, name="佐藤 花子", email="hanako@example.ac.jp",
                                    member_type=regular_type, application_date=datetime.date(2025, 4, 1))
    services.member_status_add(actor=staff_op, member=member, status=Status.ACTIVE,
                               effective_date=datetime.date(2025, 4, 15), note="理事会承認")
    services.member_update(actor=staff_op, member=member, affiliation="東京大学 医学部",
                           scheduled_withdrawal_date=datetime.date(2027, 3, 31))
    services.member_adjustment_add(actor=staff_op, member=member, kind="permanent", amount=-1000, note="学生割引")
    batch = audit.new_batch_id()
    for other in [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
                  for _ in range(3)]:
        audit.record(actor=staff_op, action="members.member.status_bulk_updated", target=other, batch_id=batch,
                     before={"status": "active"}, after={"status": "withdrawn",
                                                         "effective_date": datetime.date(2026, 3, 31)})

    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/backoffice/auditentry/")
    header = page.locator("#result_list thead th").first
    expect(header).to_contain_text("時刻 (Asia/Tokyo)")
    expect(page.locator("#result_list")).to_contain_text("会員状況の一括更新")
    expect(page.locator("#result_list")).to_contain_text("日本バックオフィス学会")
    expect(page.locator("#changelist-filter")).to_contain_text("対象の種類")
    page.screenshot(path=str(SHOTS / "sec1_audit_list.png"), full_page=True)

    status_entry = AuditEntry.objects.get(action="members.member.status_added")
    page.locator(f'a[href$="/auditentry/{status_entry.pk}/change/"]').click()
    expect(page.locator("#audit-action")).to_have_text("会員状況変更・変更予定登録")
    table = page.locator("table.audit-changes")
    expect(table).to_contain_text("変更前")
    expect(table).to_contain_text("入会/在会")
    expect(table).to_contain_text("申請中")  # the entry before
    page.screenshot(path=str(SHOTS / "sec1_audit_detail.png"), full_page=True)

    bulk_entry = AuditEntry.objects.filter(batch_id=batch).order_by("id").first()
    page.goto(f"{live_server.url}/admin/backoffice/auditentry/{bulk_entry.pk}/change/")
    expect(page.locator("#audit-batch-entries tbody tr")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "sec1_audit_detail_batch.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/history/")
    expect(page.locator("#audit-history")).to_contain_text("会員調整額登録")
    page.screenshot(path=str(SHOTS / "sec1_history.png"), full_page=True)
    page.locator("#audit-log-link").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    expect(page.locator("#changelist-filter")).to_contain_text("会員: 佐藤 花子")
