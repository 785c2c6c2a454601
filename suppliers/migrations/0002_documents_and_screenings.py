"""Documents and onboarding screenings move from the portal app into the supplier domain.

State only: the tables keep their names (``portal_document``, ``portal_screening``,
``portal_screeningitem``), no row moves. Content types (and so permissions and admin log
entries) are relabelled from ``portal`` to ``suppliers``.
"""

import django.db.models.deletion
import suppliers.models
from django.conf import settings
from django.db import migrations, models

MOVED = ("document", "screening", "screeningitem")


def relabel_content_types(apps, schema_editor, old="portal", new="suppliers"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new, model__in=MOVED).values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=[m for m in MOVED if m not in taken]).update(app_label=new)


def restore_content_types(apps, schema_editor):
    relabel_content_types(apps, schema_editor, old="suppliers", new="portal")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0001_initial"),
        ("suppliers", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Document',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('iso_9001', 'ISO 9001 certificate'), ('iso_14001', 'ISO 14001 certificate'), ('iso_45001', 'ISO 45001 certificate'), ('certificate', 'Other certificate'), ('cdp_response', 'CDP response'), ('cmrt', 'CMRT (conflict minerals report)'), ('emrt', 'EMRT (extended minerals report)'), ('sustainability_report', 'Sustainability report'), ('audit_report', 'Audit report'), ('code_of_conduct', 'Signed supplier code of conduct'), ('policy', 'Policy'), ('evidence', 'Evidence'), ('other', 'Other')], max_length=30, verbose_name='kind')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('file', models.FileField(max_length=255, upload_to=suppliers.models.document_upload_to, verbose_name='file')),
                        ('original_name', models.CharField(max_length=255, verbose_name='original file name')),
                        ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                        ('size', models.PositiveBigIntegerField(verbose_name='size (bytes)')),
                        ('expires_on', models.DateField(blank=True, db_index=True, null=True, verbose_name='expires on')),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                        ('uploaded_by_label', models.CharField(blank=True, max_length=150, verbose_name='uploaded by')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='suppliers.supplier', verbose_name='supplier')),
                        ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                    ],
                    options={
                        'verbose_name': 'document',
                        'verbose_name_plural': 'documents',
                        'ordering': ['-uploaded_at', '-id'],
                        'db_table': 'portal_document',
                        'indexes': [models.Index(fields=['supplier', 'kind'], name='portal_docu_supplie_7ca6ad_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='Screening',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('open', 'Questionnaire open'), ('submitted', 'Submitted for review'), ('decided', 'Decided')], db_index=True, default='open', max_length=10, verbose_name='status')),
                        ('opened_at', models.DateTimeField(auto_now_add=True, verbose_name='opened at')),
                        ('opened_by_label', models.CharField(blank=True, max_length=150, verbose_name='opened by')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                        ('submitted_by_label', models.CharField(blank=True, max_length=150, verbose_name='submitted by')),
                        ('decision', models.CharField(blank=True, choices=[('approved', 'Approved'), ('conditional', 'Approved with conditions'), ('rejected', 'Rejected')], max_length=12, verbose_name='decision')),
                        ('decision_comment', models.TextField(blank=True, verbose_name='decision comment')),
                        ('conditions', models.TextField(blank=True, verbose_name='conditions')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('decided_by_label', models.CharField(blank=True, max_length=150, verbose_name='decided by')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='screenings', to='suppliers.supplier', verbose_name='supplier')),
                    ],
                    options={
                        'verbose_name': 'screening',
                        'verbose_name_plural': 'screenings',
                        'ordering': ['-opened_at', '-id'],
                        'db_table': 'portal_screening',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'decided'), _negated=True), fields=('supplier',), name='one_undecided_screening_per_supplier')],
                    },
                ),
                migrations.CreateModel(
                    name='ScreeningItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('topic', models.CharField(choices=[('sustainability_policy', 'Sustainability policy'), ('code_of_conduct', 'Signed supplier code of conduct'), ('iso_9001', 'ISO 9001 certification'), ('iso_14001', 'ISO 14001 certification'), ('iso_45001', 'ISO 45001 certification'), ('esg_standards', 'ESG standards followed'), ('environmental_impact', 'Environmental impact'), ('forced_labour', 'Forced-labour prevention controls'), ('public_reporting', 'Public reporting'), ('operations', 'Operations'), ('financial_stability', 'Financial stability'), ('product_security', 'Product security'), ('information_security', 'Information security'), ('esg_expectations', 'ESG expectations accepted')], max_length=30, verbose_name='topic')),
                        ('answer', models.TextField(blank=True, verbose_name="supplier's answer")),
                        ('certificate_expires_on', models.DateField(blank=True, null=True, verbose_name='certificate expires on')),
                        ('verdict', models.CharField(choices=[('pending', 'Not reviewed'), ('satisfactory', 'Satisfactory'), ('needs_improvement', 'Needs improvement'), ('unsatisfactory', 'Unsatisfactory'), ('not_applicable', 'Not applicable')], default='pending', max_length=20, verbose_name='verdict')),
                        ('reviewer_comment', models.TextField(blank=True, verbose_name="reviewer's comment")),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed at')),
                        ('reviewed_by_label', models.CharField(blank=True, max_length=150, verbose_name='reviewed by')),
                        ('evidence', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='suppliers.document', verbose_name='evidence')),
                        ('screening', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='suppliers.screening', verbose_name='screening')),
                    ],
                    options={
                        'verbose_name': 'screening item',
                        'verbose_name_plural': 'screening items',
                        'ordering': ['screening_id', 'id'],
                        'db_table': 'portal_screeningitem',
                        'constraints': [models.UniqueConstraint(fields=('screening', 'topic'), name='screening_item_unique_topic')],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
