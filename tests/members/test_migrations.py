import importlib

import pytest
from django.apps import apps
from django.db import connection

from districts.models import VillageStats
from members.models import MemberStatus
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_call_backs_stranded_by_an_earlier_release_wait_for_their_operator_again(cast, operator):
    stranded = make_member(cast["rampur"], "7000000001", status=MemberStatus.PENDING, reserved_for=operator)
    pending = make_member(cast["rampur"], "7000000002", status=MemberStatus.PENDING)
    importlib.import_module("members.migrations.0007_repair_stranded_call_backs").repair(apps, None)
    stranded.refresh_from_db()
    pending.refresh_from_db()
    assert (stranded.status, stranded.reserved_for, stranded.next_call_at is not None) == ("retry", operator, True)
    assert (pending.status, pending.next_call_at) == ("pending", None)


def test_the_village_figures_take_their_villages_target(cast):
    make_member(cast["rampur"], "7000000003")
    VillageStats.objects.update(target=0)  # as the column was added
    with connection.cursor() as cursor:
        cursor.execute(importlib.import_module("districts.migrations.0006_village_stats_target").COPY_TARGETS)
    stats = VillageStats.objects.get(village=cast["rampur"])
    assert stats.target == cast["rampur"].target > 0
