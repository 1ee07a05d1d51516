"""The names a flow definition uses: fact functions (read the record, return value and evidence) and actions
(call a domain service). Registered by support/facts.py and support/actions.py — and by any later module that
brings more flows (seed 003, seed 001) — without touching the engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .engine import FactValue

#: name → fn(context) -> FactValue
FACTS: dict[str, Callable[[Any], FactValue]] = {}


@dataclasses.dataclass(frozen=True)
class Action:
    name: str
    run: Callable[..., dict]  # run(*, actor, context, params) -> result (JSON); raises DomainError when refused
    needs_member: bool = True


ACTIONS: dict[str, Action] = {}


def fact(name: str):
    def register(fn):
        FACTS[name] = fn
        return fn

    return register


def action(name: str, *, needs_member: bool = True):
    def register(fn):
        ACTIONS[name] = Action(name=name, run=fn, needs_member=needs_member)
        return fn

    return register


#: screen name → fn(context) -> the URL of that 事務局画面 for the case's caller (an outcome's ``links``, SUP-2);
#: registered by support/links.py, which knows the admin's URLs
SCREENS: dict[str, Callable[[Any], str]] = {}


def screen(name: str):
    def register(fn):
        SCREENS[name] = fn
        return fn

    return register


#: triage checks (SUP-8): fn(context) -> list of ``{code, flow, text, evidence}``, in registration order
TRIAGE: list[Callable[[Any], list[dict]]] = []


def triage(fn):
    TRIAGE.append(fn)
    return fn


@dataclasses.dataclass(frozen=True)
class IdentityRecord:
    """What the record holds to confirm a caller by (SUP-9): the name (None when the record has none to check)
    and the further items, ``{code: (label, value)}`` — only those the record holds."""

    name: str | None
    items: dict[str, tuple[str, str]]


#: fn(context) -> IdentityRecord, set by the module that knows the records (support/identity.py)
IDENTITY: list[Callable[[Any], IdentityRecord]] = []


def identity(fn):
    IDENTITY[:] = [fn]
    return fn
