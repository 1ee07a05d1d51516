"""Issue 12 on the A-Pass screens: whether a パスワード再設定用の連絡先 is registered (seed 000 3-3, outcome E or F) on
A-Pass照会 and [会員情報変更] — never the contact itself — and a member's My Page sign-ins kept after an unlink (APS-4),
each marked with the A-Pass it was made with."""

from __future__ import annotations

import json
import re

import pytest

from backoffice.models import AuditEntry
from members import selectors, services

from .helpers import make_member

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-Pass1"
CONTACT = "090-1234-5678"
LOOKUP = "/admin/members/member/apass-lookup/"


def linked_member(society, member_type, actor, email, **apass):
    member = make_member(society, member_type, status="active", email=email, name="会員 " + email[0])
    services.apass_create(actor=actor, society=society, email=email, password=PASSWORD, **apass)
    assert services.mypage_sign_in(actor=actor, society=society, email=email, password=PASSWORD).linked
    member.refresh_from_db()
    return member


def recovery_line(page: str) -> str:
    found = re.findall(r'class="apass-recovery-contact">(.*?)</p>', page, re.S)
    assert len(found) == 1, found
    return re.sub(r"<[^>]+>", "", found[0])


def test_issue12_4_apass_lookup_and_member_page_say_whether_a_reset_contact_is_registered(
        society, regular_type, staff_op, viewer_op, client):
    e = linked_member(society, regular_type, staff_op, "e@example.ac.jp", recovery_contact=CONTACT)
    f = linked_member(society, regular_type, staff_op, "f@example.ac.jp")
    assert (selectors.apass_has_recovery_contact(e.apass), selectors.apass_has_recovery_contact(f.apass)) == (True, False)
    assert selectors.apass_has_recovery_contact(None) is False
    client.force_login(viewer_op)
    for member, said in ((e, "登録あり"), (f, "登録なし")):
        for page in (client.get(LOOKUP, {"email": member.email}).content.decode(),
                     client.get(f"/admin/members/member/{member.pk}/change/").content.decode()):
            assert recovery_line(page) == f"パスワード再設定用の連絡先: {said}"
            assert CONTACT not in page


def test_issue12_4_the_audit_trail_keeps_registered_or_not_never_the_contact(society, staff_op):
    services.apass_create(actor=staff_op, society=society, email="e@example.ac.jp", password=PASSWORD,
                          recovery_contact=CONTACT)
    entry = AuditEntry.objects.get(action="members.apass.issued")
    assert entry.after["recovery_contact_registered"] is True and CONTACT not in json.dumps(entry.after)


def test_issue12_6_sign_ins_from_before_an_unlink_stay_marked_with_their_apass(
        society, regular_type, staff_op, viewer_op, client):
    member = linked_member(society, regular_type, staff_op, "old@example.ac.jp")
    services.mypage_sign_in(actor=staff_op, society=society, email="old@example.ac.jp", password="wrong")
    member = services.apass_unlink(actor=staff_op, member=member, new_email="new@example.ac.jp")
    # after the unlink the old A-Pass is no longer the member's: what it does then is not their record
    services.mypage_sign_in(actor=staff_op, society=society, email="old@example.ac.jp", password="wrong-again")
    services.apass_create(actor=staff_op, society=society, email="new@example.ac.jp", password=PASSWORD)
    assert services.mypage_sign_in(actor=staff_op, society=society, email="new@example.ac.jp", password=PASSWORD).linked

    rows = [(s.apass.email, s.reason) for s in selectors.recent_sign_ins(staff_op, member=member)]
    assert rows == [("new@example.ac.jp", "ok"), ("old@example.ac.jp", "wrong_password"), ("old@example.ac.jp", "ok")]
    client.force_login(viewer_op)
    page = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    table = page.split('id="mypage-sign-ins"', 1)[1].split("</table>", 1)[0]
    assert "<th>A-Pass</th>" in table
    assert re.findall(r'<td class="sign-in-apass">(.*?)</td>', table) == [
        "new@example.ac.jp", "old@example.ac.jp", "old@example.ac.jp"]
    assert "パスワード誤り" in table
