"""SUP-2 (issue 14 §2): seed 003's entries of 入会申請, 会員情報, メール and マイページ as flows, each run through API.md's
Support endpoints from factory-built records to every outcome — the record answering what it knows (facts with
the record's evidence), the caller only what no record holds — with the outcome's ``links`` to the screens the
manual names, and its actions changing the record through the admin screens' services (SUP-3)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from backoffice import clock
from members import services as member_services
from members.factories import create_member_with_history
from members.models import Member, MemberStatus, Society, Status
from support.flows import SHIPPED
from support.flows import faq_members

pytestmark = pytest.mark.django_db

CASES = "/api/v1/support/cases/"
SEED = "/work/shared/seeds/003_ce6184a7f9099b55.txt"
SYSTEM = "system: test faq"


def start(api, flow: str, member=None, email: str = "") -> dict:
    body = {"flow": flow, **({"member": member.pk} if member is not None else {}), **({"email": email} if email else {})}
    response = api.post(CASES, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def answer(api, case: dict, node: str, value: str) -> dict:
    assert case["status"] == "open" and case["current"]["node"] == node, case["current"]
    response = api.post(f"{CASES}{case['id']}/answer/", {"node": node, "answer": value}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def facts_of(case: dict) -> dict[str, dict]:
    return {f["node"]: f for f in case["facts"]}


def reached(case: dict, code: str) -> dict:
    assert case["status"] == "resolved", case["current"]
    assert case["outcome"]["code"] == code
    return case["outcome"]


def past(society: Society, days: int) -> Society:
    earlier = Society.objects.get(pk=society.pk)
    earlier.clock_offset = (society.clock_offset or datetime.timedelta()) - datetime.timedelta(days=days)
    return earlier


def member(society, member_type, status=Status.ACTIVE, days_ago=800, **kwargs) -> Member:
    return create_member_with_history(status, applied_on=clock.today(society) - datetime.timedelta(days=days_ago),
                                      society=society, member_type=member_type, **kwargs)


# --- the shared plan: every question of the seed's half is one flow's entry, word for word --------------------


def test_sup2_faq_member_flows_are_the_seed_entries_word_for_word():
    seed = open(SEED, encoding="utf-8").read()
    ids = [f["id"] for f in faq_members.FLOWS]
    assert ids == ["faq-application-email-in-use", "faq-application-withdraw", "faq-application-same-day",
                   "faq-bulk-status-date", "faq-member-number", "faq-proxy-email-in-use", "faq-password-view",
                   "faq-verification-mail-missing", "faq-verification-link-error", "faq-reset-mail-missing",
                   "faq-email-change-login", "faq-mypage-name", "faq-mypage-status", "faq-mypage-file",
                   "faq-mypage-notice-order"]
    for flow in faq_members.FLOWS:
        assert SHIPPED[flow["id"]] is flow and flow["version"] == 1
        source = flow["source"]
        assert source["seed"] == "003_ce6184a7f9099b55.txt"
        assert source["section"] in {"入会申請に関すること", "会員情報に関すること", "メールに関すること", "マイページに関すること"}
        body = seed.split("\n" + source["section"] + "\n", 1)[1]
        assert source["entry"] in body, source["entry"]
        assert source["entry"][-1] in "。?"
        if source["section"] == "メールに関すること":
            assert source["subsection"] in {"入会申請者からのお問い合わせ", "会員からのお問い合わせ"}


# --- 入会申請 ---------------------------------------------------------------------------------------------------


def test_sup2_application_email_in_use_current_member(api, society, regular_type):
    holder = member(society, regular_type, email="taro@example.ac.jp")
    case = start(api, "faq-application-email-in-use", email="Taro@Example.ac.jp")
    assert case["member"] == holder.pk
    outcome = reached(case, "holder_current")
    fact = facts_of(case)["holder"]
    assert fact["value"] == "current" and "taro@example.ac.jp" in fact["evidence"] and holder.name in fact["evidence"]
    assert [p["source"] for p in case["path"]] == ["record"]
    assert outcome["links"] == [{"label": "[個人会員検索]",
                                 "url": reverse("admin:members_member_changelist") + "?q=taro%40example.ac.jp"}]
    assert "会員検索画面でメールアドレスを検索し" in outcome["text"]


def test_sup2_application_email_in_use_withdrawn_record_is_released_by_the_action(api, society, regular_type):
    old = member(society, regular_type, Status.WITHDRAWN, email="hanako@example.ac.jp")
    case = start(api, "faq-application-email-in-use", email="hanako@example.ac.jp")
    outcome = reached(case, "release")
    assert facts_of(case)["holder"]["value"] == "releasable"
    assert "退会" in facts_of(case)["holder"]["evidence"]
    assert [a["action"] for a in outcome["actions"]] == ["release_email"]
    assert outcome["links"][0]["url"] == reverse("admin:members_member_change", args=[old.pk])
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "release_email", "params": {}}, format="json")
    assert response.status_code == 200, response.content
    old.refresh_from_db()
    assert old.email != "hanako@example.ac.jp" and old.email_changes.get().old_email == "hanako@example.ac.jp"
    assert response.json()["actions_taken"][0]["ok"] is True


def test_sup2_application_email_in_use_locked_and_not_held(api, society, regular_type):
    from members.models import APass

    old = member(society, regular_type, Status.WITHDRAWN, email="jiro@example.ac.jp")
    apass = APass.objects.create(email="jiro@example.ac.jp", password="!")
    Member.objects.filter(pk=old.pk).update(apass=apass, apass_linked_at=clock.now(society))
    case = start(api, "faq-application-email-in-use", email="jiro@example.ac.jp")
    reached(case, "release_locked")
    assert facts_of(case)["holder"]["value"] == "locked" and "A-Pass" in facts_of(case)["holder"]["evidence"]
    case = start(api, "faq-application-email-in-use", email="nobody@example.ac.jp")
    outcome = reached(case, "not_held")
    assert case["member"] is None and facts_of(case)["holder"]["value"] == "none"
    assert "nobody@example.ac.jp" in facts_of(case)["holder"]["evidence"]
    assert outcome["links"][1] == {"label": "[個人会員送信済みメール]",
                                   "url": reverse("admin:mail_sentmail_changelist") + "?q=nobody%40example.ac.jp"}


def test_sup2_application_withdraw_both_outcomes_and_the_action(api, society, regular_type):
    applying = member(society, regular_type, Status.APPLYING, days_ago=3)
    case = start(api, "faq-application-withdraw", applying)
    outcome = reached(case, "withdraw")
    assert facts_of(case)["withdrawable"]["value"] is True
    assert "申請中" in facts_of(case)["withdrawable"]["evidence"]
    assert outcome["links"] == [{"label": "[会員状況変更]", "url": reverse("admin:members_member_status",
                                                                         args=[applying.pk])}]
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "withdraw_application"}, format="json")
    assert response.status_code == 200, response.content
    assert applying.status_on(clock.today(society)) == Status.APPLICATION_WITHDRAWN
    active = member(society, regular_type, Status.ACTIVE)
    case = start(api, "faq-application-withdraw", active)
    reached(case, "not_applying")
    assert facts_of(case)["withdrawable"]["value"] is False
    assert "入会/在会" in facts_of(case)["withdrawable"]["evidence"]


def test_sup2_application_same_day_edit_entry_and_its_action(api, society, regular_type):
    applying = member(society, regular_type, Status.APPLYING, days_ago=0)
    case = start(api, "faq-application-same-day", applying)
    outcome = reached(case, "edit_entry")
    fact = facts_of(case)["same_day"]
    assert fact["value"] == "editable" and "status_same_day" in fact["evidence"]
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "join_same_day"}, format="json")
    assert response.status_code == 200, response.content
    entry = MemberStatus.objects.get(member=applying)  # edited, not a second entry (MEM-5)
    assert entry.status == Status.ACTIVE and entry.effective_date == clock.today(society)
    assert [a["action"] for a in outcome["actions"]] == ["join_same_day"]


def test_sup2_application_same_day_refused_and_not_applying(api, society, regular_type):
    # a re-application after a withdrawal: 退会 → 入会/在会 is no transition, so the edit is refused
    again = member(society, regular_type, Status.WITHDRAWN, days_ago=800)
    MemberStatus.objects.create(member=again, status=Status.APPLYING, effective_date=clock.today(society))
    case = start(api, "faq-application-same-day", again)
    reached(case, "edit_refused")
    assert facts_of(case)["same_day"]["value"] == "refused"
    active = member(society, regular_type)
    case = start(api, "faq-application-same-day", active)
    reached(case, "not_applying")


def test_sup2_bulk_status_date_names_the_earliest_date_of_the_member(api, society, regular_type):
    target = member(society, regular_type, Status.APPLYING, days_ago=10)
    case = start(api, "faq-bulk-status-date", target)
    reached(case, "answer")
    applied = clock.today(society) - datetime.timedelta(days=10)
    fact = facts_of(case)["earliest"]
    assert fact["value"] == (applied + datetime.timedelta(days=1)).isoformat()
    assert (applied + datetime.timedelta(days=1)).isoformat() in fact["evidence"]


def test_sup2_member_number_pending_and_the_caller_says_which_message(api, society, regular_type):
    case = start(api, "faq-member-number", email="office@example.ac.jp")
    reached(case, "nobody_pending")
    assert facts_of(case)["pending"]["value"] == "none"
    numbered = member(society, regular_type)
    Member.objects.filter(pk=numbered.pk).update(member_number="000007")
    waiting = member(society, regular_type)
    assert waiting.member_number is None
    case = start(api, "faq-member-number", waiting)
    fact = facts_of(case)["pending"]
    assert fact["value"] == "some"
    assert "1" in fact["evidence"] and "000008" in fact["evidence"]  # NUM-1: the next free number is proposed
    taken = answer(api, case, "message", "taken")
    assert reached(taken, "taken")["links"][1]["url"] == reverse("admin:members_member_numbers")
    back = api.post(f"{CASES}{case['id']}/back/", {"node": "message"}, format="json").json()
    reached(answer(api, back, "message", "gap"), "gap")


# --- outcome keys: links (SUP-2) and escalates --------------------------------------------------------------------


def test_sup2_check_validates_outcome_links_and_escalates():
    from support import engine, registry

    flow = {"id": "x", "version": 1, "title": "x", "source": {}, "start": "o",
            "nodes": {"o": {"kind": "outcome", "code": "o", "text": "t", "section": "s",
                            "links": [{"label": "[個人会員送信済みメール]", "screen": "sent_mails"}], "escalates": True}}}
    assert engine.check(flow, screens=registry.SCREENS) == []
    bad = [({"links": [{"label": "[画面]", "screen": "no_such_screen"}]}, "o: unknown screen 'no_such_screen'"),
           ({"links": [{"label": "", "screen": "sent_mails"}]}, "o: a link is {label, screen}"),
           ({"links": [{"label": "x", "screen": "sent_mails", "url": "/"}]}, "o: a link is {label, screen}"),
           ({"links": "sent_mails"}, "o: links is a list"),
           ({"escalates": "yes"}, "o: escalates is true or false")]
    for change, problem in bad:
        broken = {**flow, "nodes": {"o": {**flow["nodes"]["o"], **change}}}
        assert engine.check(broken, screens=registry.SCREENS) == [problem]
    escalating = {n: s.get("escalates") for f in faq_members.FLOWS for n, s in f["nodes"].items()
                  if s.get("escalates")}
    assert escalating and all(v is True for v in escalating.values())


def test_sup2_case_page_renders_the_outcome_links(staff_op, society, regular_type):
    from django.test import Client

    from support import services

    applying = member(society, regular_type, Status.APPLYING, days_ago=3)
    case = services.case_create(actor=staff_op, society=society, flow="faq-application-withdraw", member=applying)
    client = Client()
    client.force_login(staff_op)
    page = client.get(f"/admin/support/cases/{case.pk}/").content.decode()
    status_url = reverse("admin:members_member_status", args=[applying.pk])
    assert f'<a href="{status_url}" class="outcome-link">[会員状況変更]</a>' in page
    assert 'id="action-withdraw_application"' in page
