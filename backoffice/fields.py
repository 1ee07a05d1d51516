"""Input fields for the secretariat's inputs: full-width digits and letters are accepted and stored
half-width (API.md, Clarifications: input width). Used by API serializers and admin forms alike."""

from __future__ import annotations

from django import forms
from rest_framework import serializers

from . import text


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
        return super().to_internal_value(_nfkc(value))


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
    pass


class HalfWidthFormIntegerField(HalfWidthFormMixin, forms.IntegerField):
    pass


class NormalizedFormEmailField(forms.EmailField):
    def to_python(self, value):
        value = super().to_python(value)
        return text.normalize_email(value) if value else value
