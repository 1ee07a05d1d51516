"""Billing screens: payments."""
