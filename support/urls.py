from django.urls import path

from . import api

urlpatterns = [
    path("support/flows/", api.FlowListView.as_view(), name="support-flows"),
    path("support/cases/", api.CaseCreateView.as_view(), name="support-cases"),
    path("support/cases/<int:pk>/", api.CaseDetailView.as_view(), name="support-case"),
    path("support/cases/<int:pk>/answer/", api.CaseAnswerView.as_view(), name="support-case-answer"),
    path("support/cases/<int:pk>/back/", api.CaseBackView.as_view(), name="support-case-back"),
    path("support/cases/<int:pk>/actions/", api.CaseActionView.as_view(), name="support-case-actions"),
    path("support/stats/", api.StatsView.as_view(), name="support-stats"),
    path("support/triage/", api.TriageView.as_view(), name="support-triage"),
    path("support/procedures/", api.ProcedureListView.as_view(), name="support-procedures"),
    path("support/procedures/preview/", api.ProcedurePreviewView.as_view(), name="support-procedure-preview"),
    path("support/procedures/run/", api.ProcedureRunView.as_view(), name="support-procedure-run"),
]
