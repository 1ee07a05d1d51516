"""seed_demo's seed 000 showcase (SIM-3 for 「ログインできない」): every outcome A–F has a member in the training
sandbox with the facts that outcome needs, the unlink of section 4 has happened to one member, the My Page
sign-in log holds every APS-6 reason (diagnosed by the real sign-in service), and mail links exist in every
state (MAIL-1). Rerunning adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Q

from backoffice import clock
from mail.models import LinkState, LinkToken, SentMail
from members import selectors, showcase
from members.models import ENDED_STATUSES, APass, APassUnlink, Member, MyPageSignIn, Society, Status

pytestmark = pytest.mark.django_db

APS6_REASONS = {"ok", "unknown_id", "id_width_or_case", "wrong_password", "password_caps_lock", "password_width",
                "no_membership_here", "not_eligible"}


@pytest.fixture
def seeded(capsys):
    call_command("seed_demo", "--members", "30")
    out = capsys.readouterr().out
    sandbox = Society.objects.get(slug="training")
    members = {case.outcome: member for case, member in showcase.members_shown(sandbox)}
    return sandbox, members, out


def reasons_of(member: Member) -> list[str]:
    """The member's attempts as [会員情報変更] lists them (their own, and their linked A-Pass's), oldest first."""
    attempts = MyPageSignIn.objects.filter(Q(member=member) | Q(apass__members=member)).distinct()
    return list(attempts.order_by("at", "pk").values_list("reason", flat=True))


def link_states(sandbox: Society, member: Member, purpose: str) -> list[str]:
    now = clock.now(sandbox)
    return [link.state_at(now) for link in
            LinkToken.objects.filter(society=sandbox, mail__member_id=member.pk, purpose=purpose).order_by("mail__created_at")]


def status_of(member: Member) -> str:
    return member.status_on(clock.today(member.society))


def test_sim3_seed000_every_outcome_has_its_member_and_the_list_names_them(seeded):
    sandbox, members, out = seeded
    assert set(members) == {"A", "B", "C", "D", "E", "F", "4"} and all(members.values())
    assert "which member shows what" in out
    for case, member in showcase.members_shown(sandbox):
        assert f"  {case.outcome}  {member.name} <{member.email}>" in out
    assert showcase.APASS_PASSWORD in out  # so the trainer can sign in as D on the simulator


def test_sim3_aps3_outcome_a_unlinked_member_in_good_standing_without_an_a_pass(seeded):
    sandbox, members, _ = seeded
    a = members["A"]
    assert a.apass_id is None and status_of(a) in {Status.APPLYING, Status.ACTIVE}
    assert not APass.objects.filter(email=a.email).exists()
    attempt = MyPageSignIn.objects.get(society=sandbox, typed_id=a.email)
    assert attempt.reason == "unknown_id" and attempt.apass_id is None


def test_sim3_aps3_outcome_b_withdrawn_member_whose_a_pass_cannot_link(seeded):
    sandbox, members, _ = seeded
    b = members["B"]
    assert b.apass_id is None and status_of(b) in ENDED_STATUSES
    apass = APass.objects.get(email=b.email)
    assert reasons_of(b) == ["not_eligible"]
    refusal = selectors.apass_link_refusal(b, apass)
    assert refusal is not None and refusal.message is selectors.MSG_APASS_NOT_ELIGIBLE


def test_sim3_outcome_c_linked_member_with_a_valid_password_reset_link(seeded):
    sandbox, members, _ = seeded
    c = members["C"]
    assert c.apass is not None and c.apass.email == c.email and c.apass_linked_at is not None
    assert status_of(c) == Status.ACTIVE
    assert reasons_of(c) == ["ok"]
    # An earlier reset link was opened (the address receives mail); the newest one is still valid.
    assert link_states(sandbox, c, "password_reset") == [LinkState.USED, LinkState.VALID]


def test_sim3_aps6_outcome_d_knows_the_password_after_typing_mistakes(seeded):
    sandbox, members, _ = seeded
    d = members["D"]
    assert d.apass is not None and d.apass.email == d.email
    assert reasons_of(d) == ["id_width_or_case", "password_caps_lock", "password_width", "ok"]


def test_sim3_outcome_e_linked_with_a_reset_contact_password_unknown(seeded):
    sandbox, members, _ = seeded
    e = members["E"]
    assert e.apass is not None and e.apass.recovery_contact
    assert reasons_of(e)[-1] == "wrong_password" and "ok" in reasons_of(e)
    assert link_states(sandbox, e, "password_reset") == [LinkState.EXPIRED]


def test_sim3_aps4_outcome_f_linked_without_a_reset_contact_ready_to_unlink(seeded):
    sandbox, members, _ = seeded
    f = members["F"]
    assert f.apass is not None and f.apass.recovery_contact == ""
    assert reasons_of(f)[-1] == "wrong_password"
    assert link_states(sandbox, f, "password_reset") == [LinkState.SUPERSEDED, LinkState.VALID]
    assert selectors.apass_unlink_refusal(f, showcase.F_NEW_EMAIL) is None  # the walkthrough's new address is free


def test_sim3_aps4_section4_member_already_unlinked_and_the_old_a_pass_barred(seeded):
    sandbox, members, _ = seeded
    done = members["4"]
    case = showcase.showcase_by_outcome()["4"]
    assert done.apass_id is None and done.email == showcase.UNLINKED_NEW_EMAIL
    unlink = APassUnlink.objects.get(member=done)
    assert (unlink.old_email, unlink.new_email) == (case.email, showcase.UNLINKED_NEW_EMAIL)
    assert selectors.apass_link_refusal(done, unlink.apass) is not None  # never relinks
    after = MyPageSignIn.objects.filter(apass=unlink.apass, at__gt=unlink.at).get()
    assert after.reason == "no_membership_here"
    assert SentMail.objects.filter(society=sandbox, kind="apass_unlinked", to=done.email, member_id=done.pk).exists()


def test_sim3_aps6_every_sign_in_reason_and_mail1_every_link_state_exist(seeded):
    sandbox, _members, _ = seeded
    assert set(MyPageSignIn.objects.filter(society=sandbox).values_list("reason", flat=True)) >= APS6_REASONS
    other = MyPageSignIn.objects.get(society=sandbox, typed_id=showcase.OTHER_SITE_EMAIL)
    assert other.reason == "no_membership_here" and other.member_id is None  # seed 004 ⑧: another site
    now = clock.now(sandbox)
    states = {link.state_at(now) for link in LinkToken.objects.filter(society=sandbox)}
    assert states == set(LinkState.values)


def test_sim3_aps2_seed_keeps_no_password_but_hashes(seeded):
    sandbox, _members, _ = seeded
    for apass in APass.objects.all():
        assert apass.password and showcase.APASS_PASSWORD not in apass.password
    assert not MyPageSignIn.objects.filter(typed_id__icontains=showcase.APASS_PASSWORD).exists()


def test_sim3_seed_demo_rerun_adds_nothing_and_prints_the_list_again(seeded, capsys):
    sandbox, _members, _ = seeded
    counts = (Member.objects.count(), APass.objects.count(), MyPageSignIn.objects.count(), SentMail.objects.count(),
              APassUnlink.objects.count())
    call_command("seed_demo", "--members", "30")
    assert "which member shows what" in capsys.readouterr().out
    assert (Member.objects.count(), APass.objects.count(), MyPageSignIn.objects.count(), SentMail.objects.count(),
            APassUnlink.objects.count()) == counts
    # 30, or the scenario members and the nine hand-made ones when those are more
    from simulator import scenarios
    assert Member.objects.filter(society=sandbox).count() == max(30, scenarios.scenario_count(sandbox) + 9)


def test_sim3_mem10_chain_mark_on_the_search_page_for_linked_members_only(seeded, client):
    sandbox, members, _ = seeded
    from members.models import Operator

    client.force_login(Operator.objects.get(society=sandbox, email=f"staff@{sandbox.slug}.example.jp"))
    for outcome, linked in [("A", False), ("B", False), ("C", True), ("F", True), ("4", False)]:
        html = client.get("/admin/members/member/", {"q": members[outcome].email}).content.decode()
        assert members[outcome].email in html
        assert ('class="chain-mark"' in html) is linked, outcome
