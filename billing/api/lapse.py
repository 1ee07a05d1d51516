"""Billing API: lapse."""

urlpatterns: list = []
