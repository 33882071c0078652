from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form, with its refusals worded the way the rest of the app speaks."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or password is wrong. Check both and try again; capital and small letters count."
        ),
        "inactive": _("This account has been switched off. Ask your supervisor to switch it on again."),
    }

    def get_invalid_login_error(self):
        """The backends refuse a switched-off account as they refuse a wrong password. Told "wrong password", its
        owner would type it again until locked out: with the right password, say what is wrong instead."""
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        user = get_user_model()._default_manager.filter(username=username, is_active=False).first()
        if user is not None and password and user.check_password(password):
            return ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()
