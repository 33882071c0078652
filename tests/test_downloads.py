"""A download says how it went, so the page that asked for it can say the file is being made until then."""

import pytest
from django.urls import reverse

from tests.conftest import login

TOKEN = "k3x9a0b1c2"


def said(response) -> dict:
    return {name: cookie.value for name, cookie in response.cookies.items() if name.startswith("download")}


@pytest.mark.django_db
def test_a_download_asked_for_with_a_token_says_how_it_went_in_a_cookie_of_its_own(client, cast, patna_president):
    url = reverse("members:member_export", args=["PAT"])
    assert said(client.get(url, {"download": TOKEN})) == {f"download-{TOKEN}": "failed"}, "the login page"
    login(client, patna_president)
    assert said(client.get(url, {"download": TOKEN})) == {f"download-{TOKEN}": "ok"}
    assert said(client.get(url)) == {}, "asked for without a token"
    assert said(client.get(url, {"download": "<script>"})) == {}, "only a token the page made"
    gaya = reverse("members:member_export", args=["GAY"])
    assert said(client.get(gaya, {"download": TOKEN})) == {f"download-{TOKEN}": "failed"}, "not theirs: a 404"
