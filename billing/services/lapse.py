"""Billing services: lapse."""
