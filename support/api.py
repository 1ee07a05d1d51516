"""REST API v1, Support (API.md): flows, cases, answer, back, actions, triage. Views check permission, parse
input and call a service; reading a case is open to every role, acting needs ``can_use_support``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.schema import declare
from backoffice.errors import ERROR_CODES, DomainError, error_body
from backoffice import text
from members import selectors as member_selectors
from members.models import Society

from . import procedures, selectors, services
from .context import CaseContext
from .forms import StatsForm
from .serializers import (
    ActionSerializer,
    AnswerSerializer,
    BackSerializer,
    CaseCreateSerializer,
    CaseSerializer,
    FlowSerializer,
    StatsSerializer,
    TriageItemSerializer,
)
from .triage import triage_of

MSG_MEMBER_REQUIRED = _("Give the member's id (member).")
MSG_OWN_SOCIETY = _("An operator starts cases in their own society only.")
MSG_SOCIETY_REQUIRED = _("Give the society's ID (society): the platform's account belongs to no society.")
MSG_SOCIETY_UNKNOWN = _("No society has this ID.")


def _society(request):
    society = getattr(request.user, "society", None)
    if society is None:
        raise PermissionDenied(_("Use an operator account of a society."))
    return society


def _case_society(request, slug: str | None, member):
    """The society a new case belongs to: the operator's own; for the platform's help desk (a superuser without a
    society) the member's, or the one its ``society`` names (an operator case: seed 001 原因⑥, when nobody of a
    cancelled or suspended society can sign in). A ``society`` that is not the caller's to use is bad input."""
    slug = text.half_width(slug or "").strip()
    if not getattr(request.user, "sees_all_societies", False):
        society = _society(request)
        if slug and slug != society.slug:
            raise DomainError("invalid", MSG_OWN_SOCIETY, fields={"society": [str(MSG_OWN_SOCIETY)]})
        return society
    if member is not None and (not slug or slug == member.society.slug):
        return member.society  # (a member's case is the society's own operators' to start: case_start_refusal)
    society = Society.objects.filter(slug=slug).first() if slug else None
    if society is None:
        message = MSG_SOCIETY_REQUIRED if not slug else MSG_SOCIETY_UNKNOWN
        raise DomainError("invalid", message, fields={"society": [str(message)]})
    return society


def _member(request, member_id):
    """A member of the caller's society, with ``current_status``; another society's is not found (SOC-2)."""
    member = member_selectors.visible_members(request.user).select_related("society").filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    return member


class SupportView(APIView):
    write_permission = "can_use_support"


class FlowListView(SupportView):
    @extend_schema(responses=FlowSerializer(many=True))
    def get(self, request):
        return Response(selectors.flows())


class CaseCreateView(SupportView):
    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer})
    def post(self, request):
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        member = _member(request, values["member"]) if values.get("member") else None
        case = services.case_create(actor=request.user, society=_case_society(request, values.get("society"), member),
                                    flow=values["flow"], member=member,
                                    email=values.get("email", ""), operator_email=values.get("operator_email", ""))
        return Response(selectors.case_detail(case), status=status.HTTP_201_CREATED)


class CaseDetailView(SupportView):
    @extend_schema(responses=CaseSerializer)
    def get(self, request, pk):
        return Response(selectors.case_detail(selectors.visible_case(request.user, pk)))


class CaseAnswerView(SupportView):
    @extend_schema(request=AnswerSerializer, responses=CaseSerializer)
    def post(self, request, pk):
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.visible_case(request.user, pk)
        case = services.case_answer(actor=request.user, case=case, **data.validated_data)
        return Response(selectors.case_detail(case))


class CaseBackView(SupportView):
    @extend_schema(request=BackSerializer, responses=CaseSerializer)
    def post(self, request, pk):
        data = BackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.visible_case(request.user, pk)
        case = services.case_back(actor=request.user, case=case, **data.validated_data)
        return Response(selectors.case_detail(case))


class CaseActionView(SupportView):
    @extend_schema(request=ActionSerializer, responses=CaseSerializer)
    def post(self, request, pk):
        """Runs the outcome's action; a refusal of its rule answers that rule's 4xx body and is recorded in the
        case's ``actions_taken`` with ``ok: false``."""
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.visible_case(request.user, pk)
        case, record = services.case_action_run(actor=request.user, case=case, **data.validated_data)
        refusal = selectors.refusal_of(record)
        if refusal is not None:
            raise refusal
        return Response(selectors.case_detail(case))


