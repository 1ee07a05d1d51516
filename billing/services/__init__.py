"""Every billing write (DESIGN "Where rules live" 1): import from the module of the concern —
``billing.services.runs`` (billing runs), ``.invoices`` (confirm, cancel, rename, adjust, single invoices),
``.payments`` (register, split, delete), ``.statements`` (入金消込), ``.reminders`` (督促), ``.lapse``."""
