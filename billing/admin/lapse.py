"""Billing screens: lapse."""
