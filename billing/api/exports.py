"""Billing API: exports."""

urlpatterns: list = []
