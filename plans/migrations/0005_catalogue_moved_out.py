"""The catalogue models moved to the `catalogue` app with their tables (db_table keeps the names):
the foreign keys of this app now point there, and the models leave this app's state. Nothing
changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_order_validity_and_basis"),
        ("catalogue", "0001_initial"),
        ("seats", "0003_account_package_in_catalogue"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
            migrations.AlterField(
                model_name="accountaddon",
                name="addon",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                        related_name="+", to="catalogue.addon"),
            ),
            migrations.AlterField(
                model_name="packagechange",
                name="from_package",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                        related_name="+", to="catalogue.package"),
            ),
            migrations.AlterField(
                model_name="packagechange",
                name="to_package",
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                        related_name="+", to="catalogue.package"),
            ),
            migrations.DeleteModel(name="PackageAddOn"),
            migrations.DeleteModel(name="PackagePrice"),
            migrations.DeleteModel(name="AddOnPrice"),
            migrations.DeleteModel(name="DiscountRung"),
            migrations.DeleteModel(name="AddOn"),
            migrations.DeleteModel(name="Package"),
        ]),
    ]
