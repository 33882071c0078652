import pytest

from controlroom.exports import percent
from controlroom.percentages import percentage
from controlroom.templatetags.numbers import percent as percent_filter
from controlroom.templatetags.numbers import rate


@pytest.mark.parametrize(
    "share, whole_percent, one_decimal",
    [(56 / 64, "88", "87.5"), (5 / 8, "63", "62.5"), (57 / 200, "29", "28.5"), (1 / 16, "6", "6.3"), (0, "0", "0.0")],
)
def test_a_half_goes_up_on_the_pages_and_in_the_downloads(share, whole_percent, one_decimal):
    """The page showed 88% for 87.5 and 62% for 62.5: Python's round() sends halves to the even number."""
    assert (str(percentage(share)), str(percentage(share, 1))) == (whole_percent, one_decimal)
    assert rate(share) == f"{whole_percent}%"
    assert float(percent(share)) == float(one_decimal)


def test_a_share_of_counts_on_the_page_is_rounded_as_the_rate_is():
    assert percent_filter(5, 8) == "63%" and percent_filter(3, 0) == "—" and rate(None) == "—"
