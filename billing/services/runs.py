"""Billing services: runs."""
