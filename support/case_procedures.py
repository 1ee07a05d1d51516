"""The guided procedures a case's outcome offers (SUP-4, issue 14 §4): for each id of the outcome's
``procedures``, the procedure page's address prefilled from the case's record — the invoice or payment the facts
found (``facts_faq_billing.CASE_SUBJECTS``) and ``case`` so that the run is written into the case — or why it does
not fit: the procedure's own ``fits`` (or its plan) asked, never a copy of its rule."""

from __future__ import annotations

from django.utils.translation import gettext as _

from backoffice.errors import DomainError

from . import engine
from .context import CaseContext
from .facts_faq_billing import CASE_SUBJECTS, NoSubject
from .links import procedure_url
from .procedures import get_procedure


def case_procedure_offers(actor, case) -> list[dict]:
    """``[{id, title, url, reason}]`` for the case's outcome: ``url`` when the record fits (else None), ``reason``
    the message of ``procedure_not_applicable`` (or that the record holds nothing to run it on)."""
    if not case.outcome or not case.current_node:
        return []
    ids = engine.node(case.flow_version.definition, case.current_node).get("procedures", [])
    if not ids:
        return []
    ctx = CaseContext(society=case.society, actor=actor, member=case.member, email=case.email)
    offers = []
    for procedure_id in ids:
        procedure = get_procedure(procedure_id)
        offer = {"id": procedure.id, "title": procedure.title, "url": None, "reason": ""}
        finder = CASE_SUBJECTS.get(procedure.id)
        try:
            if finder is None or ctx.member is None:
                raise NoSubject(_("The case has no member record to run the procedure on."))
            query, record = finder(ctx)
            if procedure.fits is not None:
                procedure.fits(dict(record))
            else:
                procedure.plan(dict(record), {})
        except NoSubject as exc:
            offer["reason"] = str(exc)
        except DomainError as exc:
            offer["reason"] = str(exc.message)
        else:
            offer["url"] = procedure_url(procedure.id, **query, case=case.pk)
        offers.append(offer)
    return offers
