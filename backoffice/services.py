"""The one shape of every write (DESIGN.md, "Where rules live").

A service is a keyword-only function ``<noun>_<verb>(*, actor, …)`` decorated with :func:`service`. The
decorator checks the actor *before* anything is read or written — present, and allowed to do this — and runs
the body in one transaction. What a service requires is declared, never checked inside its body: a role
predicate of the operator such as ``can_write`` (a system actor such as ``"system: billing run 12"`` is
trusted), or, where it depends on the call (the member's own acts, a sandbox's tools, platform fields), a
callable ``permission(actor, **kwargs)`` that answers a refusal or None like every rule predicate. The body writes one audit entry per changed object
(``backoffice.audit``), none when nothing changed.

(byro's ``log_call`` and HackSoft's services are the models.)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import audit
from .errors import DomainError, NotFound

F = TypeVar("F", bound=Callable[..., Any])

Actor = Any  # an operator, or a string such as "system: billing run 12"

MSG_PERMISSION_DENIED = _("You do not have permission to perform this action.")


def is_system_actor(actor: Actor) -> bool:
    return isinstance(actor, str)


#: What a service requires: a predicate name on the operator, a callable ``(actor, **kwargs) -> DomainError |
#: None`` (asked for system actors too: it decides), or None (anyone, e.g. the member on My Page).
Permission = str | Callable[..., DomainError | None] | None


def holds(actor: Actor, predicate: str) -> bool:
    """Whether ``actor`` holds the operator predicate ``predicate`` (``can_write``, …); a system actor does."""
    return is_system_actor(actor) or bool(getattr(actor, predicate, False))


def permission_denied(message: Any = MSG_PERMISSION_DENIED, *, fields: dict | None = None) -> DomainError:
    return DomainError("permission_denied", message, status=403, fields=fields)


def check_actor(actor: Actor, permission: Permission, call: dict | None = None) -> None:
    """An actor is required, never defaulted, and must be allowed what ``permission`` declares (``call``: the
    service's other keyword arguments, for a callable permission)."""
    if actor is None or actor == "":
        raise ValueError("Every service call needs an actor.")
    if callable(permission):
        refusal = permission(actor, **(call or {}))
        if refusal is not None:
            raise refusal
        return
    if permission is not None and not holds(actor, permission):
        raise permission_denied()


def check_society(actor: Actor, society_id: int | None) -> None:
    """SOC-2, checked again inside the service: an operator acts only on their own society's rows.
    Another society's object is 'not found', never 'forbidden'."""
    if is_system_actor(actor) or getattr(actor, "sees_all_societies", False):
        return
    if society_id is None or getattr(actor, "society_id", None) != society_id:
        raise NotFound()


def service(*, permission: Permission = "can_write") -> Callable[[F], F]:
    """Decorate a service: keyword-only call, actor checked first, body in ``transaction.atomic``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, actor: Actor = None, **kwargs: Any) -> Any:
            if args:
                raise TypeError(f"{func.__name__}() takes keyword arguments only")
            check_actor(actor, permission, kwargs)
            with transaction.atomic():
                return func(actor=actor, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# ---------------------------------------------------------------------------------------------------
# Dry runs (DESIGN.md 5c): the base of every preview
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """One audit entry a dry run would have written."""

    action: str
    target_type: str  # "members.member", "" without a target
    target_id: str
    target: str  # what the screens show of it
    before: dict | None
    after: dict | None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DryRun:
    """What ``fn`` would do: its result (rolled back: model instances in it no longer exist), or the refusal
    it raised, and the audit entries it would have written."""

    result: Any
    error: DomainError | None
    changes: list[Change]

    @property
    def ok(self) -> bool:
        return self.error is None


class _RollBack(Exception):
    pass


def dry_run(fn: Callable[[], Any], *, label: str = "dry run") -> DryRun:
    """Run ``fn`` (services, as one act labelled ``label``) in a transaction, collect what the audit would
    record, and roll everything back: no row, number or audit entry stays, and no mail is sent (mail is an
    outbox row sent on commit; the commit never comes). A ``DomainError`` is returned, not raised; any other
    exception propagates. Keep ``fn`` short: on SQLite the transaction holds the write lock."""
    result: Any = None
    error: DomainError | None = None
    with audit.collect_entries() as entries:
        try:
            with transaction.atomic(), audit.audit_act(label):
                try:
                    result = fn()
                except DomainError as exc:
                    error = exc
                raise _RollBack
        except _RollBack:
            pass
    changes = [
        Change(action=e.action,
               target_type=f"{e.target_type.app_label}.{e.target_type.model}" if e.target_type_id else "",
               target_id=e.target_id, target=e.target_repr, before=e.before, after=e.after)
        for e in entries
    ]
    return DryRun(result=result, error=error, changes=changes)
