"""Billing's factories: tests, seed_demo, scenarios and benchmarks build invoices and payments here.

They write rows directly (like members' factories) for fixtures; the product's writes go through
``billing.services``. Numbers are drawn from the same gap-free sequence the services use."""

from __future__ import annotations

import datetime

import factory
from django.db import transaction
from django.utils import timezone

from members.factories import MemberFactory

from . import numbering
from .models import ONLINE_METHODS, Category, Invoice, Payment, PaymentMethod


def _next_number(kind):
    def draw(obj):
        with transaction.atomic():
            return numbering.take(obj.society, kind)
    return draw


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    member = factory.SubFactory(MemberFactory)
    society = factory.SelfAttribute("member.society")
    number = factory.LazyAttribute(_next_number(numbering.INVOICE))
    name = factory.LazyAttribute(lambda o: f"{o.fiscal_year}年度 年会費")
    category = Category.ANNUAL
    fiscal_year = 2026
    amount = 10000
    adjustment = 0
    confirmed_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    society = factory.SelfAttribute("invoice.society")
    receipt_number = factory.LazyAttribute(_next_number(numbering.RECEIPT))
    amount = factory.LazyAttribute(lambda o: o.invoice.amount + o.invoice.adjustment)
    method = PaymentMethod.BANK_TRANSFER
    #: every online payment carries its 決済番号 (a database constraint); an offline one has none
    settlement_number = factory.LazyAttribute(
        lambda o: f"RP{o.receipt_number:08d}" if o.method in ONLINE_METHODS else "")
    paid_on = factory.LazyFunction(datetime.date.today)
    created_by = "factory"
    created_at = factory.LazyFunction(timezone.now)
