"""Issue 13 points 3, 5 and 7: the support console's screens in the 事務局画面 — 「サポート案件」 (searchable, bounded
queries), 「サポート案件の開始」 (from a member, an e-mail address, a sent mail), the case page (answers by POST and by
htmx, stepping back, the action's preview that changes nothing and its [確定]), viewers read-only (403 on POST),
another society's case 404, resuming with changed facts marked (SUP-10), the chart (SUP-6)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from backoffice import clock
from backoffice.models import AuditEntry
from mail.models import MailKind, SentMail
from members.factories import OperatorFactory, SocietyFactory
from members.models import APass, Member, MemberStatus, Status
from support import services
from support.models import Case, CaseAction, CaseStep

from .conftest import confirm_identity_service

pytestmark = pytest.mark.django_db

LIST = "/admin/support/cases/"
START = "/admin/support/start/"


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def agent_page(agent):
    return page_client(agent)


@pytest.fixture
def viewer_page(sandbox_viewer):
    return page_client(sandbox_viewer)


def case_url(case, tail="") -> str:
    return f"/admin/support/cases/{case.pk}/{tail}"


def start_case(agent, member, *, confirmed: bool = True) -> Case:
    """A login-trouble case for ``member``, the caller's identity confirmed at its gate (SUP-9) unless told not to."""
    member = Member.objects.select_related("society", "apass").get(pk=member.pk)  # the showcase's rows as stored now
    case = services.case_create(actor=agent, society=member.society, flow="login-trouble", member=member)
    return confirm_identity_service(agent, case) if confirmed else case


def test_sup7_first_page_and_side_menu_offer_support_cases(agent_page, viewer_page, showcase_members):
    for client in (agent_page, viewer_page):
        html = client.get("/admin/").content.decode()
        assert 'href="/admin/support/cases/"' in html and "サポート案件" in html


def test_sup5_case_list_filters_by_member_flow_outcome_agent_status_and_period(agent, agent_page, showcase_members,
                                                                               sandbox):
    other_agent = OperatorFactory(society=sandbox, role="staff", email="other@training.example.jp")
    a = start_case(agent, showcase_members["A"])  # resolved at A at once
    c = start_case(other_agent, showcase_members["C"])  # open at email_usable
    ids = lambda response: [int(x) for x in re.findall(r'data-case="(\d+)"', response.content.decode())]  # noqa: E731
    assert set(ids(agent_page.get(LIST))) == {a.pk, c.pk}
    assert ids(agent_page.get(LIST, {"q": "中村"})) == [a.pk]
    assert ids(agent_page.get(LIST, {"q": showcase_members["C"].email})) == [c.pk]
    assert ids(agent_page.get(LIST, {"member": showcase_members["C"].pk})) == [c.pk]
    assert ids(agent_page.get(LIST, {"flow": "apass-lookup"})) == []
    assert ids(agent_page.get(LIST, {"outcome": "A"})) == [a.pk]
    assert ids(agent_page.get(LIST, {"agent": other_agent.pk})) == [c.pk]
    assert ids(agent_page.get(LIST, {"status": "open"})) == [c.pk]
    # SUP-5: the period is the society's calendar (JST), not UTC — between 15:00 and 24:00 UTC the two differ
    today = a.created_at.astimezone(clock.society_timezone(sandbox)).date().isoformat()
    assert set(ids(agent_page.get(LIST, {"date_from": today, "date_to": today}))) == {a.pk, c.pk}
    assert ids(agent_page.get(LIST, {"date_from": "2099-01-01"})) == []
    assert agent_page.get(LIST, {"date_from": "not a date"}).status_code == 200  # a bad filter finds nothing, no 500


def test_sup5_case_list_queries_are_bounded(agent, agent_page, showcase_members, django_assert_max_num_queries):
    for member in showcase_members.values():
        start_case(agent, member)
    with django_assert_max_num_queries(8):
        response = agent_page.get(LIST, {"status": "resolved"})
    assert response.status_code == 200


