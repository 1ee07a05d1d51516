"""An operator's password reset by mail (issue 16 §1; seed 001 原因④ 「パスワードをお忘れですか?」 on the society's
operator sign-in page; SOC-4, SOC-5, SEC-2 rate limits, MAIL-1/MAIL-3 the outbox, APP-2 a newer link supersedes,
SIM-1 the society clock)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail as django_mail
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from mail.models import LinkToken, SentMail
from members import services
from members.models import Operator, OperatorPasswordResetRequest, OperatorSignIn

pytestmark = pytest.mark.django_db

PASSWORD = "password-123"
NEW_PASSWORD = "Kaiin-Kanri-2026"
TAKEN = ("この学会のオペレーターアカウントにこのメールアドレスが登録されている場合は、新しいパスワードを設定するための"
         "URLをメールでお送りしました。")
REQUEST = "/office/jsbo/password-reset/"


def ask(client, email, **extra):
    return client.post(REQUEST, {"email": email}, **extra)


def link_of(sent: SentMail) -> str:
    """The path of the link in the kept mail's body, as the operator would open it."""
    return re.search(r"https?://[^/\s]+(/office/jsbo/password-reset/[A-Za-z0-9_-]+/)", sent.body).group(1)


def set_password(client, path, first=NEW_PASSWORD, second=None):
    return client.post(path, {"new_password1": first, "new_password2": first if second is None else second})


def sign_in(email, password):
    APIClient().post("/api/v1/auth/token/", {"society": "jsbo", "email": email, "password": password}, format="json")
    return OperatorSignIn.objects.order_by("-pk").values_list("reason", flat=True).first()


def test_seed001_cause4_the_society_sign_in_page_links_to_the_reset_request(client, society):
    page = client.get("/office/jsbo/login/").content.decode()
    assert f'href="{REQUEST}"' in page and "パスワードをお忘れですか?" in page
    form = client.get(REQUEST)
    assert form.status_code == 200 and 'name="email"' in form.content.decode()


def test_reset_mail_is_queued_in_the_outbox_kept_and_sent(client, staff_op, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = ask(client, "ＳＴＡＦＦ@jsbo.example.jp")  # full width and capitals, as typed at the sign-in page
    assert r.status_code == 200 and TAKEN in r.content.decode()
    sent = SentMail.objects.get()
    assert (sent.kind, sent.to, sent.society_id, sent.status) == ("password_reset", staff_op.email,
                                                                   staff_op.society_id, "sent")
    assert "オペレーターアカウント" in sent.subject and "24時間" in sent.body
    link = LinkToken.objects.get(mail=sent)
    assert link.purpose == "operator_password_reset" and link.payload == {"operator_id": staff_op.pk}
    assert link.expires_at - sent.created_at == datetime.timedelta(hours=24)
    assert link_of(sent) == f"/office/jsbo/password-reset/{link.token}/"
    assert [m.to for m in django_mail.outbox] == [[staff_op.email]]  # the worker sent the kept row
    logged = OperatorPasswordResetRequest.objects.get()
    assert (logged.outcome, logged.operator, logged.mail_id) == ("sent", staff_op, sent.pk)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, staff_op, other_op):
    known = ask(client, staff_op.email).content.decode()
    for email in ("nobody@jsbo.example.jp", other_op.email):  # another society's operator is unknown here
        r = ask(client, email)
        assert r.status_code == 200 and TAKEN in r.content.decode()
        assert r.content.decode().replace(email, "") == known.replace(staff_op.email, "")
    assert SentMail.objects.count() == 1
    assert list(OperatorPasswordResetRequest.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "sent", "unknown_operator", "unknown_operator"]


@pytest.mark.parametrize("how", ["deleted", "inactive", "contract_cancelled"])
def test_soc5_deleted_inactive_or_contract_inactive_operator_gets_no_mail(client, admin_op, staff_op, how):
    if how == "deleted":
        services.operator_delete(actor=admin_op, operator=staff_op)
    elif how == "inactive":
        Operator.objects.filter(pk=staff_op.pk).update(is_active=False)
    else:
        staff_op.society.contract_status = "cancelled"
        staff_op.society.save()
    r = ask(client, staff_op.email)
    assert r.status_code == 200 and TAKEN in r.content.decode()
    assert not SentMail.objects.exists()
    expected = "contract_inactive" if how == "contract_cancelled" else "operator_deleted"
    assert OperatorPasswordResetRequest.objects.get().outcome == expected


