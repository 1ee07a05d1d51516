"""SUP-8 (issue 13 point 4): the triage panel 「サポート: この会員の記録で分かること」 on every member page and on
[個人会員送信済みメール] searched by an applicant's address; each item one click (POST /admin/support/start/) from
the case of its flow, which opens on the case page. Bounded queries; members/ and mail/ import no support/."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.test import Client

from members import showcase
from members.services import applications
from support import panels
from support.models import Case

pytestmark = pytest.mark.django_db
START = "/admin/support/start/"


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def member_page(client, member) -> str:
    response = client.get(f"/admin/members/member/{member.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_sup8_member_page_shows_the_panel_with_what_the_record_shows(showcase_members, agent):
    html = member_page(page_client(agent), showcase_members["D"])
    assert "サポート: この会員の記録で分かること" in html
    assert re.search(r"(本日|直近7日間に)、全角で入力されたログインが1回", html)
    assert "Caps Lockまたは全角で入力されたパスワードでのログインが2回" in html
    assert 'name="flow" value="login-trouble"' in html
    assert "パスワード再設定用の連絡先なし" in member_page(page_client(agent), showcase_members["F"])


def test_sup8_a_panel_item_starts_the_case_of_its_flow_and_opens_the_case_page(showcase_members, agent):
    member = showcase_members["F"]
    response = page_client(agent).post(START, {"member": member.pk, "flow": "login-trouble"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/support/cases/{case.pk}/"
    assert case.member == member and case.flow_version.flow == "login-trouble"


def test_sup8_start_refuses_cleanly(showcase_members, agent, sandbox_viewer):
    client = page_client(agent)
    # a GET is the start page (choose the flow), never a new case
    assert client.get(START, {"member": showcase_members["F"].pk, "flow": "login-trouble"}).status_code == 200
    assert client.post(START, {"member": "abc", "flow": "login-trouble"}).status_code == 404
    unknown_flow = client.post(START, {"member": showcase_members["F"].pk, "flow": "nope"})
    assert unknown_flow.status_code == 302 and unknown_flow["Location"].startswith(START)
    viewer = page_client(sandbox_viewer)
    assert viewer.post(START, {"member": showcase_members["F"].pk, "flow": "login-trouble"}).status_code == 403
    assert not Case.objects.exists()
    html = member_page(viewer, showcase_members["F"])
    assert "パスワード再設定用の連絡先なし" in html and 'name="flow"' not in html  # viewers read, never act


def test_sup8_panel_of_one_member_has_bounded_queries(showcase_members, agent, django_assert_max_num_queries, rf):
    request = rf.get("/")
    request.user = agent
    for member in showcase_members.values():
        with django_assert_max_num_queries(10):
            panels.member_panel(request, member)


def test_sup8_applicant_address_triage_from_sent_mail_search(sandbox, agent):
    address = "new.applicant@example.jp"
    applications.application_request(actor="system: test", society=showcase._past(sandbox, days=3), email=address)
    html = page_client(agent).get("/admin/mail/sentmail/", {"q": address}).content.decode()
    assert "サポート: この会員の記録で分かること" in html
    assert "メールアドレス認証のリンクが2日前に期限切れ" in html


def test_sup8_members_and_mail_import_no_support():
    root = pathlib.Path(__file__).resolve().parents[2]
    for app in ("members", "mail"):
        for path in (root / app).rglob("*.py"):
            assert not re.search(r"^\s*(from|import) support\b", path.read_text(), re.M), path


def test_sup8_the_panel_sits_in_the_member_form_without_a_form_of_its_own(showcase_members, agent):
    """A form cannot hold another (the browser drops the inner one and its button would save [会員情報変更]): the
    panel's button posts the page's form to the start view, the caller in the address and the flow as its value."""
    member = showcase_members["F"]
    client = page_client(agent)
    html = member_page(client, member)
    panel = html.split('id="support-triage"')[1].split("</fieldset>")[0]
    assert "<form" not in panel
    assert f'formaction="{START}?member={member.pk}"' in panel and 'name="flow" value="login-trouble"' in panel
    # what the browser sends: the member form's own fields, the button's flow, the caller in the address
    response = client.post(f"{START}?member={member.pk}", {"name": "別の名前", "email": "other@example.jp",
                                                            "flow": "login-trouble"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/support/cases/{case.pk}/"
    assert case.member == member
    member.refresh_from_db()
    assert member.name != "別の名前"  # the member form was not saved


def test_sup8_a_start_posted_from_the_sent_mail_list_carries_the_address(sandbox, agent):
    """The applicant's panel sits in the changelist's form: its button's POST carries the address in the URL."""
    address = "new.applicant@example.jp"
    client = page_client(agent)
    response = client.post(f"{START}?email=new.applicant%40example.jp", {"action": "", "flow": "login-trouble"})
    case = Case.objects.get()
    assert response.status_code == 302 and case.member is None and case.email == address