def test_sup7_start_from_a_member_an_email_and_a_sent_mail(agent, agent_page, showcase_members):
    member = showcase_members["F"]
    response = agent_page.get(START, {"member": member.pk})
    assert member.name in response.content.decode() and 'value="login-trouble"' in response.content.decode()
    response = agent_page.post(START, {"member": member.pk, "flow": "login-trouble"})
    case = Case.objects.get(member=member)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert case.current_node == "email_usable"
    # from an e-mail address: the member with it, or an applicant
    assert member.name in agent_page.get(START, {"email": member.email.upper()}).content.decode()
    agent_page.post(START, {"email": "someone.new@example.jp", "flow": "apass-lookup"})
    assert Case.objects.get(email="someone.new@example.jp").member is None
    # from a sent mail: its member
    mail = SentMail.objects.filter(member_id=showcase_members["C"].pk).first()
    assert mail is not None
    assert showcase_members["C"].name in agent_page.get(START, {"mail": mail.pk}).content.decode()
    html = agent_page.get(f"/admin/mail/sentmail/{mail.pk}/change/").content.decode()
    assert f'href="/admin/support/start/?mail={mail.pk}"' in html  # [サポート案件] on the sent mail's page
    html = agent_page.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert f'href="/admin/support/start/?member={member.pk}"' in html  # and on the member's page


def test_sup7_start_page_lists_the_flows_under_their_manual_headings(agent_page, showcase_members):
    """About forty flows: each under its manual's heading (seed 003's 「請求に関すること › 請求作成」), every shipped
    member flow once, headings in the manuals' order."""
    from support.flows import SHIPPED

    html = agent_page.get(START, {"member": showcase_members["C"].pk}).content.decode()
    headings = re.findall(r'<h3 class="flow-group">([^<]+)</h3>', html)
    assert len(headings) == len(set(headings))
    assert headings.index("請求に関すること › 請求作成") < headings.index("請求に関すること › 未納者") \
        < headings.index("入金に関すること")
    buttons = re.findall(r'name="flow" value="([a-z0-9-]+)"', html)
    member_flows = [f for f, spec in SHIPPED.items() if spec.get("subject") != "operator"]
    assert sorted(buttons) == sorted(member_flows)
    section = html.split("請求に関すること › 請求作成</h3>")[1].split("<h3")[0]
    assert 'id="start-faq-run-pending"' in section and 'id="start-faq-pay-multi-year"' not in section


def test_sup7_start_by_searching_the_member(agent_page, showcase_members):
    html = agent_page.get(START, {"q": "清水"}).content.decode()
    assert f'href="?member={showcase_members["F"].pk}"' in html


def test_sup7_start_bad_input_is_4xx_never_500(agent_page, showcase_members):
    assert agent_page.get(START, {"member": "x"}).status_code == 404
    assert agent_page.get(START, {"mail": "99999999"}).status_code == 404
    response = agent_page.post(START, {"member": showcase_members["A"].pk, "flow": "no-such-flow"})
    assert response.status_code == 302 and not Case.objects.exists()
    assert agent_page.post(START, {"flow": "login-trouble"}).status_code == 302


def test_sup7_case_page_shows_member_brief_facts_and_the_question(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["C"])
    html = agent_page.get(case_url(case)).content.decode()
    assert "🔗" in html and "入会/在会" in html  # status and chain mark
    assert "鎖マークあり" in html and "パスワード再設定メール" in html  # facts with their evidence
    assert 'id="answer-form"' in html and 'name="answer" value="yes"' in html
    assert '<svg' in html and 'class="flow-chart"' in html


def test_sup7_answer_by_post_redirects_and_by_htmx_returns_the_fragment(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["D"])
    response = agent_page.post(case_url(case, "answer/"), {"node": "email_usable", "answer": "no"})
    assert response.status_code == 302 and response["Location"] == case_url(case)
    response = agent_page.post(case_url(case, "answer/"), {"node": "knows_password", "answer": "yes"},
                               HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<div id=\"case-body\"") and "<html" not in html  # the fragment alone
    assert 'data-code="D"' in html and "マイページからメールアドレスを変更" in html
    case.refresh_from_db()
    assert case.outcome == "D"


