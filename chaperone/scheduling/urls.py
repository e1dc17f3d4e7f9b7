from django.urls import path

from chaperone.scheduling import anomaly_views, views, views_conduct, views_feeds

app_name = "scheduling"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("plan/", views.session_plan, name="plan"),
    path("plan/check/", views.session_check, name="check"),
    path("timetable/", views.timetable, name="timetable"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/change/", views.session_change, name="change"),
    path("<int:pk>/approval/", views.session_approval, name="approval"),
    path("<int:pk>/risk-assessment/", views.session_risk, name="risk"),
    path("<int:pk>/steps/<slug:kind>/", views.session_step, name="step"),
    path("<int:pk>/cancel/", views.session_cancel, name="cancel"),
    # anomaly flags (issue #9 part 5)
    path("timetable/flags/", anomaly_views.timetable_flags, name="timetable_flags"),
    # invitations and calendars
    path("calendar/", views_feeds.calendar_page, name="calendar"),
    path("calendar/feed/<str:token>.ics", views_feeds.calendar_feed, name="calendar_feed"),
]

# sessions (parents): the parents' signed links (public) and the host's actions about them
from chaperone.scheduling import views_parents  # noqa: E402

urlpatterns += [
    path("parents/<str:token>/", views_parents.parent_session, name="parent_session"),
    path("parents/<str:token>/protocol/", views_parents.parent_document, name="parent_document"),
    path("<int:pk>/parents/send/", views_parents.parent_resend, name="parent_resend"),
    path("<int:pk>/parents/implied/", views_parents.parent_implied, name="parent_implied"),
    # running the call and its log (issue #9, part 7-8)
    path("<int:pk>/run/", views_conduct.session_run, name="run"),
    path("<int:pk>/end/", views_conduct.session_end, name="end"),
    path("<int:pk>/end-and-report/", views_conduct.session_end_report, name="end_report"),
    path("<int:pk>/log/", views_conduct.session_log, name="log"),
    path("<int:pk>/log/add/", views_conduct.session_log_amend, name="log_amend"),
    path("log/", views_conduct.my_log, name="my_log"),
    path("register/", views_conduct.session_register, name="register"),
    path("register.csv", views_conduct.session_register_csv, name="register_csv"),
    path("team/", views_conduct.team_sessions, name="team"),
]
