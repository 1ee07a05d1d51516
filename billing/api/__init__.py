"""Billing's REST API (API.md, Billing and payments; Bank statements), one module per concern; each
module exposes ``urlpatterns``, gathered by ``billing.urls``."""
