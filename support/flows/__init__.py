"""The shipped flow definitions (SUP-2): declarative data, one module per flow. A later flow (seed 003's
entries, seed 001's operator sign-in) is one more module here plus its facts and actions in the registry."""

from __future__ import annotations

from . import apass_lookup, faq_members, login_trouble, operator_login

SHIPPED: dict[str, dict] = {flow["id"]: flow for flow in (login_trouble.FLOW, apass_lookup.FLOW, operator_login.FLOW,
                                                          *faq_members.FLOWS)}
from . import faq_billing
SHIPPED.update({flow["id"]: flow for flow in faq_billing.FLOWS})  # seed 003 請求・入金 (issue 14 §2)


def shipped(flow_id: str) -> dict | None:
    return SHIPPED.get(flow_id)
