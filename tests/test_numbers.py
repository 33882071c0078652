import pytest
from django.template import Context, Template
from django.utils import translation


@pytest.mark.parametrize("language", ["hi", "en"])
@pytest.mark.parametrize(
    "value, shown", [(0, "0"), (999, "999"), (1000, "1,000"), (123456, "1,23,456"), (12345678, "1,23,45,678")]
)
def test_numbers_use_indian_grouping(language, value, shown):
    with translation.override(language):
        assert Template("{% load numbers %}{{ n|indian }}").render(Context({"n": value})) == shown


def test_percent_of_nothing_is_a_dash():
    rendered = Template("{% load numbers %}{{ a|percent:b }} {{ a|percent:0 }}").render(Context({"a": 1, "b": 3}))
    assert rendered == "33% —"


@pytest.mark.parametrize("value, shown", [("9812345670", "98123 45670"), ("", "")])
def test_a_mobile_is_shown_as_people_read_it(value, shown):
    assert Template("{% load numbers %}{{ m|mobile }}").render(Context({"m": value})) == shown
