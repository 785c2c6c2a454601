"""Forms of the portal pages: they parse and validate input at the edge; the services
validate again before writing, and their errors are shown next to the same fields."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audits.models import (
    DECISION_CHOICES,
    AuditStatus,
    AuditType,
    Delivery,
    Recognition,
    SaqRisk,
    Severity,
    TerminationDecision,
)
from core import uploads
from core.parsers import CellError, normalize_identifier, parse_quarter
from core.quarter import Quarter
from core.quarter import today as business_day
from disclosure.models import Course, InventorySource
from portal.indicators import indicator_title
from reports.models import ReportFormat
from scoring.labels import SOURCE_LABELS
from scoring.methodology import DERIVED_SOURCES, REPORTED, source_error
from scoring.methodology_drafts import plain_number
from scoring.models import Indicator, Methodology, MethodologyStatus
from scoring.selectors import current_methodology, methodology_params
from scoring.values import canonical_value
from suppliers.models import CERTIFICATE_KINDS, ISO_TOPICS, DocumentKind, ScreeningDecision, SupplierStatus, Verdict

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: next to the field it names, or at
    the top of the form when it names no field of this form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class IdentifierFormField(forms.CharField):
    """A code or reference typed in the portal, normalised and checked by
    ``core.parsers.normalize_identifier`` (the rule of imports and the API)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalize_identifier(value)
        except CellError as exc:
            raise ValidationError(str(exc)) from None


class QuarterField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("help_text", _("YYYY-Qn, e.g. 2026-Q3"))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return parse_quarter(value)
        except ValueError:
            raise ValidationError(_("“%(value)s” is not a quarter; write YYYY-Qn, e.g. 2026-Q3."),
                                  params={"value": value}) from None


