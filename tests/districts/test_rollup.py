"""The summary tables always equal the plain GROUP BY over members and attempts, whatever happens."""

import datetime
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import tablib
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls import services
from calls.models import CallAttempt, Campaign, Outcome
from controlroom.models import AuditEvent
from districts import rollup
from districts import services as district_services
from districts.models import DistrictDay, DistrictStats, Village, VillageAlias, VillageStats
from districts.selectors import rollup_by_group_by
from members import services as member_services
from members.models import Member, MemberStatus, UploadStats
from members.resources import MemberResource
from tests.conftest import login, make_member, make_village

pytestmark = pytest.mark.django_db

FIELDS = ("listed", "called", "yes", "no", "wrong", "unreachable")


def assert_rollup_matches_group_by():
    plain = rollup_by_group_by()
    for stats in DistrictStats.objects.all():
        assert {f: getattr(stats, f) for f in FIELDS} == plain.get(stats.district_id, dict.fromkeys(FIELDS, 0))
        villages = stats.district.villages.annotate(yes=Count("members", filter=Q(members__status="yes")))
        assert stats.villages == villages.count()
        assert stats.villages_at_target == villages.filter(target__gt=0, yes__gte=F("target")).count()
    assert set(plain) <= set(DistrictStats.objects.values_list("district_id", flat=True))
    for stats in VillageStats.objects.all():
        members = Member.objects.filter(village_id=stats.village_id)
        assert stats.listed == members.exclude(status="removed").count()
        assert stats.yes == members.filter(status="yes").count()
        assert stats.target == Village.objects.get(pk=stats.village_id).target
    for stats in UploadStats.objects.all():
        members = Member.objects.filter(upload_id=stats.upload_id)
        assert (stats.listed, stats.yes, stats.wrong) == (
            members.exclude(status="removed").count(),
            members.filter(status="yes").count(),
            members.filter(status="wrong").count(),
        )
    calls = CallAttempt.objects.filter(undone_at=None)
    for day in DistrictDay.objects.all():
        mine = [
            a for a in calls.filter(member__district=day.district_id) if timezone.localdate(a.created_at) == day.day
        ]
        assert (day.calls, day.yes) == (len(mine), sum(a.outcome == "yes" for a in mine))


OUTCOMES = st.sampled_from([o.value for o in Outcome if o != Outcome.CALL_BACK])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("enrol"), st.integers(0, 2), st.integers(1, 4)),
        st.tuples(st.just("mark"), st.integers(0, 1), OUTCOMES),
        st.tuples(st.just("undo"), st.integers(0, 1), st.none()),
        st.tuples(st.just("stop"), st.integers(0, 1), st.none()),
        st.tuples(st.just("import"), st.integers(0, 2), st.integers(1, 5)),
        st.tuples(st.just("correct"), st.integers(0, 1), st.none()),
        st.tuples(st.just("remove"), st.integers(0, 1), st.none()),
        st.tuples(st.just("replace"), st.integers(0, 1), st.none()),
        st.tuples(st.just("merge"), st.integers(0, 1), st.integers(0, 3)),
    ),
    max_size=25,
)


@pytest.fixture
def floor(centre, operator, other_operator, patna, gaya):
    centre.calling_starts, centre.calling_ends = datetime.time(0), datetime.time(23, 59, 59, 999999)
    centre.save()
    Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते")
    villages = [make_village(patna, "रामपुर", target=2), make_village(patna, "सीतापुर", 1), make_village(gaya, "गया")]
    return {"operators": [operator, other_operator], "villages": villages, "next_mobile": [9000000000]}


def run(step, floor):
    kind, who, arg = step
    operator = floor["operators"][who % 2]
    if kind == "enrol":
        for _ in range(arg):
            floor["next_mobile"][0] += 1
            make_member(floor["villages"][who], str(floor["next_mobile"][0]))
    elif kind == "mark":
        services.shift_start(operator=operator)
        _, member = services.console_next_member(operator=operator)
        if member is not None:
            request = services.MarkRequest(member.pk, arg, submission_key=uuid.uuid4())
            services.call_record_outcome(operator=operator, request=request)
    elif kind == "undo":
        try:
            services.call_undo(operator=operator)
        except services.CallError:
            pass
    elif kind == "stop":
        services.shift_stop(operator=operator)
    elif kind == "import":
        import_csv(floor, floor["villages"][who], arg)
    elif kind == "merge":
        merge_a_misspelt_village(floor, floor["villages"][who], arg)
    else:
        fix_a_reject(floor, kind, operator)


def next_mobile(floor) -> str:
    floor["next_mobile"][0] += 1
    return str(floor["next_mobile"][0])


def import_csv(floor, village, count):
    """Enrol through the real import: a CSV with a new village and a repeated number in it."""
    tmp = Path(tempfile.gettempdir())
    rows = [f"सदस्य,{next_mobile(floor)},{village.name},पता" for _ in range(count)]
    rows += [f"नया सदस्य,{next_mobile(floor)},नया टोला {count},पता", rows[0]]
    path = tmp / f"rollup-{uuid.uuid4().hex}.csv"
    path.write_text("नाम,मोबाइल,गांव,पता\n" + "\n".join(rows) + "\n", encoding="utf-8")
    try:
        member_services.members_import_file(path=path, district=village.district)
    finally:
        path.unlink()


