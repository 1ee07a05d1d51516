"""Settings and the public API documentation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _import_production(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; import os; os.environ['DJANGO_SETTINGS_MODULE']='backoffice.settings.production'; django.setup()"],
        cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}, **env},
        capture_output=True, text=True,
    )


def test_production_refuses_the_development_secret():
    result = _import_production({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret():
    result = _import_production({"DJANGO_SECRET_KEY": "a-real-secret-0123456789-abcdefghijklmnop"})
    assert result.returncode == 0, result.stderr


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
