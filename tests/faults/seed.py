"""A small floor for the served-site fault test: one district, a call centre calling round the clock, an
operator and a state leader with a password, and members to call. Run in the served app's environment.
"""

import datetime

PASSWORD = "correct-horse-battery"
MEMBERS = 200


def seed() -> None:
    from calls.models import Campaign
    from controlroom.roles import Role
    from districts import rollup
    from districts.models import CallCentre, District, User, Village
    from members.models import Member

    patna = District.objects.create(code="PAT", name_en="Patna", name_hi="पटना")
    village = Village.objects.create(district=patna, name="रामपुर", name_key=Village.key_for("रामपुर"))
    Member.objects.bulk_create(
        Member(district=patna, village=village, name=f"सदस्य {i}", mobile=f"9{i:09d}") for i in range(1, MEMBERS + 1)
    )
    centre = CallCentre.objects.create(
        name="पटना कंट्रोल रूम", calling_starts=datetime.time(0), calling_ends=datetime.time(23, 59, 59, 999999)
    )
    centre.districts.add(patna)
    Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी", script_en="Hello {name}")
    User.objects.create_user(username="operator", password=PASSWORD, role=Role.OPERATOR, call_centre=centre)
    User.objects.create_user(username="state", password=PASSWORD, role=Role.STATE_LEADER)
    rollup.rebuild()
