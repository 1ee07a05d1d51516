"""Input of the support endpoints (they parse, the services write) and the Case shape for the schema."""

from __future__ import annotations

from rest_framework import serializers

from backoffice.fields import NormalizedEmailField
from backoffice.schema import declare

MAX_ID = 2**63 - 1


def _shipped_flows() -> list[str]:
    from .flows import SHIPPED

    return sorted(SHIPPED)


class CaseCreateSerializer(serializers.Serializer):
    # the shipped flows (SUP-2); a flow published later is accepted too, the schema names the ones it ships with
    flow = declare(serializers.CharField(max_length=50), enum=_shipped_flows())
    member = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    operator_email = NormalizedEmailField(required=False, allow_blank=True)
    email = NormalizedEmailField(required=False, allow_blank=True)
    # the platform's help desk (a superuser, no society) names the society of an operator case (原因⑥); an
    # operator's cases are in their own society
    society = serializers.CharField(required=False, allow_blank=True, max_length=50)


class AnswerSerializer(serializers.Serializer):
    node = serializers.CharField(max_length=50)
    # an option's value; at an identity node (SUP-9) {"name", "item", "value"} as the caller gave them
    answer = serializers.JSONField()


class BackSerializer(serializers.Serializer):
    node = serializers.CharField(max_length=50)


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=50)
    params = serializers.DictField(required=False, default=dict)


class FlowSerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.DictField()


class _Option(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class _Current(serializers.Serializer):
    node = serializers.CharField()
    kind = serializers.ChoiceField(choices=["question", "identity", "outcome"])
    text = serializers.CharField()
    options = _Option(many=True)


class _Fact(serializers.Serializer):
    node = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField()
    evidence = serializers.CharField()
    # the reading this one superseded when the record changed (after an action, on resuming), else null
    previous = serializers.DictField(allow_null=True)


class _PathStep(serializers.Serializer):
    node = serializers.CharField()
    answer = serializers.JSONField()
    source = serializers.ChoiceField(choices=["record", "caller"])
    superseded = serializers.BooleanField()
    at = serializers.DateTimeField()
    by = serializers.CharField()


class _OfferedAction(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    params_schema = serializers.DictField()


class _OutcomeLink(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()
class _OutcomeProcedure(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class _Outcome(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    section = serializers.CharField()
    actions = _OfferedAction(many=True)
    links = _OutcomeLink(many=True)  # the screens the manual names, for the case's caller
    procedures = _OutcomeProcedure(many=True, required=False)  # the guided procedures it offers (SUP-4)
    escalates = serializers.BooleanField(required=False)  # it sends the caller elsewhere


class _ActionTaken(serializers.Serializer):
    action = serializers.CharField()
    params = serializers.DictField()
    ok = serializers.BooleanField()
    result = serializers.DictField()
    at = serializers.DateTimeField()


class _Note(serializers.Serializer):
    text = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField()


class _Identity(serializers.Serializer):
    """SUP-9: must the caller's identity be confirmed before the case tells anything from the record, and is it;
    ``node`` is where the check is answered (``POST answer/ {node, answer: {name, item, value}}``)."""

    required = serializers.BooleanField()
    confirmed = serializers.BooleanField()
    node = serializers.CharField(required=False)
    item = serializers.CharField(required=False)
    options = _Option(many=True, required=False)


class CaseSerializer(serializers.Serializer):
    """API.md's Case (documentation only: the views answer ``selectors.case_detail``)."""

    id = serializers.IntegerField()
    flow = serializers.CharField()
    flow_version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["open", "resolved"])
    member = serializers.IntegerField(allow_null=True)
    email = serializers.CharField()
    operator_email = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    current = _Current(allow_null=True)
    facts = _Fact(many=True)
    path = _PathStep(many=True)
    outcome = _Outcome(allow_null=True)
    actions_taken = _ActionTaken(many=True)
    notes = _Note(many=True)
    identity = _Identity()


class TriageItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    flow = serializers.CharField(allow_null=True)
    text = serializers.CharField()
    evidence = serializers.CharField()


class _StatsOutcome(serializers.Serializer):
    code = serializers.CharField()
    count = serializers.IntegerField()
    resolved = serializers.IntegerField()
    escalated = serializers.IntegerField()
    open = serializers.IntegerField()


class _StatsDropOff(serializers.Serializer):
    node = serializers.CharField()
    count = serializers.IntegerField()


class _StatsNodeTime(serializers.Serializer):
    node = serializers.CharField()
    median_seconds = serializers.FloatField()


class StatsSerializer(serializers.Serializer):
    """API.md "What the cases teach (SUP-10)" (documentation only: the view answers ``selectors.support_stats``)."""

    flow = serializers.CharField()
    cases = serializers.IntegerField()
    outcomes = _StatsOutcome(many=True)
    drop_off = _StatsDropOff(many=True)
    node_time = _StatsNodeTime(many=True)
    answered_by_record = serializers.FloatField(allow_null=True,
                                                help_text="share of the standing steps the record answered (0..1)")
