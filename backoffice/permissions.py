"""Permission classes every API view uses (SOC-3 roles)."""

from __future__ import annotations

from rest_framework import permissions

WRITE_ROLES = {"admin", "staff", "trainer"}


def operator_society(user):
    """The society an operator works in (None for a platform superuser without one)."""
    return getattr(user, "society", None)


class IsSocietyOperator(permissions.BasePermission):
    """Signed-in operator of a society (or platform superuser); writes need a role that may write (SOC-3)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if user.is_superuser:
            return True
        if getattr(user, "society_id", None) is None:
            return False
        if getattr(user.society, "contract_status", "active") != "active":
            return False  # SOC-5: a cancelled or suspended society's operators are locked out
        if request.method in permissions.SAFE_METHODS:
            return True
        return getattr(user, "role", None) in getattr(view, "write_roles", WRITE_ROLES)
