"""The audit log is append-only in the database itself, and kept at least a year.

On PostgreSQL a trigger refuses every UPDATE of an audit event, and every DELETE of one younger than
RETENTION_DAYS, whoever runs it: the ORM, the admin, a shell, a bulk statement. Older events may be deleted (the
`audit_purge` command does so). SQLite, for development only, gets no trigger.

A trigger cannot read Django settings, so the year is written here; settings refuse an AUDIT_RETENTION_DAYS
below it. TRUNCATE is not guarded: row triggers do not fire on it, and the test suite empties tables with it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


RETENTION_DAYS = 365

GUARD = f"""
CREATE OR REPLACE FUNCTION controlroom_auditevent_guard() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit events cannot be changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.created_at > clock_timestamp() - interval '{RETENTION_DAYS} days' THEN
        RAISE EXCEPTION 'audit events are kept for {RETENTION_DAYS} days' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$guard$;
DROP TRIGGER IF EXISTS controlroom_auditevent_guard ON controlroom_auditevent;
CREATE TRIGGER controlroom_auditevent_guard BEFORE UPDATE OR DELETE ON controlroom_auditevent
    FOR EACH ROW EXECUTE FUNCTION controlroom_auditevent_guard();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS controlroom_auditevent_guard ON controlroom_auditevent;
DROP FUNCTION IF EXISTS controlroom_auditevent_guard();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('controlroom', '0001_audit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('export', 'Export'), ('import', 'Import'), ('correct', 'Number corrected'), ('replace', 'Member replaced'), ('remove', 'Member removed'), ('login', 'Login'), ('login_failed', 'Failed login')], max_length=20, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='who'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='detail',
            field=models.JSONField(blank=True, default=dict, verbose_name='detail'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='rows',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='rows'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='what',
            field=models.CharField(blank=True, max_length=200, verbose_name='what'),
        ),
        migrations.RunPython(_on_postgresql(GUARD), _on_postgresql(UNGUARD), elidable=False),
    ]
