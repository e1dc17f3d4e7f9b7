from django.urls import path

from chaperone.welfare import views

app_name = "welfare"

urlpatterns = [
    path("", views.call_sheet, name="sheet"),
    path("calls/<int:pk>/", views.call_record, name="record"),
    path("tiers/", views.tiers, name="tiers"),
    path("tiers/<int:pk>/", views.tier_change, name="tier_change"),
    path("families/", views.households, name="households"),
    path("families/<int:pk>/", views.household_preferences, name="preferences"),
    path("families/import/", views.preferences_import, name="preferences_import"),
    path("callers/", views.callers, name="callers"),
    path("callers/<int:pk>/", views.availability, name="availability"),
    path("rotas/", views.rotas, name="rotas"),
    path("rotas/<int:pk>/", views.rota, name="rota"),
    path("rotas/<int:pk>/replan/", views.replan, name="replan"),
    path("escalations/", views.escalations, name="escalations"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation"),
    path("escalations/steps/<int:pk>/", views.escalation_step, name="escalation_step"),
    path("escalations/ladder/", views.ladder, name="ladder"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/calls.csv", views.export_csv, name="export_csv"),
    path("coverage/<int:school_id>/sheets.pdf", views.day_pdf, name="day_pdf"),
]
