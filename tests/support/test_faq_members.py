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
    fact = {"id": "y", "version": 1, "title": "y", "source": {}, "start": "f",
            "nodes": {"f": {"kind": "fact", "fact": "member.email_holder", "branches": {"none": "o"},
                            "value_labels": {"none": "なし"}}, "o": flow["nodes"]["o"]}}
    assert engine.check(fact, screens=registry.SCREENS) == []
    fact["nodes"]["f"]["value_labels"] = {"other": "その他"}
    assert engine.check(fact, screens=registry.SCREENS) == ["f: value_labels name branch values"]
    escalating = {n: s.get("escalates") for f in faq_members.FLOWS for n, s in f["nodes"].items()
                  if s.get("escalates")}
    assert escalating and all(v is True for v in escalating.values())


def test_sup6_chart_names_fact_values_in_words_and_outcomes_by_their_section():
    from support import chart

    edges = dict((t, label) for t, label in chart.edges_of(SHIPPED["faq-application-email-in-use"]["nodes"]["holder"]))
    assert edges == {"holder_current": "申請中・入会/在会", "release": "退会等", "release_locked": "退会等・A-Pass統合",
                     "not_held": "なし"}
    for flow in faq_members.FLOWS:  # each outcome has its own name on the chart and the case list
        names = [chart.outcome_name(s) for s in flow["nodes"].values() if s["kind"] == "outcome"]
        assert len(names) == len(set(names)), flow["id"]


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


# --- 会員情報 -----------------------------------------------------------------------------------------------------

PASSWORD = "Faq-test-pass-2026"


def verification_mail(society, email: str, *, days_ago: int = 0):
    """「メールアドレス認証のご連絡」 as the applicant's request sends it, ``days_ago`` earlier (its link 24 hours)."""
    from mail.models import LinkToken, SentMail

    member_services.application_request(actor=SYSTEM, society=society, email=email)
    mail = SentMail.objects.filter(society=society, to=email).order_by("-created_at", "-id").first()
    if days_ago:
        shift = datetime.timedelta(days=days_ago)
        SentMail.objects.filter(pk=mail.pk).update(created_at=mail.created_at - shift)
        LinkToken.objects.filter(mail=mail).update(expires_at=mail.link.expires_at - shift)
        mail.refresh_from_db()
    return mail


def test_sup2_proxy_email_in_use_a_valid_verification_link_blocks_it_until_it_expires(api, society):
    mail = verification_mail(society, "applicant@example.ac.jp")
    case = start(api, "faq-proxy-email-in-use", email="applicant@example.ac.jp")
    outcome = reached(case, "wait_or_open")
    fact = facts_of(case)["pending"]
    until = mail.link.expires_at.astimezone(clock.society_timezone(society)).strftime("%Y-%m-%d %H:%M")
    assert fact["value"] is True and until in fact["evidence"]
    assert facts_of(case)["holder"]["value"] == "none"
    assert [link["label"] for link in outcome["links"]] == ["[個人会員送信済みメール]", "[代理申請]"]
    assert outcome["links"][0]["url"].endswith("?q=applicant%40example.ac.jp")
    assert "有効期間はメール送信日時から24時間です" in outcome["text"]
    # two days later the link has expired: nothing blocks [代理申請]
    verification_mail(society, "late@example.ac.jp", days_ago=2)
    case = start(api, "faq-proxy-email-in-use", email="late@example.ac.jp")
    assert reached(case, "not_pending")
    assert facts_of(case)["pending"]["value"] is False


def test_sup2_proxy_email_in_use_by_a_record_of_any_status(api, society, regular_type):
    member(society, regular_type, Status.APPLICATION_WITHDRAWN, email="old@example.ac.jp")
    case = start(api, "faq-proxy-email-in-use", email="old@example.ac.jp")
    reached(case, "member_has_it")
    assert facts_of(case)["holder"]["value"] == "releasable"
    assert "pending" not in facts_of(case)  # no verification look-up once a member holds the address


def test_sup2_password_view_is_the_manuals_answer(api, society, regular_type):
    case = start(api, "faq-password-view", member(society, regular_type))
    outcome = reached(case, "answer")
    assert outcome["text"].startswith("パスワードはセキュリティ上閲覧できないようになっています。")
    assert case["facts"] == [] and case["path"] == []


