"""On PostgreSQL, with real threads: no member reaches two operators, every accepted outcome is stored once."""

import datetime
import random
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import services
from calls.models import CallAttempt, Outcome, Shift
from calls.selectors import callable_members
from calls.tasks import batch_build_all
from controlroom.roles import Role
from districts import rollup
from districts import services as district_services
from districts.models import User, Village
from members import services as member_services
from members.models import Member, MemberStatus
from tests.conftest import make_village
from tests.districts.test_rollup import assert_rollup_matches_group_by

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FINAL = [Outcome.YES, Outcome.NO, Outcome.WRONG_NUMBER]


def enrol(districts, per_district):
    for d, district in enumerate(districts):
        village = Village.objects.create(district=district, name=f"गाँव {d}", name_key=f"gaon {d}")
        Member.objects.bulk_create(
            Member(district=district, village=village, name=f"सदस्य {i}", mobile=f"{9 - d}{i:09d}")
            for i in range(1, per_district + 1)
        )


def hire(centre, count):
    return [User.objects.create(username=f"op{i:03d}", role=Role.OPERATOR, call_centre=centre) for i in range(count)]


def run_threads(jobs):
    """Start every (function, args) job at the same moment, each thread on its own connection."""
    errors, barrier = [], threading.Barrier(len(jobs))

    def wrapped(target, *args):
        try:
            barrier.wait()
            target(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(target, *args)) for target, args in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors


def test_twenty_four_operators_calling_at_once(clock, centre, campaign, patna, gaya):
    enrol([patna, gaya], 1000)
    operators = hire(centre, 24)
    seen = {op.pk: [] for op in operators}
    accepted = {op.pk: [] for op in operators}

    def operator_at_work(operator, rng):
        services.shift_start(operator=operator)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _, member = services.console_next_member(operator=operator)
            if member is None and not callable_members().exists():
                return
            if member is None:  # the rest are being handed out right now; the console polls again
                time.sleep(0.05)
                continue
            seen[operator.pk].append(member.pk)
            request = services.MarkRequest(member.pk, rng.choice(FINAL), submission_key=uuid.uuid4())
            attempt = services.call_record_outcome(operator=operator, request=request)
            if rng.random() < 0.1:  # a resubmitted form
                assert services.call_record_outcome(operator=operator, request=request).pk == attempt.pk
            accepted[operator.pk].append((member.pk, request.submission_key))

    def builder():
        for _ in range(40):
            services.batch_build()
            time.sleep(0.05)

    run_threads([(operator_at_work, (op, random.Random(op.pk))) for op in operators] + [(builder, ())])
    handed = [m for members in seen.values() for m in members]
    assert len(handed) == len(set(handed)) == 2000, "each member reached exactly one operator"
    stored = set(CallAttempt.objects.values_list("member_id", "submission_key"))
    assert stored == {pair for pairs in accepted.values() for pair in pairs}
    assert CallAttempt.objects.count() == 2000
    assert not Member.objects.exclude(
        status__in=[MemberStatus.YES, MemberStatus.NO, MemberStatus.WRONG_NUMBER]
    ).exists()
    for operator in operators:
        mine = set(CallAttempt.objects.filter(operator=operator).values_list("member_id", flat=True))
        assert mine == set(seen[operator.pk])


def test_builders_and_operators_racing_never_double_hand(clock, centre, campaign, patna, gaya):
    enrol([patna, gaya], 1500)
    operators = hire(centre, 20)
    for operator in operators:
        Shift.objects.create(operator=operator, started_at=services.timezone.now())

    def build():
        for _ in range(15):
            services.batch_build()

    run_threads([(build, ())] * 20)
    held = Member.objects.filter(status=MemberStatus.IN_BATCH).values_list("batch__operator", flat=True)
    assert Counter(held) == {operator.pk: 25 for operator in operators}


def test_releases_racing_outcomes_and_undos_never_deadlock_or_lose_an_outcome(clock, centre, campaign, patna, gaya):
    """Outcomes, undos, a supervisor releasing batches and the periodic builder, all at once: each takes the
    operator's batch before its members, so none waits on another in a cycle (PostgreSQL would abort one)."""
    enrol([patna, gaya], 1000)
    operators = hire(centre, 12)
    accepted, refused = {op.pk: [] for op in operators}, Counter()

    def operator_at_work(operator, rng):
        services.shift_start(operator=operator)
        for _ in range(60):
            _, member = services.console_next_member(operator=operator)
            if member is None:
                services.shift_start(operator=operator)  # released by the supervisor: start again
                continue
            request = services.MarkRequest(member.pk, rng.choice(FINAL), submission_key=uuid.uuid4())
            try:
                services.call_record_outcome(operator=operator, request=request)
                accepted[operator.pk].append((member.pk, request.submission_key))
                if rng.random() < 0.2:
                    services.call_undo(operator=operator)
                    accepted[operator.pk].pop()
            except services.CallError as exc:  # released under them, or moved on: told, nothing stored
                refused[str(exc)] += 1

    def supervisor():
        for _ in range(40):
            for operator in operators[:6]:
                services.shift_stop(operator=operator)
            services.batch_build()
            time.sleep(0.02)

    run_threads([(operator_at_work, (op, random.Random(op.pk))) for op in operators] + [(supervisor, ())])
    stored = set(CallAttempt.objects.filter(undone_at=None).values_list("member_id", "submission_key"))
    assert stored == {pair for pairs in accepted.values() for pair in pairs}
    assert len(stored) > 300, "the operators got on with their work"
    in_batch = Member.objects.filter(status=MemberStatus.IN_BATCH)
    assert not in_batch.filter(batch__closed_at__isnull=False).exists(), "no member is left in a closed batch"


