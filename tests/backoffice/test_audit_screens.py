"""SEC-1: the audit screens read in the operator's language — 監査ログ (list and detail) and a record's 履歴 page:
action labels, before/after as a table of labelled fields, the society by name, one time zone."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from backoffice import audit, audit_display
from backoffice.models import AuditEntry
from members import services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory, create_member_with_history
from members.models import Member, Operator, Status

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/backoffice/auditentry/"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")



@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


@pytest.fixture
def root_op(db):
    """A platform superuser (no society): sees every society's entries."""
    return Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")


@pytest.fixture
def frozen_now(monkeypatch):
    """Entries are written at 2025-03-31 15:30 UTC, which is 2025-04-01 00:30 in Tokyo: a different day."""
    instant = datetime.datetime(2025, 3, 31, 15, 30, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    return instant


@pytest.fixture
def member(society, regular_type, staff_op):
    return services.member_create(actor=staff_op, society=society, name="山田 太郎", email="taro@example.jp",
                                  member_type=regular_type, application_date=datetime.date(2025, 4, 1))


def cells(html: str, column: str) -> list[str]:
    """The text of a list column's cells, in order."""
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(rf'class="field-{column}">(.*?)</t[dh]>', html, re.S)]


def headers(html: str) -> list[str]:
    start = html.index('<table id="result_list">')
    thead = html[start:html.index("</thead>", start)]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<div class="text">(.*?)</div>', thead, re.S)]


def change_table(html: str, start: int = 0) -> dict[str, tuple[str, str]]:
    """項目 → (変更前, 変更後) of the first field table at or after ``start``."""
    table = html[html.index('<table class="audit-changes">', start):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="audit-before">(.*?)</td><td class="audit-after">(.*?)</td>',
                      table, re.S)
    return {label: (before, after) for label, before, after in rows}


# --- 1. values for humans ------------------------------------------------------------------------------


def test_sec1_values_read_for_humans():
    tz = TOKYO
    with translation.override("ja"):
        show = audit_display.display_value
        assert show(None, tz=tz) == "—"
        assert show("", tz=tz) == "—"
        assert show(True, tz=tz) == "はい"
        assert show(False, tz=tz) == "いいえ"
        assert show("2027-03-31", tz=tz, key="scheduled_withdrawal_date", model=Member) == "2027-03-31"
        assert show("2025-03-31T15:30:00Z", tz=tz) == "2025-04-01 00:30:00"
        assert show("2025-03-31T15:30:00.123+00:00", tz=tz, key="apass_linked_at", model=Member) == "2025-04-01 00:30:00"
        assert show("active", tz=tz, key="status", action="members.member.status_added", model=Member) == "入会/在会"
        assert show("admin", tz=tz, key="role", model=Operator) == "管理者"
        assert show([3, 1, 2], tz=tz) == "3、1、2"
        assert show({"status": "applying", "effective_date": "2025-04-01"}, tz=tz,
                    action="members.member.status_added", model=Member) == "会員状況: 申請中、日付: 2025-04-01"
        assert show("unknown_code", tz=tz, key="status", model=Member) == "unknown_code"


# --- 2. the list (監査ログ) ----------------------------------------------------------------------------


