"""The indicator catalogue and methodology v1 (docs: ../shared/docs/scorecard.md), published."""

from django.db import migrations
from django.utils import timezone


def create_v1(apps, schema_editor):
    from scoring.methodology import V1

    Indicator = apps.get_model("scoring", "Indicator")
    Methodology = apps.get_model("scoring", "Methodology")
    MethodologyIndicator = apps.get_model("scoring", "MethodologyIndicator")
    indicators = {}
    for spec in V1.indicators:
        indicators[spec.code], _ = Indicator.objects.get_or_create(
            code=spec.code, defaults={"title": spec.title, "category": spec.category, "source": spec.source}
        )
    if Methodology.objects.filter(version=V1.version).exists():
        return
    methodology = Methodology.objects.create(
        version=V1.version,
        description="Scorecard methodology v1 as shipped (scorecard.md).",
        status="published",
        coverage_target=V1.coverage_target,
        grade_bands=[[grade, str(minimum)] for grade, minimum in V1.grade_bands],
        qbr_weights={name: str(weight) for name, weight in V1.qbr_weights.items()},
        audit_validity_months=V1.audit_validity_months,
        expiring_days=V1.expiring_days,
        published_at=timezone.now(),
    )
    MethodologyIndicator.objects.bulk_create([
        MethodologyIndicator(methodology=methodology, indicator=indicators[spec.code], weight=spec.weight,
                             normalisation=spec.normalisation, params=spec.params)
        for spec in V1.indicators
    ])


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_v1, migrations.RunPython.noop)]
