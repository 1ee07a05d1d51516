"""PostgreSQL: one foreign key (member_id, society_id) → members_member (id, society_id) for an invoice.

It replaces the two single-column keys Django created (member_id → members_member, society_id → members_society):
- stronger: an invoice's society must be its member's society, not just any society;
- cheaper: PostgreSQL checks each inserted row's keys one by one at commit, and a billing run inserts tens of
  thousands of invoices at a time — two checks per invoice (this key and the run's) instead of three
  (bench/README.md, BIL-1).

SQLite keeps Django's two keys (it cannot add a key to an existing table, and its checks are cheap). Django's
model state still describes the two single-column keys; tests/billing/test_run_schema.py checks that the database
has the intended keys, so that a later migration re-creating them is noticed.
"""

from django.db import migrations

UNIQUE = "members_member_id_society_key"
KEY = "billing_invoice_member_society_fk"


def _single_column_keys(schema_editor, table: str, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [name for name, c in constraints.items() if c["foreign_key"] and c["columns"] == [column]]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in ("member_id", "society_id"):
        for name in _single_column_keys(schema_editor, "billing_invoice", column):
            schema_editor.execute(f'ALTER TABLE "billing_invoice" DROP CONSTRAINT "{name}"')
    schema_editor.execute(f'ALTER TABLE "members_member" ADD CONSTRAINT "{UNIQUE}" UNIQUE ("id", "society_id")')
    schema_editor.execute(
        f'ALTER TABLE "billing_invoice" ADD CONSTRAINT "{KEY}" FOREIGN KEY ("member_id", "society_id") '
        f'REFERENCES "members_member" ("id", "society_id") DEFERRABLE INITIALLY DEFERRED')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "billing_invoice" DROP CONSTRAINT "{KEY}"')
    schema_editor.execute(f'ALTER TABLE "members_member" DROP CONSTRAINT "{UNIQUE}"')
    schema_editor.execute(
        'ALTER TABLE "billing_invoice" ADD CONSTRAINT "billing_invoice_member_id_273dc3fb_fk_members_member_id" '
        'FOREIGN KEY ("member_id") REFERENCES "members_member" ("id") DEFERRABLE INITIALLY DEFERRED')
    schema_editor.execute(
        'ALTER TABLE "billing_invoice" ADD CONSTRAINT "billing_invoice_society_id_4451b5c1_fk_members_society_id" '
        'FOREIGN KEY ("society_id") REFERENCES "members_society" ("id") DEFERRABLE INITIALLY DEFERRED')


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_run_inserts_fewer_checks"),
        ("members", "0006_mypagesignin_client_address"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
