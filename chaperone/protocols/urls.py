from django.urls import path

from chaperone.protocols import views, views_editor

app_name = "protocols"
urlpatterns: list = [
    path("", views.current, name="current"),
    path("parent/", views.parent_version, name="parent"),
    path("schools/<int:school_id>/<slug:audience>.pdf", views.school_pdf, name="school_pdf"),
    path("history/", views.history, name="history"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/source.toml", views.version_source, name="version_source"),
    path("upload/", views.upload, name="upload"),
    path("confirm-additions/", views.confirm_additions, name="confirm_additions"),
    path("editor/", views_editor.edit, name="editor"),
    path("editor/preview/", views_editor.edit_preview, name="editor_preview"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path("acknowledgements/remind/", views.remind, name="remind"),
    path("try/", views.try_it, name="try"),
    path("try/result/", views.try_result, name="try_result"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<slug:template_id>/", views.template_detail, name="template_detail"),
    path(
        "templates/<slug:template_id>/<slug:audience>.pdf",
        views.template_pdf,
        name="template_pdf",
    ),
]
