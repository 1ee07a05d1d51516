"""Following a mail's link: mail/ knows no members, so each owning app registers, by purpose, the handler
that does what the link is for (verify an address and open the application, confirm an e-mail change, …).

A handler is called inside ``link_follow``'s transaction as
``handler(actor=..., society=..., email=..., payload=..., data=...)`` and returns a result dict; a
DomainError it raises refuses the link (which then stays unused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LinkHandler = Callable[..., dict]

_handlers: dict[str, LinkHandler] = {}
_forms: dict[str, Callable[..., Any]] = {}


def register_link_handler(purpose: str, handler: LinkHandler) -> None:
    """Register the handler of a purpose (from the owning app's AppConfig.ready()). Registering the same
    purpose again replaces the handler."""
    if not purpose or len(purpose) > 64:
        raise ValueError("A link purpose is 1 to 64 characters.")
    _handlers[purpose] = handler


def unregister_link_handler(purpose: str) -> None:
    _handlers.pop(purpose, None)
    _forms.pop(purpose, None)


def register_link_form(purpose: str, form_factory: Callable[..., Any]) -> None:
    """The form a link of ``purpose`` asks for when it is opened (the application form, a new password, …):
    ``form_factory(society, data=None)`` returns a Django form. Screens that open links ([個人会員送信済みメール],
    the My Page simulator) show it; the handler parses ``data`` with the same form. A purpose without one asks
    for nothing."""
    _forms[purpose] = form_factory


def link_form(purpose: str, society, data=None):
    """The (bound when ``data`` is given) form a link of ``purpose`` asks for, or None."""
    factory = _forms.get(purpose)
    return factory(society, data=data) if factory is not None else None


def link_handler(purpose: str) -> LinkHandler | None:
    return _handlers.get(purpose)


def registered_purposes() -> list[str]:
    return sorted(_handlers)


def call_handler(handler: LinkHandler, **kwargs: Any) -> dict:
    result = handler(**kwargs)
    return dict(result or {})
