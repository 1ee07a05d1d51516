"""Following a mail's link: mail/ knows no members, so each owning app registers, by purpose, the handler
that does what the link is for (verify an address and open the application, confirm an e-mail change, …).

A handler is called inside ``link_follow``'s transaction as
``handler(actor=..., society=..., email=..., payload=..., data=...)`` and returns a result dict; a
DomainError it raises refuses the link (which then stays unused).

Where a link points is one page too, registered the same way (``register_link_page``): every mail's link URL,
sent live from a screen or built by seed_demo and the scenarios, comes from ``link_url_template``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

LinkHandler = Callable[..., dict]

_handlers: dict[str, LinkHandler] = {}
_permissions: dict[str, Callable[..., Any]] = {}
_forms: dict[str, Callable[..., Any]] = {}
_link_page: list[str] = []  # the URL name of the page that opens a link, its token the one argument
_private: set[str] = set()  # purposes whose mails are their addressee's secret (register_private_purpose)


def register_link_handler(purpose: str, handler: LinkHandler, *, permission: Callable[..., Any] | None = None) -> None:
    """Register the handler of a purpose (from the owning app's AppConfig.ready()). Registering the same
    purpose again replaces the handler. ``permission(actor)`` declares who may follow such a link beyond
    ``link_follow``'s own ``can_write`` (a link that is the member's own act): a refusal or None."""
    if not purpose or len(purpose) > 64:
        raise ValueError("A link purpose is 1 to 64 characters.")
    _handlers[purpose] = handler
    if permission is None:
        _permissions.pop(purpose, None)
    else:
        _permissions[purpose] = permission


def unregister_link_handler(purpose: str) -> None:
    _handlers.pop(purpose, None)
    _forms.pop(purpose, None)
    _permissions.pop(purpose, None)


def register_link_form(purpose: str, form_factory: Callable[..., Any]) -> None:
    """The form a link of ``purpose`` asks for when it is opened (the application form, a new password, …):
    ``form_factory(society, data=None)`` returns a Django form. Screens that open links ([個人会員送信済みメール],
    the My Page simulator) show it; the handler parses ``data`` with the same form. A purpose without one asks
    for nothing."""
    _forms[purpose] = form_factory


def register_private_purpose(purpose: str) -> None:
    """A purpose whose link is a secret of its addressee alone (an operator's password-reset link: whoever holds
    it sets that operator's password). Its mails stay in the outbox and are sent like every mail, but no screen,
    endpoint or support fact lists them (``SentMail.objects.visible_to`` / ``without_private_links``), and no
    screen follows their links on someone's behalf."""
    _private.add(purpose)


def private_purposes() -> list[str]:
    return sorted(_private)


def link_form(purpose: str, society, data=None):
    """The (bound when ``data`` is given) form a link of ``purpose`` asks for, or None."""
    factory = _forms.get(purpose)
    return factory(society, data=data) if factory is not None else None


def link_handler(purpose: str) -> LinkHandler | None:
    return _handlers.get(purpose)


def link_follow_refusal(purpose: str, actor) -> Any:
    """Who may follow a link of ``purpose``, as its owner declared (None: whoever may call ``link_follow``)."""
    permission = _permissions.get(purpose)
    return permission(actor) if permission is not None else None


def registered_purposes() -> list[str]:
    return sorted(_handlers)


def call_handler(handler: LinkHandler, **kwargs: Any) -> dict:
    result = handler(**kwargs)
    return dict(result or {})


def register_link_page(url_name: str) -> None:
    """The page a mail's link opens (the My Page simulator's, registered from its AppConfig.ready()): a URL name
    whose one argument is the token."""
    _link_page[:] = [url_name]


def link_url_template(request=None) -> str:
    """The URL of a mail's link with ``{token}`` to fill (``mail_send``'s ``link_url_template``): the registered
    link page, absolute on the request's host — or, with no request (seed_demo, reset_scenarios, a worker), on
    ``settings.SITE_URL``. Without a registered page the bare token."""
    if not _link_page:
        return "{token}"
    path = reverse(_link_page[0], args=["TOKEN"])
    url = request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path
    return url.replace("TOKEN", "{token}")
