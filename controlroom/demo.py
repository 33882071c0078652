"""Synthetic demo data: Bihar's real districts, made-up villages, people and numbers."""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from calls.models import CallAttempt, Campaign, Outcome
from controlroom.roles import Role
from districts import rollup
from districts.bihar import DISTRICTS
from districts.models import CallCentre, District, User, Village
from members.models import Member, MemberChange, MemberStatus

PASSWORD = "demo-pass-2026"
VILLAGES_PER_DISTRICT = 20
# The demo has about seven members a village, so a target of five shows villages reaching it (its districts give
# new villages the same).
VILLAGE_TARGET = 5
MEMBERS = 5000
SEED_NAMESPACE = uuid.UUID("5b0e0d2e-8c1b-4d39-9a53-2f1c1f3f6a10")

PREFIXES = ["राम", "सीता", "हरि", "शिव", "देव", "कृष्ण", "लक्ष्मी", "चंद", "माधो", "गोपाल", "भगवान", "सुंदर"]
SUFFIXES = ["पुर", "नगर", "गंज", "टोला", "डीह", "बाग", "पट्टी", "चक", "सराय", "खुर्द", "कला", "बिगहा"]
FIRST_NAMES = ["राजेश", "सुनीता", "अमित", "पूजा", "मनोज", "रीना", "संजय", "अनीता", "विकास", "कविता", "राहुल", "प्रियंका"]
LAST_NAMES = ["कुमार", "देवी", "सिंह", "यादव", "प्रसाद", "पासवान", "महतो", "राय", "साह", "मंडल", "झा", "पांडेय"]
SCRIPT_HI = (
    "नमस्ते, मैं पार्टी कार्यालय से बोल रहा/रही हूँ। क्या आप {name} जी बोल रहे हैं? "
    "आपका नाम {village} गाँव से पार्टी सदस्य के रूप में दर्ज है। क्या आप पार्टी के साथ हैं?"
)
SCRIPT_EN = (
    "Hello, I am calling from the party office. Am I speaking with {name}? "
    "You are listed as a party member from {village}. Are you with the party?"
)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    detail: str


def _users_spec(patna, gaya, centre):
    # The supervisor has the role's own admin rights, as a real one would; `admin` is the IT person's superuser.
    spec = [("supervisor", Role.SUPERVISOR, {"is_staff": True}, [])]
    spec.append(("admin", Role.SUPERVISOR, {"is_staff": True, "is_superuser": True}, []))
    spec.append(("state.leader", Role.STATE_LEADER, {}, []))
    spec.append(("president.patna", Role.DISTRICT_PRESIDENT, {}, [patna]))
    spec.append(("president.gaya", Role.DISTRICT_PRESIDENT, {}, [gaya]))
    spec += [(f"operator{i}", Role.OPERATOR, {"call_centre": centre}, []) for i in range(1, 7)]
    return spec


def _seed_districts():
    for code, name_en, name_hi in DISTRICTS:
        defaults = {"name_en": name_en, "name_hi": name_hi, "village_target": VILLAGE_TARGET}
        District.objects.get_or_create(code=code, defaults=defaults)
    return list(District.objects.order_by("code"))


def _village_names(rng):
    names = [p + s for p in PREFIXES for s in SUFFIXES]
    rng.shuffle(names)
    return names[:VILLAGES_PER_DISTRICT]


def _seed_villages(districts):
    for district in districts:
        rng = random.Random(district.code)
        existing = set(district.villages.values_list("name_key", flat=True))
        new = [
            Village(district=district, name=n, name_key=Village.key_for(n), target=VILLAGE_TARGET)
            for n in _village_names(rng)
        ]
        Village.objects.bulk_create([v for v in new if v.name_key not in existing])
    return list(Village.objects.select_related("district").order_by("district__code", "name"))


def _mobile(rng):
    return f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"


