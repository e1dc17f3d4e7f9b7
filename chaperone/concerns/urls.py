from django.urls import path

from chaperone.concerns import views

app_name = "concerns"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.concern_raise, name="raise"),
    path("drafts/save/", views.draft_save, name="draft_save"),
    path("drafts/<int:pk>/discard/", views.draft_discard, name="draft_discard"),
    path("low-level/", views.low_level_log, name="low_level"),
    path("categories/", views.categories, name="categories"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step-up/", views.step_up, name="step_up"),
    path("<int:pk>/do/<slug:what>/", views.act, name="act"),
    path("<int:pk>/files/<int:file_pk>/", views.attachment, name="attachment"),
    path("<int:pk>/correct/pupils/", views.correct_pupils, name="correct_pupils"),
]

# chronology, transfer of the child protection file, dashboards (issue #10, items 4, 7, 8)
from chaperone.concerns import views_chronology, views_reports, views_transfer  # noqa: E402

urlpatterns += [
    path("pupils/<int:pk>/chronology/", views_chronology.chronology_page, name="chronology"),
    path("pupils/<int:pk>/chronology.pdf", views_chronology.chronology_pdf, name="chronology_pdf"),
    path("pupils/<int:pk>/events/add/", views_chronology.event_add, name="event_add"),
    path("dashboard/", views_reports.dashboard, name="dashboard"),
    path("dashboard/list/", views_reports.report_list, name="report_list"),
    path("governors-report/", views_reports.governors_report, name="governors_report"),
    path("transfers/", views_transfer.transfers, name="transfers"),
    path("transfers/new/", views_transfer.transfer_start, name="transfer_start"),
    path("transfers/import/", views_transfer.transfer_import, name="transfer_import"),
    path("transfers/<int:pk>/", views_transfer.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/bundle.zip", views_transfer.transfer_bundle, name="transfer_bundle"),
    path("transfers/<int:pk>/do/<slug:what>/", views_transfer.transfer_act, name="transfer_act"),
    path("received/<int:pk>/", views_transfer.received_file, name="received_file"),
]
