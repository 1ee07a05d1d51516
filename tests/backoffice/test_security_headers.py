"""Issue 16 §6: the headers every answer carries (backoffice/security.py, settings/base.py, settings/production.py;
README "Security headers").

- SEC-2 (CSRF, escaping, permission checks): `check --deploy` is clean under the production settings; HTTPS only
  there (redirect, HSTS, secure cookies) unless DJANGO_HTTPS=0; a Content-Security-Policy without inline scripts
  or styles on every HTML page, which the templates obey (no inline <script>, on…= or style); no page can be
  framed; no content-type sniffing; the referrer never leaves the site.
- SEC-5 (personal data): `Cache-Control: no-store` and `Pragma: no-cache` on every page and API answer — a
  member's page, the API, CSV and PDF downloads —, while static files keep their caching.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from backoffice.security import PAGE_CSP
from billing.factories import InvoiceFactory
from billing.selectors import current_fiscal_year
from members.factories import MemberFactory, MemberTypeFactory, OperatorFactory, SocietyFactory

from .test_settings import PRODUCTION_ENV, SECRET

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_ENV = (*PRODUCTION_ENV, "DATABASE_URL", "DJANGO_SETTINGS_MODULE",
                "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests set the last one; check --deploy refuses it


def _production(code: str, **env: str) -> subprocess.CompletedProcess:
    """Python code run with the production settings (a new process: they read the environment once)."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if k not in SETTINGS_ENV},
             "DJANGO_SETTINGS_MODULE": "backoffice.settings.production", "DJANGO_SECRET_KEY": SECRET,
             "DJANGO_ALLOWED_HOSTS": "office.example.jp,testserver", **env},
    )


def _settings(names: str, **env: str) -> tuple:
    result = _production(f"from django.conf import settings as s; print(repr(({names},)))", **env)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip())  # noqa: S307  (our own repr of settings values)


HTTPS_SETTINGS = ("s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
                  "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE")


def test_sec2_check_deploy_is_clean_under_the_production_settings():
    result = _production(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50))  # what README tells to generate; check --deploy wants 50+
    assert result.returncode == 0, result.stderr[-3000:]
    assert "System check identified no issues" in result.stdout, result.stdout


def test_sec2_production_is_https_only_with_hsts_a_year_including_subdomains_without_preload():
    assert _settings(HTTPS_SETTINGS) == (True, 365 * 24 * 3600, True, False, True, True)
    assert _settings("s.SECURE_HSTS_SECONDS", DJANGO_HSTS_SECONDS="600") == (600,)


def test_sec2_hsts_preload_is_an_opt_in_and_then_not_silenced():
    silenced = "'security.W021' in s.SILENCED_SYSTEM_CHECKS"
    assert _settings(f"s.SECURE_HSTS_PRELOAD, {silenced}") == (False, True)
    assert _settings(f"s.SECURE_HSTS_PRELOAD, {silenced}", DJANGO_HSTS_PRELOAD="1") == (True, False)


@pytest.mark.parametrize("switch", ["DJANGO_HTTPS", "DJANGO_SECURE_COOKIES"])
def test_sec2_plain_http_only_for_a_loopback_test(switch):
    """DJANGO_HTTPS=0 (or its older name DJANGO_SECURE_COOKIES=0), as test_production_recipe.py sets it."""
    assert _settings(HTTPS_SETTINGS, **{switch: "0"}) == (False, 0, False, False, False, False)


REQUESTS = """
from django.test import Client
for secure, proto in ((False, None), (True, None), (False, 'https')):
    headers = {'HTTP_X_FORWARDED_PROTO': proto} if proto else {}
    r = Client().get('/static/admin/css/base.css', secure=secure, **headers)
    print(r.status_code, r.get('Location'), r.get('Strict-Transport-Security'))
"""


def test_sec2_production_redirects_http_to_https_and_answers_https_with_hsts():
    lines = _production(REQUESTS).stdout.splitlines()
    assert lines == [
        "301 https://testserver/static/admin/css/base.css None",
        "200 None max-age=31536000; includeSubDomains",
        "301 https://testserver/static/admin/css/base.css None",  # X-Forwarded-Proto of no proxy of ours: ignored
    ]
    behind_our_proxy = _production(REQUESTS, DJANGO_TRUSTED_PROXY_COUNT="1").stdout.splitlines()
    assert behind_our_proxy[2] == "200 None max-age=31536000; includeSubDomains"  # TLS ended at our proxy
    plain = _production(REQUESTS, DJANGO_HTTPS="0").stdout.splitlines()
    assert plain[0] == "200 None None"  # the loopback recipe: plain HTTP answered


# --- pages: Content-Security-Policy and the other headers (SEC-2) ---

def assert_page_headers(response) -> None:
    assert response["Content-Security-Policy"] == PAGE_CSP, response.get("Content-Security-Policy")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(part.split("=", 1) for part in response["Permissions-Policy"].split(", "))
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(features)
    assert set(features.values()) == {"()"}  # no origin may use any of them