def test_sup7_answer_to_another_node_is_refused_with_its_code(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["D"])
    html = agent_page.post(case_url(case, "answer/"), {"node": "readmit", "answer": "yes"},
                           HTTP_HX_REQUEST="true").content.decode()
    assert "case_node_not_current" in html
    assert not CaseStep.objects.filter(case=case, source="caller").exclude(node="identity").exists()


def test_sup7_back_keeps_the_superseded_answer_struck_through(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["D"])
    services.case_answer(actor=agent, case=case, node="email_usable", answer="no")
    html = agent_page.get(case_url(case)).content.decode()
    assert "ここからやり直す" in html
    html = agent_page.post(case_url(case, "back/"), {"node": "email_usable"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<del>" in html and 'data-current="email_usable"' in html
    assert CaseStep.objects.filter(case=case, node="email_usable", superseded=True).exists()


def test_sup3_action_preview_shows_the_changes_and_changes_nothing(agent, agent_page, showcase_members):
    member = showcase_members["B"]
    case = start_case(agent, member)
    services.case_answer(actor=agent, case=case, node="readmit", answer="yes")
    statuses, entries = MemberStatus.objects.count(), AuditEntry.objects.count()
    response = agent_page.post(case_url(case, "actions/preview/"), {"action": "set_status_applying"},
                               HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="preview-changes"' in html and "申請中" in html and 'id="action-confirm"' in html
    assert MemberStatus.objects.count() == statuses and AuditEntry.objects.count() == entries
    assert not CaseAction.objects.exists()


def test_sup3_unlink_preview_asks_for_the_new_email_first(agent, agent_page, showcase_members):
    member = showcase_members["F"]
    case = start_case(agent, member)
    services.case_answer(actor=agent, case=case, node="email_usable", answer="no")
    services.case_answer(actor=agent, case=case, node="knows_password", answer="no")
    html = agent_page.post(case_url(case, "actions/preview/"), {"action": "unlink_apass"}).content.decode()
    assert 'name="new_email"' in html and 'id="action-confirm"' not in html
    html = agent_page.post(case_url(case, "actions/preview/"),
                           {"action": "unlink_apass", "new_email": showcase_members["A"].email}).content.decode()
    assert "email_in_use" in html and 'id="action-confirm"' not in html  # the rule refuses in the preview too
    html = agent_page.post(case_url(case, "actions/preview/"),
                           {"action": "unlink_apass", "new_email": "makoto@example.jp"}).content.decode()
    assert "makoto@example.jp" in html and 'id="action-confirm"' in html
    member.refresh_from_db()
    assert member.apass_id is not None and member.email != "makoto@example.jp"


def test_sup3_action_confirm_runs_it_and_writes_it_into_the_case(agent, agent_page, showcase_members):
    member = showcase_members["F"]
    case = start_case(agent, member)
    services.case_answer(actor=agent, case=case, node="email_usable", answer="no")
    services.case_answer(actor=agent, case=case, node="knows_password", answer="no")
    html = agent_page.post(case_url(case, "actions/run/"), {"action": "unlink_apass", "new_email": "makoto@example.jp"},
                           HTTP_HX_REQUEST="true").content.decode()
    member.refresh_from_db()
    assert member.apass_id is None and member.email == "makoto@example.jp"
    record = CaseAction.objects.get(case=case)
    assert record.ok and 'id="case-actions-taken"' in html
    # a refusal is recorded with its code and shown
    other = start_case(agent, showcase_members["B"])
    services.case_answer(actor=agent, case=other, node="readmit", answer="yes")
    agent_page.post(case_url(other, "actions/run/"), {"action": "set_status_applying"})
    agent_page.post(case_url(other, "actions/run/"), {"action": "set_status_applying"})  # same day again
    refused = CaseAction.objects.filter(case=other, ok=False).get()
    html = agent_page.get(case_url(other)).content.decode()
    assert refused.result["code"] in html


def test_sup7_notes(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["A"])
    agent_page.post(case_url(case, "notes/"), {"note": "折り返し電話の予定"})
    assert "折り返し電話の予定" in agent_page.get(case_url(case)).content.decode()
    agent_page.post(case_url(case, "notes/"), {"note": "  "})
    assert case.notes.count() == 1


def test_sup7_viewer_sees_the_case_without_buttons_and_posts_are_403(agent, viewer_page, showcase_members):
    case = start_case(agent, showcase_members["B"])
    html = viewer_page.get(case_url(case)).content.decode()
    assert "再入会を許可しますか" in html and "flow-chart" in html
    assert 'id="answer-form"' not in html and 'id="note-form"' not in html and "case-back" not in html
    for tail, data in [("answer/", {"node": "readmit", "answer": "yes"}), ("back/", {"node": "readmit"}),
                       ("actions/preview/", {"action": "set_status_applying"}),
                       ("actions/run/", {"action": "set_status_applying"}), ("notes/", {"note": "x"}),
                       ("resume/", {})]:
        assert viewer_page.post(case_url(case, tail), data).status_code == 403, tail
    assert viewer_page.post(START, {"member": showcase_members["A"].pk, "flow": "login-trouble"}).status_code == 403
    assert 'id="start-form"' not in viewer_page.get(START, {"member": showcase_members["A"].pk}).content.decode()
    case.refresh_from_db()
    assert case.current_node == "readmit" and not case.notes.exists()


def test_sup7_another_societys_case_is_404(agent, showcase_members):
    case = start_case(agent, showcase_members["A"])
    stranger = OperatorFactory(society=SocietyFactory(slug="other"), role="staff", email="s@other.example.jp")
    client = page_client(stranger)
    assert client.get(case_url(case)).status_code == 404
    assert client.post(case_url(case, "notes/"), {"note": "x"}).status_code == 404
    assert client.get(START, {"member": showcase_members["A"].pk}).status_code == 404
    assert f'data-case="{case.pk}"' not in client.get(LIST).content.decode()


def test_sup7_case_page_queries_are_bounded(agent, agent_page, showcase_members, django_assert_max_num_queries):
    case = start_case(agent, showcase_members["F"])
    services.case_answer(actor=agent, case=case, node="email_usable", answer="no")
    with django_assert_max_num_queries(16):
        assert agent_page.get(case_url(case)).status_code == 200
    with django_assert_max_num_queries(28):
        agent_page.post(case_url(case, "answer/"), {"node": "knows_password", "answer": "no"}, HTTP_HX_REQUEST="true")


def test_sup10_resume_reads_the_facts_again_and_marks_what_changed(agent, agent_page, showcase_members, sandbox):
    member = showcase_members["C"]
    case = start_case(agent, member)  # open at email_usable: the chain mark recorded
    version = case.flow_version.version
    second = OperatorFactory(society=sandbox, role="staff", email="second@training.example.jp")
    from members import services as member_services

    member_services.apass_unlink(actor=agent, member=Member.objects.get(pk=member.pk), new_email="sakura@example.jp")
    case, changed = services.case_resume(actor=second, case=Case.objects.get(pk=case.pk))
    assert "apass_linked" in changed
    assert case.flow_version.version == version  # still on its version
    html = page_client(second).get(case_url(case)).content.decode()
    assert "前回から変化" in html
    assert AuditEntry.objects.filter(action="support.case.resumed").count() == 1


def test_sup10_resume_with_nothing_changed_marks_nothing(agent, agent_page, showcase_members):
    case = start_case(agent, showcase_members["C"])
    agent_page.post(case_url(case, "resume/"))
    case, changed = services.case_resume(actor=agent, case=case)
    assert changed == []
    assert "前回から変化" not in agent_page.get(case_url(case)).content.decode()


def test_sup10_resume_of_a_resolved_case_is_refused(agent, showcase_members):
    from backoffice.errors import DomainError

    case = start_case(agent, showcase_members["A"])
    with pytest.raises(DomainError) as refused:
        services.case_resume(actor=agent, case=case)
    assert refused.value.code == "case_not_open"


def test_sup7_apass_lookup_rows_offer_a_support_case(agent_page, viewer_page, showcase_members):
    member = showcase_members["F"]
    html = agent_page.get("/admin/members/member/apass-lookup/", {"email": member.email}).content.decode()
    assert f'href="/admin/support/start/?member={member.pk}"' in html
    html = viewer_page.get("/admin/members/member/apass-lookup/", {"email": member.email}).content.decode()
    assert "apass-support-link" not in html


# --- SUP-9: the identity check on the case page (apass-lookup starts with it) ---------------------------------


def facts_section(html: str) -> str:
    return html.split('id="case-facts"')[1].split("</section>")[0]


def start_apass_lookup(agent, member) -> Case:
    member = Member.objects.select_related("society", "apass").get(pk=member.pk)
    return services.case_create(actor=agent, society=member.society, flow="apass-lookup", member=member)


def test_sup9_case_page_shows_the_identity_form_with_the_records_items(agent, agent_page, showcase_members):
    case = start_apass_lookup(agent, showcase_members["E"])
    html = agent_page.get(case_url(case)).content.decode()
    assert 'id="identity-form"' in html and 'id="answer-form"' not in html
    assert 'name="name"' in html and 'name="value"' in html and "本人確認</button>" in html
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', html) == [
        ("phone", "電話番号"), ("postal_code", "郵便番号"), ("affiliation", "所属先")]
    assert 'name="answer"' not in html  # the items are no longer buttons posting a string


def test_sup9_the_right_name_and_phone_pass_the_check_and_show_the_facts(agent, agent_page, showcase_members):
    member = showcase_members["E"]
    case = start_apass_lookup(agent, member)
    assert member.email not in facts_section(agent_page.get(case_url(case)).content.decode())
    response = agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name,
                                                           "item": "phone", "value": member.phone})
    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.current_node != "identity"
    html = agent_page.get(case_url(case)).content.decode()
    assert 'id="identity-form"' not in html and member.email in facts_section(html)  # the facts' evidence
    assert "確認済み（電話番号）" in html


