"""A mail's subject and body from the society's template (MailTemplate) or the default shipped with the app
(``mail/templates/mail/defaults/<kind>.txt``: the subject on the first line, a blank line, the body)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.template import Context, Engine

from .models import MailKind, MailTemplate

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "mail" / "defaults"

# Plain text mail: no HTML escaping; no app template loaders either (a template cannot include files).
_engine = Engine(autoescape=False, libraries={}, builtins=["django.template.defaulttags",
                                                            "django.template.defaultfilters"])


@lru_cache(maxsize=None)
def default_template(kind: str) -> tuple[str, str]:
    """(subject, body) shipped for ``kind``."""
    if kind not in MailKind.values:
        raise ValueError(f"unknown mail kind: {kind}")
    text = (DEFAULTS_DIR / f"{kind}.txt").read_text(encoding="utf-8")
    subject, _sep, body = text.partition("\n\n")
    return subject.strip(), body.rstrip("\n") + "\n"


def template_source(society, kind: str) -> tuple[str, str]:
    own = MailTemplate.objects.filter(society=society, kind=kind).values_list("subject", "body").first()
    return tuple(own) if own else default_template(kind)  # type: ignore[return-value]


def compile_template(source: str):
    """Raises django.template.TemplateSyntaxError for a broken template."""
    return _engine.from_string(source)


def render_source(subject: str, body: str, context: dict) -> tuple[str, str]:
    ctx = Context(context, autoescape=False)
    rendered_subject = " ".join(compile_template(subject).render(ctx).split())  # one line, no header injection
    return rendered_subject, compile_template(body).render(Context(context, autoescape=False))


def render_mail(society, kind: str, context: dict) -> tuple[str, str]:
    """(subject, body) of a ``kind`` mail of ``society``, rendered with ``context`` (the society's name is
    added as ``society_name`` unless given)."""
    subject, body = template_source(society, kind)
    return render_source(subject, body, {"society_name": getattr(society, "name", ""), **context})