def test_sec2_api_answers_allow_no_device_feature_either(api):
    response = api.get("/api/v1/members/")
    assert "camera=()" in response["Permissions-Policy"] and "Content-Security-Policy" not in response


def test_sec2_the_policy_allows_nothing_inline_and_no_framing():
    directives = dict(part.split(" ", 1) for part in PAGE_CSP.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in PAGE_CSP


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/office/jsbo/login/", "/admin/login/", "/api/docs/",
                                 "/no-such-page/"])
def test_sec2_sign_in_pages_docs_and_error_pages_carry_the_policy(client, society, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    assert_page_headers(response)


@pytest.mark.django_db
def test_sec2_the_secretariat_screens_carry_the_policy(client, staff_op, society, regular_type):
    member = MemberFactory(society=society, member_type=regular_type)
    client.force_login(staff_op)
    for url in ("/admin/", f"/admin/members/member/{member.pk}/change/", "/admin/members/member/",
                reverse("support-page-cases"), "/admin/backoffice/auditentry/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_headers(response)


@pytest.mark.django_db
def test_sec2_the_my_page_simulator_carries_the_policy(client):
    sandbox = SocietyFactory(slug="training", is_sandbox=True)
    MemberTypeFactory(society=sandbox, code="regular")
    client.force_login(OperatorFactory(society=sandbox, role="trainer"))
    response = client.get(reverse("sim-mypage"))
    assert response.status_code == 200
    assert_page_headers(response)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_sec2_drfs_browsable_api_alone_may_use_inline_styles_never_inline_scripts(client, staff_op):
    client.force_login(staff_op)
    response = client.get("/api/v1/members/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_sec2_a_view_may_set_its_own_policy(rf):
    from django.http import HttpResponse

    from backoffice.security import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("<p>ok</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        response["Cache-Control"] = "max-age=60"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cache-Control"] == "max-age=60" and not response.has_header("Pragma")


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "an on…= handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an inline <style>": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
}


def test_sec2_no_template_holds_what_the_policy_blocks():
    """Inline scripts, handlers and styles would be refused by the browser: they live in static files."""
    found = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)  # template comments may name them
            found += [f"{path.relative_to(ROOT)}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert len(TEMPLATE_DIRS) > 5 and not found, found


# --- no-store on personal data (SEC-5) ---

def assert_not_stored(response) -> None:
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")
    assert response["Pragma"] == "no-cache"


@pytest.mark.django_db
def test_sec5_member_pages_api_csv_and_pdf_are_never_stored(client, api, staff_op, society, regular_type):
    member = MemberFactory(society=society, member_type=regular_type)
    invoice = InvoiceFactory(member=member, fiscal_year=current_fiscal_year(society))
    client.force_login(staff_op)
    for url in (f"/admin/members/member/{member.pk}/change/", reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}),
                f"/admin/billing/export/member/{member.pk}/billing.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_not_stored(response)
    for url in (f"/api/v1/members/{member.pk}/", "/api/v1/members/", f"/api/v1/invoices/{invoice.pk}/pdf/",
                "/api/v1/exports/billing.csv", "/api/v1/sim/clock/"):
        response = api.get(url)
        assert response.status_code in (200, 403), url  # the clock outside a sandbox: 403 not_sandbox
        assert_not_stored(response)


@pytest.mark.django_db
def test_sec5_the_disclosure_download_is_never_stored(admin_op, society, regular_type, client):
    member = MemberFactory(society=society, member_type=regular_type)
    client.force_login(admin_op)
    response = client.get(f"/api/v1/members/{member.pk}/disclosure/")
    assert response.status_code == 200
    assert_not_stored(response)


@pytest.mark.django_db
def test_sec5_an_unsigned_answer_is_not_stored_either(client):
    for url in ("/login/", "/api/v1/members/"):
        assert_not_stored(client.get(url))


def test_sec5_static_files_keep_their_caching(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "") and "max-age" in response["Cache-Control"]
    assert not response.has_header("Pragma") and not response.has_header("Content-Security-Policy")


def test_sec2_djangos_debug_pages_keep_their_inline_scripts_for_a_developer(rf, settings):
    """DJANGO_DEBUG=1 (development only): Django's technical error pages are inline scripts and styles."""
    from django.http import HttpResponse, HttpResponseNotFound

    from backoffice.security import SecurityHeadersMiddleware

    settings.DEBUG = True
    assert not SecurityHeadersMiddleware(lambda r: HttpResponseNotFound("<p>debug</p>"))(rf.get("/")).has_header(
        "Content-Security-Policy")
    assert SecurityHeadersMiddleware(lambda r: HttpResponse("<p>page</p>"))(rf.get("/"))[
        "Content-Security-Policy"] == PAGE_CSP
    settings.DEBUG = False
    assert SecurityHeadersMiddleware(lambda r: HttpResponseNotFound("<p>404</p>"))(rf.get("/"))[
        "Content-Security-Policy"] == PAGE_CSP
