import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine

from calls.models import Campaign
from tests.conftest import make_member, make_village

IST = ZoneInfo("Asia/Kolkata")
MORNING = datetime.datetime(2026, 11, 23, 11, 0, tzinfo=IST)


@pytest.fixture
def clock():
    """Calls are handed out only within calling hours: tests run at 11:00 IST on a Monday."""
    with time_machine.travel(MORNING, tick=True) as traveller:
        yield traveller


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(name="सत्यापन 2026", script_hi="नमस्ते {name} जी, {village}", script_en="Hello {name}")


def fill_district(district, count, prefix):
    village = make_village(district, f"गाँव {district.code}")
    return [make_member(village, f"{prefix}{i:05d}", name=f"सदस्य {i}") for i in range(count)]


@pytest.fixture
def pool(clock, centre, campaign, patna, gaya):
    """30 callable members in Patna and 30 in Gaya, enrolled in that order."""
    return {"PAT": fill_district(patna, 30, "98765"), "GAY": fill_district(gaya, 30, "87654")}


def mark(client, member, outcome, key=None, **extra):
    """Post an outcome as the console does, with the number it showed."""
    data = {"member": member.pk, "outcome": outcome, "submission_key": key or uuid.uuid4(), "number": member.mobile}
    data.update(extra)
    return client.post("/calls/console/mark/", data, HTTP_HX_REQUEST="true")
