"""Input fields for the secretariat's inputs: full-width digits and letters are accepted and stored
half-width (API.md, Clarifications: input width). Used by API serializers and admin forms alike."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import text

# Dates outside this range are typing mistakes (a year 9999 or 0001); refusing them also keeps the date
# arithmetic of the rules (MEM-6: latest date + one day) away from Python's date limits.
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)
MSG_DATE_RANGE = _("Enter a date between %(min)s and %(max)s.")


def _date_range_message() -> str:
    return MSG_DATE_RANGE % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}


def _nfkc(data):
    return text.half_width(data) if isinstance(data, str) else data


class HalfWidthCharField(serializers.CharField):
    def to_internal_value(self, data):
        return super().to_internal_value(_nfkc(data))


class NormalizedEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if isinstance(data, str):
            data = text.normalize_email(data)
        return super().to_internal_value(data)


class PhoneField(serializers.CharField):
    def to_internal_value(self, data):
        if isinstance(data, str):
            data = text.normalize_phone(data)
        return super().to_internal_value(data)


class HalfWidthDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(_nfkc(value))
        if not MIN_DATE <= day <= MAX_DATE:
            raise serializers.ValidationError(_date_range_message(), code="date_range")
        return day


class HalfWidthIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(_nfkc(data))


# --- Django forms (admin) ---------------------------------------------------------------------------


class HalfWidthFormMixin:
    def to_python(self, value):
        return super().to_python(_nfkc(value))


class HalfWidthFormCharField(HalfWidthFormMixin, forms.CharField):
    pass


class HalfWidthFormDateField(HalfWidthFormMixin, forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value and not MIN_DATE <= value <= MAX_DATE:
            raise ValidationError(_date_range_message(), code="date_range")


class HalfWidthFormIntegerField(HalfWidthFormMixin, forms.IntegerField):
    pass


class NormalizedFormEmailField(forms.EmailField):
    def to_python(self, value):
        value = super().to_python(value)
        return text.normalize_email(value) if value else value
