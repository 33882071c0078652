"""A download says when it arrived, so the page that asked for it can say it is being made until then."""

import pytest
from django.urls import reverse

from tests.conftest import login


@pytest.mark.django_db
def test_a_download_asked_for_with_a_token_answers_with_it_in_a_cookie_and_nothing_else_does(
    client, cast, patna_president
):
    login(client, patna_president)
    url = reverse("members:member_export", args=["PAT"])
    assert client.get(url, {"download": "k3x9a0b1c2"}).cookies["download"].value == "k3x9a0b1c2"
    assert "download" not in client.get(url).cookies
    assert "download" not in client.get(url, {"download": "<script>"}).cookies, "only a token the page made"
    page = client.get(reverse("districts:detail", args=["PAT"]), {"download": "k3x9a0b1c2"})
    assert "download" not in page.cookies, "only a file download says it arrived"