# --- メール: 入会申請者 -----------------------------------------------------------------------------------------------


def test_sup2_verification_mail_missing_sent_not_sent_failed_registered(api, society):
    from mail.models import LinkToken, SentMail

    verification_mail(society, "sent@example.ac.jp")
    case = start(api, "faq-verification-mail-missing", email="sent@example.ac.jp")
    outcome = reached(case, "sent")
    fact = facts_of(case)["verification"]
    assert fact["value"] == "valid" and "sent@example.ac.jp" in fact["evidence"]
    assert "迷惑メールフォルダを確認してください" in outcome["text"]
    case = start(api, "faq-verification-mail-missing", email="never@example.ac.jp")
    reached(case, "not_sent")
    assert facts_of(case)["verification"]["value"] == "none"
    failed = verification_mail(society, "failed@example.ac.jp")
    SentMail.objects.filter(pk=failed.pk).update(status=SentMail.Status.FAILED)
    case = start(api, "faq-verification-mail-missing", email="failed@example.ac.jp")
    assert reached(case, "send_failed") and SHIPPED["faq-verification-mail-missing"]["nodes"]["send_failed"]["escalates"]
    used = verification_mail(society, "used@example.ac.jp")
    LinkToken.objects.filter(mail=used).update(used_at=clock.now(society))
    case = start(api, "faq-verification-mail-missing", email="used@example.ac.jp")
    reached(case, "registered")
    assert facts_of(case)["verification"]["value"] == "used"


def test_sup2_verification_link_error_expired_superseded_and_how_it_was_opened(api, society):
    verification_mail(society, "expired@example.ac.jp", days_ago=2)
    case = start(api, "faq-verification-link-error", email="expired@example.ac.jp")
    reached(case, "expired")
    assert facts_of(case)["verification"]["value"] == "expired"
    # two requests: only the latest link is valid (APP-2)
    verification_mail(society, "twice@example.ac.jp", days_ago=0)
    verification_mail(society, "twice@example.ac.jp", days_ago=0)
    case = start(api, "faq-verification-link-error", email="twice@example.ac.jp")
    count = facts_of(case)["count"]
    assert count["value"] == "multiple" and "2" in count["evidence"]
    reached(answer(api, case, "clicked_latest", "no"), "superseded")
    case = start(api, "faq-verification-link-error", email="twice@example.ac.jp")
    case = answer(api, case, "clicked_latest", "yes")
    reached(answer(api, case, "how_opened", "clicked"), "line_break")
    verification_mail(society, "once@example.ac.jp")
    case = start(api, "faq-verification-link-error", email="once@example.ac.jp")
    assert facts_of(case)["count"]["value"] == "single"
    outcome = reached(answer(api, case, "how_opened", "pasted"), "copy_paste")
    assert "検索窓に貼付けていないか" in outcome["text"]
    case = start(api, "faq-verification-link-error", email="never@example.ac.jp")
    reached(case, "not_sent")


def test_sup2_verification_link_error_used(api, society):
    from mail.models import LinkToken

    mail = verification_mail(society, "done@example.ac.jp")
    LinkToken.objects.filter(mail=mail).update(used_at=clock.now(society))
    reached(start(api, "faq-verification-link-error", email="done@example.ac.jp"), "used")


# --- メール: 会員 -------------------------------------------------------------------------------------------------


def linked(society, member_type, email: str, **kwargs) -> Member:
    person = member(society, member_type, email=email, **kwargs)
    member_services.apass_create(actor=SYSTEM, society=past(society, 30), email=email, password=PASSWORD)
    member_services.mypage_sign_in(actor=SYSTEM, society=society, email=email, password=PASSWORD)
    person.refresh_from_db()
    assert person.apass_id is not None
    return person


def test_sup2_reset_mail_missing_wrong_address_editable_or_locked(api, society, regular_type):
    plain = member(society, regular_type, email="plain@example.ac.jp")
    case = start(api, "faq-reset-mail-missing", plain)
    registered = facts_of(case)["registered"]
    assert registered["value"] == "plain@example.ac.jp" and "plain@example.ac.jp" in registered["evidence"]
    outcome = reached(answer(api, case, "matches", "no"), "change_email")
    assert outcome["links"] == [{"label": "[会員情報変更]", "url": reverse("admin:members_member_change",
                                                                        args=[plain.pk])}]
    locked = linked(society, regular_type, "locked@example.ac.jp")
    case = answer(api, start(api, "faq-reset-mail-missing", locked), "matches", "no")
    reached(case, "email_locked")
    assert facts_of(case)["editable"]["value"] is False and "A-Pass" in facts_of(case)["editable"]["evidence"]