def test_sec1_audit_list_in_japanese_with_society_name_and_action_label(staff_client, member, society):
    r = staff_client.get(LIST_URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert headers(html) == ["時刻 (Asia/Tokyo)", "学会", "操作者", "操作", "対象"]
    assert cells(html, "society_column") == ["日本バックオフィス学会"]
    assert cells(html, "action_column") == ["会員登録"]
    assert cells(html, "target_column") == ["会員: 山田 太郎 (taro@example.jp)"]
    assert cells(html, "actor_column") == ["staff@jsbo.example.jp"]
    titles = re.findall(r'data-filter-title="(.*?)"', html)
    assert titles == ["操作者", "操作", "対象の種類", "期間", "一括操作"]
    for english in ("Target type", "target type", "Time", "Society", "members.member.created<"):
        assert english not in html


def test_sec1_audit_list_scoped_to_the_operators_society(client, staff_op, other_op, root_op, member, other_society):
    other_type = MemberTypeFactory(society=other_society, code="regular", name="正会員")
    services.member_create(actor=other_op, society=other_society, name="他学 次郎", email="jiro@example.jp",
                           member_type=other_type)
    client.force_login(staff_op)
    assert cells(client.get(LIST_URL).content.decode(), "target_column") == ["会員: 山田 太郎 (taro@example.jp)"]
    client.force_login(other_op)
    assert cells(client.get(LIST_URL).content.decode(), "target_column") == ["会員: 他学 次郎 (jiro@example.jp)"]
    client.force_login(root_op)
    html = client.get(LIST_URL).content.decode()
    # the platform's own entry (the superuser's creation by createsuperuser) belongs to no society: —
    assert sorted(cells(html, "society_column")) == sorted(["日本バックオフィス学会", "別の学会", "—"])
    assert list(AuditEntry.objects.visible_to(staff_op)) == list(AuditEntry.objects.filter(society_id=staff_op.society_id))
    assert AuditEntry.objects.visible_to(root_op).count() == 3


def test_sec1_audit_list_filters(staff_client, staff_op, admin_op, society, regular_type, member):
    services.member_adjustment_add(actor=admin_op, member=member, kind="one_time", amount=500)
    services.member_type_update(actor=admin_op, member_type=regular_type, name="一般会員")
    batch = audit.new_batch_id()
    others = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type) for _ in range(2)]
    for m in others:
        audit.record(actor="system: nightly", action="members.member.status_bulk_updated", target=m,
                     after={"status": "withdrawn"}, batch_id=batch)

    def actions(**params):
        r = staff_client.get(LIST_URL, params)
        assert r.status_code == 200, r.status_code
        return cells(r.content.decode(), "action_column")

    assert actions(actor=str(staff_op.pk)) == ["会員登録"]
    assert actions(actor=str(admin_op.pk)) == ["会員種別変更", "会員調整額登録"]
    assert actions(actor="system") == ["会員状況の一括更新"] * 2
    assert actions(action="members.adjustment.added") == ["会員調整額登録"]
    member_type_ct = ContentType.objects.get_for_model(regular_type)
    assert actions(target_type=str(member_type_ct.pk)) == ["会員種別変更"]
    html = staff_client.get(LIST_URL).content.decode()
    target_types = re.findall(r'data-filter-title="対象の種類".*?</details>', html, re.S)[0]
    assert re.findall(r'\?target_type=\d+">(.*?)</a>', target_types) == [
        "A-Pass", "オペレーター", "サポート案件", "フローの版", "メールテンプレート", "会員", "会員マイページお知らせ", "会員種別",
        "入金", "入金明細", "入金明細行", "学会", "請求", "請求情報作成", "送信済みメール"]
    target = audit_display.object_filter_value(member)
    r = staff_client.get(LIST_URL, {"target": target})
    html = r.content.decode()
    assert cells(html, "action_column") == ["会員調整額登録", "会員登録"]
    assert "会員: 山田 太郎" in re.findall(r'data-filter-title="対象".*?</details>', html, re.S)[0]
    assert actions(target="nonsense") == []
    assert actions(batch=str(batch)) == ["会員状況の一括更新"] * 2
    assert actions(batch="any") == ["会員状況の一括更新"] * 2
    assert actions(q="admin@jsbo") == ["会員種別変更", "会員調整額登録"]
    assert actions(q="山田") == ["会員調整額登録", "会員登録"]


def test_sec1_audit_list_date_filters_in_the_society_time_zone(staff_client, frozen_now, member):
    """Written 2025-03-31 15:30 UTC = 2025-04-01 00:30 in Tokyo: it is an entry of April 1st."""
    def count(**params):
        return len(cells(staff_client.get(LIST_URL, params).content.decode(), "action_column"))

    assert count(at_from="2025-04-01", at_to="2025-04-01") == 1
    assert count(at_to="2025-03-31") == 0
    assert count(at_from="２０２５－０４－０２") == 0  # full-width typing is read too
    r = staff_client.get(LIST_URL, {"at_from": "not a date"})
    assert r.status_code == 200
    assert "日付はYYYY-MM-DDの形式で入力してください" in r.content.decode()


