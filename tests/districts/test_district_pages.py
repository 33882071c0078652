import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from districts import rollup
from districts.models import District
from members.models import MemberStatus
from tests.conftest import login, make_member, make_village

pytestmark = pytest.mark.django_db


def test_state_leader_sees_every_district_with_counts(client, cast, state_leader):
    cast["rampur"].members.filter(mobile="9812345670").update(status=MemberStatus.YES)
    rollup.rebuild()
    response = login(client, state_leader).get("/districts/")
    rows = {row.obj.code: row for row in response.context["rows"]}
    assert set(rows) == {"PAT", "GAY"}
    assert (rows["PAT"].listed, rows["PAT"].yes, rows["PAT"].pending) == (2, 1, 1)
    assert response.context["totals"].listed == 4


def test_each_districts_bar_shows_its_own_progress_however_small_its_list(client, cast, state_leader, gaya):
    """Scaled to the longest list, one big district made every other bar a sliver nobody could read."""
    sitapur = cast["sitapur"]
    for i in range(40):
        make_member(sitapur, f"9{i:02d}1234567", status=MemberStatus.YES if i < 30 else MemberStatus.PENDING)
    cast["rampur"].members.filter(mobile="9812345670").update(status=MemberStatus.YES)
    rollup.rebuild()
    chart = login(client, state_leader).get("/districts/").context["chart"]
    widths = {bar["row"].obj.code: {seg["name"]: seg["width"] for seg in bar["segments"]} for bar in chart}
    assert widths["PAT"] == {"yes": 50, "no": 0, "wrong": 0, "unreachable": 0, "pending": 50}  # 1 of 2
    assert widths["GAY"] == {"yes": 71.43, "no": 0, "wrong": 0, "unreachable": 0, "pending": 28.57}  # 30 of 42


def test_no_is_striped_so_it_is_told_from_yes_by_more_than_colour(client, cast, state_leader):
    """YES green and NO red were the same bar to a reader who cannot tell red from green."""
    from django.contrib.staticfiles import finders

    page = login(client, state_leader).get("/districts/").content.decode()
    css = open(finders.find("css/app.css"), encoding="utf-8").read()
    assert '<pattern id="seg-no-stripes"' in page
    assert ".bar .seg-no { fill: url(#seg-no-stripes); }" in css
    assert "repeating-linear-gradient" in css.split(".swatch.seg-no {")[1].split("}")[0], "and on the legend"


def test_district_page_lists_villages_with_member_counts(client, cast, patna_president, patna):
    make_village(patna, "खाली टोला")
    response = login(client, patna_president).get("/districts/PAT/")
    counts = {row.name: row.listed for row in response.context["rows"]}
    assert counts == {"रामपुर": 2, "खाली टोला": 0}
    assert reverse("districts:village", args=["PAT", cast["rampur"].pk]) in response.content.decode()


def test_district_code_is_case_insensitive(client, cast, patna_president):
    assert login(client, patna_president).get("/districts/pat/").status_code == 200


def test_it_rejects_other_districts_page(client, cast, patna_president):
    assert login(client, patna_president).get("/districts/GAY/").status_code == 404


def test_it_rejects_other_districts_village(client, cast, patna_president):
    url = reverse("districts:village", args=["PAT", cast["sitapur"].pk])
    assert login(client, patna_president).get(url).status_code == 404
    url = reverse("districts:village", args=["GAY", cast["sitapur"].pk])
    assert client.get(url).status_code == 404


def test_village_page_lists_its_members(client, cast, patna_president):
    url = reverse("districts:village", args=["PAT", cast["rampur"].pk])
    response = login(client, patna_president).get(url)
    assert [m.mobile for m in response.context["page"]] == ["9812345670", "9876543211"]


def test_village_page_counts_and_lists_only_members_on_the_list(client, cast, patna_president):
    cast["rampur"].members.filter(mobile="9876543211").update(status=MemberStatus.REMOVED)
    rollup.rebuild()
    login(client, patna_president)
    village = client.get(reverse("districts:village", args=["PAT", cast["rampur"].pk]))
    district = client.get(reverse("districts:detail", args=["PAT"]))
    assert [m.mobile for m in village.context["page"]] == ["9812345670"]
    listed = {row.name: row.listed for row in district.context["rows"]}["रामपुर"]
    assert village.context["page"].paginator.count == listed == 1, "the village page agrees with the district's"
    cast["rampur"].members.filter(mobile="9812345670").update(status=MemberStatus.YES)
    rollup.rebuild()
    page = client.get(reverse("districts:village", args=["PAT", cast["rampur"].pk])).content.decode()
    assert "सूची में 1 सदस्य · 1 की पुष्टि हुई · लक्ष्य: 10 की पुष्टि" in page, "how far it is from its target"


