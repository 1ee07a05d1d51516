"""Billing's API routes under /api/v1/ (one module per concern)."""

from .api import exports, invoices, lapse, payments, runs, statements

urlpatterns = [
    *runs.urlpatterns,
    *invoices.urlpatterns,
    *payments.urlpatterns,
    *statements.urlpatterns,
    *exports.urlpatterns,
    *lapse.urlpatterns,
]
