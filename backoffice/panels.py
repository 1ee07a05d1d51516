"""Panels other apps add to a page of a lower app, without that app importing them (DESIGN.md: no domain app
imports ``support/``): the page asks ``render(page, request, obj)`` and shows the HTML the registered providers
return. Pages: ``"member"`` ([会員情報変更], obj: the member), ``"sent_mail_search"`` ([個人会員送信済みメール]
searched by an e-mail address, obj: the address)."""

from __future__ import annotations

from collections.abc import Callable

PANELS: dict[str, list[Callable]] = {}


def register(page: str, provider: Callable) -> None:
    """``provider(request, obj) -> str`` (safe HTML, empty for none)."""
    providers = PANELS.setdefault(page, [])
    if provider not in providers:
        providers.append(provider)


def render(page: str, request, obj) -> list[str]:
    return [html for provider in PANELS.get(page, []) if (html := provider(request, obj))]