@pytest.mark.parametrize("url", ["/districts/", "/districts/PAT/"])
def test_operator_never_sees_member_lists(client, cast, operator, url):
    assert login(client, operator).get(url).status_code == 404


def test_operator_never_sees_a_village_member_list(client, cast, operator):
    url = reverse("districts:village", args=["PAT", cast["rampur"].pk])
    assert login(client, operator).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/districts/", "/districts/PAT/", "/calls/console/", "/calls/floor/"])
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_district_list_query_count_does_not_grow_with_members(
    client, cast, state_leader, django_assert_num_queries, session_query
):
    for i in range(30):
        make_member(cast["rampur"], f"70000{i:05d}")
    login(client, state_leader)
    # (session,) user, districts with their figures, the daily trend
    with django_assert_num_queries(3 + session_query):
        client.get("/districts/")


def test_village_table_query_count_is_fixed(
    client, cast, patna, patna_president, django_assert_num_queries, session_query
):
    for i in range(10):
        make_village(patna, f"गाँव {i}")
    login(client, patna_president)
    # (session,) user, district, village count and page, its figures, rejects, trend, below target
    with django_assert_num_queries(8 + session_query):
        client.get("/districts/PAT/")


@pytest.mark.parametrize(
    "who, url, parts", [("state_leader", "/districts/", 3), ("patna_president", "/districts/PAT/", 3)]
)
def test_the_table_refreshing_itself_brings_the_figures_above_and_the_trend_along(
    client, cast, request, who, url, parts
):
    """Only the table refreshed: a minute later the cards above it and the trend said other numbers than it."""
    login(client, request.getfixturevalue(who))
    cast["rampur"].members.filter(mobile="9812345670").update(status=MemberStatus.YES)
    rollup.rebuild()
    rollup.attempt_counted(district_id=cast["rampur"].district_id, day=timezone.localdate(), outcome="yes", sign=1)
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert html.count('hx-swap-oob="true"') == parts - 1
    assert "आज: 1 कॉल, 1 हाँ" in html
    cards = html[html.index('class="stats"') :]
    assert '<div class="value">1</div><div class="label">पुष्टि हुई (हाँ)' in cards


def test_the_refreshed_figures_replace_the_ones_shown(client, cast, state_leader):
    login(client, state_leader)
    page, refresh = client.get("/districts/").content.decode(), client.get("/districts/", HTTP_HX_REQUEST="true")
    for part in ("district-table", "district-stats", "district-charts"):
        assert f'id="{part}"' in page and f'id="{part}"' in refresh.content.decode()


def test_the_daily_chart_also_states_its_figures_which_a_phone_cannot_hover(client, cast, patna_president, patna):
    for outcome in ("yes", "yes", "no"):
        rollup.attempt_counted(district_id=patna.pk, day=timezone.localdate(), outcome=outcome, sign=1)
    page = login(client, patna_president).get("/districts/PAT/").content.decode()
    assert "आज: 3 कॉल, 2 हाँ" in page
    assert "14 दिन: 3 कॉल, 2 हाँ" in page


def test_a_district_is_named_in_the_readers_language_wherever_it_is_shown_as_text(patna):
    """Form choices (a president of two districts picks one to upload for) and the admin print the object."""
    with translation.override("hi"):
        assert str(patna) == "पटना"
    with translation.override("en"):
        assert str(patna) == "Patna"


def test_calling_hours_that_run_past_midnight_are_refused():
    """They never matched any time of day, so the centre's operators got no numbers at all."""
    from django.core.exceptions import ValidationError

    from districts.models import CallCentre

    centre = CallCentre(name="रात की पाली", calling_starts=datetime.time(21), calling_ends=datetime.time(6))
    with pytest.raises(ValidationError) as refused:
        centre.full_clean()
    assert "calling_ends" in refused.value.message_dict
    CallCentre(name="दिन", calling_starts=datetime.time(9), calling_ends=datetime.time(21)).full_clean()


