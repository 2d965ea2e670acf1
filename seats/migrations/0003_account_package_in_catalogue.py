"""Account.package now points at catalogue.Package: the same table (plans_package), so only the
migration state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("seats", "0002_country_field"),
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
            migrations.AlterField(
                model_name="account",
                name="package",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                        related_name="accounts", to="catalogue.package",
                                        verbose_name="package"),
            ),
        ]),
    ]
