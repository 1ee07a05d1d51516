"""Billing services: statements."""
