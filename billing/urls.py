"""Billing's API routes under /api/v1/ (one module per concern)."""

from .api import exports, invoices, lapse, payments, reminders, runs, statements

urlpatterns = [
    *reminders.urlpatterns,  # before the invoices' routes: "invoices/remind/" is no invoice id
    *runs.urlpatterns,
    *invoices.urlpatterns,
    *payments.urlpatterns,
    *statements.urlpatterns,
    *exports.urlpatterns,
    *lapse.urlpatterns,
]