# --------------------------------------------------------------------------- suppliers


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=SupplierStatus.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OwnerForm(forms.Form):
    """The supplier's owner (category manager): an analyst or admin, or nobody."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("nobody"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        from core import roles

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = roles.supplier_owner_candidates()


# Formatted when shown, so it follows the user's language (a module-level % would freeze English).
_upload_help = lazy(lambda: _("PDF, PNG, JPEG, XLSX, DOCX, CSV or text; at most %(mb)s MB.")
                    % {"mb": uploads.document_max_bytes() // (1024 * 1024)}, str)


def _file_field(label, required=True):
    accept = ",".join(uploads.ALLOWED_EXTENSIONS)
    return forms.FileField(label=label, required=required, widget=forms.ClearableFileInput(attrs={"accept": accept}),
                           help_text=_upload_help())



class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            help_text=_("Empty: the file name."))
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE,
                                 help_text=_("Required for certificates."))
    file = _file_field(_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            uploads.check_document(upload)
        except uploads.UploadRefused as exc:
            raise ValidationError(str(exc)) from exc
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") in CERTIFICATE_KINDS and not data.get("expires_on"):
            self.add_error("expires_on", _("A certificate needs its expiry date."))
        return data


class EvidenceFileMixin:
    """``evidence_file`` checked by the one upload checker (``core.uploads.check_document``):
    a refused file is the field's error, with the checker's reason."""

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            try:
                uploads.check_document(upload)
            except uploads.UploadRefused as exc:
                raise ValidationError(str(exc)) from exc
        return upload


class IndicatorValueForm(EvidenceFileMixin, forms.Form):
    quarter = QuarterField(label=_("Quarter"))
    indicator = forms.ModelChoiceField(label=_("Indicator"), queryset=Indicator.objects.none(),
                                       to_field_name="code")
    value = forms.CharField(label=_("Value"), max_length=60,
                            help_text=_("A number with a dot, yes/no, or the code the indicator lists."))
    source = forms.CharField(label=_("Source"), max_length=200, required=False,
                             help_text=_("e.g. CDP 2026, sustainability report 2025"))
    evidence_document = forms.ModelChoiceField(label=_("Evidence: an uploaded document"), required=False,
                                               queryset=None, empty_label=_("— none —"))
    evidence_file = _file_field(_("…or upload the evidence now"), required=False)
    evidence_link = forms.URLField(label=_("…or a link to the evidence"), required=False, max_length=300,
                                   assume_scheme="https")

    def __init__(self, *args, documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(source="reported").order_by("code")
        self.fields["indicator"].label_from_instance = (
            lambda indicator: f"{indicator.code} — {indicator_title(indicator.code, indicator.title)}")
        self.fields["evidence_document"].queryset = documents
        self.fields["evidence_document"].label_from_instance = (
            lambda document: f"{document.title} ({document.original_name})")
        if not self.is_bound:
            self.initial.setdefault("quarter", str(Quarter.containing(business_day())))


    def clean(self):
        data = super().clean()
        indicator, value = data.get("indicator"), data.get("value")
        if indicator and value:
            try:
                spec = methodology_params(current_methodology()).indicator(indicator.code)
                data["value"] = canonical_value(spec, value)
            except CellError as exc:
                self.add_error("value", str(exc))
        evidence = [bool(data.get("evidence_document")), bool(data.get("evidence_file")),
                    bool(data.get("evidence_link"))]
        if sum(evidence) > 1:
            self.add_error(None, _("Give one piece of evidence: a document, a new file or a link."))
        return data


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --------------------------------------------------------------------------- audits


class AuditForm(forms.Form):
    RECORDABLE_STATUSES = [(s, label) for s, label in AuditStatus.choices if s != AuditStatus.CANCELLED]

    site = IdentifierFormField(label=_("Site code"), max_length=50)
    audit_type = forms.ChoiceField(label=_("Audit type"), choices=AuditType.choices)
    status = forms.ChoiceField(label=_("Status"), choices=RECORDABLE_STATUSES, initial=AuditStatus.PLANNED)
    audit_ref = IdentifierFormField(label=_("Audit reference"), max_length=80, required=False,
                                help_text=_("Empty: one is generated."))
    audit_firm = forms.CharField(label=_("Audit firm"), max_length=255, required=False,
                                 widget=forms.TextInput(attrs={"list": "audit-firms"}))
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    conducted_on = forms.DateField(label=_("End date (conducted on)"), required=False, widget=DATE)
    due_by = forms.DateField(label=_("Due by"), required=False, widget=DATE)
    report_received_on = forms.DateField(label=_("Report received on"), required=False, widget=DATE)
    score = forms.DecimalField(label=_("Official score (0–200)"), required=False, min_value=0, max_value=200,
                               decimal_places=2)
    recognition = forms.ChoiceField(label=_("Recognition"), required=False,
                                    choices=[("", "—"), *Recognition.choices])
    saq_risk = forms.ChoiceField(label=_("SAQ risk band"), required=False, choices=[("", "—"), *SaqRisk.choices])
    parent = IdentifierFormField(label=_("Parent full audit (closure audits)"), max_length=80, required=False)

    def __init__(self, *args, sites=None, audits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._sites, self._audits = sites, audits

    def clean_site(self):
        site = self._sites.filter(code=self.cleaned_data["site"]).first()
        if site is None:
            raise ValidationError(_("No site with this code."))
        return site

    def clean_parent(self):
        ref = self.cleaned_data.get("parent") or ""
        if not ref:
            return None
        parent = self._audits.filter(audit_ref=ref).first()
        if parent is None:
            raise ValidationError(_("No audit with this reference."))
        return parent


class AuditScheduleForm(forms.Form):
    """The firm and dates of an audit still to take place."""

    audit_firm = forms.CharField(label=_("Audit firm"), max_length=255, required=False,
                                 widget=forms.TextInput(attrs={"list": "audit-firms"}))
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    conducted_on = forms.DateField(label=_("End date"), required=False, widget=DATE)
    due_by = forms.DateField(label=_("Due by"), required=False, widget=DATE,
                             help_text=_("The date the site's two-year cycle needs the audit by."))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("conducted_on")
        if start and end and start > end:
            self.add_error("conducted_on", _("The end date is before the start date."))
        return data


class AuditPlanGapsForm(forms.Form):
    until = forms.DateField(label=_("Sites whose audit stops being valid before"), widget=DATE)


class AuditStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=AuditStatus.choices)
    note = forms.CharField(label=_("Note"), required=False)


class FindingForm(forms.Form):
    ZERO_TOLERANCE = [("", _("Default (Priority in A1/A2)")), ("yes", _("Yes")), ("no", _("No"))]

    provision_code = IdentifierFormField(label=_("Provision code"), max_length=20, help_text=_("e.g. A1, B3"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE)
    zero_tolerance = forms.ChoiceField(label=_("Zero tolerance"), choices=ZERO_TOLERANCE, required=False)
    sample_share = forms.DecimalField(label=_("Share of the sample affected (%)"), required=False, min_value=0,
                                      max_value=100, decimal_places=2)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_provision_code(self):
        from audits.models import Provision
        from audits.selectors import rba_provisions_by_code

        code = self.cleaned_data["provision_code"].strip()
        found = rba_provisions_by_code().get(code.lower())
        if found is None:
            raise ValidationError(_("Unknown RBA provision code “%(code)s”."), params={"code": code})
        return Provision.objects.get(pk=found[0])

    def clean_zero_tolerance(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("zero_tolerance") or "")


class TerminationDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISION_CHOICES, widget=forms.RadioSelect)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Required when the supplier is kept: what it must do, by when."))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why this decision; it is recorded with your name and the time."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == TerminationDecision.KEEP_WITH_CONDITIONS and not data.get("conditions", "").strip():
            self.add_error("conditions", _("State the conditions under which the supplier is kept."))
        return data


class FindingExtendForm(forms.Form):
    """The findings board's "extend due date" (``audits.services.findings_extend_due`` checks it)."""

    deadline = forms.ChoiceField(label=_("Due date"), choices=[("cap", _("CAP due date")),
                                                                ("correction", _("Correction due date"))])
    due_on = forms.DateField(label=_("Extend to"), widget=DATE, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class FindingDueDatesForm(forms.Form):
    cap_due_on = forms.DateField(label=_("CAP due on"), required=False, widget=DATE,
                                 help_text=_("Empty: no due date."))
    correction_due_on = forms.DateField(label=_("Correction due on"), required=False, widget=DATE,
                                        help_text=_("Empty: no due date."))
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             help_text=_("Why the due dates change; kept in the change log."))

    def __init__(self, *args, opened_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._opened_on = opened_on

    def clean(self):
        data = super().clean()
        for name in ("cap_due_on", "correction_due_on"):
            value = data.get(name)
            if value and self._opened_on and value < self._opened_on:
                self.add_error(name, _("The due date is before the finding was opened (%(date)s).")
                               % {"date": self._opened_on.isoformat()})
        return data


# --------------------------------------------------------------------------- CAPs


class CapForm(forms.Form):
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    corrective_action = forms.CharField(label=_("Corrective action"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 3}))
    preventive_action = forms.CharField(label=_("Preventive action"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label=_("Owner"), max_length=255, required=False)
    planned_completion = forms.DateField(label=_("Target date (planned completion)"), required=False, widget=DATE)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CapRejectForm(forms.Form):
    reason = forms.CharField(label=_("What must change"), widget=forms.Textarea(attrs={"rows": 3}))


class CapVerifyForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=DATE, help_text=_("Empty: today."))
    closure_audit = forms.CharField(label=_("Closure audit reference"), required=False, max_length=80,
                                    help_text=_("Empty: closed on accepted evidence."))
    note = forms.CharField(label=_("Note"), required=False)


