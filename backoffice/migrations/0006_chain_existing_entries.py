"""SEC-1: chain the entries written before the audit trail was tamper-evident, per society, in the order they
were written (time, then id), and set each chain's head."""

from django.db import migrations

BATCH = 1000


def chain_existing(apps, schema_editor):
    from backoffice import audit_chain

    AuditEntry = apps.get_model("backoffice", "AuditEntry")
    AuditChainHead = apps.get_model("backoffice", "AuditChainHead")
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.using(db).all()}
    entries = AuditEntry.objects.using(db)
    society_ids = sorted(set(entries.order_by().values_list("society_id", flat=True).distinct()),
                         key=lambda s: -1 if s is None else s)
    for society_id in society_ids:
        rows = entries.filter(society_id=society_id) if society_id is not None else \
            entries.filter(society_id__isnull=True)
        last = rows.filter(seq__isnull=False).order_by("-seq").first()
        seq, last_hash = (last.seq, last.entry_hash) if last is not None else (0, "")
        pending = []
        for entry in rows.filter(seq__isnull=True).order_by("at", "id").iterator(chunk_size=BATCH):
            seq += 1
            entry.seq, entry.prev_hash = seq, last_hash
            entry.entry_hash = audit_chain.entry_digest(
                society_id=entry.society_id, seq=seq, at=entry.at, actor_label=entry.actor_label,
                actor_user_id=entry.actor_user_id, action=entry.action,
                target_type=labels.get(entry.target_type_id, "") if entry.target_type_id else "",
                target_id=entry.target_id, target_repr=entry.target_repr, before=entry.before,
                after=entry.after, batch_id=entry.batch_id, act_label=entry.act_label, prev_hash=last_hash,
            )
            last_hash = entry.entry_hash
            pending.append(entry)
            if len(pending) >= BATCH:
                AuditEntry.objects.using(db).bulk_update(pending, ["seq", "prev_hash", "entry_hash"])
                pending = []
        if pending:
            AuditEntry.objects.using(db).bulk_update(pending, ["seq", "prev_hash", "entry_hash"])
        AuditChainHead.objects.using(db).update_or_create(
            chain=audit_chain.chain_key(society_id), defaults={"last_seq": seq})


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0005_audit_chain"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
