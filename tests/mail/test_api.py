"""The sent-mail API (API.md, Applications and mail): MAIL-1 search and filters, the link's state, following
the link on the member's behalf with the refusal codes, scoping (SOC-2)."""

from __future__ import annotations

import datetime

from backoffice.models import AuditEntry
from tests.members.helpers import assert_error

from .conftest import TEST_PURPOSE

URL = "/api/v1/sent-mails/"


def test_mail1_api_detail_shows_the_link_and_its_state(api, staff_op, society, send):
    mail = send(actor=staff_op, society=society, member_id=5)
    body = api.get(f"{URL}{mail.pk}/").json()
    assert set(body) >= {"id", "kind", "to", "subject", "body", "sent_at", "member", "link_url", "link_expires_at",
                         "link_state", "link_token"}
    assert (body["kind"], body["to"], body["member"], body["link_state"]) == (
        "email_verification", "taro@example.jp", 5, "valid")
    assert body["link_url"] == f"https://example.jp/links/{body['link_token']}/"
    plain = send(actor=staff_op, society=society, kind="other", link=False)
    body = api.get(f"{URL}{plain.pk}/").json()
    assert (body["link_state"], body["link_url"], body["link_token"]) == (None, None, None)


def test_mail1_api_search_and_filters(api, staff_op, society, send):
    a = send(actor=staff_op, society=society, to="hanako@example.jp", subject="認証", member_id=1)
    b = send(actor=staff_op, society=society, kind="invoice_notice", to="jiro@example.jp", subject="請求",
             body="2026年度 年会費", link=False, member_id=2)

    def ids(query):
        r = api.get(URL, query)
        assert r.status_code == 200, r.content
        return [row["id"] for row in r.json()["results"]]

    assert ids({}) == [b.pk, a.pk]
    assert ids({"q": "HANAKO@example.jp"}) == [a.pk]
    assert ids({"q": "年会費"}) == [b.pk]
    assert ids({"q": "jiro"}) == [b.pk]
    assert ids({"kind": "invoice_notice"}) == [b.pk]
    assert ids({"member": 1}) == [a.pk]
    assert ids({"to": "Jiro@example.jp"}) == [b.pk]
    assert api.get(URL).json()["count"] == 2


def test_api_open_link_follows_it_and_then_refuses_link_used(api, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    r = api.post(f"{URL}{mail.pk}/open-link/", {"name": "山田 花子"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["data"] == {"name": "山田 花子"} and r.json()["purpose"] == TEST_PURPOSE
    assert api.get(f"{URL}{mail.pk}/").json()["link_state"] == "used"
    body = assert_error(api.post(f"{URL}{mail.pk}/open-link/", {}, format="json"), 409, "link_used")
    assert body["detail"] == "このリンクは既に使用されています。"


def test_app2_api_open_link_superseded(api, staff_op, society, send):
    old = send(actor=staff_op, society=society)
    send(actor=staff_op, society=society)
    assert api.get(f"{URL}{old.pk}/").json()["link_state"] == "superseded"
    assert_error(api.post(f"{URL}{old.pk}/open-link/", {}, format="json"), 409, "link_superseded")


def test_app1_api_open_link_expired_on_a_moved_sandbox_clock(sandbox, sandbox_op, send):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(sandbox_op)
    mail = send(actor=sandbox_op, society=sandbox)
    sandbox.clock_offset = datetime.timedelta(days=1, seconds=1)
    sandbox.save()
    sandbox_op.refresh_from_db()
    assert client.get(f"{URL}{mail.pk}/").json()["link_state"] == "expired"
    assert_error(client.post(f"{URL}{mail.pk}/open-link/", {}, format="json"), 409, "link_expired")
    assert not AuditEntry.objects.filter(action="mail.link.followed").exists()


def test_api_open_link_unknown_purpose_400_and_no_link_404(api, staff_op, society, send):
    mail = send(actor=staff_op, society=society, link_purpose="nobody")
    assert_error(api.post(f"{URL}{mail.pk}/open-link/", {}, format="json"), 400, "invalid")
    plain = send(actor=staff_op, society=society, link=False)
    assert_error(api.post(f"{URL}{plain.pk}/open-link/", {}, format="json"), 404, "not_found")


def test_soc2_another_societys_mail_is_404(other_api, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    assert_error(other_api.get(f"{URL}{mail.pk}/"), 404, "not_found")
    assert_error(other_api.post(f"{URL}{mail.pk}/open-link/", {}, format="json"), 404, "not_found")
    assert other_api.get(URL).json()["results"] == []


def test_viewer_reads_but_may_not_open_links(viewer_api, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    assert viewer_api.get(f"{URL}{mail.pk}/").status_code == 200
    assert_error(viewer_api.post(f"{URL}{mail.pk}/open-link/", {}, format="json"), 403, "permission_denied")


def test_api_list_is_a_fixed_number_of_queries(api, staff_op, society, send, django_assert_max_num_queries):
    for i in range(5):
        send(actor=staff_op, society=society, to=f"m{i}@example.jp")
    # page and capped count (authentication is forced in tests)
    with django_assert_max_num_queries(3):
        assert len(api.get(URL).json()["results"]) == 5
