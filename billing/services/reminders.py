"""Billing services: reminders."""
