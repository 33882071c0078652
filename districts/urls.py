from django.urls import path

from districts import views

app_name = "districts"
urlpatterns = [
    path("", views.district_list, name="list"),
    path("export.xlsx", views.district_export, name="export"),
    path("<str:code>/", views.district_detail, name="detail"),
    path("<str:code>/members/", views.member_search, name="member_search"),
    path("<str:code>/members.xlsx", views.member_search_export, name="member_search_export"),
    path("<str:code>/villages.xlsx", views.district_export_villages, name="export_villages"),
    path("<str:code>/villages/<int:pk>/", views.village_detail, name="village"),
    path("<str:code>/villages/<int:pk>/merge/", views.village_merge, name="village_merge"),
    path("<str:code>/villages/<int:pk>/rename/", views.village_rename, name="village_rename"),
    path("<str:code>/villages/<int:pk>/members.xlsx", views.village_export, name="village_export"),
]
