"""Issue 12, point 11: `make demo` serves the product's own error pages, without DEBUG, and still serves every
static file (WhiteNoise). The demo's server is started as the Makefile starts it: manage.py's default
settings, no DJANGO_DEBUG, `runserver` (which serves static files itself only with DEBUG on)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]

#: one file of each app whose pages need them: the admin, htmx (billing runs' progress), DRF's browsable API,
#: the API docs (drf-spectacular-sidecar) and the product's own stylesheets
STATIC_FILES = [
    ("/static/admin/css/base.css", "text/css"),
    ("/static/django_htmx/htmx-2.min.js", "javascript"),
    ("/static/rest_framework/css/bootstrap.min.css", "text/css"),
    ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", "text/css"),
    ("/static/members/css/secretariat.css", "text/css"),
    ("/static/billing/billing.css", "text/css"),
    # what the pages held inline before the Content-Security-Policy (backoffice/security.py)
    ("/static/backoffice/audit.css", "text/css"),
    ("/static/backoffice/swagger_ui.css", "text/css"),
    ("/static/backoffice/error_page.js", "javascript"),
    ("/static/billing/lapse.js", "javascript"),
    ("/static/mail/mail.css", "text/css"),
    ("/static/simulator/mypage.css", "text/css"),
    ("/static/members/css/login.css", "text/css"),
]


def demo_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", PYTHONWARNINGS="ignore", **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                            cwd=ROOT, env=demo_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if proc.poll() is not None:
                pytest.fail(f"the demo server stopped: {proc.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_issue12_11_demo_404_is_the_products_japanese_page(demo_server):
    """Point 11: a 404 of the demo answers the product's Japanese page, not Django's debug page listing every URL
    pattern; its stylesheet loads."""
    for host in ("127.0.0.1", "localhost"):  # ALLOWED_HOSTS of the demo
        status, _, html = fetch(demo_server.replace("127.0.0.1", host) + "/no-such-page/")
        assert status == 404, host
        assert "ページが見つかりません" in html and "お探しのページは存在しないか、表示する権限がありません。" in html
        assert "URLconf" not in html and "DEBUG = True" not in html
    assert fetch(demo_server + "/static/admin/css/base.css")[0] == 200


def test_issue12_11_demo_serves_static_files_without_debug(demo_server):
    """Point 11: with DEBUG off the demo's server serves the admin's, htmx's, DRF's, the API docs' and the
    product's static files (WhiteNoise), so the screens keep their look and the billing run its progress."""
    for path, content_type in STATIC_FILES:
        status, got_type, body = fetch(demo_server + path)
        assert (status, content_type in got_type) == (200, True), path
        assert body.strip(), path
    status, _, html = fetch(demo_server + "/api/docs/")
    assert status == 200 and "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html


def test_issue12_11_debug_stays_available_for_developers(tmp_path):
    """Point 11: DEBUG is off by default and DJANGO_DEBUG=1 turns it on."""
    code = "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)"
    for extra, expected in (({}, "False"), ({"DJANGO_DEBUG": "1"}, "True")):
        env = demo_env(tmp_path, DJANGO_SETTINGS_MODULE="backoffice.settings.base", **extra)
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
        assert out.stdout.strip() == expected, extra


@pytest.mark.django_db
def test_issue12_11_static_files_pass_through_whitenoise_in_the_app(settings):
    """Point 11: the app itself (its middleware, not a test or development server's handler) serves static files
    with DEBUG off."""
    assert settings.DEBUG is False
    client = Client()
    for path, content_type in STATIC_FILES:
        r = client.get(path)
        assert r.status_code == 200, path
        assert content_type in r["Content-Type"], path
        assert b"".join(r.streaming_content).strip(), path
