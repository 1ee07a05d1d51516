"""Billing screens: exports."""