def test_the_same_submission_from_two_tabs_at_once_is_stored_once(clock, centre, campaign, patna, gaya):
    enrol([patna], 100)
    operator = hire(centre, 1)[0]
    services.shift_start(operator=operator)
    _, member = services.console_next_member(operator=operator)
    request = services.MarkRequest(member.pk, Outcome.YES, submission_key=uuid.uuid4())
    results = []

    def submit(_):
        try:
            results.append(services.call_record_outcome(operator=operator, request=request).pk)
        except services.CallError as exc:
            results.append(str(exc))

    run_threads([(submit, (i,)) for i in range(20)])
    assert CallAttempt.objects.count() == 1
    assert set(results) == {CallAttempt.objects.get().pk}, "every tab was told the one outcome was saved"


def test_a_village_merged_while_its_members_are_being_called(clock, centre, campaign, patna, gaya):
    """Operators mark members of a misspelt village while its president merges it: nobody deadlocks, every
    outcome is kept, and the figures equal the plain GROUP BY (outcomes before the merge were counted in the
    old village and moved with it; those after it count in the new one)."""
    right, typo = make_village(patna, "रामपुर", target=50), make_village(patna, "रामपुरर", target=20)
    for village, prefix in ((typo, 8), (right, 9)):  # the misspelt village first: called first
        Member.objects.bulk_create(
            Member(district=patna, village=village, name=f"सदस्य {i}", mobile=f"{prefix}{i:09d}") for i in range(300)
        )
    rollup.rebuild()
    operators = hire(centre, 8)
    president = User.objects.create(username="president", role=Role.DISTRICT_PRESIDENT)
    accepted, merged = [], []

    def operator_at_work(operator, rng):
        services.shift_start(operator=operator)
        marked, deadline = 0, time.monotonic() + 120
        while marked < 40 and time.monotonic() < deadline:
            _, member = services.console_next_member(operator=operator)
            if member is None:  # the members being moved are skipped, not waited for; the console asks again
                time.sleep(0.05)
                continue
            request = services.MarkRequest(member.pk, rng.choice(FINAL), submission_key=uuid.uuid4())
            services.call_record_outcome(operator=operator, request=request)
            accepted.append((member.pk, request.submission_key))
            marked += 1

    def merge():
        deadline = time.monotonic() + 60
        while CallAttempt.objects.count() < 40 and time.monotonic() < deadline:  # while the operators are at work
            time.sleep(0.02)
        merged.append(district_services.village_merge(village_id=typo.pk, into_id=right.pk, actor=president))
        merged.append(services.timezone.now())

    run_threads([(operator_at_work, (op, random.Random(op.pk))) for op in operators] + [(merge, ())])
    moved, merged_at = merged
    assert moved == 300
    called = CallAttempt.objects.filter(member__mobile__startswith="8")
    assert called.filter(created_at__lt=merged_at).exists() and called.filter(created_at__gt=merged_at).exists()
    assert not Village.objects.filter(pk=typo.pk).exists()
    assert Member.objects.filter(village=right).count() == 600
    stored = set(CallAttempt.objects.values_list("member_id", "submission_key"))
    assert stored == set(accepted) and len(stored) == 8 * 40
    assert_rollup_matches_group_by()


def test_members_moved_between_two_villages_while_both_are_being_called(clock, centre, campaign, patna, gaya):
    """A president moves members back and forth between two villages while operators mark members of both:
    both villages' figures are locked before the district's, as an outcome locks them, so nobody deadlocks."""
    first, second = make_village(patna, "रामपुर", target=30), make_village(patna, "शिवपुर", target=30)
    for village, prefix in ((first, 9), (second, 8)):
        Member.objects.bulk_create(
            Member(district=patna, village=village, name=f"सदस्य {i}", mobile=f"{prefix}{i:09d}") for i in range(200)
        )
    rollup.rebuild()
    operators = hire(centre, 6)
    president = User.objects.create(username="president", role=Role.DISTRICT_PRESIDENT)
    moved = []

    def operator_at_work(operator, rng):
        services.shift_start(operator=operator)
        marked, deadline = 0, time.monotonic() + 120
        while marked < 30 and time.monotonic() < deadline:
            _, member = services.console_next_member(operator=operator)
            if member is None:  # members being moved are skipped, not waited for; the console asks again
                time.sleep(0.05)
                continue
            request = services.MarkRequest(member.pk, rng.choice(FINAL), submission_key=uuid.uuid4())
            services.call_record_outcome(operator=operator, request=request)
            marked += 1

    def president_at_work(rng):
        for _ in range(60):
            member = Member.objects.get(mobile=f"{rng.choice([8, 9])}{rng.randrange(200):09d}")
            into = second if member.village_id == first.pk else first
            member_services.member_edit(
                member_id=member.pk, name=member.name, address="", village_id=into.pk, actor=president
            )
            moved.append(member.pk)

    workers = [(operator_at_work, (op, random.Random(op.pk))) for op in operators]
    run_threads(workers + [(president_at_work, (random.Random(1),)), (president_at_work, (random.Random(2),))])
    assert len(moved) == 120
    assert CallAttempt.objects.count() == 6 * 30
    assert_rollup_matches_group_by()


