from django.urls import path

from districts import views as district_views
from members import views

app_name = "members"
urlpatterns = [
    path("uploads/", views.upload_list, name="upload_list"),
    path("uploads/new/", views.upload_new, name="upload_new"),
    path("uploads/template.xlsx", views.upload_template, name="upload_template"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/progress/", views.upload_progress, name="upload_progress"),
    path("uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path("uploads/<int:pk>/discard/", views.upload_discard, name="upload_discard"),
    path("uploads/<int:pk>/refused-rows.xlsx", views.upload_report, name="upload_report"),
    path("export/<str:code>.xlsx", views.member_export, name="member_export"),
    path("uploaders/", views.uploaders, name="uploaders"),
    path("search/", district_views.member_search, name="search"),  # across districts: see that view
    path("rejects/<str:code>/", views.rejects, name="rejects"),
    path("rejects/<str:code>/rejects.xlsx", views.rejects_export, name="rejects_export"),
    path("rejects/<str:code>/corrections/", views.rejects_upload, name="rejects_upload"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/withdraw/", views.member_withdraw, name="member_withdraw"),
    path("villages/<int:pk>/new/", views.member_add, name="member_add"),
    path("<int:pk>/correct/", views.reject_fix, {"action": "correct"}, name="reject_correct"),
    path("<int:pk>/replace/", views.reject_fix, {"action": "replace"}, name="reject_replace"),
    path("<int:pk>/remove/", views.reject_fix, {"action": "remove"}, name="reject_remove"),
    path("<int:pk>/call-again/", views.reject_fix, {"action": "call_again"}, name="reject_call_again"),
]