class EvidenceForm(forms.Form):
    file = _file_field(_("Evidence file"))
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            uploads.check_document(upload)
        except uploads.UploadRefused as exc:
            raise ValidationError(str(exc)) from exc
        return upload


# --------------------------------------------------------------------------- scorecard


class RunForm(forms.Form):
    quarter = QuarterField(label=_("Quarter"))
    methodology = forms.ModelChoiceField(label=_("Methodology"), required=False, to_field_name="version",
                                         queryset=Methodology.objects.filter(status=MethodologyStatus.PUBLISHED),
                                         empty_label=_("latest published"))


class PreviewForm(forms.Form):
    """A what-if run: any version (drafts included) on a quarter, beside the official results."""

    quarter = QuarterField(label=_("Quarter"))
    methodology = forms.ModelChoiceField(label=_("Methodology"), to_field_name="version",
                                         queryset=Methodology.objects.order_by("-created_at", "-id"))


class DraftForm(forms.Form):
    version = forms.SlugField(label=_("New version"), max_length=30, allow_unicode=False)
    based_on = forms.ModelChoiceField(label=_("Based on"), queryset=Methodology.objects.all(),
                                      to_field_name="version")
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_version(self):
        version = self.cleaned_data["version"]
        if Methodology.objects.filter(version=version).exists():
            raise ValidationError(_("This version already exists."))
        return version


