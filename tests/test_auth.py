import pytest
from django.urls import reverse

from controlroom.roles import Role
from districts.models import User
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def test_login_page_is_hindi_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert '<html lang="hi">' in response.content.decode()


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "who, landing",
    [
        ("operator", "/calls/console/"),
        ("patna_president", "/districts/PAT/"),
        ("state_leader", "/districts/"),
        ("supervisor", "/calls/floor/"),
    ],
)
def test_each_role_lands_on_its_home_page(client, cast, request, who, landing):
    user = request.getfixturevalue(who)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == landing


def test_president_of_two_districts_sees_both(client, cast, patna_president, gaya):
    patna_president.districts.add(gaya)
    response = login(client, patna_president).get("/districts/")
    assert [row.obj.code for row in response.context["rows"]] == ["GAY", "PAT"]


def test_wrong_password_is_refused(client, operator):
    response = client.post("/login/", {"username": operator.username, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client, operator):
    login(client, operator)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_language_choice_is_remembered_for_the_user(client, operator):
    login(client, operator).post(reverse("set_language"), {"language": "en", "next": "/"})
    operator.refresh_from_db()
    assert operator.language == "en"
    client.cookies.clear()
    client.force_login(operator)
    assert '<html lang="en">' in client.get("/calls/console/").content.decode()


def test_language_picked_on_the_login_page_is_kept_after_logging_in(client, operator):
    operator.language = "hi"
    operator.save(update_fields=["language"])
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    response = client.post("/login/", {"username": operator.username, "password": PASSWORD}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    operator.refresh_from_db()
    assert operator.language == "en"


def test_a_language_left_in_the_cookie_by_someone_else_does_not_change_a_users_choice(client, operator):
    """A shared control-room PC: the next person's saved language wins over the last one's cookie."""
    operator.language = "hi"
    operator.save(update_fields=["language"])
    client.cookies["django_language"] = "en"
    response = client.post("/login/", {"username": operator.username, "password": PASSWORD}, follow=True)
    assert '<html lang="hi">' in response.content.decode()
    operator.refresh_from_db()
    assert operator.language == "hi"


def test_a_wrong_password_is_explained_in_plain_hindi(client, operator):
    response = client.post("/login/", {"username": operator.username, "password": "nope"})
    assert "यूज़रनेम या पासवर्ड गलत है" in response.content.decode()


def test_a_switched_off_account_is_told_so_and_only_with_its_right_password(client, operator):
    operator.is_active = False
    operator.save(update_fields=["is_active"])
    right = client.post("/login/", {"username": operator.username, "password": PASSWORD}).content.decode()
    assert "यह खाता बंद कर दिया गया है" in right and "पासवर्ड गलत है" not in right
    assert "_auth_user_id" not in client.session
    wrong = client.post("/login/", {"username": operator.username, "password": "nope"}).content.decode()
    assert "यूज़रनेम या पासवर्ड गलत है" in wrong, "a wrong password says nothing of the account"


def test_language_switch_rejects_get(client):
    assert client.get(reverse("set_language")).status_code == 405


def test_logins_and_failed_logins_are_audited(client, operator):
    from controlroom.models import AuditEvent

    client.post("/login/", {"username": operator.username, "password": "nope"})
    client.post("/login/", {"username": operator.username, "password": PASSWORD})
    actions = list(AuditEvent.objects.order_by("created_at").values_list("action", "what"))
    assert actions == [("login_failed", operator.username), ("login", "")]


def test_five_wrong_passwords_lock_that_username_from_that_address(client, operator, other_operator):
    for _ in range(5):
        client.post("/login/", {"username": operator.username, "password": "nope"})
    locked = client.post("/login/", {"username": operator.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    other = client.post("/login/", {"username": other_operator.username, "password": PASSWORD})
    assert other.status_code == 302, "a colleague behind the same address still gets in"


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_the_lockout_knows_clients_apart_behind_the_tls_proxy_and_cannot_be_dodged_by_a_forged_header(
    client, operator, settings, behind_proxy
):
    """Behind the proxy every request comes from its address: five wrong passwords from anywhere locked the user
    out for everyone. The proxy appends the client's address to X-Forwarded-For; what comes before is forged."""
    from controlroom.models import AuditEvent

    settings.BEHIND_TLS_PROXY = behind_proxy
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for attempt in range(5):  # a different forged address each time: it must not reset the count
        forged = f"10.0.0.{attempt}, 203.0.113.9"
        client.post(
            "/login/", {"username": operator.username, "password": "nope"}, HTTP_X_FORWARDED_FOR=forged, **proxy
        )
    wrong_again = {"username": operator.username, "password": PASSWORD}
    locked = client.post("/login/", wrong_again, HTTP_X_FORWARDED_FOR="10.0.0.99, 203.0.113.9", **proxy)
    assert locked.status_code == 429, "the attacker stays locked out"
    at_work = client.post("/login/", wrong_again, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    if behind_proxy:
        assert at_work.status_code == 302, "the operator at the call centre still gets in"
        assert AuditEvent.objects.filter(action="login").get().detail["ip"] == "198.51.100.7"
    else:
        assert at_work.status_code == 429, "without the proxy the header is not trusted at all"


def test_a_forwarded_address_that_is_not_one_is_not_trusted(client, operator, settings):
    """A proxy passing on what the client sent could bring anything: stored as an address, it was a server error."""
    from controlroom.models import AuditEvent

    settings.BEHIND_TLS_PROXY = True
    response = client.post(
        "/login/", {"username": operator.username, "password": "nope"}, HTTP_X_FORWARDED_FOR="not-an-address"
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="login_failed").detail["ip"] == "127.0.0.1"


@pytest.mark.django_db
def test_createsuperuser_makes_a_supervisor_who_lands_on_the_floor_with_the_admin_at_hand(client):
    from django.core.management import call_command

    call_command("createsuperuser", username="staff", email="", interactive=False, verbosity=0)
    staff = User.objects.get(username="staff")
    assert (staff.role, staff.is_superuser) == (Role.SUPERVISOR, True)
    staff.set_password(PASSWORD)
    staff.save()
    response = login(client, staff).get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("calls:floor")
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


@pytest.mark.django_db
def test_the_admin_offers_a_users_language_from_a_list_and_shows_calling_hours_on_a_24_hour_clock(
    client, superuser, centre
):
    login(client, superuser)
    form = client.get(reverse("admin:districts_user_change", args=[superuser.pk])).context["adminform"].form
    assert [code for code, _label in form.fields["language"].choices] == ["", "hi", "en"]
    listing = client.get(reverse("admin:districts_callcentre_changelist")).content.decode()
    assert "09:00" in listing and "21:00" in listing, "not '9:00 बजे' twice"


def test_the_admin_refuses_an_operator_without_a_call_centre_and_a_president_without_a_district(
    client, superuser, centre, patna
):
    login(client, superuser)
    new = {"username": "operator9", "password1": "a-Long-pass-2026", "password2": "a-Long-pass-2026"}
    response = client.post("/admin/districts/user/add/", {**new, "role": "operator", "usable_password": "true"})
    assert "call_centre" in response.context["adminform"].form.errors
    response = client.post(
        "/admin/districts/user/add/", {**new, "role": Role.DISTRICT_PRESIDENT, "usable_password": "true"}
    )
    assert "districts" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="operator9").exists()
    added = client.post(
        "/admin/districts/user/add/", {**new, "role": "operator", "call_centre": centre.pk, "usable_password": "true"}
    )
    assert added.status_code == 302
    assert User.objects.get(username="operator9").call_centre == centre


def test_no_browser_keeps_a_copy_of_what_a_signed_in_user_sees(client, cast, state_leader):
    """Pages and downloads hold members' names and numbers; the next person at a shared computer must not get
    them back from the cache, or with Back after logging out."""
    login(client, state_leader)
    for url in ("/districts/", "/districts/PAT/", "/districts/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
