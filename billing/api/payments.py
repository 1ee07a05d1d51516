"""Billing API: payments."""

urlpatterns: list = []
