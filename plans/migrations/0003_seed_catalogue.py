"""The default catalogue of SPEC §4 exists on every installation (sign-up needs a package); ops edit
it in the admin afterwards."""

from django.db import migrations

from catalogue.defaults import catalogue_models, seed_default_catalogue


def seed(apps, schema_editor):
    seed_default_catalogue(catalogue_models(apps, label="plans"))


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_catalogue_and_orders")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