def source_field_name(code: str) -> str:
    return f"source-{code}"


class WeightsForm(forms.Form):
    """One weight field per indicator of a draft, and a source choice for the indicators a
    derived source may serve (scorecard.md section 9; the service validates the choice)."""

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            code = row.indicator.code
            self.fields[code] = forms.DecimalField(
                label=f"{code} {indicator_title(code, row.indicator.title)}", min_value=0, max_digits=7,
                decimal_places=3, initial=plain_number(row.weight),
                widget=forms.NumberInput(attrs={"step": "any", "data-weight": "1", "inputmode": "decimal"}))
            options = [source for source, codes in DERIVED_SOURCES.items() if code in codes
                       and source_error(code, row.indicator.source, source) is None]
            if row.indicator.source == REPORTED and options:
                self.fields[source_field_name(code)] = forms.ChoiceField(
                    label=_("Source of %(code)s") % {"code": code},
                    choices=[(s, SOURCE_LABELS.get(s, s)) for s in (REPORTED, *options)],
                    initial=row.source or row.indicator.source, required=False)

    def clean(self):
        data = super().clean()
        if not self.errors:
            total = sum(data[row.indicator.code] for row in self.rows)
            data["total"] = total
        return data


class SettingsForm(forms.Form):
    """A draft's settings as people write them (``scoring.methodology_drafts.settings_set``
    validates them): the coverage target in percent, grade bands as ``A 85, B 70, C 50, D 0``."""

    coverage_target = forms.DecimalField(label=_("Coverage target (%)"), min_value=Decimal("0.01"),
                                         max_value=100, max_digits=7, decimal_places=2)
    grade_bands = forms.CharField(label=_("Grade bands"), max_length=200,
                                  help_text=_("Best first, each grade and its minimum score: A 85, B 70, C 50, D 0"))
    qbr_quality = forms.DecimalField(label=_("QBR weight: quality"), min_value=0, max_digits=6, decimal_places=2)
    qbr_delivery = forms.DecimalField(label=_("QBR weight: delivery"), min_value=0, max_digits=6, decimal_places=2)
    qbr_cost = forms.DecimalField(label=_("QBR weight: cost"), min_value=0, max_digits=6, decimal_places=2)
    qbr_service = forms.DecimalField(label=_("QBR weight: service"), min_value=0, max_digits=6, decimal_places=2)
    qbr_esg = forms.DecimalField(label=_("QBR weight: ESG"), min_value=0, max_digits=6, decimal_places=2)
    audit_validity_months = forms.IntegerField(label=_("Audit validity (months)"), min_value=1, max_value=120)
    expiring_days = forms.IntegerField(label=_("Expiring horizon (days)"), min_value=1, max_value=730)

    QBR = ("quality", "delivery", "cost", "service", "esg")

    @classmethod
    def initial_for(cls, methodology) -> dict:
        return {
            "coverage_target": plain_number(Decimal(methodology.coverage_target) * 100),
            "grade_bands": ", ".join(f"{grade} {plain_number(minimum)}" for grade, minimum in methodology.grade_bands),
            **{f"qbr_{key}": plain_number(methodology.qbr_weights.get(key, 0)) for key in cls.QBR},
            "audit_validity_months": methodology.audit_validity_months, "expiring_days": methodology.expiring_days,
        }

    def clean_grade_bands(self):
        bands = []
        for part in self.cleaned_data["grade_bands"].split(","):
            pieces = part.split()
            if len(pieces) != 2:
                raise ValidationError(_("Write each band as a grade and its minimum score, e.g. A 85, B 70, "
                                        "C 50, D 0."))
            bands.append([pieces[0], pieces[1]])
        return bands

    def changes(self) -> dict:
        data = self.cleaned_data
        return {"coverage_target": data["coverage_target"] / 100, "grade_bands": data["grade_bands"],
                "qbr_weights": {key: data[f"qbr_{key}"] for key in self.QBR},
                "audit_validity_months": data["audit_validity_months"], "expiring_days": data["expiring_days"]}


