from django.contrib.auth.backends import ModelBackend

from districts.models import User


class UserBackend(ModelBackend):
    """Django's model backend, loading the operator's call centre with the user: every console request needs it."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("call_centre").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
