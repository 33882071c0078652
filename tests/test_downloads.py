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


def test_an_xlsx_holds_every_kind_of_value_a_resource_gives():
    """Written as they are, or as text where a spreadsheet has no such type; never a failed download."""
    import datetime
    import decimal
    import io
    import uuid

    import tablib
    from django.utils.translation import gettext_lazy
    from openpyxl import load_workbook

    from controlroom.exports import SafeXLSX

    key = uuid.UUID(int=7)
    values = [
        gettext_lazy("Yes"), key, decimal.Decimal("2.5"), datetime.date(2026, 12, 1), datetime.time(9, 5),
        datetime.datetime(2026, 12, 1, 3, 30, tzinfo=datetime.UTC), "दो\nपंक्तियाँ", None, 7, True,
    ]  # fmt: skip
    dataset = tablib.Dataset(values, headers=[f"c{n}" for n in range(len(values))], title="x")
    sheet = load_workbook(io.BytesIO(SafeXLSX().export_data(dataset))).active
    row = [cell.value for cell in sheet[2]]
    assert row[:4] == ["हाँ", str(key), 2.5, datetime.datetime(2026, 12, 1)]
    assert row[4] == datetime.time(9, 5) and sheet["E2"].number_format == "hh:mm"
    assert row[5] == datetime.datetime(2026, 12, 1, 9, 0), "in India's time (03:30 UTC)"
    assert row[6:] == ["दो\nपंक्तियाँ", None, 7, True]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