def test_sup9_a_wrong_identity_shows_the_refusal_and_changes_nothing(agent, agent_page, showcase_members):
    member = showcase_members["E"]
    case = start_apass_lookup(agent, member)
    audits = AuditEntry.objects.count()
    response = agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name,
                                                           "item": "phone", "value": "03-0000-0000"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "お名前または確認した項目が会員情報と一致しません" in html and "identity_not_confirmed" in html
    assert 'id="identity-form"' in html and member.email not in facts_section(html)
    case.refresh_from_db()
    assert case.current_node == "identity" and not case.steps.filter(source="caller").exists()
    assert AuditEntry.objects.count() == audits


def test_sup9_identity_by_htmx_returns_the_fragment(agent, agent_page, showcase_members):
    member = showcase_members["E"]
    case = start_apass_lookup(agent, member)
    wrong = agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": "別人 太郎", "item": "phone",
                                                        "value": member.phone}, HTTP_HX_REQUEST="true")
    html = wrong.content.decode()
    assert html.lstrip().startswith('<div id="case-body"') and "<html" not in html
    assert "identity_not_confirmed" in html and 'data-current="identity"' in html
    bad = agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name, "item": "member_number",
                                                      "value": "1"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "(invalid)" in bad.content.decode()  # an item the record lacks: no 500
    right = agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name, "item": "phone",
                                                        "value": member.phone}, HTTP_HX_REQUEST="true")
    html = right.content.decode()
    assert 'data-current="identity"' not in html and 'id="identity-form"' not in html
    assert member.email in facts_section(html)


