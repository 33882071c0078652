from django.urls import path

from calls import views

app_name = "calls"
urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/check/", views.console_check, name="console_check"),
    path("console/start/", views.start, name="start"),
    path("console/stop/", views.stop, name="stop"),
    path("console/mark/", views.mark, name="mark"),
    path("console/undo/", views.undo, name="undo"),
    path("floor/", views.floor, name="floor"),
    path("floor/operators/<int:operator_id>/release/", views.release, name="release"),
    path("floor/productivity/", views.productivity, name="productivity"),
    path("floor/productivity.xlsx", views.productivity_export, name="productivity_export"),
]
