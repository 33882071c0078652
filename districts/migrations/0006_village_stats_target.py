from django.db import migrations, models

# The existing figures take their village's target.
COPY_TARGETS = """
UPDATE districts_villagestats
SET target = (SELECT target FROM districts_village WHERE districts_village.id = districts_villagestats.village_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("districts", "0005_village_alias"),
    ]

    operations = [
        migrations.AddField(
            model_name="villagestats",
            name="target",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunSQL(COPY_TARGETS, migrations.RunSQL.noop),
    ]