@pytest.mark.parametrize("code", ["pat", "T/S", "P", "PATNA-01"])
def test_the_admin_refuses_a_district_code_that_would_break_its_pages(client, superuser, patna, code):
    data = {"code": code, "name_en": "Test District", "name_hi": "टेस्ट ज़िला"}
    response = login(client, superuser).post("/admin/districts/district/add/", data)
    assert response.status_code == 200 and response.context["adminform"].form.errors["code"]
    assert not District.objects.filter(name_en="Test District").exists()
    assert client.get("/districts/PAT/").status_code == 200


def test_district_menus_follow_the_alphabet_of_the_readers_language(db):
    District.objects.create(code="BAN", name_en="Banka", name_hi="बांका")
    District.objects.create(code="BUX", name_en="Buxar", name_hi="बक्सर")
    with translation.override("hi"):
        assert [d.code for d in District.objects.in_reading_order()] == ["BUX", "BAN"]
    with translation.override("en"):
        assert [d.code for d in District.objects.in_reading_order()] == ["BAN", "BUX"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("listed", ["गया", "नालंदा", "पटना"]),
        ("-listed", ["पटना", "गया", "नालंदा"]),  # Gaya and Nalanda list one member each: name order
        ("rate", ["पटना", "गया", "नालंदा"]),  # nobody reached in Nalanda yet: no YES %, so last
        ("-rate", ["गया", "पटना", "नालंदा"]),
    ],
)
def test_district_table_sorts_ties_by_name_and_districts_nobody_reached_last_either_way(
    client, state_leader, patna, gaya, sort, expected
):
    nalanda = District.objects.create(code="NAL", name_en="Nalanda", name_hi="नालंदा")
    make_member(make_village(patna, "क"), "9000000001", status=MemberStatus.YES)
    make_member(make_village(patna, "ख"), "9000000002", status=MemberStatus.NO)
    make_member(make_village(gaya, "ग"), "9000000003", status=MemberStatus.YES)
    make_member(make_village(nalanda, "घ"), "9000000004")
    rollup.rebuild()
    response = login(client, state_leader).get("/districts/", {"sort": sort})
    assert [row.obj.name for row in response.context["rows"]] == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-villages_at_target", ["पटना", "गया", "नालंदा"]),
        ("villages_at_target", ["नालंदा", "गया", "पटना"]),
    ],
)
def test_district_table_sorts_by_how_many_villages_reached_their_target(
    client, state_leader, patna, gaya, sort, expected
):
    nalanda = District.objects.create(code="NAL", name_en="Nalanda", name_hi="नालंदा")
    for district, reached in [(patna, 2), (gaya, 1), (nalanda, 0)]:
        for i in range(3):
            village = make_village(district, f"गाँव {i}", target=1)
            make_member(
                village, f"9{district.pk:03d}{i:06d}", status=MemberStatus.YES if i < reached else MemberStatus.PENDING
            )
    rollup.rebuild()
    login(client, state_leader)
    assert 'href="?sort=-villages_at_target"' in client.get("/districts/").content.decode()
    response = client.get("/districts/", {"sort": sort})
    assert [row.obj.name for row in response.context["rows"]] == expected


def header_cells(page) -> dict[str, str]:
    """Each sortable header cell's opening tag, by the sort its link asks for."""
    cells = re.findall(r'(<th[^>]*>)<a href="\?[^"]*sort=-?(\w+)', page)
    return {key: tag for tag, key in cells}


@pytest.mark.parametrize(
    "url, sort, cell, announced",
    [
        ("/districts/", "-yes", "yes", "descending"),
        ("/districts/", "name", "name", "ascending"),
        ("/districts/PAT/", "listed", "listed", "ascending"),
        ("/districts/PAT/", "-rate", "rate", "descending"),
    ],
)
def test_screen_readers_hear_which_column_the_table_is_sorted_by(
    client, cast, state_leader, url, sort, cell, announced
):
    page = login(client, state_leader).get(url, {"sort": sort}).content.decode()
    cells = header_cells(page)
    assert f'aria-sort="{announced}"' in cells[cell]
    assert [key for key, tag in cells.items() if "aria-sort" in tag] == [cell], "only the sorted column says so"
    assert not re.search(r"<a [^>]*aria-sort", page), "on the cell, not on its link"


