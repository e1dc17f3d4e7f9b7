from django.urls import path

from chaperone.records import views

app_name = "records"

urlpatterns = [
    path("", views.register, name="register"),
    path("mine/", views.mine, name="mine"),
    path("sessions/<int:pk>/add/", views.recording_add, name="add"),
    path("<int:pk>/", views.recording_detail, name="detail"),
    path("<int:pk>/open/", views.recording_open, name="open"),
    path("<int:pk>/hold/", views.recording_hold, name="hold"),
    path("<int:pk>/link/", views.recording_link, name="link"),
    path("watch/<str:token>/", views.recording_stream, name="stream"),
    path("access-log/", views.access_log, name="access_log"),
    path("schedule/", views.schedule, name="schedule"),
    path("holds/", views.holds, name="holds"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("logs/<int:pk>/hold/", views.log_hold, name="log_hold"),
    path("subject-access/", views.sar_list, name="sar_list"),
    path("subject-access/<int:pk>/", views.sar_detail, name="sar_detail"),
]
