"""Settings and the public API documentation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


PRODUCTION_ENV = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DB_CONN_MAX_AGE", "DJANGO_TRUSTED_PROXY_COUNT",
                  "EMAIL_BACKEND", "EMAIL_HOST", "DJANGO_SECURE_COOKIES", "DJANGO_CSRF_TRUSTED_ORIGINS",
                  "DJANGO_HTTPS", "DJANGO_HSTS_SECONDS", "DJANGO_HSTS_PRELOAD")
SECRET = "a-real-secret-0123456789-abcdefghijklmnop"


def _import_production(env: dict, show: str = "") -> subprocess.CompletedProcess:
    code = ("import django; import os; os.environ['DJANGO_SETTINGS_MODULE']='backoffice.settings.production'; "
            "django.setup()")
    if show:
        code += f"; from django.conf import settings as s; print(repr({show}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}, **env},
        capture_output=True, text=True,
    )


def test_production_refuses_the_development_secret():
    result = _import_production({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret():
    result = _import_production({"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "office.example.jp"})
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_its_host_names():
    result = _import_production({"DJANGO_SECRET_KEY": SECRET})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_settings_come_from_the_environment():
    """Issue 15 §2: host names, kept connections checked before reuse, the mail server, our proxies and cookies."""
    show = ("(s.DEBUG, s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, s.DATABASES['default']['CONN_MAX_AGE'], "
            "s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
            "s.TRUSTED_PROXY_COUNT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SESSION_COOKIE_SECURE)")
    result = _import_production({
        "DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "office.example.jp, app2.internal",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://office.example.jp", "DB_CONN_MAX_AGE": "60",
        "EMAIL_HOST": "smtp.example.jp", "EMAIL_PORT": "587", "DJANGO_TRUSTED_PROXY_COUNT": "1"}, show=show)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr((
        False, ["office.example.jp", "app2.internal"], ["https://office.example.jp"], 60, True,
        "django.core.mail.backends.smtp.EmailBackend", "smtp.example.jp", 587, 1, ("HTTP_X_FORWARDED_PROTO", "https"),
        True))
    plain = _import_production({"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "office.example.jp"},
                               show="(s.TRUSTED_PROXY_COUNT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))")
    assert plain.stdout.strip() == repr((0, None))  # no proxy of ours: X-Forwarded-Proto is anyone's to forge


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    for path in ("/api/v1/members/", "/api/v1/members/{id}/statuses/", "/api/v1/members/bulk-status/",
                 "/api/v1/member-numbers/pending/", "/api/v1/member-numbers/assign/", "/api/v1/member-types/",
                 "/api/v1/members/{id}/release-email/", "/api/v1/members/{id}/adjustments/", "/api/v1/auth/token/"):
        assert path in body
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content  # served from the installed sidecar, works offline
