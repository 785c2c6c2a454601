"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from audits import api, recognition_api

ROUTES = [
    ("audits", api.AuditViewSet, "audit"),
    ("findings", api.FindingViewSet, "finding"),
    ("corrective-actions", api.CorrectiveActionViewSet, "corrective-action"),
    ("provisions", api.ProvisionViewSet, "provision"),
    ("deadline-rules", api.DeadlineRuleViewSet, "deadline-rule"),
    ("audit-cycle", api.AuditCycleViewSet, "audit-cycle"),
    ("audit-coverage", api.AuditCoverageViewSet, "audit-coverage"),
    ("notifications", api.NotificationViewSet, "notification"),
    ("termination-reviews", api.TerminationReviewViewSet, "termination-review"),
    ("site-recognitions", recognition_api.SiteRecognitionViewSet, "site-recognition"),
]

# Extra paths under /api/v1/ that are not viewsets (e.g. coverage/).
URLS = []