def test_sup9_viewer_sees_no_identity_form_and_the_post_is_403(agent, viewer_page, showcase_members):
    member = showcase_members["E"]
    case = start_apass_lookup(agent, member)
    html = viewer_page.get(case_url(case)).content.decode()
    assert 'id="identity-form"' not in html and "電話番号" in html
    response = viewer_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name,
                                                            "item": "phone", "value": member.phone})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.current_node == "identity"


def test_sup3_action_preview_and_confirm_queries_are_bounded(agent, agent_page, showcase_members,
                                                              django_assert_max_num_queries):
    """SUP-3: the action's preview (a dry run of the very service) and its [確定] — each reading the case's facts
    again after the action (four facts, the fresh case, the superseding writes) — run a pinned number of queries, so
    a query added per member, status entry or mail shows up here (bench/support_console.py times them at 100,000
    members)."""
    member = showcase_members["B"]
    case = start_case(agent, member)
    services.case_answer(actor=agent, case=case, node="readmit", answer="yes")
    with django_assert_max_num_queries(44):  # the dry run reads the facts again after the action too (SUP-3)
        response = agent_page.post(case_url(case, "actions/preview/"), {"action": "set_status_applying"},
                                   HTTP_HX_REQUEST="true")
    assert 'id="preview-changes"' in response.content.decode()
    # with the facts read again after the action, and the audit chain's lock and end read (SEC-1)
    with django_assert_max_num_queries(44):
        agent_page.post(case_url(case, "actions/run/"), {"action": "set_status_applying"}, HTTP_HX_REQUEST="true")
    assert CaseAction.objects.get(case=case).ok