def test_sec1_audit_list_query_count_is_bounded(client, root_op, django_assert_max_num_queries):
    """Society names are fetched once for the page, whatever the number of rows and societies."""
    def seed(n):
        for i in range(n):
            society = SocietyFactory()
            operator = OperatorFactory(society=society)
            member_type = MemberTypeFactory(society=society)
            services.member_create(actor=operator, society=society, name=f"会員 {i}", email=f"m{i}@example.jp",
                                   member_type=member_type)

    client.force_login(root_op)
    seed(2)
    client.get(LIST_URL)  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    seed(12)
    # session, operator, operators for the actor filter, count, page, societies
    with django_assert_max_num_queries(6):
        r = client.get(LIST_URL)
    # one member.created entry per society, and the platform's own entry (no society)
    assert len(set(cells(r.content.decode(), "society_column"))) == 15
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)
    assert len(many) == len(few)


def test_sec1_audit_list_query_count_for_a_society_operator(staff_client, staff_op, member,
                                                            django_assert_max_num_queries):
    for i in range(40):
        services.member_adjustment_add(actor=staff_op, member=member, kind="one_time", amount=100 + i)
    # as for a platform superuser, plus the operator's model permissions for the navigation (2)
    with django_assert_max_num_queries(8):
        r = staff_client.get(LIST_URL)
    assert len(cells(r.content.decode(), "action_column")) == 41


def test_sec1_audit_list_sorts_by_time(staff_client, staff_op, member):
    services.member_adjustment_add(actor=staff_op, member=member, kind="one_time", amount=100)
    html = staff_client.get(LIST_URL).content.decode()
    assert '<a href="?o=0">時刻 (Asia/Tokyo)</a>' in html  # newest first; the header sorts oldest first
    assert cells(html, "action_column") == ["会員調整額登録", "会員登録"]
    assert cells(staff_client.get(LIST_URL, {"o": "0"}).content.decode(), "action_column") == ["会員登録", "会員調整額登録"]


# --- 3. the detail page --------------------------------------------------------------------------------


def test_sec1_audit_detail_is_a_field_table_in_japanese(staff_client, staff_op, member):
    services.member_update(actor=staff_op, member=member, affiliation="東京大学",
                           scheduled_withdrawal_date=datetime.date(2027, 3, 31))
    services.member_status_add(actor=staff_op, member=member, status=Status.ACTIVE,
                               effective_date=datetime.date(2025, 5, 1), note="理事会承認")
    updated, status_added = AuditEntry.objects.filter(action__in=["members.member.updated",
                                                                  "members.member.status_added"]).order_by("id")
    html = staff_client.get(f"{LIST_URL}{updated.pk}/change/").content.decode()
    assert re.search(r'<th scope="row">時刻 \(Asia/Tokyo\)</th>', html)
    for label in ("学会", "操作者", "操作", "対象", "一括操作", "変更内容", "項目", "変更前", "変更後"):
        assert f">{label}<" in html, label
    assert '<td id="audit-action">会員情報変更</td>' in html
    assert '<td id="audit-society">日本バックオフィス学会</td>' in html
    assert change_table(html) == {"所属先": ("—", "東京大学"), "退会予定日": ("—", "2027-03-31")}
    html = staff_client.get(f"{LIST_URL}{status_added.pk}/change/").content.decode()
    assert change_table(html) == {  # the latest entry before, the new one after
        "会員状況": ("申請中", "入会/在会"),
        "日付": ("2025-04-01", "2025-05-01"),
        "備考": ("—", "理事会承認"),
    }
    body = html[html.index('<div id="content-main">'):]
    assert "{" not in body.split("<svg")[0]  # never raw JSON
    assert "members.member" not in body.split("?target=")[0]  # never the raw action code


