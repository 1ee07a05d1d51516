"""Facts about the HTTP request that services are given (never read by services themselves)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def ip_or_none(value: str | None) -> str | None:
    """``value`` as a normalised IP address, or None when it is none."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address: REMOTE_ADDR, unless ``settings.TRUSTED_PROXY_COUNT`` says that N proxies of ours
    stand in front — then the address the outermost of them saw, which is the N-th entry of X-Forwarded-For
    counted from the right (entries further left are whatever the client chose to send). None when unknown
    or not an IP address."""
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return ip_or_none(forwarded[-hops])
    return ip_or_none(request.META.get("REMOTE_ADDR"))
