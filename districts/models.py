import datetime

from django.conf import settings
from django.contrib.auth import models as auth_models
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from controlroom.languages import in_hindi, in_reader_language
from controlroom.roles import Role


class ScopedQuerySet(models.QuerySet):
    """What a user may list, decided in one place for every model that belongs to a district.

    All of it for state leadership and the floor's supervisors, their own districts' for presidents, and nothing
    for operators (they only ever see the member their batch hands them). Subclasses name the path from their rows
    to the district.
    """

    district_path = "district__"

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.role in (Role.STATE_LEADER, Role.SUPERVISOR):
            return self.all()
        if user.role == Role.DISTRICT_PRESIDENT:
            return self.filter(**{f"{self.district_path}presidents": user})
        return self.none()


class DistrictQuerySet(ScopedQuerySet):
    district_path = ""

    def in_reading_order(self):
        """Alphabetical by the name the reader sees: Hindi names in Hindi order, English ones in English."""
        return self.order_by("name_hi" if in_hindi() else "name_en", "code")


class District(models.Model):
    # In URLs and file names: capitals and digits only, so "pat" cannot stand beside "PAT" nor "/" break a link.
    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$", _("Use 2 to 8 capital letters or digits, for example PAT."))],
    )
    name_en = models.CharField(_("name (English)"), max_length=80, unique=True)
    name_hi = models.CharField(_("name (Hindi)"), max_length=80)
    village_target = models.PositiveIntegerField(
        _("target for new villages"),
        default=10,
        help_text=_(
            "Villages that an upload creates in this district start with this target of confirmed members (0: no "
            "target). A village's own target is changed under Villages."
        ),
    )

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name  # in the reader's language: form choices and the admin show it

    @property
    def name(self):
        return in_reader_language(self.name_hi, self.name_en)


class Village(models.Model):
    """A village of a district. Assembly constituency, block and booth hang off here later as nullable FKs."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="villages", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=120)
    # Casefolded, single-spaced name: how uploads match a village regardless of case and spacing.
    name_key = models.CharField(max_length=120, editable=False)
    target = models.PositiveIntegerField(
        _("target of confirmed members"),
        default=10,
        help_text=_("How many of its members should confirm (YES). 0: no target, never counted as reached."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        constraints = [models.UniqueConstraint(fields=["district", "name_key"], name="village_unique_in_district")]

    def __str__(self):
        return self.name

    @staticmethod
    def key_for(name: str) -> str:
        return " ".join(name.split()).casefold()


class VillageAliasQuerySet(models.QuerySet):
    def keys_for(self, district_id: int) -> dict[str, str]:
        """The district's other names, as {key: its village's key}. A name a village of the district has again is
        left out: that village comes first."""
        taken = Village.objects.filter(district_id=district_id).values("name_key")
        aliases = self.filter(district_id=district_id).exclude(name_key__in=taken)
        return dict(aliases.values_list("name_key", "village__name_key"))


class VillageAlias(models.Model):
    """Another way a district writes one of its villages: the name of a village merged into it. Uploads that
    write it put their members in the village."""

    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="village_aliases", verbose_name=_("district")
    )
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("village"))
    name = models.CharField(_("name as written"), max_length=120)
    name_key = models.CharField(max_length=120, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = VillageAliasQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("other name of a village")
        verbose_name_plural = _("other names of villages")
        constraints = [models.UniqueConstraint(fields=["district", "name_key"], name="village_alias_unique")]

    def __str__(self):
        return self.name


# Calling hours by default, as functions: a fixed time as a field's default makes Django's system check warn
# (fields.W161) whenever it runs within ten seconds of that time of day.
def default_calling_starts() -> datetime.time:
    return datetime.time(9)


def default_calling_ends() -> datetime.time:
    return datetime.time(21)


NAME_HELP = _("As the pages show it in Hindi, and in English too when no English name is given.")
NAME_EN_HELP = _("As the pages show it in English. Leave empty to show the name above.")


class CallCentre(models.Model):
    """A control room: a floor of operators serving a set of districts."""

    name = models.CharField(_("name"), max_length=120, unique=True, help_text=NAME_HELP)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True, help_text=NAME_EN_HELP)
    districts = models.ManyToManyField(District, related_name="call_centres", verbose_name=_("districts served"))
    calling_starts = models.TimeField(_("calling hours start"), default=default_calling_starts)
    calling_ends = models.TimeField(_("calling hours end"), default=default_calling_ends)

    class Meta:
        ordering = ["name"]
        verbose_name = _("call centre")
        verbose_name_plural = _("call centres")

    def __str__(self):
        return in_reader_language(self.name, self.name_en)

    def clean(self):
        # Members are called in the daytime: hours that ran past midnight (21:00–06:00) were saved, and then
        # never matched any time of day, so the centre's operators got no numbers at all.
        if self.calling_starts and self.calling_ends and self.calling_starts >= self.calling_ends:
            raise ValidationError({"calling_ends": _("Calling hours must end later on the same day than they start.")})


class UserManager(auth_models.UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # Staff who run the office: with the default role (operator) `createsuperuser` made someone who landed
        # on a calling console, without the floor, the districts or a link to the admin.
        extra_fields.setdefault("role", Role.SUPERVISOR)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OPERATOR)
    districts = models.ManyToManyField(
        District, blank=True, related_name="presidents", verbose_name=_("districts (for district presidents)")
    )
    call_centre = models.ForeignKey(
        CallCentre,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
        verbose_name=_("call centre (for operators)"),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=[("", _("As chosen with the language switch")), *settings.LANGUAGES],
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Figures(models.Model):
    """Member figures kept current in the same transaction as every change (see districts/rollup.py)."""

    listed = models.PositiveIntegerField(default=0)
    called = models.PositiveIntegerField(default=0)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    wrong = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def pending(self) -> int:
        return self.listed - self.yes - self.no - self.wrong - self.unreachable

    @property
    def reached(self) -> int:
        return self.yes + self.no


class VillageStats(Figures):
    village = models.OneToOneField(Village, primary_key=True, on_delete=models.CASCADE, related_name="stats")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="village_stats")
    # The village's target, copied here so that a YES counted and a target changed meet on this one row's lock
    # and see each other: the district's count of villages at target needs both.
    target = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["district", "village"], name="villagestats_district")]

    def __str__(self):
        return f"{self.village_id}"


class DistrictStats(Figures):
    district = models.OneToOneField(District, primary_key=True, on_delete=models.CASCADE, related_name="stats")
    villages = models.PositiveIntegerField(default=0)
    villages_at_target = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.district_id}"


class DistrictDay(models.Model):
    """Calls made per district per day (IST), for the trend."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    # Plain integers: an undo adds -1 through the same single upsert.
    calls = models.IntegerField(default=0)
    yes = models.IntegerField(default=0)
    no = models.IntegerField(default=0)
    wrong = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "day"], name="districtday_unique")]

    def __str__(self):
        return f"{self.district_id} {self.day}"
