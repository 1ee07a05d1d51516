"""Fixtures of the mail tests: a harmless link purpose registered only here (the real handlers, address
verification and e-mail change, come from members/ later)."""

from __future__ import annotations

import datetime

import pytest

from backoffice.errors import DomainError
from mail import links, services
from members.factories import OperatorFactory, SocietyFactory

TEST_PURPOSE = "test_echo"
URL_TEMPLATE = "https://example.jp/links/{token}/"


def echo_handler(*, actor, society, email, payload, data):
    """Harmless: answers what it was given; ``data={"refuse": "1"}`` refuses like a real handler would."""
    if data.get("refuse"):
        raise DomainError("invalid", "refused by the handler", fields={"refuse": []})
    return {"purpose": TEST_PURPOSE, "society": society.slug, "email": email, "payload": payload, "data": data}


@pytest.fixture(autouse=True)
def echo_purpose():
    links.register_link_handler(TEST_PURPOSE, echo_handler)
    yield TEST_PURPOSE
    links.unregister_link_handler(TEST_PURPOSE)


@pytest.fixture
def sandbox(db):
    return SocietyFactory(slug="sandbox", name="研修学会", is_sandbox=True, clock_offset=datetime.timedelta(0))


@pytest.fixture
def sandbox_op(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@sandbox.example.jp")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """mail_send with the after-commit sending executed (the test's transaction never commits)."""

    def _send(*, actor, society, kind="email_verification", to="taro@example.jp", subject="件名", body="本文 {link_url}",
              link=True, **kwargs):
        if link:
            kwargs.setdefault("link_purpose", TEST_PURPOSE)
            kwargs.setdefault("link_url_template", URL_TEMPLATE)
        with django_capture_on_commit_callbacks(execute=True):
            return services.mail_send(actor=actor, society=society, kind=kind, to=to, subject=subject, body=body,
                                      **kwargs)

    return _send
