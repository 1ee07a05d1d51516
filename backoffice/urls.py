from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice.errorpages import error_response
from simulator.views import clock_move_view, scenario_list_view, scenario_reset_view
from simulator.billing_views import mypage_invoices_view
from members.login_views import general_login_view, society_login_view
from members.password_reset_views import (general_password_reset_request_view, password_reset_confirm_view,
                                          password_reset_request_view)
from members.two_step_views import two_step_view


@csrf_exempt  # any method gets the JSON 404, not Django's CSRF page: nothing here reads a cookie or writes
def api_not_found(request, *args, **kwargs):
    return error_response(request, 404, "not_found", _("Not found."))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("login/", general_login_view, name="login"),
    path("login/password-reset/", general_password_reset_request_view, name="password-reset"),
    path("office/<slug:slug>/login/", society_login_view, name="office-login"),
    path("office/<slug:slug>/password-reset/", password_reset_request_view, name="office-password-reset"),
    path("office/<slug:slug>/password-reset/<str:token>/", password_reset_confirm_view,
         name="office-password-reset-confirm"),
    path("admin/login/", general_login_view, name="admin-login"),  # the admin's own door is the general page
    path("admin/two-step/", admin.site.admin_view(two_step_view), name="two-step"),
    path("admin/simulation/clock/", clock_move_view, name="sim-clock-move"),
    path("admin/simulation/scenarios/", scenario_list_view, name="sim-scenarios"),
    path("admin/simulation/scenarios/reset/", scenario_reset_view, name="sim-scenarios-reset"),
    path("admin/simulation/mypage/invoices/", mypage_invoices_view, name="sim-mypage-invoices-page"),
    path("admin/simulation/mypage/", include("simulator.mypage_urls")),
    path("admin/billing/", include("billing.admin.urls")),  # PDFs, downloads, 督促メール送信 (before the admin site)
    path("admin/support/", include("support.admin_urls")),  # the support console (before the admin site)
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("members.urls")),
    path("api/v1/", include("mail.urls")),
    path("api/v1/", include("billing.urls")),
    path("api/v1/", include("simulator.urls")),
    path("api/v1/", include("support.urls")),
    re_path(r"^api(?:/.*)?$", api_not_found),
]

# Errors outside DRF's views: JSON {code, detail, fields} under /api/, a Japanese page in the admin's look elsewhere.
handler400 = "backoffice.errorpages.bad_request"
handler403 = "backoffice.errorpages.permission_denied"
handler404 = "backoffice.errorpages.page_not_found"
handler500 = "backoffice.errorpages.server_error"
