from django.urls import path

from portal.views import (
    audits,
    dashboard,
    disclosure,
    documents,
    findings,
    notifications,
    reports,
    scorecard,
    screening,
    site,
    suppliers,
    termination,
)

app_name = "portal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/gaps/<str:metric>/", dashboard.coverage_gaps, name="coverage-gaps"),
    # suppliers and their self-service pages
    path("suppliers/", suppliers.supplier_list, name="supplier-list"),
    path("suppliers/<str:code>/", suppliers.supplier_detail, name="supplier-detail"),
    path("suppliers/<str:code>/status/", suppliers.supplier_status, name="supplier-status"),
    path("suppliers/<str:code>/owner/", suppliers.supplier_owner, name="supplier-owner"),
    path("suppliers/<str:code>/values/", suppliers.supplier_values, name="supplier-values"),
    path("suppliers/<str:code>/documents/", documents.supplier_documents, name="supplier-documents"),
    path("suppliers/<str:code>/screening/", screening.screening_detail, name="screening-detail"),
    path("suppliers/<str:code>/screening/<str:action>/", screening.screening_action, name="screening-action"),
    path("suppliers/<str:code>/report-card/", reports.report_card, name="report-card"),
    path("suppliers/<str:code>/termination-review/", termination.termination_review, name="termination-review"),
    path("documents/expiring/", documents.expiring_documents, name="expiring-documents"),
    path("documents/<int:pk>/download/", documents.document_download, name="document-download"),
    # audits and findings
    path("audits/", audits.audit_cycle, name="audit-cycle"),
    path("audits/planned/", audits.audit_planned, name="audit-planned"),
    path("audits/new/", audits.audit_create, name="audit-create"),
    path("audits/<str:ref>/", audits.audit_detail, name="audit-detail"),
    path("audits/<str:ref>/findings/", audits.finding_create, name="finding-create"),
    path("audits/<str:ref>/status/", audits.audit_status, name="audit-status"),
    path("audits/<str:ref>/edit/", audits.audit_edit, name="audit-edit"),
    path("findings/", findings.findings_board, name="findings-board"),
    path("findings/<str:ref>/", findings.finding_detail, name="finding-detail"),
    path("findings/<str:ref>/due-dates/", findings.finding_due_dates, name="finding-due-dates"),
    path("findings/<str:ref>/cap/<str:action>/", findings.cap_action, name="cap-action"),
    path("evidence/<int:pk>/download/", documents.cap_evidence_download, name="cap-evidence-download"),
    # scorecard administration
    path("scorecard/methodologies/", scorecard.methodology_list, name="methodology-list"),
    path("scorecard/methodologies/new/", scorecard.methodology_draft, name="methodology-draft"),
    path("scorecard/methodologies/<str:version>/", scorecard.methodology_detail, name="methodology-detail"),
    path("scorecard/methodologies/<str:version>/weights/", scorecard.methodology_weights,
         name="methodology-weights"),
    path("scorecard/methodologies/<str:version>/publish/", scorecard.methodology_publish,
         name="methodology-publish"),
    path("scorecard/runs/", scorecard.run_list, name="run-list"),
    path("scorecard/runs/<int:pk>/", scorecard.run_detail, name="run-detail"),
    path("scorecard/runs/<int:pk>/status.json", scorecard.run_status, name="run-status"),
    path("scorecard/runs/<int:pk>/cancel/", scorecard.run_cancel, name="run-cancel"),
    path("scorecard/runs/<int:pk>/retry/", scorecard.run_retry, name="run-retry"),
    path("scorecard/values/", scorecard.value_queue, name="value-queue"),
    path("scorecard/values/<int:pk>/<str:decision>/", scorecard.value_review, name="value-review"),
    # reports and screening
    path("reports/", reports.report_list, name="report-list"),
    path("reports/<int:pk>/status.json", reports.report_status, name="report-status"),
    path("reports/<int:pk>/download/", reports.report_download, name="report-download"),
    path("screening/", screening.screening_board, name="screening-board"),
    # disclosure: the public supplier list and publication consent
    path("disclosure/supplier-list/", disclosure.supplier_publication, name="supplier-publication"),
    path("suppliers/<str:code>/publishable/", disclosure.supplier_publishable, name="supplier-publishable"),
    path("disclosure/emissions/", disclosure.emissions_estimate, name="emissions-estimate"),
    # the user's own in-app notifications
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/read/", notifications.notification_read, name="notification-read"),
]
