from django.urls import path

from chaperone.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("reads/", views.read_list, name="read_list"),
    path("trust/", views.trust_event_list, name="trust_event_list"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
]
