"""Carry the hand-written change log into the models' history (core/history.py).

Each entry about a tracked object becomes a historical row of that object: when and who from
the entry, ``channel`` = ``legacy:<actor label>``, the reason = the entry's action, its
recorded old/new values (JSON) and its reason. The row's field values are the object's values
at migration time (the old log kept only the fields it named). Entries about things that are
not tracked objects (import summaries, recalculation summaries, report requests: the import
rows, score runs and reports hold those facts) and entries whose object no longer exists are
not carried over; the count is printed.
"""

import json

from django.db import migrations

CREATED = {"create", "created", "import_create", "admin_create", "upload", "open", "plan", "drafted"}
DELETED = {"deleted"}
BATCH = 2000

# entity_type → (app, model, how entity_id names the object)
ENTITIES = {
    "supplier": ("suppliers", "Supplier", "code"),
    "site": ("suppliers", "Site", "code"),
    "spend": ("suppliers", "SpendRecord", "spend"),
    "fx_rate": ("suppliers", "FxRate", "fx_rate"),
    "audit": ("audits", "Audit", "audit_ref"),
    "finding": ("audits", "Finding", "finding_ref"),
    "corrective_action": ("audits", "CorrectiveAction", "finding__finding_ref"),
    "deadline_rule": ("audits", "DeadlineRule", "severity"),
    "methodology": ("scoring", "Methodology", "version"),
    "indicator_value": ("scoring", "IndicatorValue", "indicator_value"),
    "qbr_component": ("scoring", "QbrComponent", "qbr_component"),
    "document": ("suppliers", "Document", "pk"),
    "screening": ("suppliers", "Screening", "pk"),
}
HISTORY_APP = {"Document": "core", "Screening": "core"}


def _lookup(model, how, ids):
    """entity_id → object, in one or two queries."""
    ids = set(ids)
    found = {}
    numeric = {i for i in ids if i.isdigit()}
    if numeric:
        found.update({str(o.pk): o for o in model.objects.filter(pk__in=[int(i) for i in numeric])})
    if how in ("pk",):
        return found
    if how == "spend":
        for o in model.objects.select_related("supplier").filter(
                supplier__code__in={i.split("/")[0] for i in ids if i.count("/") == 2}):
            found.setdefault(f"{o.supplier.code}/{o.quarter}/{o.currency}", o)
        return found
    if how == "fx_rate":
        for o in model.objects.filter(quarter__in={i.split("/")[0] for i in ids if "/" in i}):
            found.setdefault(f"{o.quarter}/{o.currency}", o)
        return found
    if how == "indicator_value":
        codes = {i.split("/")[0] for i in ids if i.count("/") == 2}
        for o in model.objects.select_related("supplier", "indicator").filter(supplier__code__in=codes):
            found.setdefault(f"{o.supplier.code}/{o.quarter}/{o.indicator.code.upper()}", o)
        return found
    if how == "qbr_component":
        supplier_ids = {int(i.split("/")[0]) for i in ids if i.count("/") == 2 and i.split("/")[0].isdigit()}
        for o in model.objects.filter(supplier_id__in=supplier_ids):
            found.setdefault(f"{o.supplier_id}/{o.quarter}/{o.component}", o)
        return found
    field = how.replace("__", ".")
    related = [how.split("__")[0]] if "__" in how else []
    for o in model.objects.select_related(*related).filter(**{f"{how}__in": ids - numeric}):
        value = o
        for part in field.split("."):
            value = getattr(value, part)
        found[str(value)] = o
    return found


def forwards(apps, schema_editor):
    Entry = apps.get_model("core", "ChangeLogEntry")
    carried = skipped = 0
    for entity, (app, name, how) in ENTITIES.items():
        entries = list(Entry.objects.filter(entity_type=entity).order_by("at", "id"))
        if not entries:
            continue
        model = apps.get_model(app, name)
        history = apps.get_model(HISTORY_APP.get(name, app), f"Historical{name}")
        objects = _lookup(model, how, {e.entity_id for e in entries})
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = []
        for entry in entries:
            obj = objects.get(entry.entity_id)
            if obj is None:
                skipped += 1
                continue
            reason = f"{entry.action}: {json.dumps(entry.changes, default=str, ensure_ascii=False)}"
            if entry.reason:
                reason += f" ({entry.reason})"
            history_type = "+" if entry.action in CREATED else "-" if entry.action in DELETED else "~"
            rows.append(history(
                **{name: getattr(obj, name) for name in fields},
                history_date=entry.at, history_user_id=entry.actor_id, history_type=history_type,
                history_change_reason=reason, channel=f"legacy:{entry.actor_label}"[:200],
            ))
            if len(rows) >= BATCH:
                history.objects.bulk_create(rows)
                carried += len(rows)
                rows = []
        history.objects.bulk_create(rows)
        carried += len(rows)
    skipped += Entry.objects.exclude(entity_type__in=list(ENTITIES)).count()
    if carried or skipped:
        print(f"\n  change log: {carried} entries carried into history, {skipped} not carried over")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_history_documents_screenings"),
        ("suppliers", "0005_history"),
        ("audits", "0006_history_and_finding_withdrawal"),
        ("scoring", "0006_history"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
