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
]
