"""Settings shared by every environment. Secrets and the database come from the environment."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Off unless asked for (DJANGO_DEBUG=1, a developer's choice): the demo shows the product's own error pages.
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "backoffice.apps.SecretariatAdminConfig",  # django.contrib.admin with the secretariat's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks.backends.database",
    "django_otp",  # SEC-6: two-step sign-in (TOTP devices and recovery codes; members/services/two_step.py)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "backoffice",
    "mail",
    "members",
    "billing",
    "simulator",
    "support",
]

# SEC-6: the sign-in's own rate limit (API.md "Rate limits", every door, society clock) bounds code guessing;
# django-otp's per-device back-off would refuse a right code seconds after a typo.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "学会事務局 Back Office"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, with or without DEBUG (WHITENOISE_USE_FINDERS)
    # Content-Security-Policy on HTML, no-store on every answer (static files above keep their caching)
    "backoffice.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL bytes in path, query, cookies and forms; lock conflicts as 409 (after Locale: it answers in Japanese)
    "backoffice.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "members.middleware.TwoStepEnrolmentMiddleware",  # SEC-6: an admin who must enrol does so first
]

# Headers of every answer (README "Security headers"; CSP and no-store: backoffice/security.py; HSTS and the HTTPS
# redirect: settings/production.py). Django's defaults, written out so that they are not changed unnoticed.
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff
SECURE_REFERRER_POLICY = "same-origin"  # a member's URL (/admin/members/member/123/) never leaves the site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # the admin's own pop-ups (same origin) keep working
X_FRAME_OPTIONS = "DENY"  # with CSP frame-ancestors 'none': no page can be framed (clickjacking)

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo server answers requests in threads and the task worker shares the file. WAL lets readers go on
    # while one writer writes; IMMEDIATE makes every transaction.atomic() take the write lock at BEGIN, so a
    # transaction never reads first and then fails to upgrade its lock (SQLite's "database is locked" that no
    # busy timeout can cure); the busy timeout makes a second writer wait its turn instead of failing at once.
    # A wait longer than the timeout still fails, and answers 409 database_busy (backoffice.dberrors).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite builds covering indexes (Index(include=…), e.g. members.MemberStatus's status look-up) without their
    # extra columns, as intended: they are for PostgreSQL's index-only scans.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.Operator"
# The model whose primary key AuditEntry.society_id holds: the audit screens show the society by name
# without the core importing an app.
SOCIETY_MODEL = "members.Society"
AUTHENTICATION_BACKENDS = ["members.auth.OperatorBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the static files (the admin's, DRF's, the API docs' from drf-spectacular-sidecar, htmx, ours)
# straight from the apps' folders through Django's finders, listed at start-up (and looked up on each request
# while DEBUG is on): neither `make demo` nor a developer needs a collectstatic step.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "admin:login"
CSRF_FAILURE_VIEW = "backoffice.errorpages.csrf_failure"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply.confit@atlas.jp")
#: Where the site is reached, for the links of mails written without a request (seed_demo, reset_scenarios).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000")

#: How many reverse proxies of ours stand in front of the app servers. 0 (the default): the client address is
#: REMOTE_ADDR and X-Forwarded-For is ignored (anyone can forge it). N: the address the outermost of our N
#: proxies saw, read from X-Forwarded-For (backoffice.http.client_address). Counted by the My Page
#: sign-in's per-address rate limit.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))

TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backoffice.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backoffice.permissions.IsSocietyOperator"],
    "DEFAULT_PAGINATION_CLASS": "backoffice.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "backoffice.parsers.JSONParser",
        "backoffice.parsers.FormParser",
        "backoffice.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "backoffice.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "backoffice.schema.AutoSchema",  # the constraints the fields enforce
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "学会事務局 Back Office API",
    "DESCRIPTION": "REST API v1 (see API.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # requests and answers have components of their own (``MemberTypeRequest``): a request declares what the API
    # accepts (backoffice/schema.py), an answer what it gives
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # the Error component {code, detail, fields} and each operation's error answers
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "backoffice.schema.add_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "MemberKindEnum": "members.models.Member.Kind",
        "AdjustmentKindEnum": "members.models.MemberAdjustment.Kind",
        "MemberStatusEnum": "members.models.Status",
        "PaymentMethodEnum": "billing.models.PaymentMethod",
        "OfflinePaymentMethodEnum": "billing.api.payments.OFFLINE_METHODS",
        "OnlinePaymentMethodEnum": "simulator.billing_api.ONLINE_METHOD_VALUES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
