"""Operators sign in with their society's slug, e-mail and password (SOC-3)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from backoffice import text

from .models import Operator


class OperatorBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, society=None, email=None, **kwargs):
        if email is None and username and "/" in username:
            society, _sep, email = username.partition("/")
        if email is None or password is None:
            return None
        society_slug = text.half_width(society or "") or None
        try:
            if society_slug is None:
                operator = Operator.objects.get(society__isnull=True, email=text.normalize_email(email))
            else:
                operator = Operator.objects.select_related("society").get(
                    society__slug=society_slug, email=text.normalize_email(email)
                )
        except Operator.DoesNotExist:
            Operator().set_password(password)  # same work as a real check: no timing oracle
            return None
        if operator.check_password(password) and self.user_can_authenticate(operator):
            return operator
        return None

    def user_can_authenticate(self, user) -> bool:
        """SOC-5: deleted or deactivated operators, and operators of a cancelled or suspended society, cannot
        sign in or keep a session (platform superusers have no society)."""
        from .services.signin import operator_sign_in_allowed

        return operator_sign_in_allowed(user) is None

    def get_user(self, user_id):
        try:
            operator = Operator.objects.select_related("society").get(pk=user_id)
        except Operator.DoesNotExist:
            return None
        return operator if self.user_can_authenticate(operator) else None