def test_sec1_audit_detail_renders_booleans_and_choices(staff_client, admin_op, society):
    audit.record(actor=admin_op, action="members.operator.updated", target=admin_op,
                 before={"role": "staff", "is_active": True}, after={"role": "admin", "is_active": False})
    entry = AuditEntry.objects.get(action="members.operator.updated")
    html = staff_client.get(f"{LIST_URL}{entry.pk}/change/").content.decode()
    assert change_table(html) == {"権限": ("担当者", "管理者"), "有効": ("はい", "いいえ")}


def test_sec1_audit_detail_is_read_only(staff_client, admin_op, member):
    entry = AuditEntry.objects.get()
    assert staff_client.post(f"{LIST_URL}{entry.pk}/change/", {"action": "tampered"}).status_code == 405
    assert staff_client.get(f"{LIST_URL}add/").status_code == 403
    entry.refresh_from_db()
    assert entry.action == "members.member.created"


def test_sec1_audit_detail_of_another_society_is_not_found(client, other_op, member):
    client.force_login(other_op)
    entry = AuditEntry.objects.get()
    r = client.get(f"{LIST_URL}{entry.pk}/change/")
    assert r.status_code == 302 and r.url == "/admin/"


def test_sec1_audit_detail_links_the_other_entries_of_its_batch(staff_client, society, regular_type, staff_op):
    batch = audit.new_batch_id()
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                          name=f"一括 {i}") for i in range(3)]
    entries = [audit.record(actor=staff_op, action="members.member.status_bulk_updated", target=m, batch_id=batch,
                            before={"status": "active"}, after={"status": "withdrawn",
                                                                "effective_date": datetime.date(2026, 3, 31)})
               for m in members]
    audit.record(actor=staff_op, action="members.member.status_bulk_updated", target=members[0],
                 batch_id=audit.new_batch_id(), after={"status": "active"})  # another batch
    html = staff_client.get(f"{LIST_URL}{entries[0].pk}/change/").content.decode()
    assert f'href="{LIST_URL}?batch={batch}"' in html
    others = html[html.index('<table id="audit-batch-entries">'):]
    others = others[:others.index("</table>")]
    assert [f"{LIST_URL}{e.pk}/change/" for e in entries[1:]] == re.findall(r'href="([^"]+)"', others)
    assert "会員: 一括 1" in others and "会員: 一括 2" in others
    assert change_table(html) == {"会員状況": ("入会/在会", "退会"), "日付": ("—", "2026-03-31")}


def test_sec1_audit_entry_without_a_target_reads_from_its_action_labels(staff_client, society):
    entry = audit.record(actor="system: nightly", action="members.member_number.corrected",
                         society_id=society.pk, after={"member_number": "000005", "note": "採番誤り"})
    assert cells(staff_client.get(LIST_URL).content.decode(), "target_column") == ["—"]
    html = staff_client.get(f"{LIST_URL}{entry.pk}/change/").content.decode()
    assert '<td id="audit-target">—</td>' in html
    assert change_table(html) == {"会員番号": ("—", "000005"), "理由": ("—", "採番誤り")}


def test_sec1_audit_detail_links_the_target_and_its_history(staff_client, member):
    entry = AuditEntry.objects.get()
    html = staff_client.get(f"{LIST_URL}{entry.pk}/change/").content.decode()
    assert f'href="/admin/members/member/{member.pk}/change/"' in html
    assert f'href="/admin/members/member/{member.pk}/history/"' in html
    ct = ContentType.objects.get_for_model(Member).pk
    assert f'href="{LIST_URL}?target={ct}%3A{member.pk}"' in html


def test_sec1_audit_detail_of_a_corporate_member_links_the_corporate_screen(staff_client, staff_op, society,
                                                                              regular_type):
    corp = services.member_create(actor=staff_op, society=society, name="山本 健一", email="c@atlas.example.jp",
                                  member_type=regular_type, kind=Member.Kind.CORPORATE, organization="株式会社アトラス")
    entry = AuditEntry.objects.get(target_id=str(corp.pk))
    html = staff_client.get(f"{LIST_URL}{entry.pk}/change/").content.decode()
    assert f'href="/admin/members/corporatemember/{corp.pk}/change/"' in html


