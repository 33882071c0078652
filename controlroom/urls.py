from django.contrib import admin
from django.urls import include, path

from controlroom import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("districts/", include("districts.urls")),
    path("calls/", include("calls.urls")),
    path("members/", include("members.urls")),
    path("admin/", admin.site.urls),
]

# A database outage met before any view (in the session or user middleware) still gets the 503 page.
handler500 = "controlroom.middleware.server_error"