def test_sup2_reset_mail_missing_sent_not_sent_no_apass(api, society, regular_type):
    plain = member(society, regular_type, email="noapass@example.ac.jp")
    reached(answer(api, start(api, "faq-reset-mail-missing", plain), "matches", "yes"), "no_apass")
    person = linked(society, regular_type, "reset@example.ac.jp")
    case = answer(api, start(api, "faq-reset-mail-missing", person), "matches", "yes")
    reached(case, "not_sent")
    assert facts_of(case)["reset_mail"]["value"] == "none"
    member_services.password_reset_request(actor=SYSTEM, society=society, email="reset@example.ac.jp")
    case = answer(api, start(api, "faq-reset-mail-missing", person), "matches", "yes")
    outcome = reached(case, "sent")
    assert facts_of(case)["reset_mail"]["value"] == "valid" and outcome["text"].startswith("パスワード再設定メールは")


def test_sup2_email_change_login_pending_signed_in_with_new_redo_changed_none(api, society, regular_type):
    from mail.models import LinkToken
    from members.services import mypage

    person = linked(society, regular_type, "change@example.ac.jp")
    reached(start(api, "faq-email-change-login", person), "no_request")
    mypage.email_change_request(actor=SYSTEM, society=society, session_email="change@example.ac.jp",
                                password=PASSWORD, new_email="changed@example.ac.jp")
    case = start(api, "faq-email-change-login", person)
    reached(case, "confirm")
    fact = facts_of(case)["change"]
    assert fact["value"] == "valid" and "changed@example.ac.jp" in fact["evidence"]
    assert facts_of(case)["new_sign_in"]["value"] is False
    # the member logged out and tried the new address: the sign-in log shows it
    member_services.mypage_sign_in(actor=SYSTEM, society=society, email="changed@example.ac.jp", password=PASSWORD)
    case = start(api, "faq-email-change-login", person)
    outcome = reached(case, "sign_in_old")
    assert "changed@example.ac.jp" in facts_of(case)["new_sign_in"]["evidence"]
    assert "変更前のメールアドレスでログインした状態でクリックする必要があります" in outcome["text"]
    link = LinkToken.objects.get(payload__apass_id=person.apass_id)
    LinkToken.objects.filter(pk=link.pk).update(expires_at=clock.now(society) - datetime.timedelta(hours=1))
    reached(start(api, "faq-email-change-login", person), "redo")
    LinkToken.objects.filter(pk=link.pk).update(used_at=clock.now(society))
    assert reached(start(api, "faq-email-change-login", person), "changed")


# --- マイページ ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flow, starts, link", [
    ("faq-mypage-name", "マイページでは氏名は変更できないようにしています。", "admin:members_member_change"),
    ("faq-mypage-status", "会員自身で会員状況を変更することはできません。", "admin:members_member_status"),
    ("faq-mypage-file", "会員マイページにファイルを置くことはできません。", "admin:simulator_mypagenotice_changelist"),
    ("faq-mypage-notice-order", "お知らせは掲載日で自動的にソートされません。", "admin:simulator_mypagenotice_changelist"),
])
def test_sup2_mypage_entries_are_the_manuals_answer(api, society, regular_type, flow, starts, link):
    person = member(society, regular_type)
    outcome = reached(start(api, flow, person), "answer")
    assert outcome["text"].startswith(starts)
    args = [person.pk] if link.startswith("admin:members") else []
    assert outcome["links"][0]["url"] == reverse(link, args=args)


def test_sup8_triage_items_of_the_mail_links_name_their_faq_flow(api, society, regular_type):
    from members.services import mypage

    person = linked(society, regular_type, "triage@example.ac.jp")
    mypage.email_change_request(actor=SYSTEM, society=society, session_email="triage@example.ac.jp",
                                password=PASSWORD, new_email="triage.new@example.ac.jp")
    items = {i["code"]: i for i in api.get(f"/api/v1/support/triage/?member={person.pk}").json()}
    assert items["email_change_pending"]["flow"] == "faq-email-change-login"
    verification_mail(society, "late.applicant@example.ac.jp", days_ago=3)  # expired; then a proxy application
    applicant = member(society, regular_type, Status.APPLYING, days_ago=0, email="late.applicant@example.ac.jp")
    items = {i["code"]: i for i in api.get(f"/api/v1/support/triage/?member={applicant.pk}").json()}
    assert items["verification_link_expired"]["flow"] == "faq-verification-link-error"
    assert {i["flow"] for i in items.values()} <= set(SHIPPED) | {None}