@pytest.mark.parametrize("per_district", [100, 2000])
def test_building_batches_takes_the_same_statements_whatever_the_member_count(
    clock, centre, campaign, patna, gaya, per_district
):
    enrol([patna, gaya], per_district)
    operators = hire(centre, 30)
    for operator in operators:
        Shift.objects.create(operator=operator, started_at=services.timezone.now())
    with CaptureQueriesContext(connection) as queries:
        handed = services.batch_build()
    assert handed == min(30 * 25, 2 * per_district)
    assert len(queries) == 8, [q["sql"][:60] for q in queries.captured_queries]


@pytest.mark.redis
def test_a_real_worker_builds_batches_over_redis(celery_worker_process, centre, campaign, patna, gaya):
    centre.calling_starts, centre.calling_ends = datetime.time(0), datetime.time(23, 59, 59, 999999)
    centre.save()
    enrol([patna, gaya], 200)
    operators = hire(centre, 3)
    for operator in operators:
        Shift.objects.create(operator=operator, started_at=services.timezone.now())
    batch_build_all.delay()
    deadline = time.monotonic() + 30
    while Member.objects.filter(status=MemberStatus.IN_BATCH).count() < 75:
        assert time.monotonic() < deadline, "the worker did not build the batches"
        time.sleep(0.2)
    assert Member.objects.filter(batch__operator__in=operators).count() == 75


def test_two_drives_switched_on_at_once_run_one_after_the_other(campaign):
    """Each switch turned off the drive running in its own snapshot, so the second ran into the one-running
    constraint: a server error. Locking every drive first makes them wait in turn; one drive is running after."""
    from calls.models import Campaign

    drives = [Campaign.objects.create(name=f"अभियान {i}", script_hi="नमस्ते", is_active=False) for i in range(2)]
    for _ in range(5):
        run_threads([(lambda pk=drive.pk: services.campaign_run(campaign_id=pk), ()) for drive in drives])
        assert Campaign.objects.filter(is_active=True).count() == 1


def test_two_drives_saved_active_in_the_admin_at_once_are_refused_one_with_the_forms_message(campaign, superuser):
    """Both forms passed the one-running check before either was saved, and the later save met the constraint:
    a server error. Checked with every drive locked, the later form is refused and shown again."""
    from django.test import Client

    from calls.models import Campaign

    def save_active(client, name, answers):
        data = {"name": name, "kind": "verification", "script_hi": "नमस्ते", "is_active": "on"}
        answers.append(client.post("/admin/calls/campaign/add/", data))

    for round_ in range(5):
        Campaign.objects.update(is_active=False)
        answers, clients = [], [Client(), Client()]
        for client in clients:
            client.force_login(superuser)
        run_threads([(save_active, (client, f"अभियान {round_}-{i}", answers)) for i, client in enumerate(clients)])
        assert sorted(answer.status_code for answer in answers) == [200, 302], "one saved, one shown again"
        refused = next(answer for answer in answers if answer.status_code == 200)
        assert refused.context["adminform"].form.non_field_errors()
        assert Campaign.objects.filter(is_active=True).count() == 1


def test_drives_switched_while_operators_save_calls_never_deadlock(clock, centre, campaign, patna, gaya):
    """A switch locked every drive FOR UPDATE, which blocks the FOR KEY SHARE a saved call's foreign key takes at
    commit while its batch is locked, and then waited for that batch: a deadlock. And an outcome whose batch moved
    to the new drive while it waited for the batch's lock found no batch, and was refused as "taken back". Every
    call is saved, and every switch too."""
    from calls.models import Campaign

    enrol([patna, gaya], 200)
    operators = hire(centre, 4)
    other = Campaign.objects.create(name="योजना फीडबैक", script_hi="नमस्ते", is_active=False)

    def operator_at_work(operator):
        services.shift_start(operator=operator)
        for _ in range(40):
            _, member = services.console_next_member(operator=operator)
            if member is None:
                continue
            request = services.MarkRequest(member.pk, Outcome.YES, submission_key=uuid.uuid4())
            services.call_record_outcome(operator=operator, request=request)

    def supervisor_switching():
        for i in range(30):
            services.campaign_run(campaign_id=(other, campaign)[i % 2].pk)

    run_threads([(operator_at_work, (op,)) for op in operators] + [(supervisor_switching, ())])
    assert CallAttempt.objects.count() > 0
    assert Campaign.objects.filter(is_active=True).count() == 1
