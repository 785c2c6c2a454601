"""Moving documents and screenings from the portal app to ``suppliers`` changes the state
only: rows, foreign keys and content types of a database that has data keep working."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from suppliers.models import Document, Screening, ScreeningItem

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("suppliers", "0001_initial"), ("portal", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_rows_foreign_keys_and_content_types_survive_the_move():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    document_type_id = ContentType.objects.get_for_model(Document).pk
    old = _migrate(BEFORE)
    try:
        # The content type table itself is unchanged: read it with today's model.
        assert ContentType.objects.filter(pk=document_type_id).values_list("app_label", flat=True).get() == "portal"
        supplier = old.get_model("suppliers", "Supplier").objects.create(
            code="MIG-1", name="Migrated Ltd", country="CN", category="production", status="candidate")
        document = old.get_model("portal", "Document").objects.create(
            supplier_id=supplier.pk, kind="iso_9001", title="ISO 9001", file="documents/1/x.pdf",
            original_name="x.pdf", content_type="application/pdf", size=4)
        screening = old.get_model("portal", "Screening").objects.create(supplier_id=supplier.pk)
        old.get_model("portal", "ScreeningItem").objects.create(
            screening_id=screening.pk, topic="iso_9001", evidence_id=document.pk, answer="certified")
    finally:
        _migrate(latest)

    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Document).pk == document_type_id
    assert ContentType.objects.get(pk=document_type_id).app_label == "suppliers"
    moved = Document.objects.get(pk=document.pk)
    assert (moved.supplier.code, moved.title, moved.file.name) == ("MIG-1", "ISO 9001", "documents/1/x.pdf")
    item = ScreeningItem.objects.select_related("screening", "evidence").get(screening_id=screening.pk)
    assert (item.evidence, item.screening.supplier_id, item.answer) == (moved, supplier.pk, "certified")
    assert list(Screening.objects.filter(supplier=moved.supplier)) == [item.screening]
