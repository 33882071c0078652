"""Every file of the corpus (tests/members/corpus.py) gets its expected outcome, in the preview and for real."""

import csv
import json

import pytest
from django.urls import reverse

from members import pipeline
from members.models import Member, RefusedRow, Upload
from members.parsing import UnusableFile
from tests.conftest import login
from tests.members.conftest import latest_upload, post_upload
from tests.members.corpus import CASES, build

pytestmark = pytest.mark.django_db
COUNTS = ("rows", "valid", "rejected", "duplicates", "new_villages", "marked_wrong")


def _refused_codes(refused_rows) -> dict:
    return {int(row): sorted(code for _column, code, _params in problems) for row, problems in refused_rows}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_preview_of_each_corpus_file(case, cast, marked_wrong, patna, settings, tmp_path):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    path = build(case, tmp_path / "in")
    members_before = Member.objects.count()

    if case.error:
        with pytest.raises(UnusableFile) as problem:
            pipeline.check_file(path, district=patna, workdir=tmp_path)
        assert problem.value.code == case.error
        assert problem.value.message
        return
    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)

    assert Member.objects.count() == members_before
    found = {name: getattr(checked, name) for name in COUNTS} | {"new_villages": len(checked.new_villages)}
    assert found == {name: case.counts.get(name, 0) for name in COUNTS}
    if case.unknown is not None:
        assert checked.unknown_columns == case.unknown
    with checked.refused_path.open(encoding="utf-8", newline="") as spool:
        refused = _refused_codes((row[1], json.loads(row[3])) for row in csv.reader(spool))
    for row, codes in case.refused.items():
        assert refused[row] == sorted(codes), row


@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=[c.name for c in CASES if not c.slow])
def test_each_corpus_file_uploaded_and_confirmed_through_the_site(
    case, client, cast, marked_wrong, patna_president, settings, tmp_path, django_capture_on_commit_callbacks
):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    content = build(case, tmp_path / "in").read_bytes()
    members_before = Member.objects.count()
    login(client, patna_president)

    response = post_upload(client, content, case.filename, capture=django_capture_on_commit_callbacks)

    if case.error and response.status_code == 200:
        assert response.context["form"].errors["file"], "refused at once, with a message on the form"
        assert not Upload.objects.exists()
        return
    upload = latest_upload()
    assert response.status_code == 302
    if case.error:
        assert (upload.status, upload.error_code) == (Upload.Status.FAILED, case.error)
        page = client.get(reverse("members:upload_detail", args=[upload.pk]))
        assert page.status_code == 200
        assert Member.objects.count() == members_before
        return
    assert upload.status == Upload.Status.VALIDATED
    assert upload.valid == case.counts["valid"]
    assert RefusedRow.objects.filter(upload=upload).count() == upload.rejected + upload.duplicates
    assert client.get(reverse("members:upload_detail", args=[upload.pk])).status_code == 200
    assert client.get(reverse("members:upload_report", args=[upload.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:upload_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    if case.counts["valid"]:
        assert (upload.status, upload.imported) == (Upload.Status.IMPORTED, case.counts["valid"])
    assert Member.objects.count() == members_before + case.counts["valid"]
