"""import_indicator_values and import_qbr_components per contract.md."""

from decimal import Decimal

import pytest

from core.importing import ImportFailed
from scoring.importers import IndicatorValueImporter, QbrComponentImporter
from scoring.models import IndicatorValue, QbrComponent

pytestmark = pytest.mark.django_db

HEADER = "supplier_code,quarter,indicator_code,value,source,evidence_ref\n"


def run(importer, text):
    return importer(actor="test").run(text.encode())


def test_values_are_imported_accepted_and_canonical(own_supplier):
    result = run(IndicatorValueImporter, HEADER + "OWN-1,2026-Q3,env-03,b-,CDP 2026,\nOWN-1,2026-Q3,ENV-01,YES,,\n")
    assert result.created == 2
    values = {v.indicator.code: v for v in IndicatorValue.objects.select_related("indicator")}
    assert values["ENV-03"].value == "B-"
    assert values["ENV-03"].source == "CDP 2026"
    assert values["ENV-01"].value == "true"
    assert {v.state for v in values.values()} == {"accepted"}
    assert {v.origin for v in values.values()} == {"import"}


def test_reimport_is_unchanged_and_a_new_value_updates_the_same_row(own_supplier):
    text = HEADER + "OWN-1,2026-Q3,ECO-01,55,EcoVadis,\n"
    run(IndicatorValueImporter, text)
    first = IndicatorValue.objects.get()
    assert (run(IndicatorValueImporter, text).unchanged, IndicatorValue.objects.count()) == (1, 1)
    result = run(IndicatorValueImporter, HEADER + "OWN-1,2026-Q3,ECO-01,61,,\n")
    assert result.updated == 1
    updated = IndicatorValue.objects.get()
    assert (updated.pk, updated.value, updated.source) == (first.pk, "61", "EcoVadis")
    assert updated.submitted_at > first.submitted_at


def test_bad_values_name_row_and_column_and_write_nothing(own_supplier):
    text = HEADER + (
        "OWN-1,2026-Q3,ENV-03,B+,,\n"
        "OWN-1,2026-Q3,ENV-06,130,,\n"
        "OWN-1,2026-Q3,RBA-01,100,,\n"
        "OWN-1,2026-Q3,XYZ-01,1,,\n"
        "NOPE,2026-Q3,ENV-01,yes,,\n"
        "OWN-1,2026-Q3,ENV-01,yes,,\n"
    )
    with pytest.raises(ImportFailed) as failure:
        run(IndicatorValueImporter, text)
    assert [str(e) for e in failure.value.errors] == [
        "row 2, column value: 'B+' is not a known ENV-03 code; expected one of: A, A-, B, B-, C, C-, D, D-, F",
        "row 3, column value: 130 is above the maximum 100",
        "row 4, column indicator_code: RBA-01 is derived from audits and cannot be reported",
        "row 5, column indicator_code: unknown indicator code 'XYZ-01'",
        "row 6, column supplier_code: unknown supplier code 'NOPE'",
    ]
    assert IndicatorValue.objects.count() == 0


def test_qbr_components(own_supplier):
    text = "supplier_code,quarter,component,score\nOWN-1,2026-Q3,quality,88.5\nOWN-1,2026-Q3,Delivery,70\n"
    assert run(QbrComponentImporter, text).created == 2
    assert QbrComponent.objects.get(component="quality").score == Decimal("88.5")
    with pytest.raises(ImportFailed) as failure:
        run(QbrComponentImporter, "supplier_code,quarter,component,score\nOWN-1,2026-Q3,esg,50\n"
                                  "OWN-1,2026-Q3,cost,101\n")
    assert [str(e) for e in failure.value.errors] == [
        "row 2, column component: 'esg' is not a known QBR component; expected one of: quality, delivery, cost, "
        "service",
        "row 3, column score: 101 is above the maximum 100",
    ]


def test_qbr_reimport_is_unchanged_and_a_new_score_updates(own_supplier):
    text = "supplier_code,quarter,component,score\nOWN-1,2026-Q3,quality,88.5\n"
    run(QbrComponentImporter, text)
    again = run(QbrComponentImporter, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = run(QbrComponentImporter, "supplier_code,quarter,component,score\nOWN-1,2026-Q3,quality,90\n")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    assert QbrComponent.objects.get().score == Decimal("90")


def test_value_imports_record_each_change_with_before_and_after(own_supplier):
    from scoring.models import IndicatorValue
    from tests.history import changes

    run(IndicatorValueImporter, HEADER + "OWN-1,2026-Q3,ENV-01,yes,,\n")
    run(IndicatorValueImporter, HEADER + "OWN-1,2026-Q3,ENV-01,no,,\n")
    entries = changes(IndicatorValue)
    assert [(e["action"], e["changes"]["value"], e["channel"]) for e in entries] == [
        ("created", [None, "true"], "import:import_indicator_values"),
        ("updated", ["true", "false"], "import:import_indicator_values"),
    ]
