"""The secretariat's first page (/admin/): the society and its clock, the member search and shortcuts to the
manuals' screens. Each shortcut is offered only to an operator whose role may use it (SOC-3), asked of the
operator's predicates, never of a role name."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from backoffice import clock
from backoffice.models import AuditEntry
from members.models import CorporateMember, Member, MemberType, Operator, Society

register = template.Library()

#: the platform superuser's list of societies shows at most this many (no COUNT(*): one more row is fetched)
SOCIETY_LIST_LIMIT = 100


@dataclass(frozen=True)
class Shortcut:
    label: str
    url: str
    description: str
    id: str


#: Shortcuts of other apps (billing's screens), placed after the member screens: ``provider(operator) -> [Shortcut]``.
SHORTCUT_PROVIDERS: list = []


def register_shortcuts(provider) -> None:
    if provider not in SHORTCUT_PROVIDERS:
        SHORTCUT_PROVIDERS.append(provider)


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def shortcuts_for(operator) -> list[Shortcut]:
    """The manuals' screens this operator may use, in the order the secretariat needs them."""
    if not operator.is_active or (operator.society_id is None and not operator.sees_all_societies):
        return []
    items = [
        Shortcut(_("Individual member search"), _changelist(Member),
                 _("Search individual members by name, kana, e-mail, member number or phone."), "individual"),
        Shortcut(_("Corporate member search"), _changelist(CorporateMember),
                 _("Search corporate members by organisation name, contact person's name or kana, e-mail, "
                   "member number or phone."), "corporate"),
    ]
    if operator.society_id is not None and operator.can_write:
        items.append(Shortcut(_("Assign member numbers"), reverse("admin:members_member_numbers"),
                              _("Give member numbers to joined members who have none."), "numbers"))
    for provider in SHORTCUT_PROVIDERS:
        items.extend(provider(operator))
    items.append(Shortcut(capfirst(MemberType._meta.verbose_name_plural), _changelist(MemberType),
                          _("Member types and their annual fees."), "member-types"))
    items.append(Shortcut(capfirst(AuditEntry._meta.verbose_name_plural), _changelist(AuditEntry),
                          _("Who changed what, and when."), "audit"))
    if operator.can_manage_settings:
        items.append(Shortcut(capfirst(Operator._meta.verbose_name_plural), _changelist(Operator),
                              _("Operator accounts and their roles."), "operators"))
        items.append(Shortcut(capfirst(Society._meta.verbose_name_plural), _changelist(Society),
                              _("Contract status and settings of the society."), "societies"))
    return items


@register.simple_tag(takes_context=True)
def secretariat_home(context) -> dict:
    """Everything the first page shows, for the signed-in operator."""
    request = context["request"]
    operator = request.user
    society = operator.society if operator.society_id else None
    home = {"society": society, "shortcuts": shortcuts_for(operator), "societies": None, "more_societies": False}
    if society is not None:
        home["now"] = clock.now(society)
        home["today"] = home["now"].date()
        real_today = timezone.localdate(timezone=clock.society_timezone(society))
        if society.is_sandbox and real_today != home["today"]:
            home["real_today"] = real_today  # a trainer sees that the sandbox clock was moved
    if operator.sees_all_societies:
        rows = list(Society.objects.order_by("slug")[: SOCIETY_LIST_LIMIT + 1])
        home["societies"] = [(s, clock.today(s)) for s in rows[:SOCIETY_LIST_LIMIT]]
        home["more_societies"] = len(rows) > SOCIETY_LIST_LIMIT
        home["today"] = clock.today(None)
    home["other_screens"] = _other_screens(home["shortcuts"], context.get("app_list", []))
    return home


def _other_screens(shortcuts: list[Shortcut], app_list) -> list[tuple[str, str]]:
    """Screens registered by other apps that no shortcut covers stay reachable (the stock app list's job)."""
    covered = {s.url for s in shortcuts}
    return [
        (capfirst(model["name"]), model["admin_url"])
        for app in app_list
        for model in app["models"]
        if model.get("admin_url") and model["admin_url"] not in covered
    ]


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


@register.simple_tag(takes_context=True)
def secretariat_menu(context) -> list[MenuItem]:
    """The side menu: 事務局メニュー's screens in the first page's order, then the other screens (issue 12
    point 10); the screen being shown is marked."""
    request = context["request"]
    shortcuts = shortcuts_for(request.user)
    items = [(s.label, s.url) for s in shortcuts] + _other_screens(shortcuts, context.get("available_apps", []))
    matching = [urlsplit(url).path for label, url in items if request.path.startswith(urlsplit(url).path)]
    current = max(matching, key=len, default=None)  # the most specific screen (会員番号採番 within 個人会員検索)
    return [MenuItem(label, url, urlsplit(url).path == current) for label, url in items]
