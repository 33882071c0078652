from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from controlroom.forms import LoginForm
from controlroom.roles import Role

HOME_BY_ROLE = {
    Role.OPERATOR: "calls:console",
    Role.DISTRICT_PRESIDENT: "districts:list",
    Role.STATE_LEADER: "districts:list",
    Role.SUPERVISOR: "calls:floor",
}


@login_required
def home(request):
    return redirect(HOME_BY_ROLE[request.user.role])


# The language picked on the login page, before anyone is logged in: it becomes the user's own at login.
CHOSEN_LANGUAGE = "chosen_language"


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        chosen = self.request.session.pop(CHOSEN_LANGUAGE, None)
        response = super().form_valid(form)
        user = form.get_user()
        if chosen in dict(settings.LANGUAGES) and chosen != user.language:
            user.language = chosen
            user.save(update_fields=["language"])
        return response


class LogoutView(auth_views.LogoutView):
    """Logging out ends an operator's shift, so their unfinished numbers go back to the pool."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role == Role.OPERATOR:
            from calls.services import shift_stop

            shift_stop(operator=request.user)
        return super().post(request, *args, **kwargs)


@require_POST
def set_language(request):
    """Django's language switch, also saved on the user so it follows them to the next login."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    else:
        request.session[CHOSEN_LANGUAGE] = language
    return response


def _redis_ok() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _static_ok() -> bool:
    """Every page links the stylesheet: without `collectstatic` its hashed name is unknown and each page is a
    server error, while the database and Redis are fine."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    try:
        staticfiles_storage.url("css/app.css")
    except ValueError:
        return False
    return True


@never_cache
@require_GET
def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        checks["database"] = "error"
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "error"
    checks["static"] = "ok" if _static_ok() else "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
