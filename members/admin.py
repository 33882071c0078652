from uuid import uuid4

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm
from import_export.tmp_storages import BaseStorage

from controlroom.exports import ExcelCSV
from controlroom.models import AuditEvent
from districts.models import District
from members import services
from members.columns import HEADINGS
from members.forms import MemberAdminForm
from members.models import Member, Upload
from members.parsing import UnusableFile
from members.phone import InvalidMobile, normalise_mobile
from members.resources import MemberListFormat, MemberResource


class MemberImportForm(ImportForm):
    district = forms.ModelChoiceField(queryset=District.objects.all(), label=_("District"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.in_reading_order()


class MemberConfirmImportForm(ConfirmImportForm):
    district = forms.ModelChoiceField(queryset=District.objects.all(), widget=forms.HiddenInput)


class PrivateImportStorage(BaseStorage):
    """Where a previewed list waits for Confirm: with the uploaded lists, in the private folder (the system's temp
    folder keeps it for anyone on the machine, and for ever when nobody confirms), where the purge finds it."""

    def save(self, data):
        self.name = self.name or uuid4().hex
        default_storage.save(self._path(), ContentFile(data))

    def read(self):
        with default_storage.open(self._path(), "rb") as file:
            return file.read()

    def remove(self):
        default_storage.delete(self._path())

    def _path(self):
        return f"{services.ADMIN_IMPORTS_DIR}/{self.name}"


class MemberExportForm(SelectableFieldsExportForm):
    """The columns to choose are named as the file will head them, in Hindi and English, not "Name (name)"."""

    def _get_field_label(self, resource, field_name):
        return resource.heading(resource.fields[field_name].column_name)


@admin.register(Member)
class MemberAdmin(ImportExportModelAdmin):
    form = MemberAdminForm
    resource_classes = [MemberResource]
    formats = [XLSX, ExcelCSV]
    # Read as a district upload reads a file, whatever kind it is.
    import_formats = [MemberListFormat]
    tmp_storage_class = PrivateImportStorage
    import_form_class = MemberImportForm
    confirm_form_class = MemberConfirmImportForm
    export_form_class = MemberExportForm
    list_display = ["name", "mobile", "village", "district", "status", "attempt_count", "created_at"]
    list_filter = ["status", "district"]
    search_fields = ["name", "mobile"]
    list_select_related = ["village", "district"]
    raw_id_fields = ["village"]
    # Who the member is and where is edited here; the call state only changes through calls and the rejects loop.
    readonly_fields = [
        "district", "status", "attempt_count", "next_call_at", "reserved_for", "batch", "upload", "number_since",
        "status_changed_at", "status_changed_by",
    ]  # fmt: skip

    def get_search_results(self, request, queryset, search_term):
        try:  # a number as people write it ("+91 98123-45670") is found as stored
            search_term = normalise_mobile(search_term)
        except InvalidMobile:
            pass
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        services.member_admin_save(member=obj, created=not change, actor=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A number enrolled by someone else between the form's check and the save (an upload confirmed, a
        president's fix) is refused with the reason, not a server error; the whole save is rolled back."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.RejectError as refused:
            messages.error(request, _("Nothing was saved: %(reason)s") % {"reason": refused})
            return redirect(request.get_full_path())

    def delete_model(self, request, obj):
        services.members_admin_delete(member_ids=[obj.pk], actor=request.user)

    def delete_queryset(self, request, queryset):
        services.members_admin_delete(member_ids=queryset.values_list("pk", flat=True), actor=request.user)

    # Imports and exports here are written to the audit log, as the district pages' are: an export carries
    # every member's number.
    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        what = "members (admin)"
        AuditEvent.objects.create(actor=request.user, action=AuditEvent.Action.EXPORT, what=what, rows=queryset.count())
        return data

    def get_import_data_kwargs(self, **kwargs):
        # Confirming writes every row or none, as an upload does: a row refused at the write (its number enrolled
        # since the preview) takes the others back with it, where it left them imported without it.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            first = result.invalid_rows[0] if result.invalid_rows else None
            why = " ".join(first.error.messages) if first else ""
            message = _(
                "Nothing was imported: %(count)s rows were refused since the check, the first at row %(row)s"
                " (%(why)s). Import the file again to see them all."
            )
            count = len(result.invalid_rows) or len(result.row_errors())
            row = first.number if first else "–"  # the spreadsheet's row (see MemberResource.import_data)
            messages.error(request, message % {"count": count, "row": row, "why": why})
            return redirect("admin:members_member_changelist")
        totals = {kind: count for kind, count in result.totals.items() if count}
        rows = result.totals.get("new", 0)
        detail = {"totals": totals, "by": "admin"}
        what = "members (admin)"
        AuditEvent.objects.create(
            actor=request.user, action=AuditEvent.Action.IMPORT, what=what, rows=rows, detail=detail
        )
        return super().process_result(result, request)

    def import_action(self, request, **kwargs):
        response = None
        try:
            response = super().import_action(request, **kwargs)
        finally:
            # The list is kept only for a Confirm button to import it: a preview that refused rows, or a file that
            # could not be read, shows none, so its copy (every name and number) goes at once.
            if "confirm_form" not in (getattr(response, "context_data", None) or {}):
                self._drop_previewed_file(request)
        context = getattr(response, "context_data", None)
        if context and "fields_list" in context:
            # The columns a file must have, as the template heads them: not the resource's field names, and not
            # the district and status it exports but never reads.
            context["fields_list"] = [(name, HEADINGS) for name, _ in context["fields_list"]]
        return response

    def _drop_previewed_file(self, request):
        name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)  # set once the file is saved
        if name:
            self.get_tmp_storage_class()(name=name).remove()

    def add_data_read_fail_error_to_form(self, form, e):
        """A file the district upload would refuse is refused with its reason, not the name of an exception."""
        if isinstance(e, UnusableFile):
            form.add_error("import_file", ValidationError(e.message, code=e.code))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # The checked copy is deleted once imported: this is a second press of Confirm (or a stale page).
            messages.warning(request, _("This file was already imported, or its check has expired. Nothing was added."))
            return redirect("admin:members_member_changelist")

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        district = form.cleaned_data.get("district") if form is not None and form.is_valid() else None
        return {"district": district}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["district"] = import_form.cleaned_data["district"].pk
        return initial


PRIVATE_FILES = ["file", "checked_rows"]


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "district", "uploaded_by", "status", "rows", "valid", "imported", "created_at"]
    list_filter = ["status", "district"]
    list_select_related = ["district", "uploaded_by"]
    # The files are private: the admin would link them to a media URL that is never served.
    exclude = PRIVATE_FILES
    readonly_fields = [field.name for field in Upload._meta.fields if field.name not in PRIVATE_FILES]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a record of what happened, shown read-only
