"""PAY-1 (issue 12, point 3): every online payment (credit card, convenience store, bank check) carries its 決済番号.

Online payments recorded before the rule without one (the demo's 過入金 scenario built them) get a placeholder that
says so — ``未登録-<領収書番号>`` — so that the constraint can hold and the history shows what was missing."""

from django.db import migrations, models

ONLINE = ["bank_check", "convenience_store", "credit_card"]


def fill_missing(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    for payment in Payment.objects.filter(method__in=ONLINE, settlement_number="").only("pk", "receipt_number"):
        Payment.objects.filter(pk=payment.pk).update(settlement_number=f"未登録-{payment.receipt_number}")


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0004_invoice_member_society_key"),
        ("members", "0007_status_on_date_index"),
    ]

    operations = [
        migrations.RunPython(fill_missing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("method__in", ONLINE), _negated=True),
                                   models.Q(("settlement_number", ""), _negated=True), _connector="OR"),
                name="billing_payment_online_settlement_number"),
        ),
    ]
