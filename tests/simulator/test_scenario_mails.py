"""Issue 12 point 5: the mails the scenarios and seed_demo write (seed 000's パスワード再設定 mails of C, E and F) are
written by the live services, so every one that carries a link has the link's full URL in its body — the same
body as a mail sent live from the My Page simulator, not a bare token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from mail import links
from mail.models import SentMail
from members import showcase
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from simulator import scenarios

from .helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0)
    return society


@pytest.fixture
def trainer(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


def link_mails(society) -> list[SentMail]:
    mails = list(SentMail.objects.filter(society=society, link__isnull=False).select_related("link").order_by("pk"))
    assert mails
    return mails


def live_reset_mail(trainer, email: str) -> SentMail:
    response = client_for(trainer).post(reverse("sim-mypage-password-reset"), {"email": email}, format="json")
    assert response.status_code == 200 and response.json()["sent"], response.content
    return SentMail.objects.filter(to=email, kind="password_reset").latest("pk")


def assert_full_link(mail: SentMail, host: str) -> None:
    url = mail.link.url
    assert url in mail.body and f"\n{mail.link.token}\n" not in mail.body, mail.body
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == host, url
    assert parts.path == reverse("sim-mypage-link", args=[mail.link.token])


def test_issue12_5_seeded_mails_carry_the_full_link_url_like_a_live_mail(sandbox, trainer):
    scenarios.build(sandbox, actor="system: seed_demo")  # what seed_demo does: no request, the site's address
    seeded = link_mails(sandbox)
    # password resets (seed 000), and the support scenarios' verification and e-mail change (issue 13 point 8)
    assert {m.kind for m in seeded} == {"password_reset", "email_verification", "email_change_confirm"}
    for mail in seeded:
        assert_full_link(mail, "http://127.0.0.1:8000")  # settings.SITE_URL
        assert mail.link.url == links.link_url_template().replace("{token}", mail.link.token)
    c = showcase.showcase_by_outcome()["C"].email
    live = live_reset_mail(trainer, c)
    assert_full_link(live, "http://testserver")
    earlier = [m for m in seeded if m.to == c][-1]
    assert shape(earlier) == shape(live)  # the same rendering: only the link and its expiry differ


def shape(mail: SentMail) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "DATE", mail.body.replace(mail.link.url, "URL"))


def test_issue12_5_the_reset_button_writes_the_links_on_the_host_it_was_clicked_on(sandbox, trainer, client):
    client.force_login(trainer)
    assert client.post(reverse("sim-scenarios-reset")).status_code == 302
    for mail in link_mails(sandbox):
        assert_full_link(mail, "http://testserver")
