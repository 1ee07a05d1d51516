"""Billing API: invoices."""

urlpatterns: list = []
