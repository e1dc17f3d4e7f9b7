from django.urls import path

from chaperone.site import account_views, accounts, outbox, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("school/switch/", views.school_switch, name="school_switch"),
    path("school/details/", views.school_details, name="school_details"),
    path("school/terms/", views.school_terms, name="school_terms"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/two-factor/setup/", accounts.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", accounts.two_factor_verify, name="two_factor_verify"),
    path("accounts/", account_views.account, name="account"),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("accounts/sessions/", account_views.sessions, name="sessions"),
    path("accounts/backup-codes/", account_views.backup_codes, name="backup_codes"),
    path(
        "accounts/invite/<str:uidb64>/<str:token>/",
        account_views.invite_accept,
        name="invite_accept",
    ),
    # the demo's outbox (sessions: parents); says only "no outbox" outside the demo
    path("demo/outbox/", outbox.outbox, name="demo_outbox"),
]
