"""Billing screens: statements."""
