"""A supervisor runs the floor from the admin by their role: no permission has to be ticked for them by hand."""

import pytest
from django.urls import reverse

from controlroom.roles import Role
from districts.models import CallCentre, User
from members.models import Member
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

NEW = {"password1": "a-Long-pass-2026", "password2": "a-Long-pass-2026", "usable_password": "true"}


def add_user(client, **fields):
    return client.post(reverse("admin:districts_user_add"), {**NEW, **fields})


def test_a_supervisor_added_in_the_admin_can_open_the_admin_and_run_the_floor_from_it(client, superuser, centre):
    assert add_user(login(client, superuser), username="sup2", role=Role.SUPERVISOR).status_code == 302
    added = User.objects.get(username="sup2")
    assert (added.is_staff, added.is_superuser) == (True, False), "staff by being a supervisor, nothing ticked"
    login(client, added)

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    models = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert {"User", "CallCentre", "Campaign", "Member", "Village", "Upload", "AuditEvent"} <= models
    assert client.get(reverse("admin:members_member_import")).status_code == 200, "members are imported here too"

    assert add_user(client, username="operator9", role=Role.OPERATOR, call_centre=centre.pk).status_code == 302
    assert User.objects.get(username="operator9").call_centre == centre
    hours = {
        "name": centre.name,
        "calling_starts": "10:00",
        "calling_ends": "18:00",
        "districts": [d.pk for d in centre.districts.all()],
    }
    assert client.post(reverse("admin:districts_callcentre_change", args=[centre.pk]), hours).status_code == 302
    assert str(CallCentre.objects.get(pk=centre.pk).calling_ends) == "18:00:00"


def test_a_supervisor_cannot_make_anyone_a_superuser_nor_change_one(client, supervisor, superuser_elsewhere, operator):
    login(client, supervisor)
    form = client.get(reverse("admin:districts_user_change", args=[operator.pk])).context["adminform"].form
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)
    post = {"username": operator.username, "role": Role.OPERATOR, "call_centre": operator.call_centre_id}
    post |= {"is_active": "on", "is_staff": "on"}
    client.post(reverse("admin:districts_user_change", args=[operator.pk]), {**post, "is_superuser": "on"})
    operator.refresh_from_db()
    assert not operator.is_superuser and not operator.is_staff

    change_password = reverse("admin:auth_user_password_change", args=[superuser_elsewhere.pk])
    assert client.get(change_password).status_code == 403
    page = client.get(reverse("admin:districts_user_change", args=[superuser_elsewhere.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"], "seen, not changed"


def test_a_supervisor_deletes_nothing_in_the_admin(client, supervisor, cast, operator):
    login(client, supervisor)
    member = Member.objects.first()
    assert client.get(reverse("admin:members_member_delete", args=[member.pk])).status_code == 403
    assert client.get(reverse("admin:districts_user_delete", args=[operator.pk])).status_code == 403
    assert client.get(reverse("admin:districts_village_delete", args=[cast["rampur"].pk])).status_code == 403


def test_a_supervisor_made_an_operator_is_no_longer_staff(client, superuser, centre):
    sup = User.objects.create_user("sup3", password=PASSWORD, role=Role.SUPERVISOR, is_staff=True)
    fields = {"username": "sup3", "role": Role.OPERATOR, "call_centre": centre.pk, "is_active": "on"}
    fields |= {"date_joined_0": "2026-12-01", "date_joined_1": "09:00:00"}
    response = login(client, superuser).post(reverse("admin:districts_user_change", args=[sup.pk]), fields)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sup.refresh_from_db()
    assert (sup.role, sup.is_staff) == (Role.OPERATOR, False)
    assert not sup.has_perm("members.change_member"), "the role's permissions went with the role"


def test_other_roles_get_no_admin_permission_from_their_role(cast, operator, patna_president, state_leader):
    for user in (operator, patna_president, state_leader):
        assert not user.get_all_permissions()


@pytest.fixture
def superuser_elsewhere(db):
    return User.objects.create_superuser("root2", password=PASSWORD)


def test_a_supervisor_changes_operators_only_not_presidents_supervisors_or_staff(
    client, supervisor, patna_president, operator
):
    """A password a supervisor sets for a president, or for another supervisor, would let them act, and be logged,
    as that person: those accounts are the superusers' to keep."""
    other = User.objects.create_user("sup4", password=PASSWORD, role=Role.SUPERVISOR, is_staff=True)
    login(client, supervisor)
    for target in (patna_president, other):
        assert client.get(reverse("admin:auth_user_password_change", args=[target.pk])).status_code == 403
        page = client.get(reverse("admin:districts_user_change", args=[target.pk]))
        assert not page.context["has_change_permission"], target.username
    assert client.get(reverse("admin:auth_user_password_change", args=[operator.pk])).status_code == 200

    form = client.get(reverse("admin:districts_user_add")).context["adminform"].form
    assert [value for value, _label in form.fields["role"].choices] == [Role.OPERATOR], "they add operators"


def test_a_supervisor_sets_a_districts_target_but_not_its_code_or_names(client, supervisor, patna):
    login(client, supervisor)
    url = reverse("admin:districts_district_change", args=[patna.pk])
    form = client.get(url).context["adminform"].form
    assert set(form.fields) == {"village_target"}
    assert client.post(url, {"village_target": 12, "code": "XXX"}).status_code == 302
    patna.refresh_from_db()
    assert (patna.village_target, patna.code) == (12, "PAT")


def test_a_supervisor_is_not_shown_the_permission_lists_they_cannot_set(
    client, supervisor, operator, superuser_elsewhere
):
    """Read-only, they were a hundred English names ("Can add access attempt") on a Hindi page."""
    url = reverse("admin:districts_user_change", args=[operator.pk])
    page = login(client, supervisor).get(url).content.decode()
    assert "user_permissions" not in page and "is_superuser" not in page and "groups" not in page
    assert 'name="is_active"' in page, "switching an operator off stays theirs"
    assert "user_permissions" in login(client, superuser_elsewhere).get(url).content.decode()