def test_sup2_faq_case_page_and_case_json_queries_are_bounded(api, staff_op, society, regular_type,
                                                               django_assert_max_num_queries):
    """The outcome's links cost no query: a faq case page reads no more than login-trouble's (16), the case JSON
    a handful."""
    from django.test import Client

    from support import services

    person = linked(society, regular_type, "bounded@example.ac.jp")
    case = services.case_create(actor=staff_op, society=society, flow="faq-reset-mail-missing", member=person)
    services.case_answer(actor=staff_op, case=case, node="matches", answer="yes")
    client = Client()
    client.force_login(staff_op)
    with django_assert_max_num_queries(16):
        page = client.get(f"/admin/support/cases/{case.pk}/")
    assert page.status_code == 200 and 'id="outcome-links"' in page.content.decode()
    with django_assert_max_num_queries(8):
        body = api.get(f"{CASES}{case.pk}/").json()
    assert body["outcome"]["links"][0]["label"] == "[個人会員送信済みメール]"


def test_sup5_case_list_names_each_outcome_by_its_own_flow(staff_op, society, regular_type):
    from django.test import Client

    from support import services

    applying = member(society, regular_type, Status.APPLYING, days_ago=3)
    active = member(society, regular_type)
    services.case_create(actor=staff_op, society=society, flow="faq-application-withdraw", member=active)
    services.case_create(actor=staff_op, society=society, flow="faq-application-same-day", member=active)
    services.case_create(actor=staff_op, society=society, flow="faq-application-same-day", member=applying)
    client = Client()
    client.force_login(staff_op)
    page = client.get("/admin/support/cases/").content.decode()
    # both end at code not_applying: each row shows its own flow's name for it
    assert "「申請中」ではないため取下できない" in page and "最新の会員状況が「申請中」ではない" in page
    assert "[会員状況履歴]欄の「申請中」を編集して「入会/在会」に" in page


def test_sup3_a_faq_action_refused_by_its_rule_is_recorded_with_its_code(api, society, regular_type):
    """The record changed after the outcome was reached: the service's own rule refuses, the case keeps the refusal."""
    applying = member(society, regular_type, Status.APPLYING, days_ago=3)
    case = start(api, "faq-application-withdraw", applying)
    member_services.member_status_add(actor=SYSTEM, member=applying, status=Status.ACTIVE,
                                      effective_date=clock.today(society))
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "withdraw_application"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    taken = api.get(f"{CASES}{case['id']}/").json()["actions_taken"]
    assert [(t["action"], t["ok"], t["result"]["code"]) for t in taken] == [
        ("withdraw_application", False, "invalid_transition")]
    same_day = member(society, regular_type, Status.APPLYING, days_ago=0)
    case = start(api, "faq-application-same-day", same_day)
    member_services.member_application_withdraw(actor=SYSTEM, member=same_day, effective_date=clock.today(society))
    response = api.post(f"{CASES}{case['id']}/actions/", {"action": "join_same_day"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    old = member(society, regular_type, Status.WITHDRAWN, email="again@example.ac.jp")
    case = start(api, "faq-application-email-in-use", email="again@example.ac.jp")
    bad = api.post(f"{CASES}{case['id']}/actions/", {"action": "release_email", "params": {"note": 3}}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    old.refresh_from_db()
    assert old.email == "again@example.ac.jp"


def test_sup7_publish_flows_stores_every_faq_member_flow_once():
    from django.core.management import call_command

    from support.models import FlowVersion

    call_command("publish_flows")
    call_command("publish_flows")
    stored = set(FlowVersion.objects.filter(flow__startswith="faq-").values_list("flow", "version"))
    assert {(f["id"], 1) for f in faq_members.FLOWS} <= stored
    assert FlowVersion.objects.filter(flow="faq-password-view").count() == 1
