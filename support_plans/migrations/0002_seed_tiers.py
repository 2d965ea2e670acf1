"""The five support tiers of SPEC §8 (`support_plans.defaults`) and the vendor group "support"."""

from django.db import migrations

from support_plans.defaults import seed_support_plans


def seed(apps, schema_editor):
    seed_support_plans(apps.get_model("support_plans", "SupportPlan"),
                       apps.get_model("auth", "Group"))


class Migration(migrations.Migration):

    dependencies = [
        ("support_plans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
