"""RBA audits at supplier sites, their findings and corrective action plans (CAPs), the
deadline table, in-app notifications and termination reviews (domain.md, RBA section).

Rules about one row live here as small methods; everything that writes or crosses rows
lives in ``audits.services`` (audits, findings, CAPs), ``audits.escalation`` (termination
review), ``audits.reminders`` (the daily job) and ``audits.importers``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from audits import dates
from core.history import tracked_history
from core.quarter import today as business_day
from suppliers.models import Site, Supplier

# --------------------------------------------------------------------------- audits


class AuditType(models.TextChoices):
    VAP_FULL = "vap_full", _("VAP full (initial) audit")
    VAP_CLOSURE = "vap_closure", _("VAP closure audit")
    EQUIVALENT_THIRD_PARTY = "equivalent_third_party", _("Equivalent third-party audit")
    SAQ = "saq", _("Self-assessment questionnaire")


# Full audits renew a site's two-year validity; closure audits verify corrections only.
FULL_AUDIT_TYPES = (AuditType.VAP_FULL, AuditType.EQUIVALENT_THIRD_PARTY)


class AuditCategory(models.TextChoices):
    VAP = "vap", _("VAP")
    VAP_MEDIUM_SMALL = "vap_medium_small", _("VAP Medium/Small Business")
    INDIRECT_SPEND_VAP = "indirect_spend_vap", _("Indirect Spend VAP")
    SVAP = "svap", _("SVAP (specialty audit on forced labour)")
    OTHER = "other", _("Other")


class AuditProtocol(models.TextChoices):
    VAP = "vap", _("VAP (RBA-managed)")
    CMA = "cma", _("CMA (customer-managed)")
    AMA = "ama", _("AMA (auditee-managed)")


class Recognition(models.TextChoices):
    PLATINUM = "platinum", _("Platinum")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    NONE = "none", _("None")


class SaqRisk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORT_PENDING = "report_pending", _("Report pending")
    CORRECTIVE_ACTIONS_OPEN = "corrective_actions_open", _("Corrective actions open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses of an audit that has taken place: only these count for validity and scoring.
CONDUCTED_STATUSES = (AuditStatus.REPORT_PENDING, AuditStatus.CORRECTIVE_ACTIONS_OPEN, AuditStatus.CLOSED)
# Statuses of an audit that is still to take place (planning looks at them).
UPCOMING_STATUSES = (AuditStatus.PLANNED, AuditStatus.SCHEDULED, AuditStatus.IN_PROGRESS)


class Audit(models.Model):
    """One audit (or SAQ) at a site; ``conducted_on`` is the last day of the audit (the contract's name)."""

    audit_ref = models.CharField(_("audit reference"), max_length=80, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="audits", verbose_name=_("site"))
    audit_type = models.CharField(_("audit type"), max_length=30, choices=AuditType.choices)
    category = models.CharField(_("category"), max_length=30, choices=AuditCategory.choices, blank=True)
    protocol = models.CharField(_("protocol"), max_length=10, choices=AuditProtocol.choices, blank=True)
    audit_firm = models.CharField(_("audit firm"), max_length=255, blank=True)
    rba_audit_id = models.CharField(_("RBA audit id"), max_length=64, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    conducted_on = models.DateField(_("end date (conducted on)"), null=True, blank=True, db_index=True)
    due_by = models.DateField(_("due by"), null=True, blank=True,
                              help_text=_("For planned audits: the date the site's cycle needs the audit by."))
    report_received_on = models.DateField(_("report received on"), null=True, blank=True)
    score = models.DecimalField(_("official score"), max_digits=5, decimal_places=2, null=True, blank=True,
                                help_text=_("0–200 as stated in the report; never computed."))
    section_scores = models.JSONField(_("section scores"), default=dict, blank=True,
                                      help_text=_('Optional, e.g. {"A": 180, "B": 190}.'))
    recognition = models.CharField(_("recognition"), max_length=10, choices=Recognition.choices, null=True,
                                   blank=True)
    saq_risk = models.CharField(_("SAQ risk band"), max_length=10, choices=SaqRisk.choices, null=True, blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="closure_audits",
                               verbose_name=_("parent full audit"))
    report_file = models.FileField(_("report file"), upload_to="audit-reports/%Y/", blank=True)
    status = models.CharField(_("status"), max_length=30, choices=AuditStatus.choices, default=AuditStatus.PLANNED,
                              db_index=True)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, db_index=True,
        help_text=_("Full audits: the last day the audit is valid (two years from the end date)."),
    )
    responsible_analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                            blank=True, related_name="+", verbose_name=_("responsible analyst"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["-conducted_on", "audit_ref"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        indexes = [models.Index(fields=["site", "audit_type", "conducted_on"], name="audits_audi_site_id_2afad3_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=200),
                                   name="audit_score_0_200"),
            models.CheckConstraint(condition=Q(audit_type="saq") | Q(saq_risk__isnull=True),
                                   name="audit_saq_risk_only_for_saq"),
            models.CheckConstraint(condition=~Q(audit_type="saq") | Q(score__isnull=True),
                                   name="audit_no_score_for_saq"),
            models.CheckConstraint(condition=Q(audit_type="vap_closure") | Q(parent__isnull=True),
                                   name="audit_parent_only_for_closure"),
        ]

    def __str__(self) -> str:
        return self.audit_ref

    @property
    def is_full(self) -> bool:
        return self.audit_type in FULL_AUDIT_TYPES

    @property
    def is_conducted(self) -> bool:
        return self.status in CONDUCTED_STATUSES

    def computed_valid_until(self, validity_months: int | None = None) -> dt.date | None:
        """The value ``valid_until`` must hold for the current type and end date, with the
        validity period in force today (``audits.policy``) unless given. The stored value is
        informative: the cycle pages and the scores recompute validity for the quarter shown."""
        if not self.is_full or self.conducted_on is None:
            return None
        if validity_months is None:
            from audits.policy import policy_at

            validity_months = policy_at(business_day()).validity_months
        return dates.audit_valid_until(self.conducted_on, validity_months)


# --------------------------------------------------------------------------- provisions


class AuditFirm(models.Model):
    """The register of audit firms procurement has approved (RBA-approved audit firms and
    accepted equivalents). Planning suggests approved firms and flags any other text;
    ``import_audits`` keeps accepting any ``audit_firm`` text (audits.planning)."""

    name = models.CharField(_("name"), max_length=255)
    approved = models.BooleanField(_("approved"), default=True)
    countries = models.CharField(_("countries/regions served"), max_length=255, blank=True,
                                 help_text=_("ISO country codes separated by spaces; empty: any."))
    note = models.TextField(_("note"), blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["name"]
        verbose_name = _("audit firm")
        verbose_name_plural = _("audit firms")
        constraints = [models.UniqueConstraint(Lower("name"), name="audit_firm_unique_name")]

    def __str__(self) -> str:
        return self.name


class Standard(models.TextChoices):
    RBA = "rba", _("RBA Code of Conduct")
    SUPPLIER_CODE = "supplier_code", _("Our Supplier Code of Conduct")


class Provision(models.Model):
    """One provision of a code of conduct, e.g. RBA 8.0 A1 Freely Chosen Employment."""

    standard = models.CharField(_("standard"), max_length=20, choices=Standard.choices)
    version = models.CharField(_("version"), max_length=10)
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=255)

    history = tracked_history()

    class Meta:
        ordering = ["standard", "-version", "code"]
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")
        constraints = [models.UniqueConstraint(fields=["standard", "version", "code"], name="provision_unique")]

    def __str__(self) -> str:
        return f"{self.get_standard_display()} {self.version} {self.code} {self.title}"

    @property
    def section(self) -> str:
        """The section letter (A Labor … E Management System) for RBA provisions."""
        return self.code[:1].upper() if self.standard == Standard.RBA else ""


# Provisions whose Priority findings are zero-tolerance unless said otherwise: forced
# labour (A1) and child labour (A2).
ZERO_TOLERANCE_PROVISIONS = ("A1", "A2")
HEALTH_AND_SAFETY_SECTION = "B"

# --------------------------------------------------------------------------- deadlines


class Severity(models.TextChoices):
    PRIORITY = "priority", _("Priority")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    RISK = "risk", _("Risk of non-conformance")
    OFI = "ofi", _("Opportunity for improvement")


class CapClock(models.TextChoices):
    REPORT = "report", _("From the final report")
    DISCOVERY = "discovery", _("From discovery (the finding's opened date)")


class DeadlineRule(models.Model):
    """Days to submit a CAP and to correct, per severity (domain.md defaults, admin-editable)."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, unique=True)
    cap_days = models.PositiveIntegerField(_("days to submit the CAP"), null=True, blank=True,
                                           help_text=_("Empty: no CAP required (a plan is only recommended)."))
    cap_clock = models.CharField(_("CAP clock starts"), max_length=10, choices=CapClock.choices,
                                 default=CapClock.REPORT)
    correction_days = models.PositiveIntegerField(_("days to correct"), null=True, blank=True,
                                                  help_text=_("Counted from the finding's opened date."))
    correction_days_health_safety = models.PositiveIntegerField(
        _("days to correct (health & safety)"), null=True, blank=True,
        help_text=_("Used instead for findings against section B (Health & Safety) when set."),
    )
    overall_limit_months = models.PositiveIntegerField(
        _("overall limit (months after the audit)"), default=18,
        help_text=_("No correction deadline falls later than this many months after the audit end date."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["severity"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")

    def __str__(self) -> str:
        return str(self.get_severity_display())


# --------------------------------------------------------------------------- findings


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    # Recorded in error: ignored by scoring as if never recorded (scorecard.md section 4),
    # kept visible with who/when/why; its reference cannot be imported again.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ClosureMethod(models.TextChoices):
    CLOSURE_AUDIT = "closure_audit", _("Closure audit")
    EVIDENCE = "evidence", _("Accepted evidence")
    IMPORT = "import", _("Closed per imported record")


class Finding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings", verbose_name=_("audit"))
    finding_ref = models.CharField(_("finding reference"), max_length=80, unique=True)
    provision = models.ForeignKey(Provision, on_delete=models.PROTECT, related_name="findings",
                                  verbose_name=_("provision"))
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, db_index=True)
    zero_tolerance = models.BooleanField(
        _("zero tolerance"), default=False,
        help_text=_("Forced or child labour and similar: triggers termination review."),
    )
    description = models.TextField(_("description"), blank=True)
    sample_share = models.DecimalField(_("share of the sample affected (%)"), max_digits=5, decimal_places=2,
                                       null=True, blank=True)
    opened_on = models.DateField(_("opened on"))
    cap_due_on = models.DateField(_("CAP due on"), null=True, blank=True)
    correction_due_on = models.DateField(_("correction due on"), null=True, blank=True, db_index=True)
    # False when an import gave no due_on and the date above comes from the deadline table:
    # reminders still use it, but the scorecard (RBA-06) only counts due dates that were given.
    due_on_given = models.BooleanField(_("due date given"), default=True)
    # An extension granted later (audits.services.findings_extend_due): the WORKING due date
    # that reminders and "overdue" use; the dates above stay as given, and the scorecard
    # (RBA-06) keeps counting against them (scorecard.md section 4).
    cap_due_extended_to = models.DateField(_("CAP due date extended to"), null=True, blank=True)
    correction_due_extended_to = models.DateField(_("correction due date extended to"), null=True, blank=True)
    due_extension_reason = models.TextField(_("reason for the latest due date extension"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_via = models.CharField(_("closed by"), max_length=20, choices=ClosureMethod.choices, blank=True)
    closure_audit = models.ForeignKey(Audit, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="closed_findings", verbose_name=_("closure audit"))
    status = models.CharField(_("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN,
                              db_index=True)
    termination_review = models.ForeignKey("TerminationReview", on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="findings", verbose_name=_("termination review"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("withdrawn by"))
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["-opened_on", "finding_ref"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                                   name="finding_closed_after_opened"),
            models.CheckConstraint(
                condition=(Q(status="open", closed_on__isnull=True) | Q(status="closed", closed_on__isnull=False)
                           | Q(status="withdrawn", withdrawn_at__isnull=False)),
                name="finding_status_matches_closed_on",
            ),
            models.CheckConstraint(condition=Q(sample_share__isnull=True) | Q(sample_share__gte=0,
                                                                              sample_share__lte=100),
                                   name="finding_sample_share_percent"),
        ]

    def __str__(self) -> str:
        return self.finding_ref

    @property
    def is_open(self) -> bool:
        return self.status == FindingStatus.OPEN

    @property
    def cap_due_working(self):
        """The CAP due date reminders and "overdue" use: the extension's, else ``cap_due_on``."""
        return self.cap_due_extended_to or self.cap_due_on

    @property
    def correction_due_working(self):
        """The correction due date reminders and "overdue" use: the extension's, else
        ``correction_due_on``."""
        return self.correction_due_extended_to or self.correction_due_on

    @property
    def needs_cap(self) -> bool:
        """An opportunity for improvement only recommends a plan."""
        return self.severity != Severity.OFI


# --------------------------------------------------------------------------- CAPs


class CapState(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IMPLEMENTED = "implemented", _("Implemented")
    VERIFIED_CLOSED = "verified_closed", _("Verified closed")


class CapManager(models.TextChoices):
    AUDITEE = "auditee", _("Auditee")
    CUSTOMER = "customer", _("Customer")
    RBA = "rba", _("RBA")


class CorrectiveAction(models.Model):
    """The corrective action plan (CAP) of one finding."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="corrective_action",
                                   verbose_name=_("finding"))
    manager = models.CharField(_("CAP manager"), max_length=10, choices=CapManager.choices,
                               default=CapManager.CUSTOMER)
    root_cause = models.TextField(_("root cause"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    preventive_action = models.TextField(_("preventive action"), blank=True)
    owner = models.CharField(_("owner"), max_length=255, blank=True)
    planned_completion = models.DateField(_("planned completion"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=CapState.choices, default=CapState.NOT_STARTED,
                             db_index=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("corrective action plan")
        verbose_name_plural = _("corrective action plans")

    def __str__(self) -> str:
        return f"CAP {self.finding_id} ({self.state})"

    @property
    def is_editable(self) -> bool:
        """Content can change only before submission or after a rejection."""
        return self.state in (CapState.NOT_STARTED, CapState.REJECTED)


class CapTransition(models.Model):
    """Who moved a CAP from one state to another, when, and why."""

    corrective_action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=CapState.choices)
    to_state = models.CharField(max_length=20, choices=CapState.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    by_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("CAP transition")
        verbose_name_plural = _("CAP transitions")

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class CapEvidence(models.Model):
    """A document supporting a CAP (photos, records, training lists...)."""

    corrective_action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="cap-evidence/%Y/%m/")
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    history = tracked_history()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("CAP evidence")
        verbose_name_plural = _("CAP evidence")

    def __str__(self) -> str:
        return self.description or self.file.name


# --------------------------------------------------------------------------- escalation


class TerminationDecision(models.TextChoices):
    TERMINATE = "terminate", _("Terminate")
    KEEP_WITH_CONDITIONS = "keep_with_conditions", _("Keep with conditions")
    # Not chosen by anyone: the review closed because every finding behind it was withdrawn.
    FINDINGS_WITHDRAWN = "findings_withdrawn", _("Closed: findings withdrawn")


# What a procurement admin may decide on an open review.
DECISION_CHOICES = [choice for choice in TerminationDecision.choices
                    if choice[0] != TerminationDecision.FINDINGS_WITHDRAWN]


class TerminationReview(models.Model):
    """Opened by a zero-tolerance finding; closed by a recorded decision (who/when/why).

    A supplier has at most one open review: later zero-tolerance findings join it.
    """

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="termination_reviews",
                                 verbose_name=_("supplier"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=30, choices=TerminationDecision.choices, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_by_label = models.CharField(_("decided by"), max_length=150, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("termination review")
        verbose_name_plural = _("termination reviews")
        constraints = [
            models.UniqueConstraint(fields=["supplier"], condition=Q(decided_at__isnull=True),
                                    name="one_open_termination_review_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.decision or 'open'}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None


# --------------------------------------------------------------------------- notifications


class NotificationKind(models.TextChoices):
    CAP_OVERDUE = "cap_overdue", _("CAP overdue")
    CORRECTION_OVERDUE = "correction_overdue", _("Correction overdue")
    AUDIT_EXPIRING = "audit_expiring", _("Audit expiring")
    SITE_NEVER_AUDITED = "site_never_audited", _("Site never audited")
    ZERO_TOLERANCE = "zero_tolerance", _("Zero-tolerance finding")
    CAP_SUBMITTED = "cap_submitted", _("CAP submitted for review")
    CAP_CHANGES_REQUESTED = "cap_changes_requested", _("CAP changes requested")
    CAP_APPROVED = "cap_approved", _("CAP approved")
    VALUE_SUBMITTED = "value_submitted", _("Indicator value submitted for review")
    VALUE_REVIEWED = "value_reviewed", _("Indicator value reviewed")
    RECOGNITION_EXPIRING = "recognition_expiring", _("Factory of Choice expiring")


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately, one e-mail per notification run")
    DAILY = "daily", _("Once a day, in a digest")
    OFF = "off", _("No e-mail (in the portal only)")


class NotificationPreference(models.Model):
    """How a person receives notifications by e-mail, and in which language
    (audits.notifications). A person without a row gets immediate e-mails in their
    supplier contact language, else English."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    delivery = models.CharField(_("e-mail"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")

    history = tracked_history()

    def __str__(self) -> str:
        return f"{self.user_id} {self.delivery} {self.language}"


class NotificationDigest(models.Model):
    """One daily digest e-mail per person per day: the unique row is what makes it once-only."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_person_per_day")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.day}"


class Notification(models.Model):
    """An in-app notification, e-mailed once. ``key`` names (item, due date, threshold,
    recipient): the unique constraint on it is what makes every reminder once-only."""

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="audit_notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    threshold = models.CharField(_("threshold"), max_length=20, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    recognition = models.ForeignKey("SiteRecognition", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Claim token: the run that created or claimed the row for e-mailing; the claim holds
    # until ``claim_expires_at`` (a run killed before sending leaves it to the next run).
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    # Why the e-mail could not be built or was refused for this recipient (never retried).
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "cancelled_at", "read_at"])]

    def __str__(self) -> str:
        return self.subject


# --------------------------------------------------------------------------- site recognitions


class RecognitionProgram(models.TextChoices):
    # scorecard.md section 9: ``rba_foc`` is the only program; others are refused at input.
    RBA_FOC = "rba_foc", _("RBA Factory of Choice")


class SiteRecognition(models.Model):
    """A recognition a site holds (RBA Factory of Choice), valid ``awarded_on`` …
    ``expires_on`` inclusive. ``expires_on`` is always stored: when not given it is
    ``audits.dates.recognition_default_expiry(awarded_on)`` (section 9)."""

    history = tracked_history()

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="recognitions")
    program = models.CharField(_("program"), max_length=20, choices=RecognitionProgram.choices,
                               default=RecognitionProgram.RBA_FOC)
    awarded_on = models.DateField(_("awarded on"))
    expires_on = models.DateField(_("expires on"), help_text=_("The last valid day"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site_id", "program", "-awarded_on"]
        constraints = [models.UniqueConstraint(fields=["site", "program", "awarded_on"],
                                               name="recognition_unique_site_program_awarded_on")]
        verbose_name = _("site recognition")
        verbose_name_plural = _("site recognitions")

    def __str__(self) -> str:
        return f"{self.site_id} {self.program} {self.awarded_on}"
