"""Billing API: runs."""

urlpatterns: list = []
