"""[個人会員送信済みメール] (MAIL-1): columns, free-word search, filters, the link's state, the detail page and
[リンクを開く(会員の代わりに)]; scoping (SOC-2) and pinned query counts. The mail templates (administrators)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection

from backoffice.models import AuditEntry
from mail.models import MailTemplate

LIST = "/admin/mail/sentmail/"


def client_for(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def cells(html: str, column: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(rf'class="field-{column}[^"]*">(.*?)</t[dh]>', html, re.S)]


@pytest.fixture
def staff_client(staff_op):
    return client_for(staff_op)


def test_mail1_list_columns_and_link_states(staff_client, staff_op, society, send):
    used = send(actor=staff_op, society=society, to="used@example.jp", subject="使用済みのメール")
    from mail import services

    services.link_follow(actor=staff_op, token=used.link.token, data={})
    old = send(actor=staff_op, society=society, to="hanako@example.jp", subject="古いメール")
    new = send(actor=staff_op, society=society, to="hanako@example.jp", subject="新しいメール")
    plain = send(actor=staff_op, society=society, kind="other", subject="リンクなし", link=False)
    html = staff_client.get(LIST).content.decode()
    assert "個人会員送信済みメール" in html
    for header in ("送信日時", "種別", "宛先", "件名", "送信状況", "リンクの状態"):
        assert header in html, header
    expires = new.link.expires_at.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    assert cells(html, "link_col") == [
        "—", f"有効期限 {expires:%Y-%m-%d %H:%M} まで", "新しいメールで無効", "使用済み"]
    assert cells(html, "kind")[1] == "メールアドレス認証のご連絡"
    assert cells(html, "status")[0] == "送信済み", re.findall(r"field-status.{0,200}", html)[:1]
    plain.refresh_from_db()
    assert cells(html, "sent_at_col")[0] == f"{plain.sent_at.astimezone(expires.tzinfo):%Y-%m-%d %H:%M}"
    assert old.pk and plain.pk


def test_mail1_expired_link_on_a_moved_sandbox_clock(sandbox, sandbox_op, send):
    send(actor=sandbox_op, society=sandbox)
    sandbox.clock_offset = datetime.timedelta(hours=25)
    sandbox.save()
    html = client_for(sandbox_op).get(LIST).content.decode()
    assert cells(html, "link_col") == ["期限切れ"]


def test_mail1_search_and_filters(staff_client, staff_op, society, send):
    send(actor=staff_op, society=society, to="hanako@example.jp", subject="認証", member_id=1)
    send(actor=staff_op, society=society, kind="invoice_notice", to="jiro@example.jp", subject="請求",
         body="2026年度 年会費", link=False, member_id=2)

    def tos(query):
        r = staff_client.get(LIST, query)
        assert r.status_code == 200
        return cells(r.content.decode(), "to")

    assert tos({"q": "Hanako@Example.jp"}) == ["hanako@example.jp"]
    assert tos({"q": "年会費"}) == ["jiro@example.jp"]
    assert tos({"kind__exact": "invoice_notice"}) == ["jiro@example.jp"]
    assert tos({"member_id": "1"}) == ["hanako@example.jp"]
    assert tos({"member_id": "abc"}) == []
    today = datetime.date.today()
    assert len(tos({"at_from": str(today - datetime.timedelta(days=1)), "at_to": str(today + datetime.timedelta(days=1))})) == 2
    assert tos({"at_from": str(today + datetime.timedelta(days=2))}) == []


def test_mail1_list_query_count_is_pinned(staff_client, staff_op, society, send):
    send(actor=staff_op, society=society)
    staff_client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(LIST)
    for i in range(15):
        send(actor=staff_op, society=society, to=f"m{i}@example.jp")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(LIST)
    assert len(many) == len(few)
    assert len(many) <= 8


def test_detail_shows_the_mail_and_opens_the_link_on_the_members_behalf(staff_client, staff_op, society, send):
    mail = send(actor=staff_op, society=society, body="本文です {link_url}")
    url = f"{LIST}{mail.pk}/change/"
    html = staff_client.get(url).content.decode()
    assert "本文です https://example.jp/links/" in html and "リンクを開く(会員の代わりに)" in html
    r = staff_client.post(f"{LIST}{mail.pk}/open-link/", follow=True)
    assert "会員の代わりにリンクを開きました。" in r.content.decode()
    assert AuditEntry.objects.filter(action="mail.link.followed", actor_user=staff_op).count() == 1
    r = staff_client.post(f"{LIST}{mail.pk}/open-link/", follow=True)
    html = r.content.decode()
    assert "このリンクは既に使用されています。" in html and "使用済み" in html


def test_viewer_sees_the_mail_but_no_button(viewer_op, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    viewer = client_for(viewer_op)
    html = viewer.get(f"{LIST}{mail.pk}/change/").content.decode()
    assert "有効期限" in html and "リンクを開く" not in html
    assert viewer.post(f"{LIST}{mail.pk}/open-link/").status_code == 403


def test_soc2_another_societys_mail_is_404_in_the_admin(other_op, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    other = client_for(other_op)
    assert other.get(f"{LIST}{mail.pk}/change/").status_code == 404
    assert other.post(f"{LIST}{mail.pk}/open-link/").status_code == 404
    assert cells(other.get(LIST).content.decode(), "to") == []


def test_mail_templates_are_edited_by_administrators(admin_op, staff_op, society):
    admin = client_for(admin_op)
    r = admin.get("/admin/mail/mailtemplate/add/?kind=email_verification")
    assert "メールアドレス認証のご連絡" in r.content.decode()
    r = admin.post("/admin/mail/mailtemplate/add/", {"kind": "other", "subject": "【{{ society_name }}】",
                                                     "body": "{{ message }}"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert MailTemplate.objects.get(society=society, kind="other").body == "{{ message }}"
    assert AuditEntry.objects.filter(action="mail.template.updated").count() == 1
    assert client_for(staff_op).get("/admin/mail/mailtemplate/").status_code == 403
