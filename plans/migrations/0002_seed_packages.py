"""The three packages of SPEC §4 exist on every installation (sign-up needs one); ops edit them in
the admin afterwards. Prices and entitlements arrive with the pricing migrations."""

from django.db import migrations

PACKAGES = [("base", "Base", 1), ("automation", "Automation", 2), ("professional", "Professional", 3)]


def seed(apps, schema_editor):
    Package = apps.get_model("plans", "Package")
    for code, name, position in PACKAGES:
        Package.objects.get_or_create(code=code, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
