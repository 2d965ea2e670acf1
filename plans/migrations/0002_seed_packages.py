"""The packages of SPEC §4 exist on every installation (sign-up needs one); ops edit them in the
admin afterwards."""

from django.db import migrations

from plans.catalogue import seed_default_catalogue


def seed(apps, schema_editor):
    seed_default_catalogue(apps.get_model("plans", "Package"))


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