def _seed_members(villages):
    rng = random.Random(2026)
    wanted = {}
    while len(wanted) < MEMBERS:
        village = villages[len(wanted) % len(villages)]
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        wanted.setdefault(_mobile(rng), (village, name, rng.random()))
    # A demo member whose number was corrected since (on the rejects page, in the admin) is still enrolled, under
    # their new number: their old one is not enrolled again as someone new.
    existing = set(Member.objects.filter(mobile__in=wanted).values_list("mobile", flat=True))
    existing |= set(MemberChange.objects.filter(old_mobile__in=wanted).values_list("old_mobile", flat=True))
    new = [
        Member(district=v.district, village=v, name=name, mobile=mobile, address=f"ग्राम {v.name}, {v.district.name_hi}")
        for mobile, (v, name, _) in wanted.items()
        if mobile not in existing
    ]
    Member.objects.bulk_create(new)
    created = list(Member.objects.filter(mobile__in=[n.mobile for n in new]).order_by("pk"))
    for i, member in enumerate(created):
        member.created_at = _enrolled_time(i)
    Member.objects.bulk_update(created, ["created_at"], batch_size=1000)
    return {m: wanted[m.mobile][2] for m in created}


def _enrolled_time(i: int):
    """When the i-th demo member was put on the list: in the week before the calling began (see `_call_time`),
    so a member's page never shows a call older than the member."""
    return timezone.now() - timedelta(days=15 + i % 7, minutes=(i * 53) % 1440)


# Roughly how a verification drive looks part-way through: most called, some not yet.
HISTORY = [
    (0.45, Outcome.YES, MemberStatus.YES),
    (0.53, Outcome.NO, MemberStatus.NO),
    (0.58, Outcome.WRONG_NUMBER, MemberStatus.WRONG_NUMBER),
]


def _call_time(i: int):
    """When the i-th demo call was made: spread over the last two weeks, today included, within the calling
    hours (09:00-21:00 IST), so the trend chart and the productivity page look like a real floor's."""
    day = timezone.localdate() - timedelta(days=i % 14)
    when = timezone.make_aware(datetime.combine(day, time(9))) + timedelta(minutes=(i * 37) % 720)
    return when if when < timezone.now() else when - timedelta(days=1)  # not later today


def _seed_history(new_members, operators, campaign):
    attempts, changed = [], []
    for i, (member, draw) in enumerate(sorted(new_members.items(), key=lambda item: item[0].pk)):
        match = next(((outcome, status) for limit, outcome, status in HISTORY if draw < limit), None)
        if match is None:
            continue
        operator, when = operators[i % len(operators)], _call_time(i)
        member.status, member.attempt_count, member.status_changed_by = match[1], 1, operator
        member.status_changed_at = when
        changed.append(member)
        key = uuid.uuid5(SEED_NAMESPACE, member.mobile)
        attempts.append(
            CallAttempt(
                member=member,
                operator=operator,
                campaign=campaign,
                outcome=match[0],
                result_status=match[1],
                submission_key=key,
                created_at=when,
            )
        )
    Member.objects.bulk_update(changed, ["status", "attempt_count", "status_changed_by", "status_changed_at"])
    CallAttempt.objects.bulk_create(attempts)


def _seed_users(districts):
    by_code = {d.code: d for d in districts}
    centre, _ = CallCentre.objects.get_or_create(name="पटना कंट्रोल रूम", defaults={"name_en": "Patna control room"})
    centre.districts.add(*districts)
    logins = []
    for username, role, extra, own in _users_spec(by_code["PAT"], by_code["GAY"], centre):
        user, created = User.objects.get_or_create(username=username, defaults={"role": role, **extra})
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            user.districts.set(own)
        detail = ", ".join(d.name_en for d in own) or (centre.name_en if role == Role.OPERATOR else "")
        if extra.get("is_superuser"):
            detail = "superuser: the whole admin (users, districts, call centres)"
        logins.append(Login(username, role.label, detail))
    return logins


def _seed_campaign():
    campaign, _ = Campaign.objects.get_or_create(
        name="सदस्यता सत्यापन 2026",
        defaults={"name_en": "Membership verification 2026", "script_hi": SCRIPT_HI, "script_en": SCRIPT_EN},
    )
    return campaign


@transaction.atomic
def seed_demo() -> list[Login]:
    """Create the demo state. Idempotent: a second run finds everything present and changes nothing."""
    districts = _seed_districts()
    villages = _seed_villages(districts)
    logins = _seed_users(districts)
    campaign = _seed_campaign()
    new_members = _seed_members(villages)
    operators = list(User.objects.filter(role=Role.OPERATOR).order_by("username"))
    _seed_history(new_members, operators, campaign)
    rollup.rebuild()
    return logins
