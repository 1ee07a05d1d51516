"""Billing services: payments."""
