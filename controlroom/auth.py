from django.contrib.auth.backends import ModelBackend

from controlroom.roles import Role
from districts.models import User

# What a control-room supervisor does in the admin, by their role alone: nobody has to tick staff permissions
# one by one for each new supervisor, and a supervisor made an operator loses them with the role. Nothing is
# deleted here: members leave the list through the rejects, and calls, batches and uploads are the record.
SUPERVISOR_PERMISSIONS = frozenset(
    {
        "districts.view_district",
        "districts.change_district",  # the target for new villages
        "districts.view_village",
        "districts.add_village",
        "districts.change_village",
        "districts.view_villagealias",
        "districts.view_callcentre",
        "districts.add_callcentre",
        "districts.change_callcentre",  # calling hours, the districts a centre serves
        "districts.view_user",
        "districts.add_user",
        "districts.change_user",  # operators: their call centre, switching them off
        "calls.view_campaign",
        "calls.add_campaign",
        "calls.change_campaign",
        "calls.view_callbatch",
        "calls.view_callattempt",
        "members.view_member",
        "members.add_member",
        "members.change_member",
        "members.view_upload",
        "controlroom.view_auditevent",
    }
)


class UserBackend(ModelBackend):
    """Django's model backend, loading the operator's call centre with the user (every console request needs it)
    and granting supervisors their role's admin permissions."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("call_centre").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        permissions = super().get_all_permissions(user_obj, obj)
        if obj is None and user_obj.is_active and getattr(user_obj, "role", None) == Role.SUPERVISOR:
            return permissions | SUPERVISOR_PERMISSIONS
        return permissions
