"""MAIL-1, MAIL-3 and APP-2 through the services: the outbox, sending after commit, failures kept and
retried, links valid 24 hours on the society clock, superseded by a newer mail, single use."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import transaction

from backoffice import audit_chain
from backoffice.errors import Conflict, DomainError, NotFound
from backoffice.models import AuditEntry
from mail import services
from mail.models import LinkState, LinkToken, SentMail
from mail.rendering import render_mail

from .conftest import TEST_PURPOSE


def test_mail1_send_keeps_the_mail_and_sends_it_after_commit(staff_op, society, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail = services.mail_send(actor=staff_op, society=society, kind="registration_complete", to="Taro@Example.JP",
                                  subject="登録完了", body="ようこそ", member_id=42)
        assert SentMail.objects.get().status == "queued"
        assert django_mail.outbox == []  # not before the commit
    callbacks = [c for c in callbacks if not audit_chain.is_marker(c)]  # the audit chain's own (SEC-1)
    assert len(callbacks) == 1
    callbacks[0]()
    mail.refresh_from_db()
    assert (mail.to, mail.member_id, mail.status, mail.attempts, mail.error) == ("taro@example.jp", 42, "sent", 1, "")
    assert mail.sent_at is not None
    [sent] = django_mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["taro@example.jp"], "登録完了", "ようこそ")


@pytest.mark.django_db(transaction=True)
def test_mail1_nothing_is_kept_or_sent_when_the_callers_transaction_rolls_back():
    from members.factories import OperatorFactory, SocietyFactory

    society = SocietyFactory(slug="rollback")
    operator = OperatorFactory(society=society, role="staff")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.mail_send(actor=operator, society=society, kind="other", to="a@example.jp", subject="s", body="b")
            raise RuntimeError("the caller's act failed")
    assert SentMail.objects.count() == 0
    assert django_mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_mail3_sent_through_the_email_backend_on_a_real_commit():
    from members.factories import OperatorFactory, SocietyFactory

    society = SocietyFactory(slug="commit")
    operator = OperatorFactory(society=society, role="staff")
    mail = services.mail_send(actor=operator, society=society, kind="other", to="a@example.jp", subject="s", body="b")
    mail.refresh_from_db()
    assert mail.status == "sent"
    assert len(django_mail.outbox) == 1


def test_mail3_a_failed_send_is_kept_as_failed_and_retried(staff_op, society, send, settings,
                                                           django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.mail.failing_backend.FailingBackend"
    mail = send(actor=staff_op, society=society, kind="other", link=False)
    mail.refresh_from_db()
    assert mail.status == "failed" and mail.attempts == 1
    assert "SMTP server unreachable" in mail.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.mail_retry(actor=staff_op, mail=mail)
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.error) == ("sent", 2, "")
    assert AuditEntry.objects.filter(action="mail.sent_mail.retried", target_id=str(mail.pk)).count() == 1
    with pytest.raises(Conflict):
        services.mail_retry(actor=staff_op, mail=mail)


def test_mail3_send_queued_mail_command_retries_queued_and_failed(staff_op, society, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.mail.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        failed = services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s",
                                    body="b")
    queued = services.mail_send(actor=staff_op, society=society, kind="other", to="b@example.jp", subject="s", body="b")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_queued_mail")
    assert set(SentMail.objects.filter(pk__in=[failed.pk, queued.pk]).values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in django_mail.outbox) == ["a@example.jp", "b@example.jp"]


def test_app1_link_is_valid_for_24_hours_on_the_society_clock(sandbox, sandbox_op, send):
    mail = send(actor=sandbox_op, society=sandbox)
    link = LinkToken.objects.get(mail=mail)
    assert link.expires_at - mail.created_at == datetime.timedelta(hours=24)
    assert mail.body == f"本文 https://example.jp/links/{link.token}/"
    assert len(link.token) >= 43
    sandbox.clock_offset = datetime.timedelta(hours=23, minutes=59)
    sandbox.save()
    from backoffice import clock

    assert link.state_at(clock.now(sandbox)) == LinkState.VALID
    sandbox.clock_offset = datetime.timedelta(hours=24, minutes=1)
    sandbox.save()
    assert link.state_at(clock.now(sandbox)) == LinkState.EXPIRED
    annotated = SentMail.objects.with_link_state(clock.now(sandbox)).get(pk=mail.pk)
    assert annotated.link_state == "expired"
    with pytest.raises(Conflict) as refused:
        services.link_follow(actor=sandbox_op, token=link.token, data={})
    assert refused.value.code == "link_expired"
    assert "24" in str(refused.value)


def test_app2_newer_mail_to_the_same_address_supersedes_older_links(staff_op, society, send):
    first = send(actor=staff_op, society=society, to="hanako@example.jp")
    other_address = send(actor=staff_op, society=society, to="jiro@example.jp")
    second = send(actor=staff_op, society=society, to="HANAKO@example.jp")
    states = {m.pk: m.link_state for m in SentMail.objects.with_link_state(__import__("backoffice").clock.now(society))}
    assert states == {first.pk: "superseded", other_address.pk: "valid", second.pk: "valid"}
    entry = AuditEntry.objects.filter(action="mail.sent_mail.queued", target_id=str(second.pk)).get()
    assert entry.after["superseded_mail_ids"] == [first.pk]
    with pytest.raises(Conflict) as refused:
        services.link_follow(actor=staff_op, token=first.link.token, data={})
    assert refused.value.code == "link_superseded"
    assert services.link_follow(actor=staff_op, token=second.link.token, data={})["email"] == "hanako@example.jp"


def test_app2_supersede_is_per_purpose_and_per_society(staff_op, society, other_op, other_society, send):
    first = send(actor=staff_op, society=society, to="hanako@example.jp")
    send(actor=staff_op, society=society, to="hanako@example.jp", link_purpose="another_purpose")
    send(actor=other_op, society=other_society, to="hanako@example.jp")
    first.link.refresh_from_db()
    assert first.link.superseded_at is None


def test_link_follow_dispatches_by_purpose_and_is_single_use(staff_op, society, send):
    mail = send(actor=staff_op, society=society, member_id=7, link_payload={"member_id": 7})
    result = services.link_follow(actor=staff_op, token=mail.link.token, data={"name": "山田"})
    assert result == {"purpose": TEST_PURPOSE, "society": "jsbo", "email": "taro@example.jp",
                      "payload": {"member_id": 7}, "data": {"name": "山田"}}
    mail.link.refresh_from_db()
    assert mail.link.used_at is not None
    entry = AuditEntry.objects.filter(action="mail.link.followed").get()
    assert (entry.target_id, entry.actor_user_id) == (str(mail.pk), staff_op.pk)
    with pytest.raises(Conflict) as refused:
        services.link_follow(actor=staff_op, token=mail.link.token, data={})
    assert refused.value.code == "link_used"


def test_a_handlers_refusal_leaves_the_link_unused(staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    with pytest.raises(DomainError):
        services.link_follow(actor=staff_op, token=mail.link.token, data={"refuse": "1"})
    mail.link.refresh_from_db()
    assert mail.link.used_at is None
    assert not AuditEntry.objects.filter(action="mail.link.followed").exists()


def test_unknown_purpose_is_400_and_unknown_token_404(staff_op, society, send):
    mail = send(actor=staff_op, society=society, link_purpose="nobody_registered_this")
    with pytest.raises(DomainError) as refused:
        services.link_follow(actor=staff_op, token=mail.link.token, data={})
    assert (refused.value.code, refused.value.status) == ("invalid", 400)
    with pytest.raises(NotFound):
        services.link_follow(actor=staff_op, token="no-such-token", data={})


def test_soc2_another_societys_link_is_not_found(staff_op, other_op, society, send):
    mail = send(actor=staff_op, society=society)
    with pytest.raises(NotFound):
        services.link_follow(actor=other_op, token=mail.link.token, data={})


def test_viewer_may_neither_send_nor_follow(viewer_op, staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    with pytest.raises(DomainError) as refused:
        services.link_follow(actor=viewer_op, token=mail.link.token, data={})
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError):
        services.mail_send(actor=viewer_op, society=society, kind="other", to="a@example.jp", subject="s", body="b")


def test_mail1_one_audit_entry_per_send_and_no_password_anywhere(staff_op, society, send):
    mail = send(actor=staff_op, society=society)
    [entry] = AuditEntry.objects.filter(action="mail.sent_mail.queued")
    assert entry.target_id == str(mail.pk) and entry.society_id == society.pk
    assert set(entry.after) >= {"kind", "to", "subject", "link_purpose", "link_expires_at"}
    assert mail.link.token not in str(entry.after)  # the token opens the link: not copied into the trail
    for kind in ("email_verification", "registration_complete", "password_reset", "email_change_confirm",
                 "invoice_notice", "payment_receipt", "payment_reminder", "apass_unlinked", "other"):
        subject, body = render_mail(society, kind, {"name": "山田 太郎", "link_url": "https://x/"})
        assert "パスワード:" not in body and "password" not in body.lower()
        assert "\n" not in subject and subject


def test_mail2_every_kind_has_a_japanese_default_template(society):
    subject, body = render_mail(society, "email_verification", {"link_url": "https://example.jp/l/abc/",
                                                                "expires_at": "2026-04-02 10:00"})
    assert subject == "【日本バックオフィス学会】メールアドレス認証のご連絡"
    assert "https://example.jp/l/abc/" in body and "2026-04-02 10:00" in body
    assert "<" not in render_mail(society, "other", {"title": "a<b", "message": "x"})[0].replace("a<b", "")


def test_mail_template_update_by_admin_only_and_audited(admin_op, staff_op, society):
    with pytest.raises(DomainError):
        services.mail_template_update(actor=staff_op, society=society, kind="other", subject="x", body="y")
    services.mail_template_update(actor=admin_op, society=society, kind="other", subject="【{{ society_name }}】お知らせ",
                                  body="{{ message }} です")
    assert render_mail(society, "other", {"message": "テスト"}) == ("【日本バックオフィス学会】お知らせ", "テスト です")
    assert AuditEntry.objects.filter(action="mail.template.updated").count() == 1
    services.mail_template_update(actor=admin_op, society=society, kind="other", subject="【{{ society_name }}】お知らせ",
                                  body="{{ message }} です")
    assert AuditEntry.objects.filter(action="mail.template.updated").count() == 1  # nothing changed, no entry
    with pytest.raises(DomainError) as refused:
        services.mail_template_update(actor=admin_op, society=society, kind="other", subject="s", body="{% if %}")
    assert refused.value.fields == {"body": []}