def test_the_link_sets_a_new_password_the_old_one_stops_working_and_the_audit_records_it(client, staff_op):
    ask(client, staff_op.email)
    path = link_of(SentMail.objects.get())
    page = client.get(path)
    assert page.status_code == 200 and staff_op.email in page.content.decode()
    audit_before = AuditEntry.objects.count()
    r = set_password(client, path)
    assert r.status_code == 302 and r["Location"] == "/office/jsbo/login/"
    assert "新しいパスワードでログインしてください" in client.get(r["Location"]).content.decode()
    assert sign_in(staff_op.email, PASSWORD) == "wrong_password"
    assert sign_in(staff_op.email, NEW_PASSWORD) == "ok"
    entry = AuditEntry.objects.get(action="members.operator.password_reset")
    assert entry.actor_user_id == staff_op.pk and entry.target_id == str(staff_op.pk)
    assert "password_reset_at" in entry.after
    # one entry on the operator, one on the mail whose link was used up (as every followed link)
    assert AuditEntry.objects.count() - audit_before == 2
    assert AuditEntry.objects.get(action="mail.link.followed").actor_user_id == staff_op.pk


def test_the_operators_sessions_and_api_token_end(client, staff_op):
    signed_in = type(client)()
    signed_in.force_login(staff_op)
    assert signed_in.get("/admin/").status_code == 200
    old_token = Token.objects.create(user=staff_op).key
    ask(client, staff_op.email)
    assert set_password(client, link_of(SentMail.objects.get())).status_code == 302
    assert signed_in.get("/admin/").status_code == 302  # back to the sign-in page
    assert not Token.objects.filter(user=staff_op).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old_token}")
    assert api.get("/api/v1/members/").status_code == 401


def test_password_validators_and_the_two_fields_must_match(client, staff_op):
    ask(client, staff_op.email)
    path = link_of(SentMail.objects.get())
    mismatch = set_password(client, path, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 400 and "2つのパスワードが一致しません。" in mismatch.content.decode()
    short = set_password(client, path, "Ab3$")
    assert short.status_code == 400 and "短すぎ" in short.content.decode()  # Django's MinimumLengthValidator
    assert sign_in(staff_op.email, PASSWORD) == "ok"  # nothing changed, and the link is still good
    assert set_password(client, path).status_code == 302


def test_a_used_link_is_refused_with_a_clear_message(client, staff_op):
    ask(client, staff_op.email)
    path = link_of(SentMail.objects.get())
    assert set_password(client, path).status_code == 302
    for again in (client.get(path), set_password(client, path, "Another-Pass-99")):
        assert again.status_code == 409 and "このリンクは既に使用されています。" in again.content.decode()
    assert sign_in(staff_op.email, NEW_PASSWORD) == "ok"


def test_sim1_an_expired_link_is_refused_on_the_society_clock(client, staff_op):
    society = staff_op.society
    society.is_sandbox = True
    society.save()
    ask(client, staff_op.email)
    path = link_of(SentMail.objects.get())
    society.clock_offset = datetime.timedelta(hours=24, minutes=1)  # the sandbox's clock moves past the 24 hours
    society.save()
    for refused in (client.get(path), set_password(client, path)):
        assert refused.status_code == 409 and "有効期限が切れています" in refused.content.decode()
    assert sign_in(staff_op.email, PASSWORD) == "ok"


def test_app2_a_newer_request_supersedes_the_older_link(client, staff_op):
    ask(client, staff_op.email)
    ask(client, staff_op.email)
    older, newer = [link_of(m) for m in SentMail.objects.order_by("pk")]
    refused = set_password(client, older)
    assert refused.status_code == 409 and "新しいメールが送信されたため" in refused.content.decode()
    assert set_password(client, newer).status_code == 302


def test_sec2_rate_limit_per_typed_address_says_so_and_sends_nothing(client, staff_op):
    for _ in range(5):
        assert ask(client, staff_op.email).status_code == 200
    r = ask(client, staff_op.email)
    assert r.status_code == 429 and "しばらく時間をおいて" in r.content.decode()
    assert SentMail.objects.count() == 5
    # an unknown address is limited the same way: the limit tells nothing about accounts
    for _ in range(5):
        ask(client, "nobody@jsbo.example.jp")
    assert ask(client, "nobody@jsbo.example.jp").status_code == 429
    # the window passes on the society clock
    OperatorPasswordResetRequest.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))
    assert ask(client, staff_op.email).status_code == 200 and SentMail.objects.count() == 6


def test_sec2_rate_limit_per_client_address(client, staff_op):
    OperatorPasswordResetRequest.objects.bulk_create([
        OperatorPasswordResetRequest(society=staff_op.society, typed_email=f"guess{i}@x.jp", email_key=f"guess{i}@x.jp",
                                     outcome="unknown_operator", at=timezone.now(), client_address="10.0.0.7")
        for i in range(100)])
    assert ask(client, staff_op.email, REMOTE_ADDR="10.0.0.7").status_code == 429
    assert not SentMail.objects.exists()
    assert ask(client, staff_op.email, REMOTE_ADDR="10.0.0.8").status_code == 200


@pytest.mark.parametrize("data", [
    {"email": "staff@jsbo.example.jp\x00"},
    {"email": "a" * 100_000 + "@jsbo.example.jp"},
    {"email": "not an address"},
    {},
])
def test_bad_input_at_the_request_page_is_a_4xx(client, staff_op, data):
    r = client.post(REQUEST, data)
    assert r.status_code == 400 and not SentMail.objects.exists()


