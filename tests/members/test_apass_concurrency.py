"""APS-3/APS-4 under concurrency (SEC-4), over the live server with real threads, on SQLite (a file database)
and PostgreSQL: two operators unlinking the same member at once leave one unlink record, one e-mail change and
one audit entry (the other gets 409); a My Page sign-in that links racing an unlink leaves the member either
linked or unlinked with an audit trail that says so in order; the unlinked A-Pass never links again."""

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
    assert_old_apass_never_relinks(op, society, member, "link@example.ac.jp")


PASSWORD = "Pass-1"
SIM = "/api/v1/sim/mypage/login/"


def assert_old_apass_never_relinks(actor, society, member: Member, old_email: str) -> None:
    """APS-4: after the unlink, signing in with the old A-Pass is refused and links nothing."""
    again = services.mypage_sign_in(actor=actor, society=society, email=old_email, password=PASSWORD)
    assert (again.ok, again.linked) == (False, False) and again.reason == "no_membership_here"
    member.refresh_from_db()
    assert member.apass_id is None


def audit_trail(member: Member) -> list[str]:
    return list(AuditEntry.objects.for_object(member).filter(action__startswith="members.member.apass_")
                .order_by("pk").values_list("action", flat=True))


@pytest.fixture
def sandbox():
    return SocietyFactory(slug="racebox", name="並行研修学会", is_sandbox=True)


def test_aps3_aps4_a_linking_sign_in_racing_an_unlink_leaves_one_consistent_record(live_server, sandbox):
    """The member signs in for the first time (which links) while an operator unlinks: either the link comes
    first and the unlink then succeeds, or the unlink is refused (not linked yet) and the link stands."""
    member_type = MemberTypeFactory(society=sandbox)
    trainer = OperatorFactory(society=sandbox, role="trainer")
    members = []
    for round_ in range(2):
        email = f"race{round_}@example.ac.jp"
        members.append(create_member_with_history(Status.ACTIVE, society=sandbox, member_type=member_type, email=email))
        services.apass_create(actor=trainer, society=sandbox, email=email, password=PASSWORD)
    tokens = [Token.objects.create(user=OperatorFactory(society=sandbox, role="trainer")).key for _ in range(2)]
    for conn in connections.all():
        conn.close()

    for round_, member in enumerate(members):
        old = member.email
        new = f"race{round_}.new@example.ac.jp"

        def act(i: int):
            if i == 0:
                return api_post(f"{live_server.url}{SIM}", tokens[0], {"email": old, "password": PASSWORD})
            return api_post(f"{live_server.url}/api/v1/members/{member.pk}/unlink-apass/", tokens[1],
                            {"new_email": new, "confirm": True})

        (sign_in_status, sign_in), (unlink_status, unlink_body) = at_once(2, act)

        assert sign_in_status == 200 and (sign_in["ok"], sign_in["linked"]) == (True, True), sign_in
        member.refresh_from_db()
        if unlink_status == 200:  # the link came first, then the unlink
            assert member.apass_id is None and member.email == new
            unlink = APassUnlink.objects.get(member=member)
            assert (unlink.old_email, unlink.new_email, unlink.apass.email) == (old, new, old)
            assert audit_trail(member) == ["members.member.apass_linked", "members.member.apass_unlinked"]
            assert MemberEmailChange.objects.filter(member=member).count() == 1
            assert_old_apass_never_relinks(trainer, sandbox, member, old)
        else:  # the unlink found nothing to unlink; the sign-in linked
            assert (unlink_status, unlink_body["code"]) == (409, "apass_not_linked"), unlink_body
            assert member.apass is not None and member.apass.email == member.email == old
            assert not APassUnlink.objects.filter(member=member).exists()
            assert audit_trail(member) == ["members.member.apass_linked"]
            assert not MemberEmailChange.objects.filter(member=member).exists()


def test_aps4_an_old_a_pass_signing_in_while_it_is_unlinked_never_relinks(live_server, sandbox):
    """The member, linked, signs in with the A-Pass while the secretariat unlinks it: the sign-in succeeds only
    if it came first, the unlink always happens, and the A-Pass is not linked again either way."""
    member_type = MemberTypeFactory(society=sandbox)
    trainer = OperatorFactory(society=sandbox, role="trainer")
    member = create_member_with_history(Status.ACTIVE, society=sandbox, member_type=member_type,
                                        email="linked@example.ac.jp")
    services.apass_create(actor=trainer, society=sandbox, email=member.email, password=PASSWORD)
    assert services.mypage_sign_in(actor=trainer, society=sandbox, email=member.email, password=PASSWORD).linked
    tokens = [Token.objects.create(user=OperatorFactory(society=sandbox, role="trainer")).key for _ in range(2)]
    for conn in connections.all():
        conn.close()

    def act(i: int):
        if i == 0:
            return api_post(f"{live_server.url}{SIM}", tokens[0], {"email": "linked@example.ac.jp", "password": PASSWORD})
        return api_post(f"{live_server.url}/api/v1/members/{member.pk}/unlink-apass/", tokens[1],
                        {"new_email": "fresh@example.ac.jp", "confirm": True})

    (sign_in_status, sign_in), (unlink_status, _body) = at_once(2, act)

    assert (unlink_status, sign_in_status) == (200, 200), (_body, sign_in)
    assert (sign_in["ok"], sign_in["linked"], sign_in["reason"]) in {(True, True, "ok"),
                                                                     (False, False, "no_membership_here")}, sign_in
    member.refresh_from_db()
    assert member.apass_id is None and member.email == "fresh@example.ac.jp"
    assert APassUnlink.objects.filter(member=member).count() == 1
    assert audit_trail(member) == ["members.member.apass_linked", "members.member.apass_unlinked"]
    assert_old_apass_never_relinks(trainer, sandbox, member, "linked@example.ac.jp")


def test_sec2_concurrent_attempts_from_one_address_count_each_other_at_the_hundredth(live_server, sandbox):
    """SEC-2: with 99 failures from one address, six wrong attempts from it at the same moment let exactly one more
    through (the 100th failure) and refuse the other five as rate_limited — on SQLite and on PostgreSQL."""
    from members.models import MyPageSignIn

    trainer = OperatorFactory(society=sandbox, role="trainer")
    for i in range(99):
        result = services.mypage_sign_in(actor=trainer, society=sandbox, email=f"guess{i}@example.jp",
                                         password="x", client_address="127.0.0.1")
        assert result.reason == "unknown_id"
    tokens = [Token.objects.create(user=OperatorFactory(society=sandbox, role="trainer")).key for _ in range(6)]
    for conn in connections.all():
        conn.close()

    answers = at_once(6, lambda i: api_post(f"{live_server.url}{SIM}", tokens[i],
                                            {"email": f"late{i}@example.jp", "password": "x"}))

    assert [status for status, _body in answers] == [200] * 6, answers
    reasons = sorted(body["reason"] for _status, body in answers)
    assert reasons == ["rate_limited"] * 5 + ["unknown_id"], answers
    assert MyPageSignIn.objects.filter(client_address="127.0.0.1").exclude(reason="rate_limited").count() == 100
