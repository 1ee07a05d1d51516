from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backoffice import text
from backoffice.schema import declare
from backoffice.fields import (
    HalfWidthCharField,
    HalfWidthDateField,
    HalfWidthIntegerField,
    NormalizedEmailField,
    PhoneField,
)

from . import selectors
from .models import Member, MemberAdjustment, MemberStatus, MemberType, Status

# What members/services/_common.py's clean_phone and clean_postal_code accept (half-width; full-width is folded
# before): digits with hyphens, parentheses, spaces or a leading +, 6 to 15 digits; 7 digits, a hyphen after 3.
PHONE_PATTERN = r"^$|^\+?[-() ]*([0-9][-() ]*){6,15}$"
POSTAL_PATTERN = r"^$|^[0-9]{3}-?[0-9]{4}$"

# Largest primary key the databases hold (BigAutoField): a larger id in a request body would make the
# query itself fail (a server error) instead of "not found" / "invalid".
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class SocietyScopedSlugField(serializers.SlugRelatedField):
    """A code that must name an object of the caller's society (another society's code is 'unknown')."""

    default_error_messages = {
        "does_not_exist": _("Unknown code: %(value)s"),
        "invalid": _("Invalid value."),
    }

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        """The caller's own society's objects (a platform superuser creates nothing through a code)."""
        request = self.context.get("request")
        society_id = getattr(getattr(request, "user", None), "society_id", None)
        qs = self.model._default_manager.all()
        return qs.filter(society_id=society_id) if society_id is not None else qs.none()

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(code=text.half_width(data))
        except self.model.DoesNotExist:
            # Not self.fail(): DRF formats with str.format ({value}), this message uses %(value)s.
            raise serializers.ValidationError(
                self.error_messages["does_not_exist"] % {"value": data}, code="does_not_exist"
            ) from None


class MemberTypeSerializer(serializers.ModelSerializer):
    code = HalfWidthCharField(max_length=30)
    annual_fee = HalfWidthIntegerField(min_value=0, max_value=selectors.MAX_ANNUAL_FEE)

    class Meta:
        model = MemberType
        fields = ["code", "name", "annual_fee"]


class MemberSerializer(serializers.ModelSerializer):
    member_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    apass_linked = serializers.BooleanField(read_only=True)

    class Meta:
        model = Member
        fields = [
            "id", "kind", "member_number", "name", "name_kana", "organization", "email", "member_type", "status",
            "status_label", "apass_linked", "scheduled_withdrawal_date", "affiliation", "phone", "postal_code",
            "address", "created_at",
        ]
        read_only_fields = fields

    def _status(self, obj) -> str | None:
        if hasattr(obj, "current_status"):
            return obj.current_status
        from backoffice import clock

        return obj.status_on(clock.today(obj.society))

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices, allow_null=True))
    def get_status(self, obj):
        return self._status(obj)

    def get_status_label(self, obj) -> str | None:
        status = self._status(obj)
        return str(Status(status).label) if status else None


class MemberWriteFields(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    name_kana = serializers.CharField(max_length=100, required=False, allow_blank=True)
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = NormalizedEmailField(max_length=254)
    member_type = SocietyScopedSlugField(MemberType)
    affiliation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = declare(PhoneField(max_length=30, required=False, allow_blank=True), pattern=PHONE_PATTERN)
    postal_code = declare(HalfWidthCharField(max_length=10, required=False, allow_blank=True), pattern=POSTAL_PATTERN)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    scheduled_withdrawal_date = HalfWidthDateField(required=False, allow_null=True)


class MemberCreateSerializer(MemberWriteFields):
    kind = serializers.ChoiceField(choices=Member.Kind.choices, required=False, default=Member.Kind.INDIVIDUAL)

    # members/services/_common.py require_corporate_organization: a corporate member has its organisation's name
    # (a pattern, not an enum: drf-spectacular would make the one-value enum a component of its own)
    openapi_request = {"anyOf": [
        {"properties": {"kind": {"type": "string", "pattern": f"^{Member.Kind.INDIVIDUAL.value}$"}}},
        {"required": ["organization"], "properties": {"organization": {"type": "string", "pattern": r"\S"}}},
    ]}
    application_date = HalfWidthDateField(required=False, allow_null=True)


class MemberUpdateSerializer(MemberWriteFields):
    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class StatusEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberStatus
        fields = ["id", "status", "effective_date", "note"]


class StatusAddSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    effective_date = HalfWidthDateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StatusEditSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    effective_date = HalfWidthDateField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BulkStatusSerializer(serializers.Serializer):
    member_ids = serializers.ListField(child=HalfWidthIntegerField(min_value=1, max_value=MAX_ID), allow_empty=False,
                                       max_length=10_000)
    status = serializers.ChoiceField(choices=Status.choices)
    effective_date = HalfWidthDateField()


class ReleaseEmailSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssignmentSerializer(serializers.Serializer):
    member = HalfWidthIntegerField(min_value=1, max_value=MAX_ID)
    member_number = HalfWidthCharField(max_length=20, allow_blank=True)


class MemberNumberCorrectionSerializer(serializers.Serializer):
    member_number = HalfWidthCharField(max_length=20)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssignNumbersSerializer(serializers.Serializer):
    assignments = AssignmentSerializer(many=True, allow_empty=False)


class AdjustmentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MemberAdjustment.Kind.choices)
    amount = HalfWidthIntegerField(min_value=-selectors.MAX_ADJUSTMENT, max_value=selectors.MAX_ADJUSTMENT)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = MemberAdjustment
        fields = ["id", "kind", "amount", "note", "created_at", "spent_at"]
        read_only_fields = ["id", "created_at", "spent_at"]


class TokenRequestSerializer(serializers.Serializer):
    society = HalfWidthCharField(max_length=50, required=False, allow_blank=True)
    email = NormalizedEmailField()
    password = serializers.CharField(max_length=200, trim_whitespace=False)
    otp = HalfWidthCharField(max_length=20, required=False, allow_blank=True)  # SEC-6: the 6 digits or a recovery code


class UnlinkAPassSerializer(serializers.Serializer):
    """APS-4: the new e-mail and the confirmation (「会員のログイン情報の統合を解除します」)."""

    new_email = declare(serializers.CharField(max_length=254), format="email")
    confirm = serializers.BooleanField(required=False, default=False)


class SignInEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    typed_id = serializers.CharField()


class APassLookupSerializer(serializers.Serializer):
    """APS-5: never a password (APS-2)."""

    apass_id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    issued_at = serializers.DateTimeField()
    linked_member = serializers.SerializerMethodField()
    recent_sign_ins = serializers.SerializerMethodField()

    def get_linked_member(self, apass) -> int | None:
        from . import selectors

        member = selectors.apass_linked_member(self.context["operator"], apass)
        return member.pk if member else None

    def get_recent_sign_ins(self, apass) -> list[dict]:
        from . import selectors

        return SignInEntrySerializer(selectors.recent_sign_ins(self.context["operator"], apass=apass), many=True).data
