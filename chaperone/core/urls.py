from django.urls import path

from chaperone.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
