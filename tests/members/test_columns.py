"""Which column a header cell names, for the spellings people use."""

import pytest

from members.columns import field_for_header


@pytest.mark.parametrize(
    "heading",
    [
        "फोन नं.",
        "फोन नं",
        "मो॰ नं॰",
        "मो० नं०",
        "मो. नं.",
        "मोबाइल न.",
        "मोबाईल नं.",
        "मोबाईल",
        "मोबाईल नंबर",
        "फ़ोन",
        "फ़ोन नं.",
        "संपर्क नंबर",
    ],
)
def test_the_mobile_column_is_found_under_the_hindi_headings_people_write(heading):
    """These headings were not recognised, so the whole file was refused as having no mobile column."""
    assert field_for_header(heading) == "mobile"


@pytest.mark.parametrize(
    ("heading", "field"),
    [("पूरा नाम", "name"), ("सदस्य का पूरा नाम", "name"), ("गावं", "village")],
)
def test_other_columns_are_found_under_their_common_hindi_spellings(heading, field):
    """A full-name heading, or the anusvara typed after व, left the name or village column missing."""
    assert field_for_header(heading) == field


@pytest.mark.parametrize("heading", ["संपर्क नहीं हो सका", "पिता का नाम", "मोबाइल नं० 2 के लिए"])
def test_headings_that_only_contain_a_columns_word_are_not_taken_for_it(heading):
    """The longer spellings accepted are whole headings; a heading merely containing one stays unknown."""
    assert field_for_header(heading) is None
