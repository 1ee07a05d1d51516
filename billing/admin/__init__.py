"""Billing's screens (事務局画面), one module per concern."""

from . import exports, invoices, lapse, payments, runs, statements  # noqa: F401  (registers the admins)

exports.register_actions()  # the actions billing adds to other screens, once they are all registered
