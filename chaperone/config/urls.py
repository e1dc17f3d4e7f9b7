from django.urls import include, path

urlpatterns = [
    path("", include("chaperone.site.urls")),
    path("people/", include("chaperone.people.urls")),
    path("audit/", include("chaperone.audit.urls")),
    path("protocols/", include("chaperone.protocols.urls")),
    path("sessions/", include("chaperone.scheduling.urls")),
    path("concerns/", include("chaperone.concerns.urls")),
    path("welfare/", include("chaperone.welfare.urls")),
    path("records/", include("chaperone.records.urls")),
]