# --- 4. one time zone ----------------------------------------------------------------------------------


@pytest.mark.parametrize("zone, shown", [("Asia/Tokyo", "2025-04-01 00:30:00"),
                                         ("America/New_York", "2025-03-31 11:30:00")])
def test_sec1_one_time_zone_on_list_detail_and_history(staff_client, society, frozen_now, member, zone, shown):
    society.timezone = zone
    society.save(update_fields=["timezone"])
    entry = AuditEntry.objects.get()
    header = f"時刻 ({zone})"
    list_html = staff_client.get(LIST_URL).content.decode()
    assert headers(list_html)[0] == header
    assert cells(list_html, "time_column") == [shown]
    detail = staff_client.get(f"{LIST_URL}{entry.pk}/change/").content.decode()
    assert f'<th scope="row">{header}</th><td id="audit-time">{shown}</td>' in detail
    history = staff_client.get(f"/admin/members/member/{member.pk}/history/").content.decode()
    assert f'<th scope="col">{header}</th>' in history
    assert f">{shown}</a>" in history


# --- 5. a record's 履歴 page ---------------------------------------------------------------------------


def test_sec1_history_page_uses_labels_and_field_tables_and_links_to_the_log(staff_client, staff_op, member):
    services.member_adjustment_add(actor=staff_op, member=member, kind="permanent", amount=-500, note="減免")
    r = staff_client.get(f"/admin/members/member/{member.pk}/history/")
    html = r.content.decode()
    assert "会員調整額登録" in html and "会員登録" in html
    assert "members.adjustment.added" not in html
    ct = ContentType.objects.get_for_model(Member).pk
    assert f'id="audit-log-link" href="{LIST_URL}?target={ct}%3A{member.pk}"' in html
    first = change_table(html)  # the newest entry first
    assert first == {"調整区分": ("—", "恒久"), "金額": ("—", "-500円"), "備考": ("—", "減免"),
                     "会員調整額ID": ("—", str(member.adjustments.get().pk))}
    entries = AuditEntry.objects.for_object(member).order_by("-at", "-id")
    assert [f"{LIST_URL}{e.pk}/change/" for e in entries] == re.findall(
        rf'<td class="audit-time"><a href="({LIST_URL}\d+/change/)">', html)
    # and the link leads to exactly this record's entries
    listed = staff_client.get(f"{LIST_URL}?target={ct}:{member.pk}").content.decode()
    assert cells(listed, "action_column") == ["会員調整額登録", "会員登録"]


def test_sec1_history_page_query_count_is_bounded(staff_client, staff_op, member, django_assert_max_num_queries):
    url = f"/admin/members/member/{member.pk}/history/"
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for i in range(30):
        services.member_adjustment_add(actor=staff_op, member=member, kind="one_time", amount=100 + i)
    # session, operator, the member, its entries, the operator's model permissions for the navigation (2), the
    # society's member types by name (once for the page, however many entries name one)
    with django_assert_max_num_queries(7):
        r = staff_client.get(url)
    assert r.content.decode().count('<table class="audit-changes">') == 31
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(few)


def test_sec1_history_page_of_another_society_is_not_found(client, other_op, member):
    client.force_login(other_op)
    r = client.get(f"/admin/members/member/{member.pk}/history/")
    assert r.status_code == 302


def test_sec1_a_member_type_reads_as_the_societys_name_for_it_not_its_code(staff_client, staff_op, member,
                                                                           other_society):
    """The member's entries record its type by code (per society: another society may call ``regular`` something
    else); the history page shows this society's name for it."""
    from members.models import MemberType

    MemberType.objects.create(society=other_society, code=member.member_type.code, name="別学会の種別", annual_fee=1)
    html = staff_client.get(f"/admin/members/member/{member.pk}/history/").content.decode()
    created = re.findall(r'data-key="member_type"><th scope="row">[^<]*</th><td class="audit-before">([^<]*)</td>'
                         r'<td class="audit-after">([^<]*)</td>', html)
    assert created == [("—", member.member_type.name)] and "別学会の種別" not in html
