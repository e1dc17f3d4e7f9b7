from django.urls import path

from chaperone.people import views, views_import, views_staff_admin

app_name = "people"
urlpatterns: list = [
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/<int:pk>/", views.pupil_detail, name="pupil_detail"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("flag-changes/", views.flag_changes, name="flag_changes"),
    path("staff/<int:pk>/roles/", views_staff_admin.staff_roles, name="staff_roles"),
    path("staff/<int:pk>/login/", views_staff_admin.staff_account, name="staff_account"),
    path("roles/awaiting/", views_staff_admin.role_confirmations, name="role_confirmations"),
    path("roles/awaiting/<int:pk>/confirm/", views_staff_admin.role_confirm, name="role_confirm"),
    path("code-of-conduct/", views.code_of_conduct, name="code_of_conduct"),
    path("import/", views_import.import_start, name="import_start"),
    path("import/<uuid:batch>/", views_import.import_preview, name="import_preview"),
    path("import/<uuid:batch>/confirm/", views_import.import_confirm, name="import_confirm"),
]
