from django.http import HttpResponse
from django.urls import include, path


def noop(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/noop", noop), path("", include("controlroom.urls"))]

handler500 = "controlroom.middleware.server_error"
