"""Permission classes every API view uses (SOC-3). The core asks the operator's predicates, never a role."""

from __future__ import annotations

from rest_framework import permissions


def operator_society(user):
    """The society an operator works in (None for a platform superuser without one)."""
    return getattr(user, "society", None)


class IsSocietyOperator(permissions.BasePermission):
    """Signed-in operator of an active society (or a platform superuser). Reads are open to every role; a
    write needs the view's ``write_permission`` predicate (default ``can_write``: everyone but a viewer)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if not getattr(user, "sees_all_societies", False):
            society = operator_society(user)
            if society is None or getattr(society, "contract_status", "active") != "active":
                return False  # SOC-5: a cancelled or suspended society's operators are locked out
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(getattr(user, getattr(view, "write_permission", "can_write"), False))
