"""Helpers for the member-upload tests: private media in a temporary folder, and uploading through the site."""

import os
from datetime import timedelta

import hypothesis
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.models import MemberStatus, Upload
from tests.conftest import make_member
from tests.members.corpus import MARKED_WRONG


@pytest.fixture(autouse=True)
def _fast_and_private(fast_password_hashing, private_media):
    """Every test here: cheap password hashing, uploads in a temporary folder."""


@pytest.fixture
def marked_wrong(cast):
    return make_member(cast["rampur"], MARKED_WRONG, status=MemberStatus.WRONG_NUMBER)


def post_upload(client, content: bytes, name="members.csv", district=None, capture=None):
    """Upload a file as the logged-in user; Celery is eager, so the check has run when this returns."""
    data = {"file": SimpleUploadedFile(name, content)}
    if district is not None:
        data["district"] = district.pk
    if capture is None:
        return client.post(reverse("members:upload_new"), data)
    with capture(execute=True):
        return client.post(reverse("members:upload_new"), data)


def latest_upload() -> Upload:
    return Upload.objects.latest("pk")


# Hypothesis example counts: HYPOTHESIS_PROFILE=nightly (`make fuzz`) runs 10,000 examples per property.
hypothesis.settings.register_profile("ci", max_examples=200, deadline=timedelta(seconds=5), print_blob=True)
hypothesis.settings.register_profile("nightly", max_examples=10_000, deadline=None, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
