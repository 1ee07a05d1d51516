"""SEC-6: an administrator whose society requires two-step sign-in and who has no authenticator yet is sent to the
enrolment page before anything else of the 事務局画面."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import reverse

ALLOWED = ("/admin/two-step/", "/admin/logout/", "/admin/jsi18n/", "/static/", "/login/", "/office/")


class TwoStepEnrolmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        path = request.path
        if (path.startswith("/admin/") and not path.startswith(ALLOWED) and user is not None
                and user.is_authenticated and getattr(user, "society", None) is not None
                and user.society.two_step_required_for_admins):
            from .services.two_step import two_step_on, two_step_required

            if two_step_required(user) and not two_step_on(user):
                return HttpResponseRedirect(reverse("two-step"))
        return self.get_response(request)