# --------------------------------------------------------------------------- reports


class ReportForm(forms.Form):
    quarter = forms.ChoiceField(label=_("Quarter"), choices=())
    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)

    def __init__(self, *args, quarters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = [(q, q) for q in quarters]


# --------------------------------------------------------------------------- screening


class ScreeningAnswersForm(forms.Form):
    """The supplier's answer, evidence and (ISO) certificate expiry per topic."""

    def __init__(self, *args, items=(), documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"{item.topic}-answer"] = forms.CharField(
                label=item.get_topic_display(), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                initial=item.answer)
            evidence = forms.ModelChoiceField(label=_("Evidence"), required=False, queryset=documents,
                                              initial=item.evidence_id, empty_label=_("— none —"))
            evidence.label_from_instance = lambda d: f"{d.title} ({d.original_name})"
            self.fields[f"{item.topic}-evidence"] = evidence
            if item.topic in ISO_TOPICS:
                self.fields[f"{item.topic}-certificate_expires_on"] = forms.DateField(
                    label=_("Certificate expires on"), required=False, widget=DATE,
                    initial=item.certificate_expires_on)

    def answers(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {item.topic: {"answer": data.get(f"{item.topic}-answer", ""),
                             "evidence": data.get(f"{item.topic}-evidence"),
                             "certificate_expires_on": data.get(f"{item.topic}-certificate_expires_on")}
                for item in self.items}

    def rows(self):
        for item in self.items:
            yield item, [self[name] for name in (f"{item.topic}-answer", f"{item.topic}-evidence",
                                                  f"{item.topic}-certificate_expires_on") if name in self.fields]


class ScreeningReviewForm(forms.Form):
    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"{item.topic}-verdict"] = forms.ChoiceField(
                label=_("Verdict"), choices=Verdict.choices, initial=item.verdict)
            self.fields[f"{item.topic}-reviewer_comment"] = forms.CharField(
                label=_("Comment"), required=False, initial=item.reviewer_comment,
                widget=forms.Textarea(attrs={"rows": 2}))

    def verdicts(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {item.topic: (data[f"{item.topic}-verdict"], data.get(f"{item.topic}-reviewer_comment", ""))
                for item in self.items}

    def rows(self):
        for item in self.items:
            yield item, self[f"{item.topic}-verdict"], self[f"{item.topic}-reviewer_comment"]


class ScreeningDecisionForm(forms.Form):
    """The decision with up to ``CONDITION_ROWS`` conditions, each with its due date
    (``suppliers.screening.screening_decide``)."""

    CONDITION_ROWS = 4

    decision = forms.ChoiceField(label=_("Decision"), choices=ScreeningDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, self.CONDITION_ROWS + 1):
            self.fields[f"condition_{n}"] = forms.CharField(
                label=_("Condition %(n)s") % {"n": n}, required=False, max_length=500)
            self.fields[f"condition_{n}_due_on"] = forms.DateField(
                label=_("Due by"), required=False, widget=DATE)

    def conditions(self) -> list[tuple[str, object]]:
        """``[(text, due_on)]`` of the rows filled in (either part)."""
        rows = []
        for n in range(1, self.CONDITION_ROWS + 1):
            text, due_on = self.cleaned_data.get(f"condition_{n}", ""), self.cleaned_data.get(f"condition_{n}_due_on")
            if text.strip() or due_on:
                rows.append((text, due_on))
        return rows


class ScreeningConditionMetForm(forms.Form):
    met_on = forms.DateField(label=_("Met on"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class NotificationPreferenceForm(forms.Form):
    delivery = forms.ChoiceField(label=_("E-mail me"), choices=Delivery.choices)
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=settings.LANGUAGES)


class ContactInviteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=settings.LANGUAGES, initial="en")


class ContactDeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class ScreeningReturnForm(forms.Form):
    comment = forms.CharField(label=_("What the supplier should add"), widget=forms.Textarea(attrs={"rows": 2}))


class MineralsReportForm(forms.Form):
    """A supplier's CMRT or EMRT (the RMI Excel workbook); the service reads and checks it."""

    template = forms.ChoiceField(label=_("Template"), choices=(("cmrt", _("CMRT (tin, tantalum, tungsten, gold)")),
                                                               ("emrt", _("EMRT (cobalt, mica and more)"))))
    file = forms.FileField(label=_("RMI workbook (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
                           help_text=_("The template as filled in: CMRT 6.01–6.5 or EMRT 1.1–2.1."))


class MineralsReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
# --------------------------------------------------------------------------- training and inventories


class TrainingCompletionForm(forms.Form):
    """A completion a supplier registers (``disclosure.services.training_completion_submit``)."""

    person_ref = forms.CharField(label=_("Person reference"), max_length=254,
                                 help_text=_("Your own staff id or e-mail for the person."))
    course = forms.ModelChoiceField(label=_("Course"), queryset=None, to_field_name="code")
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE)
    score = forms.DecimalField(label=_("Score (0–100)"), required=False, min_value=0, max_value=100,
                               decimal_places=2)
    certificate = _file_field(_("Certificate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.order_by("code")
        self.fields["course"].label_from_instance = lambda course: f"{course.code} — {course_title(course)}"


def course_title(course) -> str:
    """The course title in the active language (Chinese when given and active)."""
    return course.title_zh if course.title_zh and (get_language() or "").startswith("zh") else course.title


_TCO2E_FIELD = {"min_value": 0, "max_digits": 24, "decimal_places": 6}


class InventoryForm(forms.Form):
    """A year's GHG inventory a supplier submits (``disclosure.services.inventory_submit``)."""

    year = forms.IntegerField(label=_("Reporting year"))
    scope1_tco2e = forms.DecimalField(label=_("Scope 1 (tCO2e)"), **_TCO2E_FIELD)
    scope2_market_tco2e = forms.DecimalField(label=_("Scope 2 market-based (tCO2e)"), required=False,
                                             **_TCO2E_FIELD)
    scope2_location_tco2e = forms.DecimalField(label=_("Scope 2 location-based (tCO2e)"), required=False,
                                               **_TCO2E_FIELD)
    scope3_tco2e = forms.DecimalField(label=_("Scope 3 (tCO2e)"), required=False, **_TCO2E_FIELD)
    revenue = forms.DecimalField(label=_("Revenue"), required=False, max_digits=24, decimal_places=4)
    revenue_currency = forms.CharField(label=_("Revenue currency (ISO 4217)"), required=False, max_length=3)
    source = forms.ChoiceField(label=_("Source"), choices=(), required=False)
    verified = forms.BooleanField(label=_("Externally verified"), required=False)
    evidence = _file_field(_("Evidence (CDP response, RBA report, verification statement)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = InventorySource.choices
        if not self.is_bound:
            self.initial.setdefault("year", business_day().year - 1)


class SessionForm(forms.Form):
    code = IdentifierFormField(label=_("Session code"), max_length=50)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    topic = forms.CharField(label=_("Topic"), max_length=255)
    course = forms.ModelChoiceField(label=_("Course"), queryset=None, required=False, to_field_name="code",
                                    empty_label=_("— none —"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.order_by("code")
        self.fields["course"].label_from_instance = lambda course: f"{course.code} — {course_title(course)}"