def merge_a_misspelt_village(floor, into, count):
    """A village created under a misspelling, at its target of 1 when it has a YES, merged into the right one."""
    typo = make_village(into.district, f"{into.name} {next_mobile(floor)}", target=1)
    for status in [MemberStatus.YES, MemberStatus.PENDING, MemberStatus.NO][:count]:
        make_member(typo, next_mobile(floor), status=status)
    district_services.village_merge(village_id=typo.pk, into_id=into.pk, actor=floor["operators"][0])


def fix_a_reject(floor, kind, actor):
    member = Member.objects.filter(status__in=["wrong", "unreachable"]).order_by("id").first()
    if member is None:
        return
    if kind == "correct":
        member_services.member_correct_number(member_id=member.pk, mobile=next_mobile(floor), actor=actor)
    elif kind == "remove":
        member_services.member_remove(member_id=member.pk, reason="छोड़ दिया", actor=actor)
    else:
        member_services.member_replace(
            member_id=member.pk, name="नया", mobile=next_mobile(floor), address="", actor=actor
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_rollup_equals_group_by_after_any_sequence(floor, steps):
    with transaction.atomic():
        for step in steps:
            run(step, floor)
        assert_rollup_matches_group_by()
        transaction.set_rollback(True)


def test_a_called_member_staff_move_to_another_district_takes_their_calls_and_an_undo_takes_them_back_there(
    client, floor, superuser
):
    """The day's calls stayed with the old district, and an undo then took one from the new district, which never
    had it: a district with no other calls that day read -1."""
    operator, gaya_village = floor["operators"][0], floor["villages"][2]
    member = make_member(floor["villages"][0], "9000000001")
    services.shift_start(operator=operator)
    _, shown = services.console_next_member(operator=operator)
    assert shown == member
    services.call_record_outcome(
        operator=operator, request=services.MarkRequest(member.pk, "yes", submission_key=uuid.uuid4())
    )
    moved = {"village": gaya_village.pk, "name": member.name, "mobile": member.mobile, "address": ""}
    assert login(client, superuser).post(f"/admin/members/member/{member.pk}/change/", moved).status_code == 302
    assert_rollup_matches_group_by()
    assert DistrictDay.objects.get(district=gaya_village.district_id).calls == 1
    services.call_undo(operator=operator)
    assert_rollup_matches_group_by()
    assert DistrictDay.objects.get(district=gaya_village.district_id).calls == 0


def test_rollup_equals_group_by_after_staff_work_in_the_admin(client, floor, superuser, patna):
    """Staff import, add, move and delete members in the admin; the figures follow every step."""
    rampur, sitapur, gaya_village = floor["villages"]
    member = make_member(rampur, "9000000001")
    services.shift_start(operator=floor["operators"][0])  # the member is in a batch: its state must survive
    dataset = tablib.Dataset(headers=["नाम", "मोबाइल", "गांव", "पता"])
    dataset.append(["आयातित", "9000000003", "रामपुर", ""])
    dataset.append(["नए गाँव से", "9000000004", "नया टोला", ""])
    assert MemberResource(district=patna).import_data(dataset, dry_run=False).totals["new"] == 2
    assert_rollup_matches_group_by()

    login(client, superuser)
    edit = {"village": sitapur.pk, "name": member.name, "mobile": member.mobile, "address": "", "status": "yes"}
    assert client.post(f"/admin/members/member/{member.pk}/change/", edit).status_code == 302
    member.refresh_from_db()
    assert (member.village_id, member.district_id, member.status) == (sitapur.pk, patna.pk, "in_batch")
    assert_rollup_matches_group_by()
    confirmed = make_member(sitapur, "9000000002", status="yes")
    renumbered = {"village": rampur.pk, "name": confirmed.name, "mobile": "9000000009", "address": ""}
    assert client.post(f"/admin/members/member/{confirmed.pk}/change/", renumbered).status_code == 302
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.village_id) == ("pending", rampur.pk), "a new number is called afresh"
    change = confirmed.changes.get(kind="corrected")
    assert (change.kind, change.old_mobile, change.new_mobile, change.actor) == ("corrected", "9000000002",
                                                                                  "9000000009", superuser)  # fmt: skip
    assert confirmed.changes.get(kind="edited").details == {"village": [sitapur.name, rampur.name]}
    assert_rollup_matches_group_by()
    elsewhere = make_member(sitapur, "9000000006", status="yes")
    moved = {"village": gaya_village.pk, "name": elsewhere.name, "mobile": elsewhere.mobile, "address": ""}
    assert client.post(f"/admin/members/member/{elsewhere.pk}/change/", moved).status_code == 302
    elsewhere.refresh_from_db()
    assert (elsewhere.district_id, elsewhere.status) == (gaya_village.district_id, "yes"), "to another district"
    assert_rollup_matches_group_by()
    added = {"village": gaya_village.pk, "name": "नया", "mobile": "9000000005", "address": ""}
    assert client.post("/admin/members/member/add/", added).status_code == 302
    assert Member.objects.get(mobile="9000000005").district_id == gaya_village.district_id
    assert_rollup_matches_group_by()
    imported = Member.objects.get(mobile="9000000003")
    assert client.post(f"/admin/members/member/{imported.pk}/delete/", {"post": "yes"}).status_code == 302
    chosen = Member.objects.filter(mobile__in=["9000000004", "9000000005"]).values_list("pk", flat=True)
    bulk = {"action": "delete_selected", "_selected_action": list(chosen), "post": "yes"}
    assert client.post("/admin/members/member/", bulk).status_code == 302
    assert not Member.objects.filter(mobile__in=["9000000003", "9000000004", "9000000005"]).exists()
    assert_rollup_matches_group_by()


