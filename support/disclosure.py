"""SEC-5: the support console's part of a member's disclosure (``members.disclosure``): the cases opened about the
member, with their steps, notes and actions. Registered from SupportConfig.ready()."""

from __future__ import annotations

from django.db.models import Prefetch

from members import disclosure

from .models import Case, CaseAction, CaseNote, CaseStep


def _stamp(value) -> str | None:
    return value.isoformat() if value is not None else None


def cases(member) -> list[dict]:
    rows = (Case.objects.filter(member_id=member.pk).select_related("flow_version").order_by("created_at", "pk")
            .prefetch_related(Prefetch("steps", queryset=CaseStep.objects.order_by("at", "pk")),
                              Prefetch("notes", queryset=CaseNote.objects.order_by("at", "pk")),
                              Prefetch("actions", queryset=CaseAction.objects.order_by("at", "pk"))))
    return [{
        "id": c.pk, "flow": c.flow_version.flow, "status": c.status, "outcome": c.outcome, "email": c.email,
        "created_by": c.created_by_label, "created_at": _stamp(c.created_at), "updated_at": _stamp(c.updated_at),
        "steps": [{"node": s.node, "answer": s.answer, "evidence": s.evidence, "superseded": s.superseded,
                   "at": _stamp(s.at), "by": s.by_label} for s in c.steps.all()],
        "notes": [{"text": n.text, "at": _stamp(n.at), "by": n.by_label} for n in c.notes.all()],
        "actions": [{"action": a.action, "ok": a.ok, "params": a.params, "result": a.result, "at": _stamp(a.at),
                     "by": a.by_label} for a in c.actions.all()],
    } for c in rows]


def register() -> None:
    disclosure.register_section("cases", cases)
