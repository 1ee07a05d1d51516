"""Issue 15 §2: the production recipe of the README ("Running on more than one machine") works as written.

From a fresh environment — only what the README says to set: DATABASE_URL (a new PostgreSQL database),
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DB_CONN_MAX_AGE — `make serve` migrates and starts gunicorn (two workers)
and a task worker; the test signs in at the sign-in page over HTTP as a society's administrator, requests a billing
run through the API, sees the task worker carry it out and its invoices listed, reads a static file from the app
(WhiteNoise), then stops everything and checks that nothing is left listening. Bounded: every wait has a limit,
and the processes are ended by their process group whatever happens. Skipped without PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # migrate a new database, then the first answer of gunicorn
RUN_SECONDS = 90
STOP_SECONDS = 30
PASSWORD = "serve-recipe-pass-2026"

SEED = """
from members import services
from members.factories import MemberTypeFactory, SocietyFactory, bulk_create_members
society = SocietyFactory(slug="prod", name="本番確認学会")
regular = MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10000)
bulk_create_members(society, [regular], 40, email_prefix="serve")
services.operator_create(actor="system: test", society=society, email="admin@prod.example.jp",
                         password=%r, role="admin", name="本番 管理者")
""" % PASSWORD


def postgres_url() -> str | None:
    """The PostgreSQL server of this test run (DATABASE_URL), with a database of this test's own."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}_serve_recipe"))


def _admin_connection(url: str):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def fresh_database():
    url = postgres_url()
    if url is None:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): the recipe's shared database")
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Browser:
    """Cookies and CSRF like a browser's, over plain HTTP to the loopback address."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, method: str, path: str, *, form=None, body=None) -> tuple[int, str, str]:
        headers = {"Referer": self.base + "/"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.csrf()})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as answer:
                return answer.status, answer.geturl(), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


def test_issue15_make_serve_runs_gunicorn_and_a_task_worker_on_postgresql(fresh_database, tmp_path):
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "PYTHON": sys.executable,
        "DATABASE_URL": fresh_database,
        "DJANGO_SECRET_KEY": "serve-recipe-" + os.urandom(16).hex(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "60",
        "DJANGO_HTTPS": "0",  # plain HTTP on the loopback address: no HTTPS redirect, HSTS or secure-only cookies
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", "WEB_WORKERS=2", "TASK_WORKERS=1", f"BIND=127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def output() -> str:
        log.flush()
        return (tmp_path / "serve.log").read_text()[-4000:]

    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(port):
            assert server.poll() is None, f"make serve ended ({server.returncode}):\n{output()}"
            assert time.monotonic() < deadline, f"gunicorn did not answer within {START_SECONDS} s:\n{output()}"
            time.sleep(0.5)
        seeded = subprocess.run([sys.executable, "manage.py", "shell", "-c", SEED], cwd=ROOT, timeout=120,
                                env={**env, "DJANGO_SETTINGS_MODULE": "backoffice.settings.production"},
                                capture_output=True, text=True)
        assert seeded.returncode == 0, seeded.stderr[-3000:]

        browser = Browser(f"http://127.0.0.1:{port}")
        status, _url, page = browser.request("GET", "/admin/login/")
        assert status == 200 and "学会ID" in page, page[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, url, page = browser.request("POST", "/admin/login/", form={
            "csrfmiddlewaretoken": token, "society": "prod", "username": "admin@prod.example.jp",
            "password": PASSWORD, "next": "/admin/"})
        assert status == 200 and url.endswith("/admin/") and "本番確認学会" in page, (status, url, page[:800])

        status, _url, static = browser.request("GET", "/static/admin/css/base.css")
        assert status == 200 and "body" in static  # the app serves its static files itself (WhiteNoise)

        status, _url, text = browser.request("POST", "/api/v1/billing-runs/", body={
            "name": "2026年度 年会費", "category": "annual", "fiscal_year": 2026, "allocation_start": "2026-04",
            "due_date": "2026-05-31", "exclude_member_types": []})
        assert status == 202, text
        run = json.loads(text)
        deadline = time.monotonic() + RUN_SECONDS
        while run["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, f"the task worker did not finish the run in {RUN_SECONDS} s: {run}"
            time.sleep(0.5)
            status, _url, text = browser.request("GET", f"/api/v1/billing-runs/{run['id']}/")
            assert status == 200, text
            run = json.loads(text)
        assert run["status"] == "done", (run, output())
        status, _url, text = browser.request("GET", "/api/v1/members/?status=active")
        active = json.loads(text)["count"]
        assert 0 < active < 40 and run["created_count"] == active, (run, active)  # one invoice per active member

        status, _url, text = browser.request("GET", f"/api/v1/invoices/?run={run['id']}&page_size=100")
        assert status == 200, text
        invoices = json.loads(text)
        assert invoices["count"] == run["created_count"] == len(invoices["results"])
        status, _url, page = browser.request("GET", "/admin/billing/invoice/")
        assert status == 200 and "2026年度 年会費" in page
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # make, gunicorn and its workers, the task worker: one group
            try:
                server.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=STOP_SECONDS)
        deadline = time.monotonic() + STOP_SECONDS
        while _group_alive(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    assert not _listening(port), "gunicorn still answers after the stop"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
