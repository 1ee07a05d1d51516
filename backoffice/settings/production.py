"""Production settings (README "Running on more than one machine"): everything that differs per installation comes
from the environment, so every app server and task worker of an installation runs the same code with the same
environment and keeps nothing of its own — PostgreSQL (DATABASE_URL) is the one shared part.

Required: DJANGO_SECRET_KEY (the same on every app server: it signs the sessions), DJANGO_ALLOWED_HOSTS.
Optional: DATABASE_URL, DB_CONN_MAX_AGE (seconds a connection is kept; checked before reuse), EMAIL_BACKEND and
EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS, DEFAULT_FROM_EMAIL, DJANGO_SITE_URL,
DJANGO_TRUSTED_PROXY_COUNT (our reverse proxies in front; also trusts their X-Forwarded-Proto), DJANGO_CSRF_TRUSTED_ORIGINS,
DJANGO_HTTPS, DJANGO_HSTS_SECONDS, DJANGO_HSTS_PRELOAD (below), LOG_LEVEL.

HTTPS (README "Security headers"). DJANGO_HTTPS=1 (the default) says the site is reached only over HTTPS: a plain
HTTP request is redirected to https:// (SECURE_SSL_REDIRECT), every answer carries Strict-Transport-Security
(DJANGO_HSTS_SECONDS, one year by default, subdomains included; DJANGO_HSTS_PRELOAD=1 adds `preload`, off by
default: the preload list is a commitment of the whole domain that outlives this installation, so an operator
opts in knowingly — `check --deploy`'s reminder of it, security.W021, is silenced only while it is off), and the
session and CSRF cookies are sent only over HTTPS. Where TLS ends at our reverse proxy, DJANGO_TRUSTED_PROXY_COUNT
must be set so that its X-Forwarded-Proto tells the app the client's scheme (else every request looks like HTTP
and is redirected again). DJANGO_HTTPS=0 turns all of it off, only for a loopback test without TLS
(tests/backoffice/test_production_recipe.py); DJANGO_SECURE_COOKIES=0, its older name, does the same.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, DEVELOPMENT_SECRET_KEY, SECRET_KEY, TRUSTED_PROXY_COUNT


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


if not os.environ.get("DJANGO_SECRET_KEY") or SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a real secret in production.")
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the host names the site is reached by (comma-separated).")
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

DEBUG = False

# A kept connection (DB_CONN_MAX_AGE > 0, read by base.py) is checked before a request reuses it, so a PostgreSQL
# restart or a dropped connection costs one reconnect, not an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

# Behind our own reverse proxies (TRUSTED_PROXY_COUNT > 0), the scheme the client used is the proxy's
# X-Forwarded-Proto (the client address is read in backoffice.http.client_address).
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

HTTPS_ONLY = os.environ.get("DJANGO_HTTPS", os.environ.get("DJANGO_SECURE_COOKIES", "1")) != "0"
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600))) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY and os.environ.get("DJANGO_HSTS_PRELOAD", "0") == "1"
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]