def test_a_president_finds_a_village_ignoring_case_and_spacing_and_the_sort_and_pages_keep_it(
    client, cast, patna_president, patna
):
    for i in range(105):
        make_village(patna, f"राम  नगर {i:03d}")
    make_village(patna, "Ram Nagar")
    login(client, patna_president)
    response = client.get("/districts/PAT/", {"village": "राम नगर", "sort": "-listed"})
    assert response.context["page"].paginator.count == 105
    page, asked = response.content.decode(), "village=%E0%A4%B0%E0%A4%BE%E0%A4%AE+%E0%A4%A8%E0%A4%97%E0%A4%B0"
    assert f'href="?{asked}&amp;sort=-listed&amp;page=2"' in page, "the next page keeps the search"
    assert f'href="?{asked}&amp;sort=listed"' in page, "so does sorting the other way"
    assert [row.name for row in client.get("/districts/PAT/", {"village": " ram   NAGAR"}).context["rows"]] == [
        "Ram Nagar"
    ]
    nothing = client.get("/districts/PAT/", {"village": "कोई नहीं"})
    assert nothing.context["rows"] == []
    assert "कोई नहीं" in nothing.content.decode()


def _sheet_rows(response):
    return list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].values)


def test_a_districts_villages_download_ends_with_the_totals_the_page_shows(client, cast, patna, patna_president):
    make_member(make_village(patna, "खाली टोला", target=4), "9876543299", status=MemberStatus.YES)
    login(client, patna_president)
    summary = client.get("/districts/PAT/").context["summary"]
    rows = _sheet_rows(client.get(reverse("districts:export_villages", args=["PAT"])))
    headings, *villages, total = rows
    assert [row[0] for row in villages] == ["खाली टोला", "रामपुर"]
    assert total[:5] == ("कुल", 14, 3, summary.called, 1), "name, targets, listed, called, YES"
    assert summary.listed == 3 and summary.yes == 1


def test_downloaded_counts_are_grouped_in_lakhs_and_rates_keep_their_decimal(client, cast, state_leader):
    """As the pages show them: Excel showed 500000 and a district's rate of 80 beside another's 79.7."""
    for i in range(3):
        make_member(cast["rampur"], f"97{i:08d}", status=MemberStatus.YES if i else MemberStatus.NO)
    rollup.rebuild()
    response = login(client, state_leader).get(reverse("districts:export"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headings = [cell.value for cell in sheet[1]]
    patna = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "PAT")
    listed, rate = patna[headings.index("सूची में")], patna[headings.index("जिनसे बात हुई, उनमें से हाँ (%)")]
    assert (listed.value, rate.value) == (5, 66.7)
    assert listed.number_format == r"[>=10000000]##\,##\,##\,##0;[>=100000]##\,##\,##0;##,##0"
    assert rate.number_format == "0.0"


def test_a_villages_members_download_says_where_each_is_and_their_last_call(client, cast, patna_president):
    login(client, patna_president)
    rows = _sheet_rows(client.get(reverse("districts:village_export", args=["PAT", cast["rampur"].pk])))
    assert rows[0][3:5] == ("गाँव", "ज़िला")
    assert {row[3:5] for row in rows[1:]} == {("रामपुर", "पटना")}, "on every row, for a file forwarded or merged"
    assert "आखिरी कॉल" in rows[0]


def test_villages_furthest_from_target_say_which_number_is_the_target_and_when_too_few_are_listed(
    client, cast, patna_president
):
    page = login(client, patna_president).get(reverse("districts:detail", args=["PAT"])).content.decode()
    below = page[page.index('class="below-target"') :]
    assert "लक्ष्य 10, पुष्टि 0 · सूची में सिर्फ़ 2 सदस्य" in below[: below.index("</ul>")]


def test_the_village_furthest_from_its_target_is_the_one_wanting_most_confirmations(
    client, cast, patna_president, patna
):
    big = make_village(patna, "गोपालबिगहा", target=50)
    small = make_village(patna, "भगवानकला", target=5)
    for n in range(4):
        make_member(big, f"70000000{n:02d}", status=MemberStatus.YES)
    make_member(small, "7000000099", status=MemberStatus.YES)
    rollup.rebuild()
    response = login(client, patna_president).get(reverse("districts:detail", args=["PAT"]))
    names = [village.name for village in response.context["below_target"]]
    assert names.index("गोपालबिगहा") < names.index("भगवानकला"), "46 still wanted before 4"
