"""APS-2 / SEC-1: the suite-wide password scan (tests/password_scan.py) really catches a leak — in a page, a
streamed body, JSON, a redirect, a mail, an audit entry and a log record — and names where it was."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from backoffice import audit
from tests import password_scan
from tests.password_scan import Scanner, expect_leaks

SECRET = "leaky-Secret-42"


def leak_page(request):
    return HttpResponse(f"<p>your password is {SECRET}</p>")


def leak_hash(request):
    return JsonResponse({"hash": make_password("another-secret-7")})


def leak_stream(request):
    return StreamingHttpResponse(iter(["id,password\r\n", f"1,{SECRET}\r\n"]), content_type="text/csv")


def leak_redirect(request):
    return HttpResponseRedirect(f"/next/?pw={SECRET}")


def clean_page(request):
    return HttpResponse("<p>パスワードはセキュリティ上閲覧できないようになっています。</p>")


urlpatterns = [
    path("leak/page/", leak_page),
    path("leak/hash/", leak_hash),
    path("leak/stream/", leak_stream),
    path("leak/redirect/", leak_redirect),
    path("clean/", clean_page),
]


def test_aps2_scanner_finds_plaintexts_and_hashes_and_passes_clean_text():
    scanner = Scanner()
    scanner.remember(SECRET)
    scanner.remember("abc")  # too short to look for
    scanner.remember("[[[[[[]]]]]]")  # filler the bad-input tests type into every field
    assert scanner.passwords == {SECRET}
    assert [f.what for f in scanner.check("page", f"<b>{SECRET}</b>")] == [f"the password {SECRET!r}"]
    assert scanner.check("html", "leaky-Secret-42".replace("-", "&#45;"))  # escaped in HTML
    assert scanner.check("json", '{"p": "leaky\\u002dSecret-42"}')  # escaped in JSON
    assert scanner.check("url", "/x/?p=leaky-Secret%2D42")
    for hashed in ("pbkdf2_sha256$1000000$salt$abcdefgh=", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
                   "bcrypt_sha256$$2b$12$abcdefghijk", "md5$salt$0123456789abcdef"):
        assert [f.what for f in scanner.check("x", f"a {hashed} b")] == ["a password hash"], hashed
    assert scanner.check("clean", "abc パスワードは閲覧できません md5 checksum $5") == []


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_aps2_scan_catches_leaks_in_responses_and_names_the_url(client):
    make_password(SECRET)  # the suite "uses" this password: the scan now looks for it
    with expect_leaks() as found:
        client.get("/clean/")
        client.get("/leak/page/")
        client.get("/leak/hash/")
        streamed = client.get("/leak/stream/")
        assert b"".join(streamed.streaming_content).endswith(f"{SECRET}\r\n".encode())  # still streams as before
        client.get("/leak/redirect/")
    where = {f.where: f.what for f in found}
    assert where == {
        "response GET /leak/page/ (200)": f"the password {SECRET!r}",
        "response GET /leak/hash/ (200)": "a password hash",
        "response GET /leak/stream/ (200)": f"the password {SECRET!r}",
        "response GET /leak/redirect/ (302) Location": f"the password {SECRET!r}",
    }, found


@pytest.mark.django_db
def test_aps2_sec1_scan_catches_leaks_in_mail_audit_and_logs(society, staff_op):
    make_password(SECRET)
    with expect_leaks() as found:
        mail.send_mail("subject", f"body {SECRET}", "from@example.jp", ["to@example.jp"])
        password_scan._record_outbox()
        audit.record(actor=staff_op, action="test.leak", target=society, after={"password": staff_op.password})
        logging.getLogger("tests.leak").warning("signing in with %s", SECRET)
    assert {f.where.split(" ")[0] for f in found} == {"mail.outbox", "AuditEntry", "log"}, found
    assert next(f for f in found if f.where.startswith("AuditEntry")).what == "a password hash"
    mail.outbox.clear()


def test_aps2_my_page_sign_in_passwords_are_remembered_even_without_a_hasher(db, society):
    from members import services

    services.mypage_sign_in(actor="system: test", society=society, email="nobody@example.jp", password="typed-for-nobody")
    assert "typed-for-nobody" in password_scan.SCANNER.passwords
