"""Billing screens: invoices."""
