"""Every URL that names a district or an object, walked by people who must not get in."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from members.models import Member, MemberStatus, Upload

pytestmark = pytest.mark.django_db

# Which object each URL's `pk` names; a new URL with an id must be added here or the walk fails.
PK_OWNER = {
    "districts:village": "village",
    "districts:village_export": "village",
    "districts:village_merge": "village",
    "districts:village_rename": "village",
    "members:upload_detail": "upload",
    "members:upload_progress": "upload",
    "members:upload_confirm": "upload",
    "members:upload_discard": "upload",
    "members:upload_report": "upload",
    "members:member_detail": "member",
    "members:member_edit": "member",
    "members:member_withdraw": "member",
    "members:member_add": "village",
    "members:reject_correct": "member",
    "members:reject_replace": "member",
    "members:reject_remove": "member",
    "members:reject_call_again": "member",
}


def url_patterns(patterns=None, namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from url_patterns(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.pattern.converters:
            yield f"{namespace}:{pattern.name}", list(pattern.pattern.converters)


@pytest.fixture
def gaya_things(cast, gaya, gaya_president, operator):
    """One of everything that belongs to Gaya."""
    member = cast["sitapur"].members.first()
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.WRONG_NUMBER)
    upload = Upload.objects.create(district=gaya, uploaded_by=gaya_president, original_name="gaya.xlsx")
    village = cast["sitapur"].pk
    return {"code": "GAY", "village": village, "upload": upload.pk, "member": member.pk, "operator": operator}


def gaya_urls(things):
    urls = []
    for name, params in url_patterns():
        kwargs = {}
        for param in params:
            if param == "code":
                kwargs["code"] = things["code"]
            elif param == "pk":
                assert name in PK_OWNER, f"{name} takes an id: add it to PK_OWNER"
                kwargs["pk"] = things[PK_OWNER[name]]
            elif param == "operator_id":
                kwargs["operator_id"] = things["operator"].pk
            else:
                raise AssertionError(f"{name} takes {param}: teach the walk what it names")
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def test_the_walk_covers_every_url_with_an_id(gaya_things):
    names = {name for name, _ in gaya_urls(gaya_things)}
    assert {"districts:detail", "members:upload_detail", "members:reject_correct", "calls:release"} <= names


@pytest.mark.parametrize("who", ["patna_president", "operator"])
def test_other_districts_objects_are_not_found(client, gaya_things, request, who):
    client.force_login(request.getfixturevalue(who))
    for name, url in gaya_urls(gaya_things):
        for method in (client.get, client.post):
            status = method(url).status_code
            assert status in (404, 405), f"{method.__name__.upper()} {url} ({name}) gave {status}"
    assert Member.objects.filter(status=MemberStatus.WRONG_NUMBER).count() == 1
    assert Upload.objects.get().status == Upload.Status.RECEIVED


def test_anonymous_users_are_sent_to_log_in(client, gaya_things):
    for name, url in gaya_urls(gaya_things):
        response = client.post(url)
        assert response.status_code == 302, f"POST {url} ({name}) gave {response.status_code}"
        assert response["Location"].startswith("/login/")
