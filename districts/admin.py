from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from calls import services as calls_services
from controlroom.roles import Role
from districts import services
from districts.forms import VillageAdminForm
from districts.models import CallCentre, District, User, Village, VillageAlias


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_hi", "village_target"]
    search_fields = ["code", "name_en", "name_hi"]

    def get_readonly_fields(self, request, obj=None):
        # A supervisor sets the target for new villages; the code and names are in every link, file name and
        # `import_members --district`, and stay with the superusers.
        return [] if request.user.is_superuser else ["code", "name_en", "name_hi"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "target"]
    list_filter = ["district"]
    search_fields = ["name"]
    list_select_related = ["district"]
    form = VillageAdminForm

    def get_readonly_fields(self, request, obj=None):
        # Its members, their figures and who may see them all follow the district: a village stays where it is.
        return ["district"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        services.village_admin_save(village=obj, created=not change, actor=request.user)

    def delete_model(self, request, obj):
        services.villages_admin_delete(village_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.villages_admin_delete(village_ids=queryset.values_list("pk", flat=True))


@admin.register(VillageAlias)
class VillageAliasAdmin(admin.ModelAdmin):
    """Names of villages merged into others, which uploads still write: staff may delete a wrong one, so that
    the name makes a new village again."""

    list_display = ["name", "village", "district", "created_at"]
    list_filter = ["district"]
    search_fields = ["name", "village__name"]
    list_select_related = ["village", "district"]
    fields = ["name", "village", "district", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # made by merging a village, with its members

    def has_change_permission(self, request, obj=None):
        return False


class _DistrictsInReadingOrder:
    """The two-box district picker lists districts by the name shown, in Hindi order for Hindi: by their English
    names the Hindi ones read अररिया, अरवल, औरंगाबाद, बांका, बेगूसराय, भागलपुर, भोजपुर, बक्सर…"""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "districts":
            kwargs["queryset"] = District.objects.in_reading_order()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(CallCentre)
class CallCentreAdmin(_DistrictsInReadingOrder, admin.ModelAdmin):
    list_display = ["name", "name_en", "calling_starts", "calling_ends"]
    filter_horizontal = ["districts"]


class _RoleNeeds:
    """What each role needs to do its work, checked when a user is saved: an operator without a call centre is
    never handed a number, and a president without a district sees nothing."""

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Role.OPERATOR and not cleaned.get("call_centre"):
            self.add_error("call_centre", _("An operator gets numbers from a call centre: choose theirs."))
        if role == Role.DISTRICT_PRESIDENT and "districts" in self.fields and not cleaned.get("districts"):
            self.add_error("districts", _("A district president sees only their districts: choose at least one."))
        return cleaned


class UserChangeForm(_RoleNeeds, BaseUserAdmin.form):
    pass


class UserAddForm(_RoleNeeds, BaseUserAdmin.add_form):
    pass


@admin.register(User)
class UserAdmin(_DistrictsInReadingOrder, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = ["username", "first_name", "last_name", "role", "call_centre", "is_active"]
    list_filter = ["role", "call_centre", "is_active"]
    filter_horizontal = ["districts", "groups", "user_permissions"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Control room"), {"fields": ["role", "districts", "call_centre", "language"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Control room"), {"fields": ["role", "districts", "call_centre"]}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Supervisors add and change operators here. Who is staff or a superuser, and with which permissions,
        # stays with the superusers: a supervisor could otherwise make anyone, themselves included, one.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Not even to read: a supervisor can set none of them, and the permissions are a list of a hundred names
        # in English ("Can add access attempt").
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in fieldsets]

    def has_change_permission(self, request, obj=None):
        # Nor may they change anyone but an operator: a president's, a supervisor's or staff's password reset by a
        # supervisor would let them act, and be logged, as that person. Those accounts are the superusers' to keep.
        if obj is not None and not request.user.is_superuser and (obj.role != Role.OPERATOR or obj.is_staff):
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(Role.OPERATOR, Role.OPERATOR.label)]  # supervisors add operators
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The admin is the supervisor's tool (controlroom.auth gives them its permissions by role): a supervisor
        # is staff, and someone who stops being one stops being staff, unless a superuser.
        if obj.role == Role.SUPERVISOR:
            obj.is_staff = True
        elif change and "role" in form.changed_data and form.initial.get("role") == Role.SUPERVISOR:
            obj.is_staff = obj.is_superuser
        super().save_model(request, obj, form, change)
        if change and {"is_active", "role", "call_centre"} & set(form.changed_data):
            # Deactivated, made something else, or moved to another floor: the numbers they held go back to the
            # pool now, not when their lease runs out (and a deactivated operator is no longer on the floor's
            # list, where their batch could be released).
            calls_services.shift_stop(operator=obj)
