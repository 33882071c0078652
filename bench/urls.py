from django.http import HttpResponse
from django.urls import include, path

from controlroom.roles import Role, role_required


def noop(request):
    return HttpResponse("ok", content_type="text/plain")


@role_required(Role.OPERATOR)
def signed_in_noop(request):
    """The cost every operator page pays before its own work: the session and the user, then nothing."""
    return HttpResponse(request.user.username, content_type="text/plain")


urlpatterns = [
    path("bench/noop", noop),
    path("bench/signed-in", signed_in_noop),
    path("", include("controlroom.urls")),
]

handler500 = "controlroom.middleware.server_error"
