"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright, a signed-in page, screenshots under
var/screenshots/. Tests are skipped where no chromium is on PATH (CI installs it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


# SEC-2: every page runs under the site's Content-Security-Policy (backoffice/security.py). A blocked inline script
# or style, eval or foreign resource fires `securitypolicyviolation`; this script (injected by Playwright before
# the page's own, which no CSP stops) logs it, and the `page` fixture fails the test that saw one.
CSP_VIOLATION_LOGGER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} `
                + `(${e.sourceFile || location.href}:${e.lineNumber}) on ${location.pathname}`);
});
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text


@pytest.fixture
def viewport():
    """The window size; a test module overrides this fixture to check another size."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(viewport):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="ja-JP", viewport=viewport)
        context.add_init_script(CSP_VIOLATION_LOGGER)
        page = context.new_page()
        page.csp_violations = []  # what a test (test_security_headers.py) may read; checked below for every test
        page.on("console", lambda m: page.csp_violations.append(m.text) if is_csp_violation(m.text) else None)
        yield page
        violations = list(page.csp_violations)
        browser.close()
    # The test's ORM calls ran while Playwright's greenlets were active; close what they opened so that
    # PostgreSQL can drop the test database at the end.
    from django.db import connections

    connections.close_all()
    assert not violations, f"Content-Security-Policy violations (SEC-2): {violations}"


def sign_in(page, live_server, operator):
    """At the operator's own door (SOC-4): the society's operator sign-in page, or the general page for the
    platform's accounts."""
    if operator.society_id:
        page.goto(f"{live_server.url}/office/{operator.society.slug}/login/")
    else:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=society]", "")
    page.fill("input[name=username]", operator.email)
    page.fill("input[name=password]", "password-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
