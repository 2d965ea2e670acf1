"""Document.paid_by: how the order was paid when its VAT invoice was issued.

On SQLite, adding a column rebuilds the table (copy, drop, rename), which the triggers that freeze
issued documents (0002) refer to by name: they are dropped for the rebuild and created again.
PostgreSQL adds the column in place (its trigger compares whole rows, so the new column is frozen
for issued documents from the start)."""

import importlib

from django.db import migrations, models

FROZEN = importlib.import_module("invoices.migrations.0002_issued_documents_frozen")


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("invoices", "0003_document_one_invoice_and_proforma_per_order"),
    ]

    operations = [
        migrations.RunPython(_sqlite(FROZEN.SQLITE_BACKWARD), _sqlite(FROZEN.SQLITE_FORWARD)),
        migrations.AddField(
            model_name="document",
            name="paid_by",
            field=models.CharField(blank=True, max_length=10, verbose_name="paid by"),
        ),
        migrations.RunPython(_sqlite(FROZEN.SQLITE_FORWARD), _sqlite(FROZEN.SQLITE_BACKWARD)),
    ]
