"""The django-import-export resource for members: columns with header aliases, for the admin and the exports.

Imports through it (the admin's, for staff) read the file with the district upload's own reader
(`MemberListFormat`) and run every row through the same `RowChecker` as the district upload pipeline, so both
read the same rows and refuse them for the same reasons. Bulk district uploads use the set-based pipeline in
members.pipeline instead of saving row by row.
"""

import tempfile

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.formats.base_formats import Format

from controlroom.exports import escape_cell, number_field
from districts import rollup
from districts.models import Village
from members.columns import BY_FIELD, FIELDS, map_header
from members.models import Member, MemberStatus
from members.parsing import UnusableFile, max_rows, open_table
from members.pipeline import enrolled
from members.rows import RowChecker, enrolled_problem, reason_text


class MemberListFormat(Format):
    """Any file a district upload takes, read by its reader (members.parsing): XLSX, XLS, ODS, or CSV in UTF-8 or
    UTF-16 with whatever separator; the header found where an upload finds it (under a title line, under a
    grouped header's captions); blank rows and a template's numbered blank rows skipped. Each row keeps its row
    number in the spreadsheet, which the admin names as an upload does.

    An unusable file raises `UnusableFile` with the upload's reason. So does a file with formulas in the columns
    read: an upload refuses those rows one by one, the admin would read what the formulas last showed."""

    def __init__(self, encoding=None):
        """The admin passes the encoding it would decode a text file with; the reader tells it from the bytes."""

    def get_title(self):
        return "XLSX / XLS / ODS / CSV"

    def can_import(self):
        return True

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        with tempfile.NamedTemporaryFile() as copy:
            copy.write(in_stream)
            copy.flush()
            with open_table(copy.name) as table:
                if table.formula_rows:
                    raise UnusableFile("formulas_somewhere")
                return _dataset(table)


def _dataset(table) -> tablib.Dataset:
    """The rows read as `members.pipeline` reads them, with the cells of the columns it reads."""
    get, limit = table.getter(), max_rows()
    dataset, numbers = tablib.Dataset(headers=list(FIELDS)), []
    for number, cells in table.rows:
        values = get(cells) if any(cells) else None
        if not values or not any(values):
            continue
        if len(numbers) == limit:
            raise UnusableFile("too_many_rows", max_rows=limit)
        dataset.append(values)
        numbers.append(number)
    if not numbers:
        raise UnusableFile("no_rows")
    dataset.row_numbers = numbers
    return dataset


class StatusField(fields.Field):
    """A member's status as people read it. Looked up in one table, not through `get_status_display`, which
    rebuilds the list of choices for every row: a third of the time of a lakh of members' download."""

    LABELS = dict(MemberStatus.choices)

    def __init__(self, column_name):
        super().__init__(column_name=column_name, readonly=True)

    def get_value(self, instance):
        return str(self.LABELS.get(instance.status, instance.status))


class VillageNameWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class MemberResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="name")
    mobile = fields.Field(attribute="mobile", column_name="mobile")
    village = fields.Field(attribute="village", column_name="village", widget=VillageNameWidget())
    address = fields.Field(attribute="address", column_name="address")
    district = fields.Field(attribute="district__name", column_name="district", readonly=True)
    status = StatusField("status")

    class Meta:
        model = Member
        fields = ("name", "mobile", "village", "address", "district", "status")
        import_id_fields = ()
        force_init_instance = True
        use_transactions = True

    def __init__(self, district=None, **kwargs):
        super().__init__()
        self.district = district
        self.checker = None
        self._villages = {}
        self._row_numbers = None

    # --- export ---------------------------------------------------------------------------------------

    @staticmethod
    def heading(field: str) -> str:
        """A column's heading for people: the template's bilingual one, never the field's internal name."""
        if field in BY_FIELD:
            return BY_FIELD[field].heading
        return {"district": "ज़िला / District", "status": "स्थिति / Status"}[field]  # bilingual, as the template's

    def get_export_headers(self, selected_fields=None):
        """The template's bilingual headings, so a downloaded list can be filled in and uploaded again as it is."""
        return [self.heading(field.column_name) for field in self.get_export_fields(selected_fields)]

    def get_diff_headers(self):
        """The headings over the admin's preview of an import, and over its table of refused rows."""
        return [self.heading(field.column_name) for field in self.get_import_fields()]

    def export_field(self, field, instance, **kwargs):
        return escape_cell(super().export_field(field, instance, **kwargs))

    # --- import: the same checks as an upload ---------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        if self.district is None:
            raise ValueError(_("Choose the district these members belong to."))
        header = map_header(dataset.headers or [])
        if header.missing:
            missing = ", ".join(BY_FIELD[field].heading for field in header.missing)
            raise ValueError(_("These columns are missing: %(columns)s.") % {"columns": missing})
        by_position = {position: field for field, position in header.positions.items()}
        dataset.headers = [by_position.get(index, f"ignored {index}") for index in range(len(dataset.headers))]
        for field in FIELDS:
            if field not in header.positions:
                dataset.append_col([""] * len(dataset), header=field)
        self.checker = RowChecker.for_district(self.district.pk)
        self._row_numbers = getattr(dataset, "row_numbers", None)

    def spreadsheet_row(self, row_number: int) -> int:
        """The row in the spreadsheet of the dataset's `row_number` (from 1): as `MemberListFormat` read it, or,
        for a dataset loaded otherwise, under headings in row 1."""
        return self._row_numbers[row_number - 1] if self._row_numbers else row_number + 1

    def import_data(self, dataset, **kwargs):
        """Refused rows are numbered by their row in the spreadsheet, as an upload names them."""
        result = super().import_data(dataset, **kwargs)
        for invalid in result.invalid_rows:
            invalid.number = self.spreadsheet_row(invalid.number)
        return result

    def before_import_row(self, row, row_number=None, **kwargs):
        """Clean and check the row as an upload would; a refused row becomes a validation error on its columns."""
        if all(row.get(field) in (None, "") for field in FIELDS):
            # Skipped, as an upload skips a blank row: a total whose formula was never calculated reads as nothing,
            # and a template's numbered rows left blank have only their serial number.
            row["blank"] = True
            return
        name, mobile, village, key, address, problems = self.checker.check(
            self.spreadsheet_row(row_number), *(row.get(field) for field in FIELDS)
        )
        if not problems:
            found = enrolled([mobile])
            if found:
                problems.append(enrolled_problem(*found[mobile]))
        if problems:
            # Shown in the admin's table of refused rows, whose columns are the template's headings: the reasons
            # under them, and the cells as typed (not "---" under every heading).
            errors = {}
            for column, code, params in problems:
                errors.setdefault(self.heading(column), []).append(reason_text(code, params))
            row.update(dict.fromkeys(self.get_diff_headers(), ""))  # the district and status: not read
            row.update({self.heading(field): row.get(field) for field in FIELDS})
            raise ValidationError(errors)
        self.checker.accept(key, village)
        row.update(name=name, mobile=mobile, village=village, address=address, village_key=key)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return row.get("blank", False) or super().skip_row(instance, original, row, import_validation_errors)

    def import_instance(self, instance, row, **kwargs):
        if row.get("blank"):
            return
        instance.district = self.district
        instance.name, instance.mobile, instance.address = row["name"], row["mobile"], row["address"]
        instance.village = self._village(row["village_key"], row["village"])

    def after_save_instance(self, instance, row, **kwargs):
        # Counted as the upload pipeline counts its members (a dry run's transaction is rolled back whole).
        rollup.member_created(village_id=instance.village_id, district_id=instance.district_id)

    def _village(self, key: str, name: str) -> Village:
        if key not in self._villages:
            self._villages[key], created = Village.objects.get_or_create(
                district=self.district, name_key=key, defaults={"name": name, "target": self.district.village_target}
            )
            if created:
                rollup.villages_created(district_id=self.district.pk)
        return self._villages[key]


class RejectResource(resources.Resource):
    """The rejects download: fix offline, fill in the corrected number, upload it back."""

    member_id = number_field("pk", gettext_lazy("Member ID"))
    name = fields.Field(attribute="name", column_name=gettext_lazy("Name"))
    mobile = fields.Field(attribute="mobile", column_name=gettext_lazy("Mobile"))
    village = fields.Field(attribute="village__name", column_name=gettext_lazy("Village"))
    status = StatusField(gettext_lazy("Status"))
    note = fields.Field(attribute="last_note", column_name=gettext_lazy("Operator's note"))
    corrected = fields.Field(column_name=gettext_lazy("Corrected mobile"))

    class Meta:
        export_order = ("member_id", "name", "mobile", "village", "status", "note", "corrected")

    def dehydrate_corrected(self, member):
        return ""

    def headings(self, field: str) -> set:
        """A column's heading in every language, as the corrections upload matches it."""
        label = self.fields[field].column_name
        names = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(" ".join(str(label).split()).casefold())
        return names
