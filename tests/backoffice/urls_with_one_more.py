"""The project's URLs plus one new path (tests/backoffice/test_role_url_table.py: the completeness check names it)."""

from django.http import HttpResponse
from django.urls import include, path


def new_screen(request, pk):
    return HttpResponse("new")


urlpatterns = [
    path("admin/reports/new-screen/<int:pk>/", new_screen, name="new-screen"),
    path("", include("backoffice.urls")),
]
