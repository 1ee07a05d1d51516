"""Billing's screens (事務局画面), one module per concern."""

from . import exports, invoices, lapse, links, payments, runs, statements  # noqa: F401  (registers the admins)

exports.register_actions()  # the actions billing adds to other screens, once they are all registered
links.register()  # billing's shortcuts on the first page and links on a member's page
