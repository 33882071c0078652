"""`manage.py load_districts [FILE]`: a real deployment's districts, without the demo's members and users."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from districts.models import District, User, Village

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("load_districts", *map(str, args), stdout=out)
    return out.getvalue().strip()


def test_bihars_districts_load_alone_and_again_harmlessly():
    assert run() == "38 districts created, 0 already there."
    assert District.objects.get(code="PAT").name_hi == "पटना"
    assert not Village.objects.exists() and not User.objects.exists(), "no demo data"
    assert run() == "0 districts created, 38 already there."


def test_another_states_districts_load_from_a_csv(tmp_path):
    path = tmp_path / "up.csv"
    path.write_text("\ufeffcode,name_en,name_hi\nLKO,Lucknow,लखनऊ\nVNS,Varanasi,वाराणसी\n", encoding="utf-8")
    assert run(path) == "2 districts created, 0 already there."
    assert District.objects.get(code="VNS").name_en == "Varanasi"


@pytest.mark.parametrize(
    "text, says",
    [
        ("code,name\nLKO,Lucknow\n", "the first line must name the columns code, name_en, name_hi"),
        ("code,name_en,name_hi\nLKO,Lucknow,लखनऊ\nlko 2,Lucknow Two,लखनऊ 2\n", "Row 2 (lko 2): code:"),
    ],
)
def test_a_file_that_is_not_a_list_of_districts_loads_nothing_and_says_why(tmp_path, text, says):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=says.replace("(", r"\(").replace(")", r"\)")):
        run(path)
    assert not District.objects.exists(), "all or none"


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nope.csv")