# --- SUP-9: the member's e-mail waits for the identity check in a flow that discloses ------------------------


def test_sup9_apass_lookup_page_hides_the_members_email_until_the_check(agent, agent_page, showcase_members):
    member = showcase_members["E"]
    case = start_apass_lookup(agent, member)
    html = agent_page.get(case_url(case)).content.decode()
    assert member.email not in html and 'id="case-member-email"' not in html
    assert "（本人確認の後に表示）" in html.split('id="case-member"')[1].split("</section>")[0]
    agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": member.name, "item": "phone",
                                                "value": member.phone})
    html = agent_page.get(case_url(case)).content.decode()
    assert f'<span id="case-member-email">{member.email}</span>' in html and "（本人確認の後に表示）" not in html


def test_sup9_an_applicants_address_waits_for_the_check_too(agent, agent_page, sandbox):
    """A caller without a member record (an A-Pass holder): the address is hidden until the A-Pass's reset contact
    confirms the caller."""
    from members import services as member_services

    member_services.apass_create(actor="system: test", society=sandbox, email="hana.applicant@example.jp",
                                 password="Hana-pass-2026", recovery_contact="hana.backup@example.jp")
    case = services.case_create(actor=agent, society=sandbox, flow="apass-lookup", email="hana.applicant@example.jp")
    assert case.member is None
    html = agent_page.get(case_url(case)).content.decode()
    assert "hana.applicant@example.jp" not in html and "（本人確認の後に表示）" in html
    agent_page.post(case_url(case, "answer/"), {"node": "identity", "name": "", "item": "recovery_contact",
                                                "value": "hana.backup@example.jp"})
    html = agent_page.get(case_url(case)).content.decode()
    assert "hana.applicant@example.jp" in html and "（本人確認の後に表示）" not in html


def test_sup9_a_flow_that_tells_nothing_shows_the_email(agent, agent_page, showcase_members, monkeypatch):
    """login-trouble v1 (no identity check: published before the gate) shows the member's e-mail as before."""
    from support.flows import SHIPPED, login_trouble

    monkeypatch.setitem(SHIPPED, "login-trouble", login_trouble.V1)
    member = showcase_members["C"]
    case = start_case(agent, member, confirmed=False)
    assert case.flow_version.version == 1
    html = agent_page.get(case_url(case)).content.decode()
    assert f'<span id="case-member-email">{member.email}</span>' in html and member.email in facts_section(html)
    assert "（本人確認の後に表示）" not in html


def test_sup9_login_trouble_page_hides_the_email_in_the_brief_and_the_evidence(agent, agent_page, showcase_members):
    member = showcase_members["C"]  # its reset mail's evidence names the address
    case = start_case(agent, member, confirmed=False)
    assert any(member.email in s.evidence for s in case.steps.filter(source="record"))
    html = agent_page.get(case_url(case)).content.decode()
    assert member.email not in html
    assert "（本人確認の後に表示）" in facts_section(html)
    confirm_identity_service(agent, case)
    html = agent_page.get(case_url(case)).content.decode()
    assert member.email in facts_section(html) and f'<span id="case-member-email">{member.email}</span>' in html
