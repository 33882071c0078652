from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_an_unreachable_database_gives_a_clear_503_and_recovers(client, cast, state_leader):
    login(client, state_leader)
    with mock.patch("districts.selectors.district_rollup", side_effect=OperationalError("connection refused")):
        response = client.get("/districts/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.content.decode()
    assert client.get("/districts/").status_code == 200


def test_an_outage_met_before_the_view_gives_the_503_too(cast, state_leader):
    """The session and user are read in middleware, where `process_exception` never sees the error."""
    client = login(Client(raise_request_exception=False), state_leader)
    with mock.patch("django.contrib.auth.get_user", side_effect=OperationalError("connection refused")):
        response = client.get("/districts/")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()


def test_other_errors_still_get_the_500_page(cast, state_leader):
    client = login(Client(raise_request_exception=False), state_leader)
    with mock.patch("districts.selectors.district_rollup", side_effect=ValueError("a bug")):
        response = client.get("/districts/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
