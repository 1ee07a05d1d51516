"""Helpers of the simulator's tests."""

from __future__ import annotations

from rest_framework.test import APIClient


def client_for(operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(operator)
    return client
