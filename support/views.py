"""The support console's screens in the 事務局画面 (issue 13 point 7): 「サポート案件」 (the cases, searchable), 「サポート案件の
開始」 (choose the flow for a member, an e-mail address or a sent mail's recipient) and the case page — the member in
brief, the facts with their evidence, the current question as buttons, the outcome with what to tell the caller,
the actions with their preview (the dry run) and [確定], notes and the chart (support/chart.py).

Every write is a service of support/services.py; these views parse the form, call it and render. A POST answers
the case page's body alone (``#case-body``) when htmx sent it, else redirects to the case page — so the page
works without script too. Viewers (``Operator.can_use_support`` false) see everything but get no buttons, and
their POSTs are refused 403."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from backoffice import clock, text
from backoffice.audit_display import SocietyCodes, value_rows
from backoffice.errors import DomainError, NotFound
from backoffice.fields import HalfWidthFormDateField
from billing import selectors as billing_selectors
from billing.models import InvoiceStatus
from mail.admin import link_state_label
from mail.models import SentMail
from members import selectors as member_selectors
from members.models import Member, Operator, Society, Status

from . import chart, engine, identity, selectors, services
from . import forms as support_forms
from .case_procedures import case_procedure_offers
from .flows import SHIPPED
from .procedures import StepRefused, get_procedure, procedure_preview, procedure_run
from .models import Case

PER_PAGE = 50
BRIEF_ROWS = 5  # sign-ins, mails and open invoices shown in the member's brief
SEARCH_ROWS = 20  # members offered on 「サポート案件の開始」 for a search


def _society(request):
    society = getattr(request.user, "society", None)
    if society is None:
        raise Http404(_("Not found."))
    return society


def _require_support(request) -> None:
    """A viewer reads cases but never acts (issue 13 point 0): their POST is refused."""
    if not getattr(request.user, "can_use_support", False):
        raise PermissionDenied


def _case(request, pk) -> Case:
    try:
        return selectors.visible_case(request.user, pk)
    except NotFound:
        raise Http404(_("Not found.")) from None


def _admin_context(request, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title, "is_nav_sidebar_enabled": False}


# --- 「サポート案件」: the list -----------------------------------------------------------------------------


def _outcome_names() -> dict[str, str]:
    """{outcome code: its name on the screens} over the shipped flows (``chart.outcome_name``)."""
    return {spec["code"]: chart.outcome_name(spec) for d in SHIPPED.values() for spec in d["nodes"].values()
            if spec.get("kind") == engine.OUTCOME}


def _outcome_choices() -> list[tuple[str, str]]:
    return [("", "—")] + list(_outcome_names().items())


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Member"), required=False, max_length=100,
                        help_text=gettext_lazy("Name, e-mail or member number"))
    member = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    flow = forms.ChoiceField(label=gettext_lazy("flow"), required=False)
    outcome = forms.ChoiceField(label=gettext_lazy("outcome"), required=False)
    agent = forms.ChoiceField(label=gettext_lazy("agent"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("status"), required=False,
                               choices=[("", "—")] + list(Case.Status.choices))
    date_from = HalfWidthFormDateField(label=gettext_lazy("From"), required=False)
    date_to = HalfWidthFormDateField(label=gettext_lazy("To"), required=False)

    def __init__(self, *args, society, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flow"].choices = [("", "—")] + [(d["id"], d["title"]) for d in SHIPPED.values()]
        self.fields["outcome"].choices = _outcome_choices()
        agents = Operator.objects.filter(society=society).order_by("email").values_list("pk", "email")[:200]
        self.fields["agent"].choices = [("", "—")] + [(str(pk), email) for pk, email in agents]


def filtered_cases(request, society, form: CaseFilterForm):
    cases = (Case.objects.visible_to(request.user).filter(society=society)
             .select_related("flow_version", "member"))
    if not form.is_valid():
        return cases.none()
    data = form.cleaned_data
    if data["member"]:
        cases = cases.filter(member_id=data["member"])
    q = (data["q"] or "").strip()
    if q:
        email = text.normalize_email(q)
        cases = cases.filter(Q(member__name__icontains=q) | Q(member__name_kana__icontains=q)
                             | Q(email__icontains=email) | Q(member__member_number=text.half_width(q)))
    if data["flow"]:
        cases = cases.filter(flow_version__flow=data["flow"])
    if data["outcome"]:
        cases = cases.filter(outcome=data["outcome"])
    if data["agent"]:
        cases = cases.filter(created_by_id=int(data["agent"]))
    if data["status"]:
        cases = cases.filter(status=data["status"])
    return cases.filter(selectors.created_within(society, data["date_from"], data["date_to"]))


def case_list(request):
    society = _society(request)
    form = CaseFilterForm(request.GET or None, society=society)
    if not request.GET:
        form = CaseFilterForm({}, society=society)
    page = Paginator(filtered_cases(request, society, form), PER_PAGE).get_page(request.GET.get("p"))
    titles = {d["id"]: d["title"] for d in SHIPPED.values()}
    names = _outcome_names()
    # an outcome code may recur in several flows (seed 003's 「回答」): each case's own flow names it
    by_flow = {(d["id"], spec["code"]): chart.outcome_name(spec) for d in SHIPPED.values()
               for spec in d["nodes"].values() if spec.get("kind") == engine.OUTCOME}
    rows = [(case, titles.get(case.flow_version.flow, case.flow_version.flow),
             by_flow.get((case.flow_version.flow, case.outcome)) or names.get(case.outcome, case.outcome))
            for case in page]
    query = request.GET.copy()
    query.pop("p", None)
    return TemplateResponse(request, "support/case_list.html", {
        **_admin_context(request, _("Support cases")), "form": form, "rows": rows, "page": page,
        "query": query.urlencode(), "can_act": request.user.can_use_support})


# --- 「サポート案件の開始」 --------------------------------------------------------------------------------------


def _caller(request, society) -> tuple[Member | None, str]:
    """The caller given by ``member``, ``email`` or ``mail`` (a sent mail: its member, else its address) — posted, or
    in the address of a POST (the triage panel's button, which posts the form of the page it sits in)."""
    params = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" and any(request.GET.get(k) for k in ("member", "mail", "email")):
        params = request.GET  # the triage panel's button posts its page's form here, the caller in the address
    raw_member, raw_mail = params.get("member", ""), params.get("mail", "")
    email = text.normalize_email(params.get("email", "") or "")
    if raw_mail:
        if not raw_mail.isdigit() or len(raw_mail) > 18:
            raise Http404(_("Not found."))
        mail = SentMail.objects.visible_to(request.user).filter(pk=int(raw_mail), society=society).first()
        if mail is None:
            raise Http404(_("Not found."))
        raw_member, email = (str(mail.member_id) if mail.member_id else ""), mail.to
    if raw_member:
        if not raw_member.isdigit() or len(raw_member) > 18:
            raise Http404(_("Not found."))
        member = member_selectors.visible_members(request.user).filter(pk=int(raw_member)).first()
        if member is None:
            raise Http404(_("Not found."))
        return member, member.email
    if email:
        return member_selectors.visible_members(request.user).filter(email=email).first(), email
    return None, ""


def case_start(request):
    """GET: the caller (or a member search) and one button per flow; POST: start the case and open it."""
    if getattr(request.user, "sees_all_societies", False):
        return _platform_case_start(request)
    society = _society(request)
    params = request.POST if request.method == "POST" else request.GET
    operator_email = text.normalize_email(params.get("operator_email", "") or "")[:254]
    if operator_email:  # seed 001: an operator who cannot sign in (``operator-login``)
        return _operator_case_start(request, society, operator_email)
    if request.method == "POST":
        _require_support(request)
        member, email = _caller(request, society)
        if member is None and not email:
            messages.error(request, _("Choose the member or enter the caller's e-mail address."))
            return HttpResponseRedirect(reverse("support-page-start"))
        try:
            case = services.case_create(actor=request.user, society=society, flow=request.POST.get("flow", ""),
                                        member=member, email="" if member else email)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            query = urlencode({"member": member.pk} if member else {"email": email})
            return HttpResponseRedirect(f"{reverse('support-page-start')}?{query}")
        return HttpResponseRedirect(reverse("support-page-case", args=[case.pk]))
    member, email = _caller(request, society)
    q = (request.GET.get("q") or "").strip()[:100]
    found = None
    if q and member is None and not email:
        found = list(member_selectors.search_members(member_selectors.visible_members(request.user), q)
                     .order_by("name_kana", "pk")[:SEARCH_ROWS])
    return TemplateResponse(request, "support/case_start.html", {
        **_admin_context(request, _("Start a support case")), "member": member, "email": email, "q": q,
        "found": found, "flow_groups": flow_groups([f for f in SHIPPED.values() if f.get("subject") != "operator"]),
        "can_act": request.user.can_use_support,
        "status_label": Status(member.current_status).label if member and member.current_status else "—"})


def flow_groups(flows: list[dict]) -> list[dict]:
    """The flows under their manual's headings (「請求に関すること › 請求作成」), in the order the manuals give them:
    about forty buttons in one list are hard to scan while a caller waits."""
    groups: dict[str, list[dict]] = {}
    for flow in flows:
        source = flow.get("source") or {}
        heading = " › ".join(part for part in (source.get("section"), source.get("subsection")) if part)
        groups.setdefault(heading, []).append(flow)
    return [{"heading": heading, "flows": items} for heading, items in groups.items()]


def _operator_case_start(request, society, operator_email: str, *, platform: bool = False):
    """「サポート案件の開始」 for an operator's e-mail: the flows about operators (seed 001). ``platform``: the platform's
    help desk chose the society (the page carries its 学会ID)."""
    flows = [f for f in SHIPPED.values() if f.get("subject") == "operator"]
    caller = {"operator_email": operator_email, **({"society": society.slug} if platform else {})}
    if request.method == "POST":
        _require_support(request)
        try:
            case = services.case_create(actor=request.user, society=society, flow=request.POST.get("flow", ""),
                                        operator_email=operator_email)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(f"{reverse('support-page-start')}?{urlencode(caller)}")
        return HttpResponseRedirect(reverse("support-page-case", args=[case.pk]))
    return TemplateResponse(request, "support/case_start.html", {
        **_admin_context(request, _("Start a support case")), "operator_email": operator_email,
        "flow_groups": flow_groups(flows), "platform_society": society if platform else None,
        "can_act": request.user.can_use_support})


def _platform_case_start(request):
    """The platform's help desk (a superuser, no society: seed 001's 「UTAGEサポート」): an operator who cannot sign in,
    of the society it chooses — the one way to diagnose 原因⑥, when nobody of a cancelled or suspended society can
    sign in. The flows about members stay with each society's own agents."""
    params = request.POST if request.method == "POST" else request.GET
    operator_email = text.normalize_email(params.get("operator_email", "") or "")[:254]
    slug = text.half_width(str(params.get("society", "") or "")).strip()[:50]
    society = Society.objects.filter(slug=slug).first() if slug else None
    if operator_email and society is not None:
        return _operator_case_start(request, society, operator_email, platform=True)
    if operator_email or slug or request.method == "POST":
        messages.error(request, _("Choose the society and enter the operator's e-mail address."))
        if request.method == "POST":
            return HttpResponseRedirect(reverse("support-page-start"))
    return TemplateResponse(request, "support/case_start.html", {
        **_admin_context(request, _("Start a support case")), "platform": True, "chosen_society": slug,
        "typed_operator_email": operator_email,
        "societies": Society.objects.order_by("slug").only("slug", "name", "contract_status")[:1000],
        "can_act": request.user.can_use_support})


# --- the case page ----------------------------------------------------------------------------------------


def member_brief(request, member: Member) -> dict:
    """The caller's record in brief: status, chain mark, recent sign-ins with reasons, latest mails with their
    link states, open invoices — read through the apps' own selectors (five queries at most)."""
    society = member.society
    now = clock.now(society)
    tz = clock.society_timezone(society)
    mails = list(SentMail.objects.visible_to(request.user).filter(society=society, member_id=member.pk)
                 .with_link().order_by("-created_at", "-id")[:BRIEF_ROWS])
    for mail in mails:
        state = mail.link_state_at(now)
        mail.link_label = link_state_label(state, mail.link.expires_at if state else None, tz) if state else "—"
    invoices = list(billing_selectors.open_invoices_of_member(member.pk)[:BRIEF_ROWS])
    for invoice in invoices:
        invoice.outstanding = billing_selectors.outstanding_of(invoice)
    status = member.status_on(clock.today(society))
    return {
        "member": member,
        "status_label": Status(status).label if status else "—",
        "sign_ins": member_selectors.recent_sign_ins(request.user, member=member, limit=BRIEF_ROWS),
        "mails": mails,
        "invoices": invoices,
    }


def _value_label(value: str) -> str:
    if value in Status.values:
        return str(Status(value).label)
    return chart.YES_NO.get(value, value)


def _params_fields(offered: dict, values: dict) -> list[dict]:
    schema = offered.get("params_schema") or {}
    required = set(schema.get("required", []))
    return [{"name": name, "label": spec.get("title", name), "required": name in required,
             "type": "email" if spec.get("format") == "email" else "text", "value": values.get(name, "")}
            for name, spec in (schema.get("properties") or {}).items()]


def _preview_context(request, case: Case, offered: dict, params: dict) -> dict:
    """SUP-3's preview: the params form and, once the required ones are given, the dry run of the action —
    what will change (the domain's audit changes, not the case's own record) or the refusal."""
    fields = _params_fields(offered, params)
    preview = {"action": offered["action"], "label": offered["label"], "fields": fields, "params": params,
               "ran": False}
    if any(f["required"] and not f["value"] for f in fields):
        return preview
    dry = services.case_action_preview(actor=request.user, case=case, action=offered["action"], params=params)
    tz = clock.society_timezone(case.society)
    changes = []
    codes = SocietyCodes()
    for change in dry.changes:
        if change.action.startswith("support."):
            continue
        model = django_apps.get_model(change.target_type) if change.target_type else None
        changes.append({"target": change.target, "action": change.action,
                        "rows": value_rows(change.action, model, change.before, change.after, tz,
                                           society_id=case.society_id, codes=codes)})
    preview.update(ran=True, ok=dry.ok, changes=changes,
                   error={"code": dry.error.code, "detail": str(dry.error.message)} if dry.error else None)
    return preview


HIDDEN = gettext_lazy("(shown after the identity check)")


def _addresses(case: Case) -> list[str]:
    """The e-mail addresses a flow that discloses would tell (the caller's, the member's, the A-Pass's and its
    reset contact), to hide until the identity check passes (SUP-9)."""
    member = case.member
    found = [case.email, getattr(member, "email", "")]
    apass = getattr(member, "apass", None) if member is not None and member.apass_id else None
    if apass is not None:
        found += [apass.email, apass.recovery_contact]
    return sorted({a for a in found if a and "@" in a}, key=len, reverse=True)


def _masked(text_: str, addresses: list[str]) -> str:
    for address in addresses:
        text_ = re.sub(re.escape(address), str(HIDDEN), text_, flags=re.IGNORECASE)
    return text_


def case_body_context(request, case: Case, *, preview: dict | None = None, note_error: str = "") -> dict:
    """Everything ``support/_case_body.html`` shows of a case. In a flow that discloses, until the caller's
    identity is confirmed (SUP-9, ``identity.case_disclose_refusal``), the page hides what to tell the caller and
    the e-mail addresses the flow would tell (in the member's brief and in the facts' evidence), and the actions'
    buttons are disabled, saying why; a gated flow shows the identity form beside its question."""
    detail = selectors.case_detail(case)
    definition = case.flow_version.definition
    nodes = definition["nodes"]
    steps = list(case.steps.order_by("id"))
    refusal = identity.case_disclose_refusal(case, steps)
    hide = _addresses(case) if refusal is not None else []
    check_node = engine.identity_node(definition)
    check_spec = engine.identity_spec(definition) or {}
    changed = selectors.fact_changes(steps)
    facts = [{"node": s.node, "label": nodes.get(s.node, {}).get("label", s.node), "evidence": _masked(s.evidence, hide),
              "value": s.answer, "changed": changed.get(s.node)}
             for s in selectors.standing_facts(steps)]
    for f in facts:
        if f["changed"] is not None and hide:
            f["changed_evidence"] = _masked(f["changed"].evidence, hide)
        elif f["changed"] is not None:
            f["changed_evidence"] = f["changed"].evidence
    answers = []
    for s in steps:
        if s.source != "caller":
            continue
        spec = nodes.get(s.node, {})
        is_check = s.node == check_node
        if is_check:  # SUP-9: the step keeps {"confirmed": true, "item"}, no value
            item = (s.answer or {}).get("item", "") if isinstance(s.answer, dict) else ""
            shown = _("Confirmed (%(item)s)") % {"item": identity.ITEM_LABELS.get(item, item)}
        else:
            shown = {o["value"]: o["label"] for o in spec.get("options", [])}.get(s.answer, s.answer)
        answers.append({"node": s.node, "text": (check_spec.get("label") or check_spec.get("text", s.node)) if is_check
                        and engine.gated(definition) else spec.get("text", s.node), "answer": shown,
                        "superseded": s.superseded, "at": s.at, "by": s.by_label,
                        "can_back": not (is_check and engine.gated(definition))})
    current = detail["current"]
    asking = current if current and current["kind"] != engine.OUTCOME else None
    outcome = detail["outcome"]
    offered = {a["action"]: a for a in (outcome or {}).get("actions", [])}
    gate = None
    if engine.gated(definition) and refusal is not None:
        gate = {"node": check_node, "label": check_spec.get("label", ""), "text": check_spec.get("text", ""),
                "options": detail["identity"].get("options", [])}
    return {
        "case": case,
        "detail": detail,
        "gate": gate,
        "disclose_refusal": str(refusal.message) if refusal is not None else "",
        "hide_email": bool(hide),
        "hidden_label": HIDDEN,
        "flow_title": definition.get("title", case.flow_version.flow),
        "source": definition.get("source", {}),
        "facts": facts,
        "answers": answers,
        "asking": asking,
        "outcome": outcome,
        "offered": list(offered.values()),
        "outcome_name": chart.outcome_name(engine.node(definition, case.current_node)) if outcome else "",
        "taken": detail["actions_taken"],
        "notes": detail["notes"],
        "preview": preview,
        "note_error": note_error,
        "can_act": request.user.can_use_support,
        "chart": chart.render(definition, path=chart.case_path(steps, case.current_node), current=case.current_node,
                              value_label=_value_label, title=definition.get("title", "")),
        "brief": member_brief(request, case.member) if case.member is not None else None,
        "procedure_offers": case_procedure_offers(request.user, case),  # SUP-4: the outcome's guided procedures
    }


def _render_case(request, case: Case, **extra):
    template = "support/_case_body.html" if request.htmx else "support/case_detail.html"
    context = {**_admin_context(request, _("Support case %(id)s") % {"id": case.pk}), **case_body_context(
        request, case, **extra)}
    return TemplateResponse(request, template, context)


def case_detail(request, pk):
    return _render_case(request, _case(request, pk))


def _after_write(request, case: Case, **extra):
    """htmx: the page's body in place; without script: back to the case page (its messages shown there)."""
    if request.htmx:
        return _render_case(request, _case(request, case.pk), **extra)
    return HttpResponseRedirect(reverse("support-page-case", args=[case.pk]))


def _act(request, pk, write) -> Case:
    _require_support(request)
    case = _case(request, pk)
    try:
        write(case)
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    return case


def _posted_answer(request, case: Case):
    """The answer the form posted: at an identity node (SUP-9) the dict of its fields 氏名, item and value, which
    the service checks against the record; else the option's value."""
    if request.POST.get("node", "") == engine.identity_node(case.flow_version.definition):
        return {field: (request.POST.get(field) or "").strip() for field in ("name", "item", "value")}
    return request.POST.get("answer", "")


@require_POST
def case_answer(request, pk):
    case = _act(request, pk, lambda c: services.case_answer(
        actor=request.user, case=c, node=request.POST.get("node", ""), answer=_posted_answer(request, c)))
    return _after_write(request, case)


@require_POST
def case_back(request, pk):
    case = _act(request, pk, lambda c: services.case_back(actor=request.user, case=c,
                                                           node=request.POST.get("node", "")))
    return _after_write(request, case)


def _offered(request, case: Case) -> dict:
    if not case.outcome:
        return {}
    actions = engine.node(case.flow_version.definition, case.current_node).get("actions", [])
    return next((a for a in actions if a["action"] == request.POST.get("action")), {})


def _posted_params(request, offered: dict) -> dict:
    names = (offered.get("params_schema") or {}).get("properties", {})
    return {name: (request.POST.get(name) or "").strip() for name in names if name in request.POST}


@require_POST
def case_action_preview(request, pk):
    """The action's button: its params form and the dry run's changes, with [確定] when nothing refuses."""
    _require_support(request)
    case = _case(request, pk)
    offered = _offered(request, case)
    if not offered:
        messages.error(request, _("The action %(action)s is not offered by this case's outcome.")
                       % {"action": request.POST.get("action", "")})
        return _after_write(request, case)
    preview = _preview_context(request, case, offered, _posted_params(request, offered))
    return _render_case(request, case, preview=preview)


@require_POST
def case_action_run(request, pk):
    """[確定]: run the action (its result, or the refusal with its code, is written into the case)."""
    _require_support(request)
    case = _case(request, pk)
    offered = _offered(request, case)
    try:
        case, record = services.case_action_run(actor=request.user, case=case,
                                                action=request.POST.get("action", ""),
                                                params=_posted_params(request, offered))
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    else:
        if record.ok:
            messages.success(request, _("Done: %(label)s") % {"label": offered.get("label", record.action)})
            nodes = case.flow_version.definition["nodes"]
            changed = [nodes.get(n, {}).get("label", n) for n in record.result.get("facts_changed", [])]
            if changed:  # SUP-3: the record changed; the facts read again are marked on the page
                messages.info(request, _("The record was read again after the action; changed: %(facts)s")
                              % {"facts": "、".join(changed)})
        else:
            messages.error(request, f"{record.result.get('detail', '')} ({record.result.get('code', '')})")
    return _after_write(request, case)


@require_POST
def case_note(request, pk):
    case = _act(request, pk, lambda c: services.case_note_add(actor=request.user, case=c,
                                                               note=request.POST.get("note", "")))
    return _after_write(request, case)


@require_POST
def case_resume(request, pk):
    """Resume a case left open (SUP-10): the facts read again; those that changed are marked on the page."""
    _require_support(request)
    case = _case(request, pk)
    try:
        case, changed = services.case_resume(actor=request.user, case=case)
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    else:
        if changed:
            messages.warning(request, _("Facts changed since they were recorded: %(count)d")
                             % {"count": len(changed)})
        else:
            messages.info(request, _("The facts were read again; none changed."))
    return _after_write(request, case)


case_list_view = admin.site.admin_view(case_list)
case_start_view = admin.site.admin_view(case_start)
case_detail_view = admin.site.admin_view(case_detail)
case_answer_view = admin.site.admin_view(case_answer)
case_back_view = admin.site.admin_view(case_back)
case_action_preview_view = admin.site.admin_view(case_action_preview)
case_action_run_view = admin.site.admin_view(case_action_run)
case_note_view = admin.site.admin_view(case_note)
case_resume_view = admin.site.admin_view(case_resume)


# --- guided procedures (SUP-4, PAY-5): the page an invoice's or a payment's link opens -------------------------


def _int_or_none(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _query_ids(request, name: str) -> list[int] | None:
    """``?invoices=3,5`` or ``?invoices=3&invoices=5`` → [3, 5]; None when absent; a malformed id → 404."""
    raw = [part for value in request.GET.getlist(name) for part in value.split(",") if part.strip()]
    if not raw:
        return None
    ids = [_int_or_none(part) for part in raw[:MAX_PROCEDURE_INVOICES + 1]]
    if None in ids:
        raise Http404(_("Not found."))
    return ids


#: at most this many invoices are read for the page (the procedure itself refuses more than its own limit)
MAX_PROCEDURE_INVOICES = 20


def _procedure_subject(request, procedure):
    """What the procedure page is about, from the query string: ``?invoice=`` / ``?payment=`` (the procedure's
    subject) or, for ``combine_invoices``, ``?invoices=`` — ``(subject, obj, invoice, invoices)`` where ``invoice``
    is the one the breadcrumbs and heading name and ``invoices`` those listed (another society's: 404)."""
    from billing.models import Payment

    if "invoices" in procedure.params:
        ids = _query_ids(request, "invoices")
        if not ids:
            raise Http404(_("Not found."))
        found = {i.pk: i for i in billing_selectors.invoices_of(request.user).filter(pk__in=ids)}
        if any(pk not in found for pk in ids):
            raise Http404(_("Not found."))
        invoices = [found[pk] for pk in ids]
        for i in invoices:
            i.status_label = InvoiceStatus(i.status).label
        return "invoices", ids, invoices[0], invoices
    subject = procedure.params[0]
    pk = _int_or_none(request.GET.get(subject))
    if pk is not None and subject == "invoice":
        invoice = billing_selectors.invoices_of(request.user).filter(pk=pk).first()
        if invoice is not None:
            return "invoice", invoice, invoice, [invoice]
    elif pk is not None and subject == "payment":
        payment = (Payment.objects.visible_to(request.user).select_related("invoice", "invoice__member")
                   .filter(pk=pk).first())
        if payment is not None:
            return "payment", payment, payment.invoice, [payment.invoice]
    raise Http404(_("Not found."))


def _procedure_case(request) -> Case | None:
    """``?case=<id>``: the support case the run is written into (another society's or unknown: 404)."""
    raw = request.GET.get("case", "")
    if not raw:
        return None
    if _int_or_none(raw) is None:
        raise Http404(_("Not found."))
    return _case(request, int(raw))


def _procedure_value(request, name: str):
    """A param's value: the posted form's when it posts that field, else the query string's (a case page or an
    invoice's link opens the page prefilled)."""
    if request.method == "POST" and name in request.POST:
        return request.POST.get(name)
    return request.GET.get(name)


def _procedure_form(request, procedure, subject, obj, invoice) -> tuple[list[dict], dict]:
    """The params form of ``procedure`` (member_type / to_invoice selects, an amount per invoice for allocations)
    and the params the form (or the query string) gives."""
    from billing.models import Invoice
    from members.models import MemberType

    value = lambda name: _procedure_value(request, name)  # noqa: E731
    params: dict = {"invoices": obj} if subject == "invoices" else {subject: obj.pk}
    fields = []
    others = None
    if {"to_invoice", "allocations"} & set(procedure.params):
        others = list(Invoice.objects.visible_to(request.user).with_status()
                      .filter(member_id=invoice.member_id, cancelled_at__isnull=True)
                      .order_by("fiscal_year", "number")[:20])
    if "member_type" in procedure.params:
        choices = [(t.pk, f"{t.name}({t.annual_fee:,}円)") for t in
                   MemberType.objects.visible_to(request.user).filter(society_id=invoice.society_id).order_by("pk")]
        params["member_type"] = _int_or_none(value("member_type"))
        fields.append({"name": "member_type", "label": _("Member type"), "choices": choices,
                       "value": params["member_type"]})
    if "to_invoice" in procedure.params:
        choices = [(i.pk, f"{i.number} {i.fiscal_year} {i.name}") for i in others if i.pk != invoice.pk]
        params["to_invoice"] = _int_or_none(value("to_invoice"))
        fields.append({"name": "to_invoice", "label": _("Invoice to allocate it to"), "choices": choices,
                       "value": params["to_invoice"]})
    if "allocations" in procedure.params:
        rows = []
        for i in others:
            amount = _int_or_none(value(f"amount_{i.pk}"))
            rows.append({"name": f"amount_{i.pk}", "label": f"{i.number} {i.fiscal_year} {i.name}",
                         "value": amount if amount is not None else ""})
            if amount:
                params.setdefault("allocations", []).append({"invoice": i.pk, "amount": amount})
        fields.append({"name": "allocations", "label": _("Amount per invoice"), "amounts": rows})
        params.setdefault("allocations", [])
    return fields, params


def _procedure_case(request):
    """The case of ``?case=`` (a case page's procedure button): the run is written into its actions_taken."""
    raw = request.GET.get("case")
    if not raw:
        return None
    try:
        return selectors.visible_case(request.user, raw)
    except NotFound:
        raise Http404(_("Not found.")) from None


def _procedure_steps(steps: list[dict], tz, society) -> list[dict]:
    """Each step with its changes grouped per audited object: ``{target, rows}`` (audit_display's labels, the
    society's member types by name)."""
    codes = SocietyCodes()
    out = []
    for step in steps:
        groups: list[dict] = []
        for change in step["changes"]:
            key = (change["target_type"], change["target_id"], change["action"])
            if not groups or groups[-1]["key"] != key:
                groups.append({"key": key, "target": change["target"], "before": {}, "after": {}})
            groups[-1]["before"][change["field"]] = change["before"]
            groups[-1]["after"][change["field"]] = change["after"]
        for group in groups:
            target_type, _target_id, action = group["key"]
            model = django_apps.get_model(target_type) if target_type else None
            group["rows"] = value_rows(action, model, group["before"], group["after"], tz,
                                       society_id=getattr(society, "pk", None), codes=codes)
        out.append({**step, "groups": groups})
    return out


def procedure_page(request, procedure_id):
    """「ガイド付き手順」 (SUP-4, PAY-5): the params form, then either

    - [プレビュー] (``procedure_preview``: every step with every change, nothing changed) and [まとめて実行]
      (``procedure_run``: all steps, one audit batch, all or nothing), or
    - [1手順ずつ確認], the step-by-step mode: step k's changes (``procedure_preview(through=k)``: steps 1..k run dry,
      shown as they follow the steps before) with [次の手順へ] / [戻る]; on the last step [確定] runs every step
      with ``procedure_run`` as one act. Nothing is written before [確定]. The form carries the fingerprint of the
      records the first step's preview read: if they changed since (another operator acted), every later step and
      [確定] are refused 409 ``procedure_changed`` and nothing is changed.

    The page reads from its query string (so a case page or an invoice's link opens it prefilled):

    - the subject: ``?invoice=<id>`` or ``?payment=<id>`` (the procedure's first param); for ``combine_invoices``
      ``?invoices=<id>,<id>…`` (or ``?invoices=<id>&invoices=<id>``);
    - the other params: ``?member_type=<id>``, ``?to_invoice=<id>``, ``?amount_<invoice id>=<yen>`` (the
      allocations of ``split_combined_payment``) — a posted form field wins over the query's;
    - ``?case=<id>``: the support case the run is written into (action ``procedure``), linked from the page;
    - ``?preview=1``: show the preview at once (the dry run; nothing is changed).

    e.g. ``/admin/support/procedures/member_type_correction/?case=7&invoice=41&member_type=2&preview=1``.
    Another society's record or case, or an unknown procedure: 404. A refusal (the procedure does not fit, a step's
    rule) is shown with its message and code. Viewers read the page without buttons; their POSTs are refused 403."""
    society = _society(request)
    try:
        procedure = get_procedure(procedure_id)
    except DomainError:
        raise Http404(_("Not found.")) from None
    subject, obj, invoice, invoices = _procedure_subject(request, procedure)
    case = _procedure_case(request)
    if case is not None and case.member_id is not None and case.member_id != invoice.member_id:
        raise Http404(_("Not found."))  # a case is about its own member's records
    fields, params = _procedure_form(request, procedure, subject, obj, invoice)
    invoices_url = reverse("admin:billing_invoice_changelist")
    context = {**_admin_context(request, _("Guided procedure: %(title)s") % {"title": procedure.title}),
               "procedure": procedure, "subject": subject, "obj": obj, "invoice": invoice, "invoices": invoices,
               "fields": fields, "case": case,
               "invoice_url": reverse("admin:billing_invoice_change", args=[invoice.pk]),
               "invoices_url": invoices_url, "member_invoices_url": f"{invoices_url}?{urlencode({'member': invoice.member_id})}",
               "invoices_label": type(invoice)._meta.verbose_name_plural,
               "case_url": reverse("support-page-case", args=[case.pk]) if case is not None else "",
               "can_run": request.user.can_use_support}
    if request.method != "POST" and request.GET.get("preview") and request.user.can_use_support:
        _procedure_preview_into(context, request, society, procedure, params)
    elif request.method == "POST":
        _require_support(request)
        _procedure_post(context, request, society, procedure, params, case)
    return TemplateResponse(request, "support/procedure.html", context)


def _procedure_preview_into(context: dict, request, society, procedure, params, *, through=None,
                            fingerprint=None) -> None:
    tz = clock.society_timezone(society)
    try:
        preview = procedure_preview(actor=request.user, procedure=procedure.id, params=params, through=through,
                                    fingerprint=fingerprint)
    except DomainError as exc:
        context["error"] = {"code": exc.code, "detail": str(exc.message)}
        return
    steps = _procedure_steps(preview["steps"], tz, society)
    context.update(preview=preview, steps=steps, refused=preview["refused"], fingerprint=preview["fingerprint"])
    if through is not None and not preview["refused"]:
        context.update(step_mode=True, through=through, current=steps[through - 1], step_count=len(steps),
                       last_step=through == len(steps), next_step=through + 1, back_step=through - 1)


def _procedure_post(context: dict, request, society, procedure, params, case) -> None:
    """[プレビュー], [1手順ずつ確認] / [次の手順へ] / [戻る] (``step``), [まとめて実行] (``run``) and [確定] (``confirm``)."""
    tz = clock.society_timezone(society)
    fingerprint = request.POST.get("fingerprint") or None
    if "step" in request.POST:
        through = _int_or_none(request.POST.get("step"))
        if through == 0:  # [戻る] from the first step: the params form again
            return
        _procedure_preview_into(context, request, society, procedure, params,  # a malformed step: 400 invalid
                                through=through if through is not None else request.POST.get("step"),
                                fingerprint=fingerprint if through != 1 else None)
        return
    if not (request.POST.get("run") or request.POST.get("confirm")):
        _procedure_preview_into(context, request, society, procedure, params)
        return
    if request.POST.get("confirm"):
        fingerprint = fingerprint or ""  # [確定] always checks what the steps showed
    try:
        result = procedure_run(actor=request.user, procedure=procedure.id, params=params, case=case,
                               fingerprint=fingerprint)
    except StepRefused as exc:
        context["refused"] = {"step": exc.step, "code": exc.code, "detail": str(exc.message)}
    except DomainError as exc:
        context["error"] = {"code": exc.code, "detail": str(exc.message)}
    else:
        invoice_ids = list(dict.fromkeys(c["target_id"] for s in result["steps"] for c in s["changes"]
                                         if c["target_type"] == "billing.invoice"))
        from billing.models import Invoice

        named = {str(i.pk): i for i in Invoice.objects.visible_to(request.user).filter(pk__in=invoice_ids)}
        context.update(done=_procedure_steps(result["steps"], tz, society), batch=result["batch"],
                       invoice_links=[(reverse("admin:billing_invoice_change", args=[pk]),
                                       named[str(pk)] if str(pk) in named else pk) for pk in invoice_ids])


procedure_page_view = admin.site.admin_view(procedure_page)


# --- 「サポートの集計」: what the cases teach (SUP-10) -------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """``90`` → 「1分30秒」, ``3725`` → 「1時間2分」 (whole seconds)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    return _("%(seconds)d s") % {"seconds": secs}


def _node_specs(versions) -> dict[str, dict]:
    """{node id: its spec in the newest version that has it}."""
    specs: dict[str, dict] = {}
    for version in versions:  # newest first
        for node_id, spec in version.definition.get("nodes", {}).items():
            specs.setdefault(node_id, spec)
    return specs


def _node_label(node_id: str, spec: dict | None) -> str:
    spec = spec or {}
    if spec.get("kind") == engine.OUTCOME:
        return chart.outcome_name(spec)
    return str(spec.get("label") or spec.get("text") or node_id)


def _stats_view_model(body: dict, versions) -> dict:
    specs = _node_specs(versions)
    by_code = {}
    for spec in specs.values():
        if spec.get("kind") == engine.OUTCOME:
            by_code.setdefault(spec.get("code"), spec)
    outcomes = []
    for row in body["outcomes"]:
        spec = by_code.get(row["code"], {})
        outcomes.append({**row, "name": chart.outcome_name(spec) if spec else row["code"],
                         "section": spec.get("section", "")})
    drop_off = [{**row, "label": _node_label(row["node"], specs.get(row["node"]))} for row in body["drop_off"]]
    node_time = [{**row, "label": _node_label(row["node"], specs.get(row["node"])),
                  "text": duration_text(row["median_seconds"])} for row in body["node_time"]]
    legend = [("resolved", _("resolved")), ("escalated", _("escalated")), ("open", _("open"))]
    svg_outcomes = chart.bars(
        [chart.Bar(key=r["code"], label=r["name"], title=f'{r["name"]} {r["section"]}'.strip(),
                   segments=[("resolved", r["resolved"]), ("escalated", r["escalated"]), ("open", r["open"])],
                   value_text=str(r["count"])) for r in outcomes],
        title=_("Outcomes"), legend=legend)
    svg_drop_off = chart.bars(
        [chart.Bar(key=r["node"], label=r["label"], segments=[("drop-off", r["count"])], value_text=str(r["count"]))
         for r in drop_off], title=_("Drop-off per node"))
    svg_node_time = chart.bars(
        [chart.Bar(key=r["node"], label=r["label"], segments=[("node-time", r["median_seconds"])],
                   value_text=r["text"]) for r in node_time], title=_("Median time per node"))
    share = body["answered_by_record"]
    return {"stats": body, "outcomes": outcomes, "drop_off": drop_off, "node_time": node_time,
            "svg_outcomes": svg_outcomes, "svg_drop_off": svg_drop_off, "svg_node_time": svg_node_time,
            "record_share": None if share is None else round(share * 100)}


def stats_page(request):
    """「サポートの集計」 (SUP-5, SUP-10): for a flow, a version (or all) and a period of case creation, the outcome counts
    with resolved / escalated / open, the drop-off per node, the median time per node and the share of the steps the
    record answered — the numbers of ``GET /api/v1/support/stats/`` (``selectors.support_stats``, the same form),
    drawn as server-side SVG bars with their tables. Every role reads it. Bad input shows the form's errors."""
    society = _society(request)
    choices = support_forms.flow_choices()
    data = request.GET.copy()
    if not data.get("flow") and choices:
        data["flow"] = choices[0][0]
    form = support_forms.StatsForm(data)
    form.fields["flow"].widget = forms.Select(choices=choices)
    context = {**_admin_context(request, _("Support statistics")), "form": form}
    if form.is_valid():
        versions = form.versions
        context.update(_stats_view_model(
            selectors.support_stats(request.user, society, form.query(), versions=versions), versions))
    else:
        versions = form.versions
    form.fields["version"].widget = forms.Select(
        choices=[("", _("All versions"))] + [(v.version, _("version %(n)d") % {"n": v.version}) for v in versions])
    return TemplateResponse(request, "support/stats.html", context)


stats_page_view = admin.site.admin_view(stats_page)
