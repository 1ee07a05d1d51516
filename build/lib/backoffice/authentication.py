"""Token authentication that refuses a malformed key before it reaches the database.

DRF's tokens are 40 lowercase hexadecimal characters. Anything else (a NUL byte, which PostgreSQL cannot even
compare, garbage, a 10,000-character header, bytes outside Latin-1) is a bad token: 401 ``invalid_credentials``
(API.md, Clarifications: Auth), with no query.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

TOKEN_KEY_RE = re.compile(r"[0-9a-f]{40}")


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except UnicodeError:  # a header DRF cannot encode as Latin-1
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None

    def authenticate_credentials(self, key):
        if not TOKEN_KEY_RE.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(key)
