"""Billing screens: runs."""
