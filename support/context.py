"""What a case's facts and actions read: the society, the agent, the caller's member record (or, for someone
not yet a member, just the e-mail they gave), on the society clock."""

from __future__ import annotations

import dataclasses
import datetime
from functools import cached_property
from typing import Any

from backoffice import clock, text


@dataclasses.dataclass
class CaseContext:
    society: Any
    actor: Any
    member: Any = None  # members.Member or None
    email: str = ""  # the caller's e-mail when there is no member record
    operator_email: str = ""  # the operator who cannot sign in (``operator-login``, seed 001)

    @cached_property
    def now(self) -> datetime.datetime:
        return clock.now(self.society)

    @cached_property
    def today(self) -> datetime.date:
        return self.now.date()

    @property
    def address(self) -> str:
        return self.member.email if self.member is not None else text.normalize_email(self.email or "")

    @cached_property
    def apass(self):
        """The A-Pass linked to the member, else the one whose e-mail is the member's (or the caller's)."""
        from members.models import APass

        if self.member is not None and self.member.apass_id is not None:
            return self.member.apass
        return APass.objects.filter(email=self.address).first() if self.address else None

    @cached_property
    def current_status(self) -> str | None:
        if self.member is None:
            return None
        annotated = getattr(self.member, "current_status", None)
        return annotated if annotated is not None else self.member.status_on(self.today)
