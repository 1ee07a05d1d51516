"""Security headers every answer of the app carries (SEC-2, SEC-5; README "Security headers").

``SecurityHeadersMiddleware`` (after WhiteNoise in MIDDLEWARE: static files keep WhiteNoise's own caching and carry
no policy) adds, unless the view set its own:

- ``Content-Security-Policy`` on every HTML answer — the admin screens, the support console, the My Page
  simulator, the sign-in and error pages, the API docs (not on Django's own debug pages, DJANGO_DEBUG=1, which are
  made of inline scripts and styles): scripts, styles, fonts and images only from this site
  (no inline script, no ``on…=`` attribute, no inline ``<style>`` or ``style=""``: the templates keep theirs in
  static files), nothing may frame a page (``frame-ancestors 'none'``), forms post only here, no plug-ins, no
  ``<base>``. The one exception is the answer of DRF's browsable API (an API URL opened in a browser): its
  third-party templates carry ``style=""`` attributes, so that answer alone allows inline *styles* — never
  inline scripts.
- ``Permissions-Policy`` on every answer: no page of the product uses the camera, microphone, location, payment
  request, USB, serial, Bluetooth or other devices' features, so none may (nor a script that got in somehow), and
  pages opt out of interest-based advertising cohorts.
- ``Cache-Control: no-store`` and ``Pragma: no-cache`` on every answer that did not set its own caching: every
  page and every API answer may carry personal data (a member's record, a list, a CSV or PDF, the disclosure), so
  neither the browser nor a proxy keeps a copy (and the browser's back button after signing out asks the server
  again). An answer whose own Cache-Control already says ``no-store`` (the admin's ``never_cache``, the downloads)
  gets the ``Pragma`` too.

The other headers come from Django's SecurityMiddleware and XFrameOptionsMiddleware (settings/base.py):
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, ``Cross-Origin-Opener-Policy: same-origin``,
``X-Frame-Options: DENY``; in production also ``Strict-Transport-Security`` (settings/production.py).
"""

from __future__ import annotations

from django.conf import settings

#: The policy of every HTML page. ``data:`` images: the admin's and the API docs' style sheets draw small icons
#: as data: URLs (an image cannot run script).
PAGE_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

#: DRF's browsable API only: its templates set style="" attributes (float, width). Scripts stay 'self'.
BROWSABLE_API_POLICY: dict[str, str] = {**PAGE_POLICY, "style-src": "'self' 'unsafe-inline'"}


#: The browser features no page uses (SEC-2): each allowed to no origin at all.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "bluetooth", "camera", "display-capture", "geolocation", "gyroscope", "hid", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "serial", "usb", "xr-spatial-tracking",
    "browsing-topics", "interest-cohort"))


def policy_header(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


PAGE_CSP = policy_header(PAGE_POLICY)
BROWSABLE_API_CSP = policy_header(BROWSABLE_API_POLICY)


def _is_browsable_api(response) -> bool:
    from rest_framework.renderers import BrowsableAPIRenderer

    return isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Content-Security-Policy")
            and not (settings.DEBUG and response.status_code >= 400)  # Django's debug pages: inline script/style
        ):
            response["Content-Security-Policy"] = BROWSABLE_API_CSP if _is_browsable_api(response) else PAGE_CSP
        if not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        if "no-store" in response["Cache-Control"] and not response.has_header("Pragma"):
            response["Pragma"] = "no-cache"
        return response