class TriageView(SupportView):
    @extend_schema(parameters=[OpenApiParameter("member", int, required=True)],
                   responses=TriageItemSerializer(many=True))
    def get(self, request):
        raw = request.query_params.get("member", "")
        if not raw.isdigit() or len(raw) > 18:
            raise DomainError("invalid", MSG_MEMBER_REQUIRED, fields={"member": [str(MSG_MEMBER_REQUIRED)]})
        member = _member(request, int(raw))
        context = CaseContext(society=member.society, actor=request.user, member=member)
        return Response(triage_of(context))


class StatsView(SupportView):
    @extend_schema(parameters=[OpenApiParameter("flow", str, required=True), OpenApiParameter("version", int),
                               OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE)],
                   responses={200: StatsSerializer})
    def get(self, request):
        """What the cases teach (SUP-10): the cases of the flow (and version) started in the period, per outcome
        resolved / escalated / open, the drop-off per node, the median time per node, and the share of steps
        the record answered. Every role reads it; another society's cases are never counted."""
        society = _society(request)
        form = StatsForm(request.query_params)
        if not form.is_valid():
            raise form.refusal()
        return Response(selectors.support_stats(request.user, society, form.query(), versions=form.versions))


# --- guided procedures (SUP-4, PAY-5; API.md "Guided procedures") --------------------------------------------


def _procedure_ids() -> list[str]:
    return sorted(p["id"] for p in procedures.procedure_list())


class ProcedureRequestSerializer(serializers.Serializer):
    procedure = declare(serializers.CharField(max_length=50), enum=_procedure_ids())
    params = serializers.DictField(required=False, default=dict)
    case = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class ProcedureSourceSchema(serializers.Serializer):
    seed = serializers.CharField()
    section = serializers.CharField()
    entry = serializers.CharField()


class ProcedureSchema(serializers.Serializer):
    """Schema only: one guided procedure as ``GET /support/procedures/`` lists it."""

    id = serializers.CharField()
    title = serializers.CharField()
    source = ProcedureSourceSchema()
    params = serializers.ListField(child=serializers.CharField())


class ProcedureChangeSchema(serializers.Serializer):
    target = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class ProcedureStepSchema(serializers.Serializer):
    index = serializers.IntegerField(min_value=1)
    action = serializers.CharField()
    label = serializers.CharField()
    changes = ProcedureChangeSchema(many=True)


class ProcedureRefusedSchema(serializers.Serializer):
    step = serializers.IntegerField(min_value=1)
    code = serializers.ChoiceField(choices=ERROR_CODES)
    detail = serializers.CharField()


class ProcedurePreviewSchema(serializers.Serializer):
    procedure = serializers.CharField()
    ok = serializers.BooleanField()
    steps = ProcedureStepSchema(many=True)
    refused = ProcedureRefusedSchema(allow_null=True)


class ProcedureRunSchema(serializers.Serializer):
    procedure = serializers.CharField()
    ok = serializers.BooleanField()
    steps = ProcedureStepSchema(many=True)
    batch = serializers.UUIDField()


class ProcedureListView(SupportView):
    @extend_schema(responses={200: ProcedureSchema(many=True)})
    def get(self, request):
        """``[{id, title, source, params: [name…]}]``."""
        return Response(procedures.procedure_list())


class ProcedurePreviewView(SupportView):
    @extend_schema(request=ProcedureRequestSerializer, responses={200: ProcedurePreviewSchema})
    def post(self, request):
        """Every step with the changes it would make; nothing is changed (a dry run)."""
        data = ProcedureRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        body = procedures.procedure_preview(actor=request.user, procedure=values["procedure"],
                                            params=values["params"])
        body.pop("fingerprint")  # the screens' step-by-step mode carries it; API.md's answer stays as it is
        return Response(body)


class ProcedureRunView(SupportView):
    @extend_schema(request=ProcedureRequestSerializer, responses={200: ProcedureRunSchema})
    def post(self, request):
        """All steps as one act; a refused step answers its rule's error body with ``step`` added."""
        data = ProcedureRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = selectors.visible_case(request.user, values["case"]) if values.get("case") else None
        try:
            body = procedures.procedure_run(actor=request.user, procedure=values["procedure"],
                                            params=values["params"], case=case)
        except procedures.StepRefused as exc:
            fields = {name: [str(m) for m in msgs] for name, msgs in exc.fields.items()}
            return Response({**error_body(exc.code, str(exc.message), fields), "step": exc.step}, status=exc.status)
        return Response(body)
