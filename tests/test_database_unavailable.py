from unittest import mock

import pytest
from django.db import OperationalError

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
