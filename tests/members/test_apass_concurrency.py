"""APS-4 under concurrency (SEC-4): two operators unlinking the same member at once, over the live server
with real threads, on SQLite and PostgreSQL — one unlink record, one e-mail, the other 409 apass_not_linked."""

from __future__ import annotations

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token

from backoffice.models import AuditEntry
from members import services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory, create_member_with_history
from members.models import APassUnlink, Member, MemberEmailChange, Status
from tests.backoffice.test_concurrency import api_post, at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_aps4_two_concurrent_unlinks_leave_one_consistent_record(live_server):
    society = SocietyFactory(slug="conc", name="並行学会")
    member = create_member_with_history(Status.ACTIVE, society=society, member_type=MemberTypeFactory(society=society),
                                        email="link@example.ac.jp")
    op = OperatorFactory(society=society, role="staff")
    services.apass_create(actor=op, society=society, email="link@example.ac.jp", password="Pass-1")
    assert services.mypage_sign_in(actor=op, society=society, email="link@example.ac.jp", password="Pass-1").linked
    tokens = [Token.objects.create(user=OperatorFactory(society=society, role="staff")).key for _ in range(2)]
    url = f"{live_server.url}/api/v1/members/{member.pk}/unlink-apass/"
    for conn in connections.all():
        conn.close()

    answers = at_once(2, lambda i: api_post(url, tokens[i], {"new_email": f"new{i}@example.ac.jp", "confirm": True}))

    statuses = sorted(status for status, _body in answers)
    assert statuses == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["code"] in {"apass_not_linked", "database_busy"}
    member.refresh_from_db()
    unlink = APassUnlink.objects.get()
    assert member.apass_id is None and member.email == unlink.new_email
    assert MemberEmailChange.objects.filter(member=member).count() == 1
    assert AuditEntry.objects.filter(action="members.member.apass_unlinked").count() == 1
    assert Member.objects.filter(email=unlink.old_email).count() == 0
