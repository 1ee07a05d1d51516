"""The support console's screens under /admin/support/ (included before the admin site, as billing's)."""

from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.case_list_view, name="support-page-cases"),
    path("stats/", views.stats_page_view, name="support-page-stats"),
    path("start/", views.case_start_view, name="support-page-start"),
    path("cases/<int:pk>/", views.case_detail_view, name="support-page-case"),
    path("cases/<int:pk>/answer/", views.case_answer_view, name="support-page-answer"),
    path("cases/<int:pk>/back/", views.case_back_view, name="support-page-back"),
    path("cases/<int:pk>/actions/preview/", views.case_action_preview_view, name="support-page-action-preview"),
    path("cases/<int:pk>/actions/run/", views.case_action_run_view, name="support-page-action-run"),
    path("cases/<int:pk>/notes/", views.case_note_view, name="support-page-note"),
    path("cases/<int:pk>/resume/", views.case_resume_view, name="support-page-resume"),
    path("procedures/<slug:procedure_id>/", views.procedure_page_view, name="support-page-procedure"),
]
