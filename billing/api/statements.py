"""Billing API: statements."""

urlpatterns: list = []