def test_bad_input_at_the_link_page_is_a_4xx(client, staff_op, other_society):
    ask(client, staff_op.email)
    path = link_of(SentMail.objects.get())
    for first, second in (("x" * 100_000, "x" * 100_000), (NEW_PASSWORD + "\x00", NEW_PASSWORD + "\x00"), ("", "")):
        assert set_password(client, path, first, second).status_code == 400
    assert client.post(path, {}).status_code == 400
    for token in ("no-such-token", "a" * 500, "%E3%81%82", "%00", "x%00y"):
        # unknown: 404; a NUL byte in the address is refused before any view (400)
        expected = 400 if "%00" in token else 404
        assert client.get(f"/office/jsbo/password-reset/{token}/").status_code == expected
        assert set_password(client, f"/office/jsbo/password-reset/{token}/").status_code == expected
    assert client.get("/office/jsbo/password-reset//").status_code == 404  # missing token
    assert client.get("/office/no-such-society/password-reset/").status_code == 404
    other = path.replace("/office/jsbo/", "/office/other/")
    assert client.get(other).status_code == 404  # another society's page does not open this society's link
    assert sign_in(staff_op.email, PASSWORD) == "ok"


def test_only_the_operator_the_mail_went_to_sets_the_password(client, staff_op, admin_op):
    ask(client, staff_op.email)
    token = LinkToken.objects.get().token
    for actor in (admin_op, "system: someone"):
        with pytest.raises(DomainError) as refused:
            services.operator_password_reset(actor=actor, society=staff_op.society, token=token,
                                             new_password1=NEW_PASSWORD, new_password2=NEW_PASSWORD)
        assert refused.value.code == "permission_denied"
    services.operator_password_reset(actor=staff_op, society=staff_op.society, token=token,
                                     new_password1=NEW_PASSWORD, new_password2=NEW_PASSWORD)
    assert sign_in(staff_op.email, NEW_PASSWORD) == "ok"


def test_the_reset_mail_is_kept_but_no_colleague_can_read_its_link(client, staff_op, admin_op, viewer_op, api,
                                                                    admin_api, django_capture_on_commit_callbacks):
    """Whoever holds the link sets that operator's password: the mail stays in the outbox, but neither the mail
    screens ([個人会員送信済みメール]) nor the API nor a support fact show it."""
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, admin_op.email)
    sent = SentMail.objects.get()
    token = LinkToken.objects.get().token
    assert sent.status == "sent" and token in sent.body  # kept, and sent with its link
    for web in (staff_op, viewer_op, admin_op):
        colleague = type(client)()
        colleague.force_login(web)
        listing = colleague.get("/admin/mail/sentmail/").content.decode()
        assert token not in listing and sent.subject not in listing
        assert colleague.get(f"/admin/mail/sentmail/{sent.pk}/change/").status_code in (302, 404)
        assert colleague.post(f"/admin/mail/sentmail/{sent.pk}/open-link/").status_code in (302, 403, 404)
        assert sent.subject not in colleague.get(f"/admin/mail/sentmail/?q={token}").content.decode()  # by its token
    for rest in (api, admin_api):
        assert token not in rest.get("/api/v1/sent-mails/").content.decode()
        assert rest.get(f"/api/v1/sent-mails/{sent.pk}/").status_code == 404
    assert sign_in(admin_op.email, PASSWORD) == "ok"


# --- the general page (the contract holder's, /login/): the 学会ID too ------------------------------------------------

GENERAL = "/login/password-reset/"


def test_seed001_cause4_the_general_page_links_to_a_reset_that_asks_the_society_id(client, admin_op,
                                                                                   django_capture_on_commit_callbacks):
    page = client.get("/login/").content.decode()
    href = re.search(r'<a href="([^"]+)" id="password-reset-link">', page).group(1)
    assert href == GENERAL
    form = client.get(href).content.decode()
    assert 'name="society"' in form and 'name="email"' in form
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(href, {"society": "ｊｓｂｏ", "email": admin_op.email})  # full width, as typed
    assert r.status_code == 200 and TAKEN in r.content.decode()
    sent = SentMail.objects.get()
    assert sent.to == admin_op.email and link_of(sent).startswith("/office/jsbo/password-reset/")
    assert set_password(client, link_of(sent)).status_code in (200, 302)
    assert sign_in(admin_op.email, NEW_PASSWORD) == "ok"


def test_the_general_pages_reset_tells_nothing_of_unknown_societies_and_needs_the_id(client, admin_op):
    r = client.post(GENERAL, {"society": "no-such-society", "email": admin_op.email})
    assert r.status_code == 200 and TAKEN in r.content.decode()  # the same answer as any request
    assert not SentMail.objects.exists() and not OperatorPasswordResetRequest.objects.exists()
    r = client.post(GENERAL, {"email": admin_op.email})
    assert r.status_code == 400 and not SentMail.objects.exists()