def test_villages_added_renamed_retargeted_and_deleted_in_the_admin_keep_the_figures(client, floor, superuser, patna):
    rampur, sitapur, _ = floor["villages"]  # targets 2 and 1
    make_member(sitapur, "9000000001", status="yes")
    rollup.rebuild()
    login(client, superuser)
    add = {"district": patna.pk, "name": "  नया   टोला ", "target": 5}
    assert client.post("/admin/districts/village/add/", add).status_code == 302
    new = Village.objects.get(district=patna, name_key="नया टोला")
    same_name = {"district": patna.pk, "name": "नया टोला", "target": 3}
    refused = client.post("/admin/districts/village/add/", same_name)
    assert "name" in refused.context["adminform"].form.errors
    assert_rollup_matches_group_by()

    retarget = {"name": "सीतापुर", "target": 2}  # sitapur falls below its target
    assert client.post(f"/admin/districts/village/{sitapur.pk}/change/", retarget).status_code == 302
    assert_rollup_matches_group_by()
    renamed = {"name": "Rampur Khas", "target": 0}
    assert client.post(f"/admin/districts/village/{rampur.pk}/change/", renamed).status_code == 302
    rampur.refresh_from_db()
    assert rampur.name_key == "rampur khas"
    assert VillageAlias.objects.get(district=patna, name_key="रामपुर").village == rampur, "lists still say रामपुर"
    event = AuditEvent.objects.get(action=AuditEvent.Action.VILLAGE_RENAME)
    assert (event.actor, event.detail["from"], event.detail["to"]) == (superuser, "रामपुर", "Rampur Khas")
    taken = client.post(f"/admin/districts/village/{rampur.pk}/change/", {"name": "सीतापुर ", "target": 0})
    assert "name" in taken.context["adminform"].form.errors
    assert client.post(f"/admin/districts/village/{new.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Village.objects.filter(pk=new.pk).exists()
    assert_rollup_matches_group_by()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_yes_counted_while_its_villages_target_changes_keeps_villages_at_target_right(patna):
    """The target goes from 5 to 3 while a third YES is counted: the village is at its target, and counted so."""
    village = make_village(patna, "रामपुर", target=5)
    members = [make_member(village, f"912345678{i}") for i in range(3)]
    Member.objects.filter(pk__in=[m.pk for m in members[:2]]).update(status=MemberStatus.YES, attempt_count=1)
    rollup.rebuild()
    changed, commit, errors = threading.Event(), threading.Event(), []

    def in_thread(work):
        def run():
            try:
                with transaction.atomic():
                    work()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def retarget():
        village.target = 3
        district_services.village_admin_save(village=village, created=False, actor=None)
        changed.set()
        commit.wait(10)

    def third_yes():
        Member.objects.filter(pk=members[2].pk).update(status=MemberStatus.YES, attempt_count=1)
        before, after = (MemberStatus.PENDING, 0), (MemberStatus.YES, 1)
        rollup.member_changed(village_id=village.pk, district_id=patna.pk, before=before, after=after)

    threads = [in_thread(retarget)]
    assert changed.wait(10)
    threads.append(in_thread(third_yes))
    with connection.cursor() as cursor:
        for _ in range(100):  # until the YES waits for the target change's lock on the village's figures
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    commit.set()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert DistrictStats.objects.get(district=patna).villages_at_target == 1
    assert_rollup_matches_group_by()


def test_a_village_added_in_the_admin_without_a_target_takes_its_districts(client, superuser, patna):
    patna.village_target = 7
    patna.save(update_fields=["village_target"])
    login(client, superuser)
    assert client.post("/admin/districts/village/add/", {"district": patna.pk, "name": "नया टोला"}).status_code == 302
    assert client.post("/admin/districts/village/add/", {"district": patna.pk, "name": "पुराना टोला", "target": 3})
    targets = dict(Village.objects.filter(district=patna).values_list("name", "target"))
    assert targets == {"नया टोला": 7, "पुराना टोला": 3}
    assert_rollup_matches_group_by()
